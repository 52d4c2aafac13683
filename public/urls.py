"""The customer's addresses."""

from django.urls import path

from public import views

app_name = "public"

urlpatterns = [
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/booking.ics", views.manage_ics, name="manage-ics"),
]
