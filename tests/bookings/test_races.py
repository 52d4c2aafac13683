"""Races with real threads against PostgreSQL: never more than capacity, one decision wins.

Each race starts THREADS threads at a barrier, all after the last free place (or
deciding one booking), and is repeated ROUNDS times on a fresh slot. Losers must get a
clean domain error (a conflict, or "not allowed any more"), never a database error.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from bookings import services
from bookings.models import Booking, ChangeRequest, EventBooking, InventoryBooking, SpaceBooking
from bookings.services import EventLineIn, ProductLineIn, SpaceLineIn
from core.errors import BookingConflict, ChangeRequestClosed, TransitionNotAllowed
from tests import factories as f
from tests.bookings.conftest import at
from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
ROUNDS = 25


def race(attempt) -> Counter:
    """Run attempt(i) in THREADS threads released together; count the outcomes."""
    barrier = threading.Barrier(THREADS)
    outcomes = [None] * THREADS

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            attempt(number)
            outcomes[number] = "won"
        except BookingConflict:
            outcomes[number] = "conflict"
        except (TransitionNotAllowed, ChangeRequestClosed):
            outcomes[number] = "too late"
        except Exception as error:  # noqa: BLE001 - any other outcome fails the test below
            outcomes[number] = f"error: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def create(world, **lines):
    return services.booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="api",
        approve=True,
        **lines,
    )


def slot(round_number: int) -> tuple:
    day = at("2030-03-04 10:00") + timedelta(days=round_number)
    return day, day + timedelta(hours=2)


def test_sixteen_threads_race_for_an_exclusive_space(world):
    for round_number in range(ROUNDS):
        start, end = slot(round_number)
        line = SpaceLineIn(space=world.room, starts_at=start, ends_at=end, places=10)
        outcomes = race(lambda _, line=line: create(world, space_lines=[line]))
        assert outcomes == {"won": 1, "conflict": THREADS - 1}, outcomes
        held = SpaceBooking.objects.filter(space=world.room, holds_capacity=True, starts_at=start)
        assert held.count() == 1


def test_sixteen_threads_race_for_the_last_place_of_a_shared_space(world):
    for round_number in range(ROUNDS):
        start, end = slot(round_number)
        create(
            world,
            space_lines=[SpaceLineIn(space=world.zone, starts_at=start, ends_at=end, places=9)],
        )
        line = SpaceLineIn(space=world.zone, starts_at=start, ends_at=end, places=1)
        outcomes = race(lambda _, line=line: create(world, space_lines=[line]))
        assert outcomes == {"won": 1, "conflict": THREADS - 1}, outcomes
        places = SpaceBooking.objects.filter(
            space=world.zone, holds_capacity=True, starts_at=start
        ).values_list("places", flat=True)
        assert sum(places) == world.zone.capacity


def test_sixteen_threads_race_for_the_last_unit_of_a_product(world):
    for round_number in range(ROUNDS):
        start, end = slot(round_number)
        create(
            world,
            product_lines=[
                ProductLineIn(product=world.product, units=2, starts_at=start, ends_at=end)
            ],
        )
        line = ProductLineIn(product=world.product, units=1, starts_at=start, ends_at=end)
        outcomes = race(lambda _, line=line: create(world, product_lines=[line]))
        assert outcomes == {"won": 1, "conflict": THREADS - 1}, outcomes
        units = InventoryBooking.objects.filter(
            product=world.product, holds_capacity=True, starts_at=start
        ).values_list("units", flat=True)
        assert sum(units) == world.product.units_total


def test_sixteen_threads_race_for_the_last_ticket_of_an_event(world):
    for round_number in range(ROUNDS):
        start, end = slot(round_number)
        event = f.EventFactory(
            venue=world.venue,
            organization=world.organization,
            capacity=5,
            starts_at=start,
            ends_at=end,
        )
        price = f.PriceFactory(event=event, organization=world.organization)
        create(world, event_lines=[EventLineIn(event=event, price=price, quantity=4)])
        line = EventLineIn(event=event, price=price, quantity=1)
        outcomes = race(lambda _, line=line: create(world, event_lines=[line]))
        assert outcomes == {"won": 1, "conflict": THREADS - 1}, outcomes
        sold = EventBooking.objects.filter(event=event, holds_capacity=True)
        assert sum(sold.values_list("quantity", flat=True)) == event.capacity


def test_concurrent_approve_and_deny_of_one_booking_have_one_winner(world):
    for round_number in range(ROUNDS):
        start, end = slot(round_number)
        booking = world.book(
            start=start.strftime("%Y-%m-%d %H:%M"), end=end.strftime("%Y-%m-%d %H:%M")
        )
        approver = world.actors["approver"]

        def decide(number: int, booking=booking, approver=approver) -> None:
            decide_with = services.booking_approve if number % 2 else services.booking_deny
            decide_with(actor=approver, booking=booking.pk)

        outcomes = race(decide)
        assert outcomes == {"won": 1, "too late": THREADS - 1}, outcomes
        booking = Booking.objects.get(pk=booking.pk)
        decisions = booking.log_entries.filter(action__in=["approved", "denied"])
        assert decisions.count() == 1
        assert decisions.get().to_status == booking.status


def test_approving_a_change_request_while_its_booking_is_canceled_ends_consistently(world):
    """Half the threads approve the booking's open change request, half cancel the booking.
    Whoever comes first, the booking ends canceled, and the request is either approved
    (applied before the cancellation) or withdrawn (never applied, nobody told "approved")."""
    for round_number in range(ROUNDS):
        start, end = slot(round_number)
        booking = world.book(
            start=start.strftime("%Y-%m-%d %H:%M"),
            end=end.strftime("%Y-%m-%d %H:%M"),
            approve=True,
        )
        line = booking.space_bookings.get()
        request = services.change_request_submit(
            actor=world.actors["front_desk"],
            booking=booking,
            changes={"space_lines": [{"id": line.pk, "places": 12}]},
        )
        approver = world.actors["approver"]

        def decide(number: int, booking=booking, request=request, approver=approver) -> None:
            if number % 2:
                services.change_request_approve(actor=approver, change_request=request.pk)
            else:
                services.booking_cancel(actor=approver, booking=booking.pk)

        outcomes = race(decide)
        assert set(outcomes) <= {"won", "too late"}, outcomes
        booking = Booking.objects.get(pk=booking.pk)
        request = ChangeRequest.objects.get(pk=request.pk)
        actions = list(booking.log_entries.values_list("action", flat=True))
        assert booking.status == "canceled"
        assert actions.count("canceled") == 1
        if request.status == "approved":
            assert outcomes["won"] == 2
            assert booking.space_bookings.get().places == 12
            assert actions.index("change_approved") < actions.index("canceled")
        else:
            assert request.status == "withdrawn"
            assert outcomes["won"] == 1
            assert booking.space_bookings.get().places == 10
            assert "change_approved" not in actions
            assert not booking.notifications.filter(kind="change_approved").exists()
