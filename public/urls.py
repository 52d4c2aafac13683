"""The customer's addresses."""

from django.urls import path

from public.views import book, change, links, manage

app_name = "public"

urlpatterns = [
    path("book/<slug:organization>/<slug:form>/", book.booking_form, name="booking-form"),
    path("book/<slug:organization>/<slug:form>/slots/", book.slots, name="booking-form-slots"),
    # Before manage/<token>/, which would otherwise take "resend" for a token.
    path("manage/resend/", links.resend_links, name="resend-links"),
    path("manage/resend/sent/", links.resend_links_sent, name="resend-links-sent"),
    path("manage/<str:token>/", manage.manage, name="manage"),
    path("manage/<str:token>/booking.ics", manage.manage_ics, name="manage-ics"),
    path("manage/<str:token>/change/", change.change, name="change"),
    path("manage/<str:token>/change/slots/", change.change_slots, name="change-slots"),
    path("manage/<str:token>/cancel/", change.cancel, name="cancel"),
    path(
        "manage/<str:token>/requests/<int:request_id>/withdraw/",
        change.withdraw,
        name="withdraw-request",
    ),
]
