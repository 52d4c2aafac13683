"""Bookings as iCalendar (RFC 5545), built with `icalendar`: one booking's .ics (the
customer's manage page, the API) and a venue's feed for staff calendar apps.

Times carry the venue's zone (`DTSTART;TZID=Europe/Madrid:20300304T140000`) with its
VTIMEZONE, so that every app shows the venue's local time, as the venue's pages do. UIDs
are stable and SEQUENCE counts the changes in the booking's history
(bookings.selectors.calendar_sequences), so that apps update an entry instead of adding
another.
"""

from collections.abc import Callable, Iterable
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bookings.models import Booking, BookingStatus, LogEntry, SpaceBooking
from venues.models import Venue

# The entry's status as calendar apps read it; a booking that no longer takes place is
# CANCELLED, so that the app strikes or removes it.
ICS_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
    BookingStatus.ARRIVED: "CONFIRMED",
    BookingStatus.SEATED: "CONFIRMED",
    BookingStatus.RELEASED: "CONFIRMED",
}
# Entries of the history that change what a calendar shows (times, place, status).
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
CONTENT_TYPE = "text/calendar; charset=utf-8"


def booking_ics(booking: Booking, *, sequence: int) -> bytes:
    """One booking as one entry from its first line's start to its last line's end
    (`booking.starts_at` is set), at the venue and its booked spaces.

    The same file for the customer and the API, without the manage link: calendars get
    shared and synced to other services, and the link is the customer's key."""
    venue = booking.venue
    entry = _entry(
        uid=booking.reference, booking=booking, sequence=sequence, status=_status(booking)
    )
    entry.add("dtstart", booking.starts_at.astimezone(venue.tzinfo))
    entry.add("dtend", booking.ends_at.astimezone(venue.tzinfo))
    entry.add("summary", f"{booking.title or booking.reference} — {venue.name}")
    spaces = dict.fromkeys(line.space.name for line in booking.space_bookings.all())
    entry.add("location", ", ".join(filter(None, [*spaces, venue.name, venue.address, venue.city])))
    entry.add("description", _("Booking %(reference)s") % {"reference": booking.reference})
    return _calendar([entry], name=None, venue=venue).to_ical()


def venue_feed_ics(
    *,
    venue: Venue,
    name: str,
    space_bookings: Iterable[SpaceBooking],
    sequences: dict[int, int],
    booking_url: Callable[[Booking], str],
) -> bytes:
    """A venue's feed for staff calendars: one entry per space line, so that a booking
    with sessions in two rooms shows in each room at its own time (a single entry would
    claim both rooms for the whole span). Requests are TENTATIVE and say so in the title
    too (some apps ignore STATUS). `booking_url` gives the staff page of a booking."""
    entries = []
    for line in space_bookings:
        booking = line.booking
        who = booking.title or booking.customer.display_name or booking.reference
        summary = f"{who} · {line.space.name}"
        if booking.status == BookingStatus.PENDING:
            summary = _("Request: %(summary)s") % {"summary": summary}
        entry = _entry(
            uid=f"{booking.reference}-{line.pk}",
            booking=booking,
            sequence=sequences.get(booking.pk, 0),
            status=_status(booking),
        )
        entry.add("dtstart", line.starts_at.astimezone(venue.tzinfo))
        entry.add("dtend", line.ends_at.astimezone(venue.tzinfo))
        entry.add("summary", summary)
        entry.add("location", f"{line.space.name}, {venue.name}")
        details = [
            _("Booking %(reference)s (%(status)s)")
            % {"reference": booking.reference, "status": booking.get_status_display()},
            booking.customer.display_name,
            _("%(places)s place(s)") % {"places": line.places},
            line.name,
            booking_url(booking),
        ]
        entry.add("description", "\n".join(filter(None, details)))
        entry.add("url", booking_url(booking))
        entries.append(entry)
    return _calendar(entries, name=f"{venue.name} — {name}", venue=venue).to_ical()


def _status(booking: Booking) -> str:
    return ICS_STATUS.get(booking.status, "CANCELLED")


def _entry(*, uid: str, booking: Booking, sequence: int, status: str) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", f"{uid}@{urlsplit(settings.VENUEDESK_SITE_URL).hostname}")
    entry.add("sequence", sequence)
    entry.add("dtstamp", booking.updated_at)
    entry.add("status", status)
    return entry


def _calendar(entries: list[CalendarEvent], *, name: str | None, venue: Venue) -> Calendar:
    """The VCALENDAR around `entries`, with the VTIMEZONE of the venue's zone over the
    years they span (the library's default stops at 2038)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Venuedesk//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name is not None:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", venue.timezone)
    for entry in entries:
        calendar.add_component(entry)
    if entries:
        starts = [entry.decoded("dtstart") for entry in entries]
        ends = [entry.decoded("dtend") for entry in entries]
        calendar.add_missing_timezones(
            first_date=date(min(starts).year - 1, 1, 1), last_date=date(max(ends).year + 2, 1, 1)
        )
    return calendar
