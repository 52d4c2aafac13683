"""URL map of Venuedesk."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Venuedesk"
admin.site.site_title = "Venuedesk"
admin.site.index_title = "Bookings and catalogue"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
