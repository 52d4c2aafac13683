"""Which moves an actor may make on a booking now: the policy and the state machine together."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.moves import booking_move_list
from bookings.services import booking_arrive


def names(world, role, booking) -> list[str]:
    return [move.name for move in booking_move_list(actor=world.actors[role], booking=booking)]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", ["approve", "deny", "cancel"]),
        ("approver", ["approve", "deny", "cancel"]),
        ("front_desk", []),
        ("viewer", []),
        ("stranger", []),
        ("key:approve", ["approve", "deny", "cancel"]),
        ("key:write", []),
    ],
)
def test_a_pending_booking_offers_the_decisions_to_whoever_may_decide(world, role, expected):
    assert names(world, role, world.book()) == expected


def test_an_approved_booking_offers_the_front_desk_only_its_own_moves(world):
    booking = world.book(approve=True)

    assert names(world, "front_desk", booking) == ["arrive", "seat"]
    assert names(world, "manager", booking) == ["cancel", "arrive", "seat"]


def test_no_show_is_offered_only_once_the_booking_has_started(world):
    booking = world.book(approve=True)
    assert "mark_no_show" not in names(world, "front_desk", booking)

    Booking.objects.filter(pk=booking.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    booking.refresh_from_db()

    assert names(world, "front_desk", booking) == ["arrive", "seat", "mark_no_show"]


def test_an_arrived_booking_can_be_seated_or_released(world):
    booking = booking_arrive(actor=world.actors["front_desk"], booking=world.book(approve=True))

    assert names(world, "front_desk", booking) == ["seat", "release"]
