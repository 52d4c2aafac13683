"""A booking's manage page, reached by its private link, and the booking as an .ics."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bookings.models import BookingStatus, LogEntry
from bookings.selectors import booking_by_manage_token
from core.actors import Actor
from core.permissions import Action, may
from public.views.book import BOOKED_TAG
from public.views.common import link_not_found, private

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


def _booking_of(token: str):
    booking = booking_by_manage_token(token=token)
    if booking is None or not may(
        Actor.customer(token), Action.VIEW, booking.organization, booking=booking
    ):
        return None
    return booking


# The calendar entry's status, as calendar apps read it; a booking that no longer takes
# place is CANCELLED, so that the app removes or strikes it.
ICS_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
    BookingStatus.ARRIVED: "CONFIRMED",
    BookingStatus.SEATED: "CONFIRMED",
    BookingStatus.RELEASED: "CONFIRMED",
}
# Entries of the history that change what the calendar shows (times, place, status).
ICS_CHANGES = (
    LogEntry.Action.APPROVED,
    LogEntry.Action.DENIED,
    LogEntry.Action.CANCELED,
    LogEntry.Action.NO_SHOW,
    LogEntry.Action.CHANGE_APPLIED,
    LogEntry.Action.CHANGE_APPROVED,
    LogEntry.Action.LINE_ADDED,
    LogEntry.Action.LINE_UPDATED,
    LogEntry.Action.LINE_REMOVED,
    LogEntry.Action.DETAILS_UPDATED,
)


@require_GET
def manage_ics(request, token: str):
    """The booking as one calendar entry: a stable UID, and a SEQUENCE that grows with
    every change, so that calendar apps update the entry instead of adding another."""
    booking = _booking_of(token)
    if booking is None or booking.starts_at is None:
        return link_not_found(request)
    venue = booking.venue
    entry = CalendarEvent()
    entry.add("uid", f"{booking.reference}@{urlsplit(settings.VENUEDESK_SITE_URL).hostname}")
    entry.add("sequence", booking.log_entries.filter(action__in=ICS_CHANGES).count())
    entry.add("dtstamp", booking.updated_at)
    entry.add("dtstart", booking.starts_at)
    entry.add("dtend", booking.ends_at)
    entry.add("summary", f"{booking.title or booking.reference} — {venue.name}")
    entry.add("location", ", ".join(filter(None, [venue.name, venue.address, venue.city])))
    entry.add("status", ICS_STATUS.get(booking.status, "CANCELLED"))
    # No link in it: calendars get shared, and the link is the customer's key.
    entry.add("description", f"{_('Booking')} {booking.reference}")
    calendar = Calendar()
    calendar.add("prodid", "-//Venuedesk//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return private(response)


@require_GET
def manage(request, token: str):
    """Status in words, what was booked in the venue's time, totals, payments, history."""
    booking = _booking_of(token)
    if booking is None:
        return link_not_found(request)
    heading, meaning = STATUS_WORDS[booking.status]
    history = [
        {"entry": entry, "words": HISTORY_WORDS[entry.action]} for entry in booking.customer_history
    ]
    asked = booking.status in (BookingStatus.PENDING, BookingStatus.DENIED)
    # A booking just made through the form: the page is its confirmation too.
    just_booked = [m.message for m in messages.get_messages(request) if BOOKED_TAG in m.tags]
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
        "just_booked": just_booked,
        "link": request.build_absolute_uri(),
    }
    return private(render(request, "public/manage.html", context))
