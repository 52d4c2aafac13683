"""The words the admin's pages use when a service refuses: who changed a booking last and
when (in its venue's zone, the zone named), and what a conflict is with."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

from bookings import selectors
from bookings.models import Booking
from core.errors import BookingConflict
from venues.models import Organization


def moment_words(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as the venue reads it: "Mon 4 Mar 2030, 10:00 CET (Europe/Madrid)"."""
    local = timezone.localtime(moment, zone)
    return f"{formats.date_format(local, 'D j M Y')}, {local:%H:%M} {local.tzname()} ({zone.key})"


def last_change_words(booking: Booking) -> str:
    """Who changed the booking last and when, read fresh: "Approved by Pau Approver on …"."""
    organizations = Organization.objects.filter(pk=booking.organization_id)
    fresh = selectors.booking_summary_list(organizations=organizations).get(pk=booking.pk)
    zone = fresh.venue.tzinfo
    entry = (
        selectors.log_entry_list(organizations=organizations, booking=fresh)
        .order_by("created_at", "pk")
        .last()
    )
    if entry is None or entry.created_at < fresh.updated_at.replace(microsecond=0):
        return f"It was changed on {moment_words(fresh.updated_at, zone)}."
    return (
        f"{entry.get_action_display()} by {entry.actor_display} on "
        f"{moment_words(entry.created_at, zone)}."
    )


def conflict_list(error: BookingConflict) -> list[str]:
    """Each conflict in words, naming the booking that holds the place."""
    parts = []
    for conflict in error.conflicts:
        words = conflict.message
        if conflict.other_booking and conflict.other_booking not in words:
            words += f" (held by {conflict.other_booking})"
        parts.append(words)
    return parts


def conflict_words(error: BookingConflict) -> str:
    return " ".join(conflict_list(error))


def parse_seen(text: str) -> datetime | None:
    """A page's `updated_at` as it came back: an aware moment, else None (missing, mangled,
    or a date that does not exist such as 30 February)."""
    try:
        seen = parse_datetime(text or "")
    except ValueError:
        return None
    return seen if seen is not None and seen.tzinfo is not None else None


class SeenField(forms.CharField):
    """The booking's `updated_at` as the page showed it (hidden); the services refuse a
    change to a booking changed since: a stale page, or the same form sent twice."""

    widget = forms.HiddenInput

    def to_python(self, value) -> datetime | None:
        seen = parse_seen(super().to_python(value))
        if seen is None:
            raise ValidationError("Reload the booking and try again.")
        return seen
