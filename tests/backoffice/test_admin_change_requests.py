"""Change requests in the admin: current and requested values side by side, decided through
the services on a page of their own; every refusal is a message and changes nothing."""

import pytest
from django.utils import formats, timezone

from bookings import services
from bookings.models import Booking, ChangeRequest, LogEntry, Notification
from bookings.services import SpaceLineIn
from core.actors import Actor
from tests import factories
from tests.backoffice.pages import admin_url, messages_of, staff_member_of
from tests.bookings import conftest as booking_world
from venues.models import Membership

world = booking_world.world
at = booking_world.at

pytestmark = pytest.mark.django_db


def asked_for_later(world, *, approve=True) -> tuple[Booking, ChangeRequest]:
    """A public booking (approved) whose customer asks to stay until 14:00 and answers a
    question of the form."""
    factories.CustomFieldFactory(form=world.form, key="company", label="Company name")
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
    booking = created.booking
    if approve:
        services.booking_approve(actor=world.actors["approver"], booking=booking)
    line = booking.space_bookings.get()
    change_request = services.change_request_submit(
        actor=Actor.customer(created.manage_token),
        booking=booking,
        changes={
            "space_lines": [{"id": line.pk, "ends_at": "2030-03-04T14:00:00+01:00"}],
            "answers": {"company": "Acme Rowing Club"},
        },
        request_note="<p>We need <strong>longer</strong></p>",
    )
    booking.refresh_from_db()
    return booking, change_request


def decision_data(page, **fields) -> dict:
    """What the decision page posts back: its form as shown, with `fields` typed in."""
    form = page.context["form"]
    data = {
        name: form[name].value() for name in form.fields if form[name].value() not in (None, False)
    }
    data = {name: "on" if value is True else value for name, value in data.items()}
    return {**data, **fields}


def log_actions(booking) -> list[str]:
    return list(booking.log_entries.order_by("pk").values_list("action", flat=True))


@pytest.fixture
def approver(client, world):
    client.force_login(world.actors["approver"].user)
    return client


def test_the_page_shows_current_and_requested_values_side_by_side_in_words(approver, world):
    booking, change_request = asked_for_later(world)

    page = approver.get(admin_url(ChangeRequest, "change", change_request.pk))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Mon 4 Mar 2030, 10:00–12:00" in content  # now, in Madrid
    assert "Mon 4 Mar 2030, 10:00–14:00" in content  # asked for
    assert "Company name" in content
    assert "Acme Rowing Club" in content
    assert "<strong>longer</strong>" in content  # the note, sanitised HTML shown as such
    assert "Europe/Madrid" in content
    asked_at = timezone.localtime(change_request.created_at, booking.venue.tzinfo)
    assert formats.localize(asked_at) in content  # read-only times are the venue's too
    assert '"space_lines"' not in content
    assert "ends_at" not in content
    assert "nothing in the way now" in content
    assert admin_url(ChangeRequest, "approve", change_request.pk) in content
    assert admin_url(ChangeRequest, "deny", change_request.pk) in content


def test_the_list_says_what_is_asked_in_words(approver, world):
    booking, change_request = asked_for_later(world)

    page = approver.get(admin_url(ChangeRequest, "changelist"))
    content = page.content.decode()
    assert booking.reference in content
    assert "New time, answers" in content
    assert str(booking.customer) in content
    assert "Asked at" in content
    assert "CET" in content  # in the venue's time, its zone named


def test_approving_through_the_page_applies_logs_and_tells_the_customer(approver, world):
    booking, change_request = asked_for_later(world)
    url = admin_url(ChangeRequest, "approve", change_request.pk)

    page = approver.get(url)
    assert page.status_code == 200
    response = approver.post(
        url,
        decision_data(page, comment="Room is free", message="Enjoy the extra hours."),
        follow=True,
    )
    assert "Change request approved" in " ".join(messages_of(response))
    change_request.refresh_from_db()
    booking.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.APPROVED
    assert change_request.decision_comment == "Room is free"
    assert booking.space_bookings.get().ends_at == at("2030-03-04 14:00")
    assert booking.answers["company"] == "Acme Rowing Club"
    entry = booking.log_entries.get(action=LogEntry.Action.CHANGE_APPROVED)
    assert (entry.user, entry.message) == (world.actors["approver"].user, "Enjoy the extra hours.")
    told = booking.notifications.get(kind=Notification.Kind.CHANGE_APPROVED)
    assert "Enjoy the extra hours." in told.body_text


def test_denying_through_the_page_leaves_the_booking_and_tells_the_customer(approver, world):
    booking, change_request = asked_for_later(world)
    url = admin_url(ChangeRequest, "deny", change_request.pk)

    page = approver.get(url)
    response = approver.post(url, decision_data(page, message="We need the room at 12."))
    assert response.status_code == 302
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.DENIED
    assert booking.space_bookings.get().ends_at == at("2030-03-04 12:00")
    assert booking.log_entries.filter(action=LogEntry.Action.CHANGE_DENIED).exists()
    told = booking.notifications.get(kind=Notification.Kind.CHANGE_DENIED)
    assert "We need the room at 12." in told.body_text


def test_a_request_decided_meanwhile_is_refused_and_nothing_changes(approver, world):
    booking, change_request = asked_for_later(world)
    url = admin_url(ChangeRequest, "approve", change_request.pk)
    page = approver.get(url)
    services.change_request_deny(actor=world.actors["manager"], change_request=change_request)
    logged = log_actions(booking)

    response = approver.post(url, decision_data(page), follow=True)
    assert response.status_code == 200
    assert "Nothing was done" in " ".join(messages_of(response))
    assert "was denied by manager on" in " ".join(messages_of(response))
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.DENIED
    assert booking.space_bookings.get().ends_at == at("2030-03-04 12:00")
    assert log_actions(booking) == logged
    # A decided request offers no buttons.
    content = response.content.decode()
    assert admin_url(ChangeRequest, "approve", change_request.pk) not in content


def test_a_booking_changed_after_the_page_was_opened_is_refused_by_whom_and_when(approver, world):
    booking, change_request = asked_for_later(world)
    url = admin_url(ChangeRequest, "approve", change_request.pk)
    page = approver.get(url)
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"title": "Board meeting"}
    )
    logged = log_actions(booking)

    response = approver.post(url, decision_data(page), follow=True)
    said = " ".join(messages_of(response))
    assert "Nothing was done" in said
    assert "changed after you opened this page" in said
    assert "manager" in said
    assert "Europe/Madrid" in said
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.PENDING
    assert booking.space_bookings.get().ends_at == at("2030-03-04 12:00")
    assert log_actions(booking) == logged


def test_a_change_that_no_longer_fits_is_refused_naming_the_other_booking(approver, world):
    booking, change_request = asked_for_later(world)
    other = world.book(approve=True, start="2030-03-04 13:00", end="2030-03-04 15:00")
    logged = log_actions(booking)

    page = approver.get(admin_url(ChangeRequest, "change", change_request.pk))
    assert other.reference in page.content.decode()  # the conflict, shown before deciding
    url = admin_url(ChangeRequest, "approve", change_request.pk)
    response = approver.post(url, decision_data(approver.get(url)), follow=True)
    said = " ".join(messages_of(response))
    assert "Nothing was done" in said
    assert other.reference in said
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.PENDING
    assert booking.space_bookings.get().ends_at == at("2030-03-04 12:00")
    assert log_actions(booking) == logged


def test_a_cancellation_request_approved_here_cancels_with_the_chosen_event_procedure(
    approver, world
):
    booking = world.book(approve=True)
    change_request = services.change_request_submit(
        actor=world.actors["front_desk"], booking=booking, is_cancellation=True
    )
    url = admin_url(ChangeRequest, "approve", change_request.pk)
    page = approver.get(url)
    assert "event_procedure" in page.context["form"].fields

    approver.post(url, decision_data(page, event_procedure="delete"))
    booking.refresh_from_db()
    assert booking.status == "canceled"
    assert booking.event_id is None


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.FRONT_DESK])
def test_who_may_not_decide_sees_no_buttons_and_is_refused_at_the_urls(client, world, role):
    booking, change_request = asked_for_later(world)
    client.force_login(staff_member_of(world.organization, role))

    page = client.get(admin_url(ChangeRequest, "change", change_request.pk))
    assert page.status_code == 200
    assert "Acme Rowing Club" in page.content.decode()
    for decision in ("approve", "deny"):
        url = admin_url(ChangeRequest, decision, change_request.pk)
        assert url not in page.content.decode()
        assert client.get(url).status_code == 403
        assert client.post(url, {"updated_at": booking.updated_at.isoformat()}).status_code == 403
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.PENDING


def test_another_organisations_request_is_not_found(client, world):
    booking, change_request = asked_for_later(world)
    client.force_login(staff_member_of(factories.OrganizationFactory()))

    url = admin_url(ChangeRequest, "approve", change_request.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"updated_at": timezone.now().isoformat()}).status_code == 404


def test_a_bookings_answers_read_under_their_questions_labels(approver, world):
    booking, change_request = asked_for_later(world)
    services.change_request_approve(actor=world.actors["approver"], change_request=change_request)

    page = approver.get(admin_url(Booking, "change", booking.pk))
    content = page.content.decode()
    assert '<dl class="answers"><dt>Company name</dt><dd>Acme Rowing Club</dd></dl>' in content
