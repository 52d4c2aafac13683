"""The customer's addresses."""

from django.urls import path

from public.views import manage

app_name = "public"

urlpatterns = [
    path("manage/<str:token>/", manage.manage, name="manage"),
    path("manage/<str:token>/booking.ics", manage.manage_ics, name="manage-ics"),
]
