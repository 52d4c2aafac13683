"""A change request is checked in full when it is submitted, and closes with its booking
(issue 8, findings 2 and 3).

Before: the door checked only shapes, so bad ids, foreign spaces, huge names, invalid
e-mails and absurd numbers were stored and failed only when staff decided (some with a
500); the form's rules were not applied to a pending booking; and a request outlived
its canceled booking, which could then be changed and its customer told "approved".
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from bookings import services
from bookings.models import Booking, ChangeRequest, LogEntry
from core.errors import BookingClosed, BookingConflict, ChangeRequestClosed
from tests import factories as f
from tests.bookings.conftest import at
from tests.bookings.test_api_bookings import client_with, url
from tests.bookings.test_change_requests import later, public

pytestmark = pytest.mark.django_db


def refused_fields(booking, customer, changes) -> set[str]:
    """Submit `changes` as the customer; return the fields the refusal names (and check that
    nothing changed or was stored)."""
    line = booking.space_bookings.get()
    before = (line.starts_at, line.ends_at, line.places, line.space_id, booking.contact_name)
    with pytest.raises(ValidationError) as refused:
        services.change_request_submit(actor=customer, booking=booking, changes=changes)
    booking.refresh_from_db()
    line.refresh_from_db()
    after = (line.starts_at, line.ends_at, line.places, line.space_id, booking.contact_name)
    assert after == before
    assert not ChangeRequest.objects.exists()
    return set(refused.value.message_dict)


def line_change(**fields):
    """Changes to the booking's only space line (its id is filled in by `for_line`)."""
    return {"space_lines": [fields]}


def for_line(booking, changes):
    asked_lines = changes.get("space_lines")
    for asked in asked_lines if isinstance(asked_lines, list) else []:
        asked.setdefault("id", booking.space_bookings.get().pk)
    return changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (line_change(space_id="x"), "space_lines.0.space_id"),
        (line_change(layout_id="x"), "space_lines.0.layout_id"),
        (line_change(places=10**30), "space_lines.0.places"),
        (line_change(places=0), "space_lines.0.places"),
        (line_change(places=True), "space_lines.0.places"),
        (line_change(name=["a list"]), "space_lines.0.name"),
        (line_change(name={"a": "dict"}), "space_lines.0.name"),
        (line_change(name="x" * 201), "space_lines.0.name"),
        (line_change(name="nul\x00"), "space_lines.0.name"),
        (line_change(name="lone \ud800"), "space_lines.0.name"),
        (line_change(expected_attendees=50), "space_lines.0.expected_attendees"),
        (line_change(starts_at=["2030-03-04"]), "space_lines.0.starts_at"),
        ({"contact": {"contact_name": "x" * 1_000_000}}, "contact.contact_name"),
        ({"contact": {"contact_name": ["Ada"]}}, "contact.contact_name"),
        ({"contact": {"contact_name": "A\x00da"}}, "contact.contact_name"),
        ({"contact": {"contact_email": "not an address"}}, "contact.contact_email"),
        ({"contact": {"contact_phone": "1" * 41}}, "contact.contact_phone"),
        ({"contact": ["not", "an", "object"]}, "contact"),
        ({"space_lines": {"id": 1}}, "space_lines"),
    ],
)
def test_a_request_is_checked_when_it_is_submitted(world, changes, field):
    booking, customer = public(world, approve=True)
    assert field in refused_fields(booking, customer, for_line(booking, changes))


@pytest.mark.parametrize("line_id", ["abc", [1], {}, True, 0, -1, 2**64])
def test_a_line_id_that_is_not_an_id_is_named(world, line_id):
    booking, customer = public(world, approve=True)
    changes = {"space_lines": [{"id": line_id, "places": 4}]}
    assert refused_fields(booking, customer, changes) == {"space_lines.0.id"}


def test_a_space_of_another_venue_is_refused_at_submission(world):
    elsewhere = f.SpaceFactory(venue=f.VenueFactory(organization=world.organization))
    booking, customer = public(world, approve=True)
    changes = later(booking, space_id=elsewhere.pk)
    assert refused_fields(booking, customer, changes) == {"space_lines.0.space_id"}


def test_a_layout_of_another_space_is_refused_at_submission(world):
    layout = f.SpaceLayoutFactory(space=world.zone)
    booking, customer = public(world, approve=True)
    assert refused_fields(booking, customer, later(booking, layout_id=layout.pk)) == {
        "space_lines.0.layout_id"
    }


FORM_RULES = [
    ({"ends_at": "2030-03-04T20:00:00+01:00"}, "space_lines.0.ends_at"),  # 10 h, form allows 4
    ({"starts_at": "2020-03-04T09:00:00+01:00"}, "space_lines.0.starts_at"),  # in the past
    ({"starts_at": "2030-03-04T09:07:00+01:00"}, "space_lines.0.starts_at"),  # 30-minute steps
    ({"space_id": "not offered"}, "space_lines.0.space_id"),
    (
        {"starts_at": "2041-03-04T10:00:00+01:00", "ends_at": "2041-03-04T12:00:00+01:00"},
        "space_lines.0.starts_at",
    ),  # 15 years ahead
]


@pytest.mark.parametrize("approve", [False, True], ids=["pending", "approved"])
@pytest.mark.parametrize(("asked", "field"), FORM_RULES)
def test_the_forms_rules_apply_to_a_customers_change(world, approve, asked, field):
    world.form.max_duration_minutes = 240
    world.form.save()
    if asked.get("space_id") == "not offered":
        asked = {"space_id": f.SpaceFactory(venue=world.venue, capacity=40).pk}
    booking, customer = public(world, approve=approve)
    assert field in refused_fields(booking, customer, later(booking, **asked))


def test_staff_are_not_held_to_the_forms_rules(world):
    world.form.max_duration_minutes = 240
    world.form.save()
    booking, _ = public(world)
    services.change_request_submit(
        actor=world.actors["front_desk"],
        booking=booking,
        changes=later(booking, ends_at="2030-03-04T20:00:00+01:00", expected_attendees=30),
    )
    line = booking.space_bookings.get()
    assert (line.ends_at.hour, line.expected_attendees) == (19, 30)


def test_a_change_that_does_not_fit_is_refused_at_submission(world):
    world.book(start="2030-03-04 12:00", end="2030-03-04 14:00", approve=True)
    booking, customer = public(world, approve=True)
    with pytest.raises(BookingConflict):
        services.change_request_submit(
            actor=customer, booking=booking, changes=later(booking, ends_at="2030-03-04 13:00")
        )
    assert not ChangeRequest.objects.exists()


def test_an_unchanged_line_is_not_held_to_the_notice_again(world):
    booking, customer = public(world, approve=True)
    line = booking.space_bookings.get()
    soon = timezone.now() + timedelta(hours=2)
    type(line).objects.filter(pk=line.pk).update(
        starts_at=soon, ends_at=soon + timedelta(hours=2), occupied_from=soon
    )
    request = services.change_request_submit(
        actor=customer, booking=booking, changes={"contact": {"contact_phone": "+34 600 2"}}
    )
    assert request.status == "pending"


def test_moving_to_another_space_takes_that_spaces_setup_and_setdown(world):
    hall = f.SpaceFactory(venue=world.venue, capacity=40, setup_minutes=60, setdown_minutes=30)
    world.form.spaces.add(hall)
    booking, customer = public(world)
    services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, space_id=hall.pk)
    )
    line = booking.space_bookings.get()
    assert (line.space, line.setup_minutes, line.setdown_minutes) == (hall, 60, 30)


def test_a_stored_request_that_no_longer_fits_its_booking_is_a_clean_refusal(world):
    """Requests stored before submissions were checked may hold anything."""
    booking, _ = public(world, approve=True)
    request = f.ChangeRequestFactory(
        booking=booking,
        submitted_by_kind="customer",
        changes={"space_lines": [{"id": booking.space_bookings.get().pk, "space_id": "x"}]},
    )
    with pytest.raises(ValidationError) as refused:
        services.change_request_approve(actor=world.actors["approver"], change_request=request)
    assert "space_lines.0.space_id" in refused.value.message_dict
    assert ChangeRequest.objects.get(pk=request.pk).status == "pending"


def test_a_cancellation_request_with_changes_is_refused_not_half_read(world):
    booking, customer = public(world, approve=True)
    with pytest.raises(ValidationError) as refused:
        services.change_request_submit(
            actor=customer,
            booking=booking,
            is_cancellation=True,
            changes={"contact": {"contact_phone": "+34 600 3"}},
        )
    assert "changes" in refused.value.message_dict
    assert not ChangeRequest.objects.exists()


def test_a_customers_new_time_that_passed_while_waiting_is_not_approved(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, starts_at="2030-03-04 09:00")
    )
    with time_machine.travel(at("2030-03-04 09:30")), pytest.raises(ValidationError) as refused:
        services.change_request_approve(actor=world.actors["approver"], change_request=request)
    assert "space_lines.0.starts_at" in refused.value.message_dict
    assert booking.space_bookings.get().starts_at == at("2030-03-04 10:00")


# -- a request closes with its booking ------------------------------------------------------------


def open_request(world):
    booking, customer = public(world, approve=True)
    request = services.change_request_submit(
        actor=customer, booking=booking, changes=later(booking, places=12)
    )
    return booking, request


def test_canceling_a_booking_withdraws_its_open_request_and_logs_why(world):
    booking, request = open_request(world)
    services.booking_cancel(actor=world.actors["approver"], booking=booking)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    withdrawn = booking.log_entries.get(action=LogEntry.Action.CHANGE_WITHDRAWN)
    assert withdrawn.data == {"change_request": request.pk, "reason": "canceled"}


def test_a_request_of_a_canceled_booking_cannot_be_approved(world):
    """The probe: cancel, then approve the pending request -> 200, the canceled booking
    changed and the customer was told "approved"."""
    booking, request = open_request(world)
    services.booking_cancel(actor=world.actors["approver"], booking=booking)
    with pytest.raises(ChangeRequestClosed):
        services.change_request_approve(actor=world.actors["approver"], change_request=request)
    assert booking.space_bookings.get().places == 8
    assert not booking.notifications.filter(kind="change_approved").exists()


@pytest.mark.parametrize("move", ["no_show", "release"])
def test_no_show_and_release_withdraw_the_open_request(world, move):
    booking = world.book(start="2020-01-01 10:00", end="2020-01-01 12:00", approve=True)
    request = services.change_request_submit(
        actor=world.actors["front_desk"], booking=booking, changes=later(booking, places=4)
    )
    if move == "no_show":
        services.booking_mark_no_show(actor=world.actors["front_desk"], booking=booking)
    else:
        services.booking_arrive(actor=world.actors["front_desk"], booking=booking)
        services.booking_release(actor=world.actors["front_desk"], booking=booking)
    assert ChangeRequest.objects.get(pk=request.pk).status == "withdrawn"


def test_a_request_stored_open_beside_a_closed_booking_is_still_refused(world):
    """Belt and braces: even if a request was left open (older data), the booking's status
    is checked under its lock."""
    booking, request = open_request(world)
    Booking.objects.filter(pk=booking.pk).update(status="canceled")
    with pytest.raises(BookingClosed):
        services.change_request_approve(actor=world.actors["approver"], change_request=request)
    assert booking.space_bookings.get().places == 8


# -- through the public API ----------------------------------------------------------------------


def post_change(token, **body):
    # json.dumps writes a lone surrogate as the escape "\ud800", as a hostile client would.
    payload = json.dumps({"manage_token": token, **body})
    return APIClient().post(url("public/change-requests"), payload, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"spaces": [{"id": "abc"}]}, "spaces.0.id"),
        ({"spaces": [{"id": [1]}]}, "spaces.0.id"),
        ({"spaces": [{"id": {}}]}, "spaces.0.id"),
        ({"spaces": [{"id": "LINE", "space_id": "x"}]}, "spaces.0.space_id"),
        ({"spaces": [{"id": "LINE", "layout_id": "x"}]}, "spaces.0.layout_id"),
        ({"spaces": [{"id": "LINE", "places_used": 10**30}]}, "spaces.0.places_used"),
        ({"spaces": [{"id": "LINE", "name": "a\x00b"}]}, "spaces.0.name"),
        ({"spaces": [{"id": "LINE", "name": "a\ud800b"}]}, "spaces.0.name"),
        ({"spaces": [{"id": "LINE", "name": ["x"]}]}, "spaces.0.name"),
        ({"spaces": [{"id": "LINE", "setup_minutes": 0}]}, "spaces.0.setup_minutes"),
        ({"contact": {"name": "x" * 1_000_000}}, "contact.name"),
        ({"contact": {"name": {"a": 1}}}, "contact.name"),
        ({"contact": {"email": "nope"}}, "contact.email"),
        ({"contact": {"name": "A\ud800"}}, "contact.name"),
        (
            {"spaces": [{"id": "LINE", "ends_at": "2030-03-04T20:00:00+01:00"}]},
            "spaces.0.ends_at",
        ),
    ],
)
def test_the_public_change_door_names_every_bad_field_and_stores_nothing(world, body, attr):
    world.form.max_duration_minutes = 240
    world.form.save()
    booking, customer = public(world, approve=True)
    for asked in body.get("spaces", []):
        if asked["id"] == "LINE":
            asked["id"] = booking.space_bookings.get().pk
    response = post_change(customer.manage_token, **body)
    assert response.status_code == 400, response.content
    assert attr in [error["attr"] for error in response.json()["errors"]]
    assert not ChangeRequest.objects.exists()


def test_approving_through_the_api_after_a_cancel_is_a_409(world):
    booking, request = open_request(world)
    api = client_with(world.organization, "read", "write", "approve")
    api.post(url(f"bookings/{booking.pk}/cancel"), {}, format="json")
    response = api.post(url(f"change-requests/{request.pk}/approve"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "change_request_closed"
