"""The customer's addresses."""

from django.urls import path

from public.views import book, manage

app_name = "public"

urlpatterns = [
    path("book/<slug:organization>/<slug:form>/", book.booking_form, name="booking-form"),
    path("book/<slug:organization>/<slug:form>/slots/", book.slots, name="booking-form-slots"),
    path("manage/<str:token>/", manage.manage, name="manage"),
    path("manage/<str:token>/booking.ics", manage.manage_ics, name="manage-ics"),
]
