"""The change request page: now and asked for side by side, conflicts, the decision."""

import pytest

from bookings import services
from bookings.models import Booking, BookingStatus, ChangeRequest, LogEntry, Notification
from tests.bookings import conftest as bookings_conftest
from tests.staff.test_booking_page import signed_in

pytestmark = pytest.mark.django_db

world = bookings_conftest.world  # the services' small organisation, as a fixture here


def asked_to_move(
    world, booking, start="2030-03-04T15:00:00+01:00", end="2030-03-04T17:00:00+01:00"
):
    line = booking.space_bookings.get()
    return services.change_request_submit(
        actor=world.actors["manager"],
        booking=booking,
        changes={
            "space_lines": [{"id": line.pk, "starts_at": start, "ends_at": end, "places": 12}]
        },
    )


def decide(client, change, data: dict):
    """Post a decision as the page does, with the booking's `updated_at` it showed."""
    seen = Booking.objects.get(pk=change.booking_id).updated_at.isoformat()
    return client.post(f"/staff/change-requests/{change.pk}/decide/", {"updated_at": seen, **data})


def test_current_and_requested_values_side_by_side_with_the_differences_marked(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "viewer")
    html = client.get(f"/staff/change-requests/{change.pk}/").content.decode()
    assert "Mon 4 Mar 2030, 10:00–12:00" in html
    assert "Mon 4 Mar 2030, 15:00–17:00" in html
    assert html.count('<tr class="changed">') == 2  # the time and the people, not the space
    assert '<span class="visually-hidden">(changes)</span>' in html
    assert "(same)" in html
    assert "Europe/Madrid" in html
    assert "Approve the change" not in html  # a viewer decides nothing


def test_the_booking_page_links_to_its_open_request(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "viewer")
    html = client.get(f"/staff/bookings/{booking.pk}/").content.decode()
    assert "A change request is waiting." in html
    assert f'href="/staff/change-requests/{change.pk}/"' in html


def test_conflicts_of_the_requested_slot_are_listed_naming_the_holder(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    holder = world.book(start="2030-03-04 16:00", end="2030-03-04 18:00", approve=True)
    signed_in(client, world, "approver")
    html = client.get(f"/staff/change-requests/{change.pk}/").content.decode()
    assert f"held by {holder.reference}" in html
    response = decide(client, change, {"decision": "approve", "message": "ok"})
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING
    html = client.get(response["Location"]).content.decode()
    assert "Nothing was done: it does not fit." in html
    assert holder.reference in html


def test_a_free_slot_says_it_fits(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "approver")
    html = client.get(f"/staff/change-requests/{change.pk}/").content.decode()
    assert "Yes: nothing that holds the space is in the way now" in html


def test_an_approver_approves_with_a_message_and_the_booking_changes(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "approver")
    response = decide(
        client,
        change,
        {"decision": "approve", "message": "Moved as asked", "comment": "fine", "send_email": "on"},
    )
    assert response["Location"] == f"/staff/bookings/{booking.pk}/"
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.APPROVED
    assert change.decision_message == "Moved as asked"
    assert booking.space_bookings.get().places == 12
    assert Notification.objects.filter(
        booking=booking, kind=Notification.Kind.CHANGE_APPROVED, channel="email"
    ).exists()


def test_an_approver_denies_and_the_booking_stays(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "approver")
    decide(client, change, {"decision": "deny", "message": "Full"})
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.DENIED
    assert booking.space_bookings.get().places == 10
    entry = booking.log_entries.get(action=LogEntry.Action.CHANGE_DENIED)
    assert entry.message == "Full"


def test_a_request_decided_meanwhile_is_refused_saying_by_whom(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    services.change_request_deny(actor=world.actors["manager"], change_request=change)
    signed_in(client, world, "approver")
    response = decide(client, change, {"decision": "approve"})
    html = client.get(response["Location"]).content.decode()
    assert "This change request was denied by manager" in html
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED


def test_front_desk_sees_no_decision_and_cannot_post_one(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "front_desk")
    html = client.get(f"/staff/change-requests/{change.pk}/").content.decode()
    assert "Approve the change" not in html
    response = decide(client, change, {"decision": "approve"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING


def test_another_organisations_request_is_not_found(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    stranger = world.actors["stranger"].user
    stranger.is_staff = True
    stranger.save()
    client.force_login(stranger)
    assert client.get(f"/staff/change-requests/{change.pk}/").status_code == 404
    assert decide(client, change, {"decision": "deny"}).status_code == 404


def test_a_cancellation_request_offers_the_event_procedure(client, world):
    booking = world.book(approve=True)
    change = services.change_request_submit(
        actor=world.actors["manager"], booking=booking, is_cancellation=True
    )
    signed_in(client, world, "approver")
    html = client.get(f"/staff/change-requests/{change.pk}/").content.decode()
    assert "Approve: cancel the booking" in html
    assert "Delete it" in html
    decide(
        client,
        change,
        {"decision": "approve", "event_procedure": "delete"},
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELED
    assert booking.event is None


def test_a_booking_changed_since_the_page_was_opened_is_refused_saying_by_whom(client, world):
    booking = world.book(approve=True)
    change = asked_to_move(world, booking)
    signed_in(client, world, "approver")
    seen = client.get(f"/staff/change-requests/{change.pk}/").context["form"]["updated_at"].value()
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"internal_note": "VIP"}
    )

    response = client.post(
        f"/staff/change-requests/{change.pk}/decide/", {"updated_at": seen, "decision": "approve"}
    )

    html = client.get(response["Location"]).content.decode()
    assert "changed after you opened the page" in html
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING
