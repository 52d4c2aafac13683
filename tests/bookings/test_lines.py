"""Adding, updating and removing lines: re-checked, re-priced, logged, Event kept in step."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bookings import services
from bookings.models import SpaceBooking
from bookings.services import EventLineIn, ProductLineIn, SpaceLineIn
from core.errors import BookingClosed, BookingConflict, StaleBooking
from tests.bookings.conftest import at

pytestmark = pytest.mark.django_db


def session(world, start, end, **extra) -> SpaceLineIn:
    return SpaceLineIn(space=world.room, starts_at=at(start), ends_at=at(end), places=10, **extra)


def test_a_session_is_added_priced_and_logged(world):
    booking = world.book()
    saved = services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line=session(world, "2030-03-04 14:00", "2030-03-04 17:00", name="Afternoon"),
    )
    booking.refresh_from_db()
    assert saved.line.pk is not None
    assert saved.warnings == []
    assert booking.total_gross == Decimal("500.00")  # 2 h + 3 h at 100.00
    assert booking.ends_at == at("2030-03-04 17:00")
    entry = booking.log_entries.last()
    assert (entry.action, entry.data["kind"], entry.data["changes"]["name"]) == (
        "line_added",
        "space",
        "Afternoon",
    )


def test_updating_a_session_of_an_approved_booking_moves_its_event(world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line_id=line.pk,
        line=session(world, "2030-03-04 09:00", "2030-03-04 13:00"),
    )
    booking.refresh_from_db()
    assert booking.space_bookings.count() == 1
    assert (booking.event.starts_at, booking.event.ends_at) == (
        at("2030-03-04 09:00"),
        at("2030-03-04 13:00"),
    )
    changes = booking.log_entries.last().data["changes"]
    before, after = (datetime.fromisoformat(value) for value in changes["starts_at"])
    assert (before, after) == (at("2030-03-04 10:00"), at("2030-03-04 09:00"))
    assert SpaceBooking.objects.get(pk=line.pk).holds_capacity


def test_an_update_that_collides_changes_nothing(world):
    world.book(approve=True, start="2030-03-04 14:00", end="2030-03-04 16:00")
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    with pytest.raises(BookingConflict):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=booking,
            line_id=line.pk,
            line=session(world, "2030-03-04 13:00", "2030-03-04 15:00"),
        )
    line.refresh_from_db()
    assert line.starts_at == at("2030-03-04 10:00")


def test_a_session_overlapping_pending_requests_warns_of_them(world):
    competitor = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    booking = world.book()
    saved = services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line=session(world, "2030-03-05 11:00", "2030-03-05 13:00"),
    )
    assert competitor.reference in saved.warnings[0]


def test_an_opening_hours_override_is_logged_and_warned(world):
    from tests import factories as f

    f.OpeningHoursFactory(
        venue=world.venue,
        weekday=0,
        opens_at=at("2030-03-04 08:00").time(),
        closes_at=at("2030-03-04 20:00").time(),
    )
    booking = world.book()
    with pytest.raises(BookingConflict):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=booking,
            line=session(world, "2030-03-04 19:00", "2030-03-04 22:00"),
        )
    saved = services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line=session(world, "2030-03-04 19:00", "2030-03-04 22:00", overrides_opening_hours=True),
    )
    assert "Outside the opening hours" in saved.warnings[-1]
    assert booking.log_entries.filter(action="opening_hours_overridden").count() == 1


def test_event_and_product_lines_are_added_and_updated(world):
    booking = world.book()
    saved = services.event_line_save(
        actor=world.actors["front_desk"],
        booking=booking,
        line=EventLineIn(event=world.event, price=world.ticket, quantity=2),
    )
    services.event_line_save(
        actor=world.actors["front_desk"],
        booking=booking,
        line_id=saved.line.pk,
        line=EventLineIn(event=world.event, price=world.ticket, quantity=3),
    )
    services.product_line_save(
        actor=world.actors["front_desk"],
        booking=booking,
        line=ProductLineIn(
            product=world.product,
            units=1,
            starts_at=at("2030-03-04 10:00"),
            ends_at=at("2030-03-04 12:00"),
        ),
    )
    booking.refresh_from_db()
    assert booking.event_bookings.get().quantity == 3
    assert booking.total_gross == Decimal("200.00") + 3 * Decimal("30.00") + Decimal("25.00")


def test_a_line_is_removed_and_the_booking_repriced_but_never_the_last(world):
    booking = world.book()
    extra = services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line=session(world, "2030-03-04 14:00", "2030-03-04 15:00"),
    )
    services.line_remove(
        actor=world.actors["manager"], booking=booking, kind="space", line_id=extra.line.pk
    )
    booking.refresh_from_db()
    assert (booking.total_gross, booking.log_entries.last().action) == (
        Decimal("200.00"),
        "line_removed",
    )
    only = booking.space_bookings.get()
    with pytest.raises(ValidationError, match="at least one line"):
        services.line_remove(
            actor=world.actors["manager"], booking=booking, kind="space", line_id=only.pk
        )


def test_a_line_of_another_booking_is_not_found(world):
    other = world.book().space_bookings.get()
    with pytest.raises(SpaceBooking.DoesNotExist):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=world.book(),
            line_id=other.pk,
            line=session(world, "2030-03-04 10:00", "2030-03-04 11:00"),
        )


def test_lines_of_a_closed_booking_do_not_change(world):
    booking = world.book()
    services.booking_deny(actor=world.actors["approver"], booking=booking)
    with pytest.raises(BookingClosed, match="denied booking"):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=booking,
            line=session(world, "2030-03-04 14:00", "2030-03-04 15:00"),
        )


def test_line_changes_check_the_client_version(world):
    booking = world.book()
    seen = booking.updated_at
    services.payment_record(actor=world.actors["manager"], booking=booking, amount=Decimal(10))
    with pytest.raises(StaleBooking):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=booking,
            client_updated_at=seen,
            line=session(world, "2030-03-04 14:00", "2030-03-04 15:00"),
        )
