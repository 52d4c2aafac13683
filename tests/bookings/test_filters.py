"""Filtering by a calendar day reads the day in each row's own venue's time zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.filters import BookingFilter, EventFilter, LocalDayFilter
from bookings.models import Booking
from tests import factories as f
from venues.models import Event

pytestmark = pytest.mark.django_db

MADRID, NEW_YORK = ZoneInfo("Europe/Madrid"), ZoneInfo("America/New_York")


def booking_at(venue, local: str):
    """A booking of `venue` starting at a wall-clock time there."""
    line = f.SpaceBookingFactory(
        booking__venue=venue,
        starts_at=datetime.fromisoformat(local).replace(tzinfo=venue.tzinfo),
    )
    line.booking.compute_span()
    line.booking.save()
    return line.booking


@pytest.fixture
def two_venues():
    organization = f.OrganizationFactory()
    madrid = f.VenueFactory(organization=organization, timezone="Europe/Madrid")
    new_york = f.VenueFactory(organization=organization, timezone="America/New_York")
    return madrid, new_york


def references(filterset) -> set[str]:
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("reference", flat=True))


def test_each_booking_is_filtered_by_its_own_venues_day(two_venues):
    madrid, new_york = two_venues
    # 23:30 on 9 March in New York is 04:30 UTC on the 10th; 00:30 on the 10th in Madrid
    # is 23:30 UTC on the 9th. Each belongs to its own venue's day, not to UTC's.
    late_in_new_york = booking_at(new_york, "2030-03-09 23:30")
    early_in_madrid = booking_at(madrid, "2030-03-10 00:30")
    on_ninth = BookingFilter({"start_date": "2030-03-09"}, queryset=Booking.objects.all())
    on_tenth = BookingFilter({"start_date": "2030-03-10"}, queryset=Booking.objects.all())
    assert references(on_ninth) == {late_in_new_york.reference}
    assert references(on_tenth) == {early_in_madrid.reference}


def test_a_day_when_the_clocks_go_forward_has_23_hours(two_venues):
    _, new_york = two_venues
    # 10 March 2030: New York skips 02:00-03:00, so the day ends at 04:00 UTC on the 11th.
    last_minute = booking_at(new_york, "2030-03-10 23:59")
    next_day = booking_at(new_york, "2030-03-11 00:00")
    until = BookingFilter({"until_start_date": "2030-03-10"}, queryset=Booking.objects.all())
    since = BookingFilter({"from_start_date": "2030-03-11"}, queryset=Booking.objects.all())
    assert references(until) == {last_minute.reference}
    assert references(since) == {next_day.reference}


def test_the_days_of_the_zones_farthest_from_utc_are_found(two_venues):
    organization = two_venues[0].organization
    kiritimati = f.VenueFactory(organization=organization, timezone="Pacific/Kiritimati")
    pago_pago = f.VenueFactory(organization=organization, timezone="Pacific/Pago_Pago")
    # UTC+14: 00:30 on the 10th is 10:30 UTC on the 9th; UTC-11: 23:30 on the 10th is
    # 10:30 UTC on the 11th. Both start on the 10th, where they are.
    first = booking_at(kiritimati, "2030-03-10 00:30")
    last = booking_at(pago_pago, "2030-03-10 23:30")
    booking_at(kiritimati, "2030-03-09 23:30")
    booking_at(pago_pago, "2030-03-11 00:30")
    on_tenth = BookingFilter({"start_date": "2030-03-10"}, queryset=Booking.objects.all())
    since = BookingFilter({"from_start_date": "2030-03-10"}, queryset=Booking.objects.all())
    until = BookingFilter({"until_start_date": "2030-03-10"}, queryset=Booking.objects.all())
    assert references(on_tenth) == {first.reference, last.reference}
    assert {first.reference, last.reference} <= references(since)
    assert {first.reference, last.reference} <= references(until)
    assert len(references(since) & references(until)) == 2


def test_events_filter_by_the_venues_day_in_the_same_query(two_venues):
    madrid, new_york = two_venues
    for venue in (madrid, new_york):
        start = datetime(2030, 3, 9, 23, 30, tzinfo=venue.tzinfo)
        f.EventFactory(venue=venue, starts_at=start, ends_at=start + timedelta(hours=1))
    filterset = EventFilter({"start_date": "2030-03-09"}, queryset=Event.objects.all())
    assert filterset.is_valid()
    with CaptureQueriesContext(connection) as queries:
        found = list(filterset.qs)
    assert len(found) == 2
    assert len(queries) == 1  # the events, each with its venue's day in SQL


def test_a_local_day_filter_refuses_a_comparison_it_cannot_make():
    with pytest.raises(ValueError, match="lte"):
        LocalDayFilter(field_name="starts_at", lookup_expr="lte")
