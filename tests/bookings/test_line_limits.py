"""A line's counts and price choices are checked by the services, naming the field, whichever
door sent them: out-of-range numbers never reach a time computation or the database."""

import pytest
from django.core.exceptions import ValidationError

from bookings.models import LogEntry
from bookings.services import EventLineIn, SpaceLineIn, event_line_save, space_line_save
from bookings.services.catalogue import layout_save, space_save
from tests import factories as f
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at


def refused(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def space_line(world, **values) -> SpaceLineIn:
    return SpaceLineIn(
        space=world.room,
        starts_at=at("2030-03-04 18:00"),
        ends_at=at("2030-03-04 20:00"),
        **values,
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"setup_minutes": 2**31}, "line.setup_minutes"),
        ({"setdown_minutes": 100_000_000}, "line.setdown_minutes"),
        ({"places": 0}, "line.places"),
        ({"actual_attendees": 10**9}, "line.actual_attendees"),
    ],
)
def test_a_space_line_count_out_of_range_is_refused_by_name(world, values, field):
    booking = world.book()
    log_before = LogEntry.objects.filter(booking=booking).count()

    errors = refused(
        lambda: space_line_save(
            actor=world.actors["manager"], booking=booking, line=space_line(world, **values)
        )
    )

    assert list(errors) == [field]
    assert booking.space_bookings.count() == 1
    assert LogEntry.objects.filter(booking=booking).count() == log_before


def test_tickets_out_of_range_or_without_a_price_are_refused_by_name(world):
    booking = world.book()
    manager = world.actors["manager"]

    def add(**values):
        return lambda: event_line_save(
            actor=manager, booking=booking, line=EventLineIn(event=world.event, **values)
        )

    assert list(refused(add(price=world.ticket, quantity=10**17))) == ["line.quantity"]
    assert list(refused(add(price=None))) == ["line.price"]
    assert list(refused(add(price=world.ticket, use_manual_price=True))) == [
        "line.manual_price_gross",
        "line.manual_price_vat_rate",
    ]
    assert booking.event_bookings.count() == 0


def test_a_space_or_layout_prepares_for_at_most_a_day(world):
    manager = world.actors["manager"]
    layout = f.SpaceLayoutFactory(space=world.room)

    assert "setup_minutes" in refused(
        lambda: space_save(actor=manager, space=world.room, changes={"setup_minutes": 3 * 10**9})
    )
    assert "setdown_minutes" in refused(
        lambda: layout_save(actor=manager, layout=layout, changes={"setdown_minutes": 1441})
    )
    world.room.refresh_from_db()
    assert world.room.setup_minutes < 1441
