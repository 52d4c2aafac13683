"""The customer's pages, reached without an account: a booking's manage page by its link."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from bookings.models import BookingStatus, LogEntry
from bookings.selectors import booking_by_manage_token
from core.actors import Actor
from core.permissions import Action, may

# The status as the customer reads it: a heading and what it means for them.
STATUS_WORDS = {
    BookingStatus.PENDING: (
        _("Request received — not confirmed yet"),
        _(
            "The venue will look at your request and e-mail you their answer. "
            "The time is not held for you until they confirm it."
        ),
    ),
    BookingStatus.APPROVED: (_("Booking confirmed"), _("The venue expects you.")),
    BookingStatus.DENIED: (
        _("Request declined"),
        _("The venue could not take this booking."),
    ),
    BookingStatus.CANCELED: (_("Booking canceled"), _("This booking is canceled.")),
    BookingStatus.ARRIVED: (_("Checked in"), _("Welcome: you are checked in.")),
    BookingStatus.SEATED: (_("Checked in"), _("Welcome: you are checked in.")),
    BookingStatus.RELEASED: (_("Visit completed"), _("Thank you for your visit.")),
    BookingStatus.NO_SHOW: (
        _("Not attended"),
        _("The venue recorded that nobody came to this booking."),
    ),
}

OWING_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.APPROVED,
    BookingStatus.ARRIVED,
    BookingStatus.SEATED,
)

# What each history entry says to the customer.
HISTORY_WORDS = {
    LogEntry.Action.CREATED: _("Booking requested"),
    LogEntry.Action.APPROVED: _("Confirmed by the venue"),
    LogEntry.Action.DENIED: _("Declined by the venue"),
    LogEntry.Action.CANCELED: _("Canceled"),
    LogEntry.Action.CHANGE_REQUESTED: _("Change requested"),
    LogEntry.Action.CHANGE_APPLIED: _("Change made"),
    LogEntry.Action.CHANGE_APPROVED: _("Change accepted by the venue"),
    LogEntry.Action.CHANGE_DENIED: _("Change declined by the venue"),
    LogEntry.Action.CHANGE_WITHDRAWN: _("Change request withdrawn"),
}


def _private(response):
    """The page is the customer's alone: never indexed, and its address (the token) never
    sent to another site as a referrer."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def manage(request, token: str):
    """Status in words, what was booked in the venue's time, totals, payments, history."""
    booking = booking_by_manage_token(token=token)
    if booking is None or not may(
        Actor.customer(token), Action.VIEW, booking.organization, booking=booking
    ):
        return _private(render(request, "public/link_not_found.html", status=404))
    heading, meaning = STATUS_WORDS[booking.status]
    history = [
        {"entry": entry, "words": HISTORY_WORDS[entry.action]} for entry in booking.customer_history
    ]
    asked = booking.status in (BookingStatus.PENDING, BookingStatus.DENIED)
    context = {
        "booking": booking,
        "currency": booking.organization.currency,
        "lines_heading": _("What you asked for") if asked else _("What you booked"),
        # A declined or canceled booking owes nothing, whatever its balance says.
        "owes": booking.status in OWING_STATUSES,
        "venue": booking.venue,
        "heading": heading,
        "meaning": meaning,
        "space_lines": list(booking.space_bookings.all()),
        "event_lines": list(booking.event_bookings.all()),
        "product_lines": list(booking.inventory_bookings.all()),
        "payments": list(booking.payments.all()),
        "history": history,
    }
    return _private(render(request, "public/manage.html", context))
