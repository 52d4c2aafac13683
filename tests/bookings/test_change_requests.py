"""Change and cancellation requests by customers (manage token) and staff."""

import pytest
from django.core.exceptions import ValidationError

from bookings import services
from bookings.models import ChangeRequest
from bookings.services import SpaceLineIn
from core.actors import Actor
from core.errors import BookingConflict, ChangeRequestClosed, PermissionDenied, StaleBooking
from tests.bookings.conftest import at

pytestmark = pytest.mark.django_db


def public(world, *, approve=False):
    created = world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=8,
            )
        ],
    )
    if approve:
        services.booking_approve(actor=world.actors["approver"], booking=created.booking)
        created.booking.refresh_from_db()
    return created.booking, Actor.customer(created.manage_token)


def later(booking, **fields) -> dict:
    line = booking.space_bookings.get()
    return {"space_lines": [{"id": line.pk, **fields}]}


def test_a_change_to_a_pending_booking_is_applied_at_once(world):
    booking, customer = public(world)
    request = services.change_request_submit(
        actor=customer,
        booking=booking,
        changes={
            **later(booking, ends_at="2030-03-04 13:00", places=12),
            "contact": {"contact_phone": "+34 699 000 111"},
        },
    )
    booking.refresh_from_db()
    line = booking.space_bookings.get()
    assert (line.ends_at, line.places) == (at("2030-03-04 13:00"), 12)
    assert booking.contact_phone == "+34 699 000 111"
    assert booking.total_gross == 300
    assert request.status == "approved"
    assert booking.log_entries.last().action == "change_applied"
    assert booking.notifications.filter(kind="change_approved").exists()


def test_a_change_to_an_approved_booking_waits_beside_it(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(
        actor=customer,
        booking=booking,
        changes=later(booking, ends_at="2030-03-04 14:00"),
        request_note="<p>We need longer</p>",
    )
    booking.refresh_from_db()
    assert request.status == "pending"
    assert booking.space_bookings.get().ends_at == at("2030-03-04 12:00")  # slot kept
    assert request.changes["space_lines"][0]["ends_at"] == at("2030-03-04 14:00").isoformat()
    assert booking.notifications.filter(kind="change_received").exists()

    services.change_request_approve(
        actor=world.actors["approver"],
        change_request=request,
        notice=services.Notice(message="Enjoy the extra hour."),
    )
    booking.refresh_from_db()
    request.refresh_from_db()
    assert request.status == "approved"
    assert request.decided_by == world.actors["approver"].user
    assert booking.space_bookings.get().ends_at == at("2030-03-04 14:00")
    assert booking.event.ends_at == at("2030-03-04 14:00")
    assert booking.notifications.filter(kind="change_approved").exists()


def test_a_new_request_withdraws_the_open_one(world):
    booking, customer = public(world, approve=True)
    first = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, places=9)
    )
    second = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, places=10)
    )
    first.refresh_from_db()
    assert (first.status, second.status) == ("withdrawn", "pending")
    assert booking.change_requests.filter(status="pending").count() == 1


def test_approving_a_change_that_no_longer_fits_changes_nothing(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, ends_at="2030-03-04 15:00")
    )
    world.book(approve=True, start="2030-03-04 13:00", end="2030-03-04 14:00")
    with pytest.raises(BookingConflict):
        services.change_request_approve(actor=world.actors["approver"], change_request=request)
    request.refresh_from_db()
    assert request.status == "pending"
    assert booking.space_bookings.get().ends_at == at("2030-03-04 12:00")


@pytest.mark.parametrize(("procedure", "event_left"), [("cancel", True), ("delete", False)])
def test_an_approved_cancellation_request_cancels_with_the_event_procedure(
    world, procedure, event_left
):
    booking, customer = public(world, approve=True)
    event_pk = booking.event_id
    request = services.change_request_submit(actor=customer, booking=booking, is_cancellation=True)
    services.change_request_approve(
        actor=world.actors["approver"], change_request=request, event_procedure=procedure
    )
    booking.refresh_from_db()
    assert booking.status == "canceled"
    from venues.models import Event

    assert Event.objects.filter(pk=event_pk).exists() is event_left
    assert ChangeRequest.objects.get(pk=request.pk).event_procedure == procedure


def test_a_denied_request_leaves_the_booking_as_it_was(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, places=30)
    )
    services.change_request_deny(
        actor=world.actors["approver"],
        change_request=request,
        notice=services.Notice(comment="Too many", message="We cannot seat 30."),
    )
    request.refresh_from_db()
    assert (request.status, request.decision_message) == ("denied", "We cannot seat 30.")
    assert booking.space_bookings.get().places == 8
    assert "We cannot seat 30." in booking.notifications.get(kind="change_denied").body_text
    said = r"was denied by approver on \d{4}-\d\d-\d\d \d\d:\d\d \(Europe/Madrid\)"
    with pytest.raises(ChangeRequestClosed, match=said):
        services.change_request_approve(actor=world.actors["approver"], change_request=request)


@pytest.mark.parametrize("decide", [services.change_request_approve, services.change_request_deny])
def test_deciding_beside_an_older_version_of_the_booking_changes_nothing(world, decide):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, places=9)
    )
    seen = booking.updated_at
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"title": "Renamed"}
    )
    with pytest.raises(StaleBooking):
        decide(actor=world.actors["approver"], change_request=request, client_updated_at=seen)
    request.refresh_from_db()
    assert request.status == "pending"
    assert booking.space_bookings.get().places == 8
    booking.refresh_from_db()
    decide(
        actor=world.actors["approver"], change_request=request, client_updated_at=booking.updated_at
    )
    request.refresh_from_db()
    assert request.status != "pending"


def test_the_customer_may_withdraw_their_request(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(actor=customer, booking=booking, is_cancellation=True)
    services.change_request_withdraw(actor=customer, change_request=request)
    assert ChangeRequest.objects.get(pk=request.pk).status == "withdrawn"


def test_requests_need_the_manage_token_or_staff_rights(world):
    booking, _ = public(world, approve=True)
    with pytest.raises(PermissionDenied):
        services.change_request_submit(
            actor=Actor.customer("guess"), booking=booking, is_cancellation=True
        )
    with pytest.raises(PermissionDenied):
        services.change_request_submit(
            actor=world.actors["viewer"], booking=booking, is_cancellation=True
        )
    request = services.change_request_submit(
        actor=world.actors["front_desk"], booking=booking, is_cancellation=True
    )
    with pytest.raises(PermissionDenied):
        services.change_request_approve(actor=world.actors["front_desk"], change_request=request)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": 1}, "price"),
        ({"contact": {"vip": True}}, "contact.vip"),
        ({"space_lines": [{"id": 999999}]}, "space_lines.0.id"),
        ({"space_lines": [{"id": None, "starts_at": "tomorrow"}]}, "space_lines.0.id"),
        ({}, "changes"),
    ],
)
def test_a_request_names_what_is_wrong_with_it(world, changes, field):
    booking, customer = public(world, approve=True)
    with pytest.raises(ValidationError) as refused:
        services.change_request_submit(actor=customer, booking=booking, changes=changes)
    assert field in refused.value.message_dict
    assert not booking.change_requests.exists()


def test_a_request_with_a_bad_time_names_the_time(world):
    booking, customer = public(world, approve=True)
    with pytest.raises(ValidationError) as refused:
        services.change_request_submit(
            actor=customer, booking=booking, changes=later(booking, starts_at="tomorrow")
        )
    assert "space_lines.0.starts_at" in refused.value.message_dict


def test_guests_arriving_withdraw_an_open_request_and_deciding_it_later_is_refused(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(actor=customer, booking=booking, is_cancellation=True)
    services.booking_arrive(actor=world.actors["front_desk"], booking=booking)
    assert ChangeRequest.objects.get(pk=request.pk).status == "withdrawn"
    assert booking.log_entries.last().data == {"change_request": request.pk, "reason": "arrived"}
    with pytest.raises(ChangeRequestClosed, match="was withdrawn"):
        services.change_request_approve(actor=world.actors["approver"], change_request=request)
    booking.refresh_from_db()
    assert booking.status == "arrived"


def test_extras_booked_for_the_line_time_move_with_it_and_must_fit_there(world):
    from bookings.services import ProductLineIn

    created = world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room, starts_at=at("2030-03-04 10:00"), ends_at=at("2030-03-04 12:00")
            )
        ],
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=2,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
            )
        ],
    )
    booking, customer = created.booking, Actor.customer(created.manage_token)
    # Two of the three units are taken at 14:00 by someone else.
    world.book(
        start="2030-03-04 14:00",
        end="2030-03-04 15:00",
        space=world.zone,
        places=1,
        approve=True,
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=2,
                starts_at=at("2030-03-04 14:00"),
                ends_at=at("2030-03-04 15:00"),
            )
        ],
    )
    with pytest.raises(BookingConflict):
        services.change_request_submit(
            actor=customer,
            booking=booking,
            changes=later(booking, starts_at="2030-03-04 14:00", ends_at="2030-03-04 16:00"),
        )
    services.change_request_submit(
        actor=customer,
        booking=booking,
        changes=later(booking, starts_at="2030-03-04 16:00", ends_at="2030-03-04 18:00"),
    )
    extra = booking.inventory_bookings.get()
    assert (extra.starts_at, extra.ends_at) == (at("2030-03-04 16:00"), at("2030-03-04 18:00"))
