"""URL map of Venuedesk."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from staff.views.calendar_feed import calendar_feed

admin.site.site_header = "Venuedesk"
admin.site.site_title = "Venuedesk"
admin.site.index_title = "Bookings and catalogue"
# The model list beside every page would leave a booking list at 1366 px no room for its
# columns; the home page and the breadcrumbs lead everywhere it did.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("public.urls")),
    path("staff/", include("staff.urls")),
    # Staff calendar apps subscribe here without a login: the token is the key.
    path("calendars/<str:token>.ics", calendar_feed, name="calendar-feed"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), which the
    # content security policy allows; the plain view's inline script would be blocked.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/docs.html"),
        name="api-docs",
    ),
]
