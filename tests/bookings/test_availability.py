"""The capacity maths, with cases checked by hand. Venue time is Europe/Madrid."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from bookings.availability import (
    Load,
    check_event_line,
    check_product_line,
    check_space_line,
    free_windows,
    is_open,
    peak_load,
)
from bookings.models import EventBooking, InventoryBooking, SpaceBooking
from bookings.services.common import sync_lines
from core.times import in_venue_time
from tests import factories as f

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


def at(text: str) -> datetime:
    """A Madrid wall-clock time, e.g. at("2030-03-04 10:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


def held(space, start: str, end: str, *, places=1, setup=0, setdown=0):
    """An approved (capacity-holding) booking of `space`."""
    line = f.SpaceBookingFactory(
        space=space,
        booking__venue=space.venue,
        starts_at=at(start),
        ends_at=at(end),
        places=places,
        setup_minutes=setup,
        setdown_minutes=setdown,
    )
    line.booking.approve()
    line.booking.save()
    sync_lines(line.booking)
    return line.booking


def asking(space, start: str, end: str, *, places=1, setup=0, setdown=0, **extra):
    """A new, unsaved line of a pending booking asking for `space`."""
    booking = f.BookingFactory(venue=space.venue, organization=space.venue.organization)
    return SpaceBooking(
        booking=booking,
        space=space,
        starts_at=at(start),
        ends_at=at(end),
        places=places,
        setup_minutes=setup,
        setdown_minutes=setdown,
        **extra,
    )


def reasons(conflicts) -> list[str]:
    return [conflict.reason for conflict in conflicts]


@pytest.fixture
def room():
    return f.SpaceFactory(mode="exclusive", capacity=40, venue__timezone="Europe/Madrid")


@pytest.fixture
def zone():
    return f.SpaceFactory(mode="shared", capacity=10, venue__timezone="Europe/Madrid")


# -- exclusive spaces ----------------------------------------------------------------------


def test_back_to_back_bookings_fit(room):
    held(room, "2030-03-04 10:00", "2030-03-04 12:00")
    assert check_space_line(asking(room, "2030-03-04 12:00", "2030-03-04 14:00"), label="l") == []
    assert check_space_line(asking(room, "2030-03-04 08:00", "2030-03-04 10:00"), label="l") == []


def test_an_overlap_names_the_other_booking_and_its_times(room):
    other = held(room, "2030-03-04 10:00", "2030-03-04 12:00")
    [conflict] = check_space_line(asking(room, "2030-03-04 11:00", "2030-03-04 13:00"), label="l")
    assert conflict.reason == "space_taken"
    assert conflict.other_booking == other.reference
    assert (conflict.starts_at, conflict.ends_at) == (
        at("2030-03-04 10:00"),
        at("2030-03-04 12:00"),
    )
    assert "from 2030-03-04 10:00 to 12:00 (Europe/Madrid)" in conflict.message


def test_setdown_of_the_earlier_booking_collides_with_the_next_one(room):
    held(room, "2030-03-04 10:00", "2030-03-04 12:00", setdown=30)
    # 12:00–12:30 is clearing time of the first booking.
    line = asking(room, "2030-03-04 12:00", "2030-03-04 14:00")
    assert reasons(check_space_line(line, label="l")) == ["space_taken"]
    assert check_space_line(asking(room, "2030-03-04 12:30", "2030-03-04 14:00"), label="l") == []


def test_setup_of_the_new_booking_collides_with_the_earlier_one(room):
    held(room, "2030-03-04 10:00", "2030-03-04 12:00")
    line = asking(room, "2030-03-04 12:00", "2030-03-04 14:00", setup=15)
    assert reasons(check_space_line(line, label="l")) == ["space_taken"]


def test_pending_and_canceled_bookings_do_not_hold_the_space(room):
    f.SpaceBookingFactory(
        space=room,
        booking__venue=room.venue,
        starts_at=at("2030-03-04 10:00"),
        ends_at=at("2030-03-04 12:00"),
    )
    canceled = held(room, "2030-03-04 10:00", "2030-03-04 12:00")
    canceled.cancel()
    canceled.save()
    sync_lines(canceled)
    assert check_space_line(asking(room, "2030-03-04 10:00", "2030-03-04 12:00"), label="l") == []


def test_two_lines_of_the_same_booking_may_not_overlap_in_one_room(room):
    first = asking(room, "2030-03-04 10:00", "2030-03-04 12:00")
    second = asking(room, "2030-03-04 11:00", "2030-03-04 13:00")
    second.booking = first.booking
    assert reasons(check_space_line(second, label="l", siblings=[first, second])) == ["space_taken"]


def test_capacity_of_the_space_and_of_the_layout(room):
    layout = f.SpaceLayoutFactory(space=room, capacity=24)
    line = asking(room, "2030-03-04 10:00", "2030-03-04 12:00", places=30, layout=layout)
    assert reasons(check_space_line(line, label="l")) == ["layout_capacity"]
    line = asking(room, "2030-03-04 10:00", "2030-03-04 12:00", places=41)
    assert reasons(check_space_line(line, label="l")) == ["capacity"]


# -- shared spaces: the peak counts, not the sum ----------------------------------------------


def test_staggered_bookings_are_counted_at_their_peak_not_as_a_sum(zone):
    # 6 places 18–20 and 4 places 20–22 never overlap: at most 6 are taken at once.
    held(zone, "2030-03-04 18:00", "2030-03-04 20:00", places=6)
    held(zone, "2030-03-04 20:00", "2030-03-04 22:00", places=4)
    # Asking 4 places 18–22: the peak is 6 (18–20), 6 + 4 = 10 <= 10: fits (the sum, 14, would not).
    assert (
        check_space_line(asking(zone, "2030-03-04 18:00", "2030-03-04 22:00", places=4), label="l")
        == []
    )
    # 5 places: 6 + 5 = 11 > 10 at 18:00.
    [conflict] = check_space_line(
        asking(zone, "2030-03-04 18:00", "2030-03-04 22:00", places=5), label="l"
    )
    assert conflict.reason == "capacity"
    assert "4 of 10 places free at 2030-03-04 18:00" in conflict.message


def test_overlapping_shared_bookings_add_up(zone):
    held(zone, "2030-03-04 18:00", "2030-03-04 22:00", places=6)
    held(zone, "2030-03-04 19:00", "2030-03-04 21:00", places=3)
    # At 19:00–21:00 nine are taken; one more fits, two do not.
    assert (
        check_space_line(asking(zone, "2030-03-04 20:00", "2030-03-04 23:00", places=1), label="l")
        == []
    )
    assert reasons(
        check_space_line(asking(zone, "2030-03-04 20:00", "2030-03-04 23:00", places=2), label="l")
    ) == ["capacity"]


def test_peak_load_over_half_open_intervals():
    loads = [
        Load(at("2030-03-04 10:00"), at("2030-03-04 12:00"), 3),
        Load(at("2030-03-04 12:00"), at("2030-03-04 14:00"), 5),
        Load(at("2030-03-04 11:00"), at("2030-03-04 13:00"), 2),
    ]
    assert peak_load(loads, at("2030-03-04 09:00"), at("2030-03-04 15:00")) == (
        7,
        at("2030-03-04 12:00"),
    )
    assert peak_load(loads, at("2030-03-04 14:00"), at("2030-03-04 15:00"))[0] == 0


# -- blockouts and opening hours ---------------------------------------------------------------


def test_a_blockout_is_a_conflict_with_its_reason(room):
    blockout = f.BlockoutFactory(
        space=room,
        starts_at=at("2030-03-04 08:00"),
        ends_at=at("2030-03-04 11:00"),
        reason="maintenance",
    )
    [conflict] = check_space_line(asking(room, "2030-03-04 10:00", "2030-03-04 12:00"), label="l")
    assert (conflict.reason, conflict.blockout_id) == ("blockout", blockout.pk)
    assert "maintenance" in conflict.message


def test_opening_hours_bound_the_booked_time(room):
    f.OpeningHoursFactory(venue=room.venue, weekday=0, opens_at=time(9), closes_at=time(18))
    assert check_space_line(asking(room, "2030-03-04 09:00", "2030-03-04 18:00"), label="l") == []
    line = asking(room, "2030-03-04 17:00", "2030-03-04 19:00")
    assert reasons(check_space_line(line, label="l")) == ["opening_hours"]
    line.overrides_opening_hours = True
    assert check_space_line(line, label="l") == []


def test_a_venue_open_past_midnight_takes_late_bookings(room):
    # Monday 20:00 to Tuesday 04:00.
    f.OpeningHoursFactory(venue=room.venue, weekday=0, opens_at=time(20), closes_at=time(4))
    assert is_open(room.venue, at("2030-03-04 22:00"), at("2030-03-05 03:00"))
    assert not is_open(room.venue, at("2030-03-04 22:00"), at("2030-03-05 05:00"))
    assert not is_open(room.venue, at("2030-03-05 22:00"), at("2030-03-05 23:00"))  # Tuesday


def test_a_venue_without_opening_hours_is_always_open(room):
    assert is_open(room.venue, at("2030-03-04 02:00"), at("2030-03-04 05:00"))


# -- products and events -------------------------------------------------------------------------


def product_line(product, booking, start, end, units):
    return InventoryBooking(
        booking=booking, product=product, units=units, starts_at=at(start), ends_at=at(end)
    )


def test_product_units_are_counted_at_their_peak():
    product = f.InventoryProductFactory(units_total=3)
    venue = f.VenueFactory(organization=product.organization)
    for start, end, units in [("10:00", "12:00", 2), ("12:00", "14:00", 2)]:
        booking = f.BookingFactory(venue=venue)
        f.InventoryBookingFactory(
            booking=booking,
            product=product,
            units=units,
            starts_at=at(f"2030-03-04 {start}"),
            ends_at=at(f"2030-03-04 {end}"),
        )
        booking.approve()
        booking.save()
        sync_lines(booking)
    new = f.BookingFactory(venue=venue)
    # Peak is 2 (never 4): one more unit fits over 10–14, two do not.
    assert (
        check_product_line(
            product_line(product, new, "2030-03-04 10:00", "2030-03-04 14:00", 1), label="l"
        )
        == []
    )
    [conflict] = check_product_line(
        product_line(product, new, "2030-03-04 10:00", "2030-03-04 14:00", 2), label="l"
    )
    assert conflict.reason == "product_units"
    assert "1 of 3 free" in conflict.message


def test_event_tickets_stop_at_the_capacity_and_canceled_events_sell_none():
    event = f.EventFactory(capacity=5)
    sold = f.EventBookingFactory(event=event, quantity=4, booking__venue=event.venue)
    sold.booking.approve()
    sold.booking.save()
    sync_lines(sold.booking)
    f.EventBookingFactory(event=event, quantity=3, booking__venue=event.venue)  # pending: not sold
    new = f.BookingFactory(venue=event.venue)
    assert check_event_line(EventBooking(booking=new, event=event, quantity=1), label="l") == []
    [conflict] = check_event_line(EventBooking(booking=new, event=event, quantity=2), label="l")
    assert (conflict.reason, "1 of 5 tickets left" in conflict.message) == ("event_capacity", True)
    event.cancel()
    assert reasons(
        check_event_line(EventBooking(booking=new, event=event, quantity=1), label="l")
    ) == ["event_canceled"]


# -- time zones --------------------------------------------------------------------------------


def test_a_naive_time_is_read_in_the_venue_zone_and_an_aware_one_is_kept():
    naive = datetime(2030, 7, 1, 10, 0)
    assert in_venue_time(naive, MADRID).utcoffset() == timedelta(hours=2)
    aware = datetime(2030, 7, 1, 10, 0, tzinfo=ZoneInfo("UTC"))
    assert in_venue_time(aware, MADRID) is aware


def test_a_local_time_skipped_by_the_dst_change_is_refused():
    # On 2030-03-31 Madrid's clocks jump from 02:00 to 03:00.
    with pytest.raises(ValidationError, match="does not exist in Europe/Madrid"):
        in_venue_time(datetime(2030, 3, 31, 2, 30), MADRID, field="starts_at")


def test_a_booking_across_the_dst_change_lasts_its_real_duration(zone):
    # 01:00–04:00 local on the night clocks go forward is two real hours.
    start = in_venue_time(datetime(2030, 3, 31, 1, 0), MADRID)
    end = in_venue_time(datetime(2030, 3, 31, 4, 0), MADRID)
    assert end - start == timedelta(hours=3)  # wall-clock difference within one zone
    assert end.astimezone(ZoneInfo("UTC")) - start.astimezone(ZoneInfo("UTC")) == timedelta(hours=2)
    held(zone, "2030-03-31 01:00", "2030-03-31 04:00", places=10)
    # Back to back with the held booking (04:00 local = 02:00 UTC): it fits.
    line = asking(zone, "2030-03-31 04:00", "2030-03-31 05:00", places=10)
    assert check_space_line(line, label="l") == []


# -- free windows --------------------------------------------------------------------------------


def test_free_windows_of_an_exclusive_room_leave_room_for_setup_and_setdown(room):
    room.setup_minutes, room.setdown_minutes = 30, 30
    room.save()
    f.OpeningHoursFactory(venue=room.venue, weekday=0, opens_at=time(8), closes_at=time(20))
    held(room, "2030-03-04 12:00", "2030-03-04 14:00", setup=30, setdown=30)
    windows = free_windows(room, at("2030-03-04 00:00"), at("2030-03-05 00:00"), granularity=30)
    # Open 08–20; occupied 11:30–14:30; a new booking needs 30 min on each side.
    assert windows == [
        (at("2030-03-04 08:30"), at("2030-03-04 11:00")),
        (at("2030-03-04 15:00"), at("2030-03-04 19:30")),
    ]


def test_free_windows_of_a_shared_zone_depend_on_the_places_asked(zone):
    held(zone, "2030-03-04 18:00", "2030-03-04 20:00", places=8)
    day = (at("2030-03-04 17:00"), at("2030-03-04 21:00"))
    assert free_windows(zone, *day, places=2) == [day]
    assert free_windows(zone, *day, places=3) == [
        (at("2030-03-04 17:00"), at("2030-03-04 18:00")),
        (at("2030-03-04 20:00"), at("2030-03-04 21:00")),
    ]


def test_free_windows_can_leave_out_the_booking_being_changed(room):
    booking = held(room, "2030-03-04 10:00", "2030-03-04 12:00")
    day = (at("2030-03-04 08:00"), at("2030-03-04 16:00"))
    assert free_windows(room, *day) == [
        (at("2030-03-04 08:00"), at("2030-03-04 10:00")),
        (at("2030-03-04 12:00"), at("2030-03-04 16:00")),
    ]
    # Its own hold does not block a move of half an hour; another booking's would.
    assert free_windows(room, *day, ignoring=booking) == [day]
    other = held(room, "2030-03-04 14:00", "2030-03-04 15:00")
    assert free_windows(room, *day, ignoring=other) == [
        (at("2030-03-04 08:00"), at("2030-03-04 10:00")),
        (at("2030-03-04 12:00"), at("2030-03-04 16:00")),
    ]
