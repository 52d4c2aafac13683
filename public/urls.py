"""The customer's addresses."""

from django.urls import path

from public import views

app_name = "public"

urlpatterns = [
    path("manage/<str:token>/", views.manage, name="manage"),
]
