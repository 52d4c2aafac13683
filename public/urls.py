"""The customer's addresses."""

from django.urls import path

from public.views import book, links, manage

app_name = "public"

urlpatterns = [
    path("book/<slug:organization>/<slug:form>/", book.booking_form, name="booking-form"),
    path("book/<slug:organization>/<slug:form>/slots/", book.slots, name="booking-form-slots"),
    # Before manage/<token>/, which would otherwise take "resend" for a token.
    path("manage/resend/", links.resend_links, name="resend-links"),
    path("manage/resend/sent/", links.resend_links_sent, name="resend-links-sent"),
    path("manage/<str:token>/", manage.manage, name="manage"),
    path("manage/<str:token>/booking.ics", manage.manage_ics, name="manage-ics"),
]
