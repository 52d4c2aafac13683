"""The admin's booking moves: each button's page, the bulk actions and the CSV export call the
services, write what they write (log, outbox) and refuse what they refuse, changing nothing."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, Customer, LogEntry, Notification
from bookings.services import booking_deny, booking_seat, booking_update
from tests.backoffice.pages import admin_url, messages_of
from tests.bookings import conftest as booking_world
from tests.test_hardening import inline_code_in
from venues.models import Event

world = booking_world.world
at = booking_world.at


def move_url(booking: Booking, name: str) -> str:
    return admin_url(Booking, "move", booking.pk, name)


def logged_in(client, world, role):
    client.force_login(world.actors[role].user)
    return client


@pytest.fixture
def manager(client, world):
    return logged_in(client, world, "manager")


def page_form(page) -> dict:
    """What a move's page posts back as shown (hidden updated_at and the defaults)."""
    form = page.context["form"]
    data = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        data[field.html_name] = "on" if value is True else value
    return data


def started(booking: Booking) -> Booking:
    """The booking as if its start had passed (a test set-up, not a move)."""
    Booking.objects.filter(pk=booking.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    booking.refresh_from_db()
    return booking


def state(booking: Booking) -> tuple:
    booking.refresh_from_db()
    return (
        booking.status,
        booking.updated_at,
        booking.log_entries.count(),
        Notification.objects.filter(booking=booking).count(),
    )


# -- one booking, one button ------------------------------------------------------------------


MOVES = [
    # (move, role, set-up, fields to add, status after, log action, outbox kind)
    ("approve", "approver", lambda w: w.book(), {}, "approved", "approved", "approved"),
    ("deny", "approver", lambda w: w.book(), {}, "denied", "denied", "denied"),
    ("cancel", "manager", lambda w: w.book(approve=True), {}, "canceled", "canceled", "canceled"),
    (
        "arrive",
        "front_desk",
        lambda w: w.book(approve=True),
        {"actual_attendees": "12"},
        "arrived",
        "arrived",
        None,
    ),
    ("seat", "front_desk", lambda w: w.book(approve=True), {}, "seated", "seated", None),
    (
        "release",
        "front_desk",
        lambda w: booking_seat(actor=w.actors["front_desk"], booking=w.book(approve=True)),
        {},
        "released",
        "released",
        None,
    ),
    (
        "mark_no_show",
        "front_desk",
        lambda w: started(w.book(approve=True)),
        {},
        "no_show",
        "no_show",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "role", "setup", "extra", "status", "action", "kind"),
    MOVES,
    ids=[move[0] for move in MOVES],
)
def test_each_button_page_calls_its_service(
    client, world, name, role, setup, extra, status, action, kind
):
    booking = setup(world)
    member = logged_in(client, world, role)
    page = member.get(admin_url(Booking, "change", booking.pk))
    assert move_url(booking, name) in page.content.decode()

    asked = member.get(move_url(booking, name))
    assert asked.status_code == 200
    assert state(booking)[0] != status  # asking changes nothing
    data = page_form(asked) | {"comment": "Checked at the door."} | extra
    if "message" in asked.context["form"].fields:
        data["message"] = "See you soon."
    response = member.post(move_url(booking, name), data, follow=True)

    assert response.redirect_chain[-1][0] == admin_url(Booking, "change", booking.pk)
    booking.refresh_from_db()
    assert booking.status == status
    entry = booking.log_entries.order_by("created_at", "pk").last()
    assert (entry.action, entry.comment, entry.user) == (
        action,
        "Checked at the door.",
        world.actors[role].user,
    )
    outbox = Notification.objects.filter(booking=booking, kind=kind or "none")
    if kind is None:
        assert not outbox.exists()
    else:
        assert outbox.filter(channel="email", recipient="ada@example.com").count() == 1
        assert entry.message == "See you soon."
        assert "See you soon." in outbox.get().body_text
    assert any(booking.reference in message for message in messages_of(response))
    if name == "arrive":
        assert booking.space_bookings.get().actual_attendees == 12


def test_approving_takes_the_event_fields(manager, world):
    booking = world.book()
    page = manager.get(move_url(booking, "approve"))
    data = page_form(page) | {
        "event_title": "Harbour summit",
        "event_is_public": "on",
        "event_capacity": "30",
    }

    manager.post(move_url(booking, "approve"), data)

    booking.refresh_from_db()
    event = booking.event
    assert (event.title, event.is_public, event.capacity) == ("Harbour summit", True, 30)


def test_canceling_can_delete_the_event_made_at_approval(manager, world):
    booking = world.book(approve=True)
    event_id = booking.event_id
    page = manager.get(move_url(booking, "cancel"))
    assert "event_procedure" in page.context["form"].fields

    manager.post(move_url(booking, "cancel"), page_form(page) | {"event_procedure": "delete"})

    booking.refresh_from_db()
    assert booking.status == "canceled"
    assert not Event.objects.filter(pk=event_id).exists()


def test_the_notice_flags_default_to_the_bookings_and_can_be_turned_off(manager, world):
    booking = world.book()
    page = manager.get(move_url(booking, "deny"))
    data = page_form(page)
    assert data["send_email"] == "on"
    assert "send_sms" not in data
    del data["send_email"]

    manager.post(move_url(booking, "deny"), data)

    booking.refresh_from_db()
    assert booking.status == "denied"
    assert not Notification.objects.filter(booking=booking, kind="denied").exists()


# -- refusals ------------------------------------------------------------------------------------


def test_a_stale_page_is_refused_naming_who_changed_the_booking_and_when(manager, world):
    booking = world.book()
    page = manager.get(move_url(booking, "approve"))
    booking_update(
        actor=world.actors["approver"], booking=booking, changes={"internal_note": "VIP"}
    )
    before = state(booking)

    response = manager.post(move_url(booking, "approve"), page_form(page), follow=True)

    assert state(booking) == before
    (message,) = messages_of(response)
    assert "Nothing was done" in message
    assert "changed after you opened it" in message
    assert "by approver" in message
    assert "(Europe/Madrid)" in message


def test_approving_a_booking_that_does_not_fit_names_the_other_booking(manager, world):
    booking = world.book()  # pending: holds nothing
    other = world.book(approve=True)  # the same slot, approved
    page = manager.get(move_url(booking, "approve"))
    assert "This booking does not fit now" in page.content.decode()
    assert other.reference in page.content.decode()
    before = state(booking)

    response = manager.post(move_url(booking, "approve"), page_form(page), follow=True)

    assert state(booking) == before
    (message,) = messages_of(response)
    assert "does not fit" in message
    assert other.reference in message


def test_the_approve_page_names_the_requests_that_want_the_same_slot(manager, world):
    booking = world.book()
    rival = world.book()  # pending too: the slot is still free
    elsewhere = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")

    page = manager.get(move_url(booking, "approve"))

    assert [other["booking"] for other in page.context["competitors"]] == [rival]
    assert admin_url(Booking, "change", rival.pk) in page.content.decode()
    assert elsewhere.reference not in page.content.decode()
    assert page.context["conflicts"] == []


def test_a_move_the_booking_no_longer_allows_is_refused_with_a_message(manager, world):
    booking = world.book()
    page = manager.get(move_url(booking, "deny"))
    approve_page = manager.get(move_url(booking, "approve"))
    manager.post(move_url(booking, "approve"), page_form(approve_page), follow=True)
    booking.refresh_from_db()
    # The deny page, opened before, posted with the booking's current version.
    data = page_form(page) | {"updated_at": booking.updated_at.isoformat()}
    before = state(booking)

    response = manager.post(move_url(booking, "deny"), data, follow=True)

    assert state(booking) == before
    (message,) = messages_of(response)
    assert "Nothing was done" in message
    assert "approved now" in message
    # And its page is no longer offered.
    again = manager.get(move_url(booking, "deny"), follow=True)
    assert "not possible now" in messages_of(again)[0]


def test_a_refused_event_field_is_shown_on_the_move_page(manager, world):
    booking = world.book()
    page = manager.get(move_url(booking, "approve"))
    before = state(booking)

    response = manager.post(move_url(booking, "approve"), page_form(page) | {"event_title": ""})

    assert response.status_code == 400
    assert response.context["form"].errors["event_title"]
    assert 'id="error-summary"' in response.content.decode()
    assert state(booking) == before


def test_a_viewer_sees_no_buttons_and_may_not_open_or_post_a_move(client, world):
    booking = world.book()
    viewer = logged_in(client, world, "viewer")

    page = viewer.get(admin_url(Booking, "change", booking.pk))
    before = state(booking)
    data = {"updated_at": booking.updated_at.isoformat()}

    assert page.status_code == 200
    assert page.context["booking_moves"] == []
    assert "/move/" not in page.content.decode()
    assert viewer.get(move_url(booking, "approve")).status_code == 403
    assert viewer.post(move_url(booking, "approve"), data).status_code == 403
    assert state(booking) == before


def test_the_front_desk_sees_only_its_moves(client, world):
    booking = world.book(approve=True)
    desk = logged_in(client, world, "front_desk")

    page = desk.get(admin_url(Booking, "change", booking.pk))

    assert [button["label"] for button in page.context["booking_moves"]] == ["Arrived", "Seat"]
    assert desk.get(move_url(booking, "cancel")).status_code == 403
    assert desk.post(move_url(booking, "cancel"), {}).status_code == 403
    assert state(booking)[0] == "approved"


def test_a_booking_of_another_organisation_is_not_found(client, world):
    booking = world.book()
    stranger = logged_in(client, world, "stranger")

    assert stranger.get(move_url(booking, "approve")).status_code == 404
    assert stranger.post(move_url(booking, "approve"), {}).status_code == 404


# -- bulk actions ------------------------------------------------------------------------------


def bulk(client, action: str, bookings, **fields):
    data = {"action": action, "_selected_action": [booking.pk for booking in bookings], **fields}
    return client.post(admin_url(Booking, "changelist"), data, follow=True)


def test_bulk_approve_approves_what_fits_and_reports_the_conflict(manager, world):
    fits = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    clashes = world.book()
    holder = world.book(approve=True)  # holds the room when `clashes` wants it
    also_fits = world.book(start="2030-03-06 10:00", end="2030-03-06 12:00")
    chosen = [fits, clashes, also_fits]

    asked = bulk(manager, "approve_selected", chosen)
    assert asked.status_code == 200
    assert [row["booking"] for row in asked.context["rows"]] == [clashes, fits, also_fits]
    assert state(clashes)[0] == "pending"  # asking changes nothing
    seen = {f"seen-{b.pk}": b.updated_at.isoformat() for b in chosen}

    response = bulk(manager, "approve_selected", chosen, apply="1", message="Welcome.", **seen)

    statuses = {b.reference: Booking.objects.get(pk=b.pk).status for b in chosen}
    assert statuses == {
        fits.reference: "approved",
        clashes.reference: "pending",
        also_fits.reference: "approved",
    }
    said = messages_of(response)
    assert f"Approved {fits.reference}." in said
    assert f"Approved {also_fits.reference}." in said
    (refusal,) = [message for message in said if clashes.reference in message]
    assert "does not fit" in refusal
    assert holder.reference in refusal
    for booking in (fits, also_fits):
        assert booking.log_entries.filter(action=LogEntry.Action.APPROVED).count() == 1
        assert Notification.objects.filter(booking=booking, kind="approved").count() == 1
    assert not clashes.log_entries.filter(action=LogEntry.Action.APPROVED).exists()


def test_bulk_deny_sends_one_message_and_skips_a_stale_booking(manager, world):
    first = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    second = world.book(start="2030-03-06 10:00", end="2030-03-06 12:00")
    seen = {f"seen-{b.pk}": b.updated_at.isoformat() for b in (first, second)}
    booking_update(actor=world.actors["approver"], booking=second, changes={"title": "Gala"})
    before = state(second)

    response = bulk(
        manager,
        "deny_selected",
        [first, second],
        apply="1",
        comment="Fully booked.",
        message="Sorry, we are full.",
        **seen,
    )

    first.refresh_from_db()
    assert first.status == "denied"
    entry = first.log_entries.get(action=LogEntry.Action.DENIED)
    assert (entry.comment, entry.message) == ("Fully booked.", "Sorry, we are full.")
    assert "Sorry, we are full." in Notification.objects.get(booking=first, kind="denied").body_text
    assert state(second) == before
    said = messages_of(response)
    assert f"Denied {first.reference}." in said
    assert any(second.reference in m and "changed after you opened it" in m for m in said)


def test_bulk_cancel_asks_for_the_event_procedure(manager, world):
    booking = world.book(approve=True)
    event_id = booking.event_id

    asked = bulk(manager, "cancel_selected", [booking])
    assert "event_procedure" in asked.context["form"].fields
    bulk(
        manager,
        "cancel_selected",
        [booking],
        apply="1",
        event_procedure="delete",
        **{f"seen-{booking.pk}": booking.updated_at.isoformat()},
    )

    booking.refresh_from_db()
    assert booking.status == "canceled"
    assert not Event.objects.filter(pk=event_id).exists()
    assert booking.log_entries.filter(action=LogEntry.Action.CANCELED).count() == 1
    assert Notification.objects.filter(booking=booking, kind="canceled").count() == 1


def test_bulk_cancel_reports_a_booking_whose_status_does_not_allow_it(manager, world):
    done = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    booking_deny(actor=world.actors["approver"], booking=done)
    open_one = world.book()
    before = state(done)

    seen = {
        f"seen-{b.pk}": Booking.objects.get(pk=b.pk).updated_at.isoformat()
        for b in (done, open_one)
    }
    response = bulk(
        manager, "cancel_selected", [done, open_one], apply="1", event_procedure="cancel", **seen
    )

    assert state(done) == before
    assert Booking.objects.get(pk=open_one.pk).status == "canceled"
    said = messages_of(response)
    assert f"Canceled {open_one.reference}." in said
    assert any(done.reference in m and "it is denied now" in m for m in said)


def test_bulk_moves_are_offered_only_to_roles_that_may_decide(client, world):
    world.book()
    url = admin_url(Booking, "changelist")

    def offered(role) -> set[str]:
        page = logged_in(client, world, role).get(url)
        return {name for name, _ in page.context["action_form"].fields["action"].choices if name}

    assert offered("approver") == {
        "approve_selected",
        "deny_selected",
        "cancel_selected",
        "export_csv",
    }
    assert offered("front_desk") == {"export_csv"}
    assert offered("viewer") == {"export_csv"}
    booking = Booking.objects.get()
    response = bulk(client, "approve_selected", [booking], apply="1")
    assert response.status_code == 200
    assert Booking.objects.get().status == "pending"


# -- CSV export --------------------------------------------------------------------------------


def rows_of(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment; filename=" in response["Content-Disposition"]
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.DictReader(io.StringIO(text.decode())))


def test_the_csv_export_of_selected_bookings_has_venue_times_and_the_zone(manager, world):
    booking = world.book(places=12)

    response = manager.post(
        admin_url(Booking, "changelist"),
        {"action": "export_csv", "_selected_action": [booking.pk]},
    )

    (row,) = rows_of(response)
    assert row["Reference"] == booking.reference
    assert row["Status"] == "Pending"
    assert (row["Start"], row["End"], row["Time zone"]) == (
        "2030-03-04 10:00",
        "2030-03-04 12:00",
        "Europe/Madrid",
    )
    assert row["Spaces"] == world.room.name
    assert (row["Places"], row["Total"], row["Paid"], row["Balance"]) == (
        "12",
        "200.00",
        "0.00",
        "200.00",
    )
    assert row["Venue"] == world.venue.name
    assert row["Contact e-mail"] == "ada@example.com"


def test_the_csv_export_link_keeps_the_lists_filters(manager, world):
    pending = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    world.book(approve=True)
    changelist = manager.get(admin_url(Booking, "changelist"), {"status__exact": "pending"})
    export = admin_url(Booking, "export") + "?status__exact=pending"
    assert export in changelist.content.decode().replace("&amp;", "&")

    rows = rows_of(manager.get(export))

    assert [row["Reference"] for row in rows] == [pending.reference]
    assert rows[0]["Start"] == "2030-03-05 10:00"


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(manager, world):
    Customer.objects.filter(pk=world.customer.pk).update(first_name="=HYPERLINK(1)")
    booking = world.book()
    Booking.objects.filter(pk=booking.pk).update(contact_name="@SUM(A1)", contact_phone="+34 1")

    (row,) = rows_of(manager.get(admin_url(Booking, "export")))

    assert row["Customer"].startswith("'=HYPERLINK(1)")
    assert row["Contact"] == "'@SUM(A1)"
    assert row["Contact phone"] == "'+34 1"


def test_a_move_page_shows_the_bookings_times_in_its_venue_zone(manager, world):
    booking = world.book()

    page = manager.get(move_url(booking, "deny")).content.decode()

    assert "10:00 CET (Europe/Madrid)" in page
    assert 'name="updated_at"' in page


def test_the_move_pages_have_no_inline_script_or_style(manager, world):
    booking = world.book()
    pages = [
        manager.get(move_url(booking, name)).content.decode()
        for name in ("approve", "deny", "cancel")
    ]
    pages.append(bulk(manager, "cancel_selected", [booking]).content.decode())

    assert [inline_code_in(page) for page in pages] == [[], [], [], []]


def test_arrive_refuses_a_head_count_out_of_range_on_the_field(client, world):
    booking = world.book(approve=True)
    desk = logged_in(client, world, "front_desk")
    page = desk.get(move_url(booking, "arrive"))
    before = state(booking)

    response = desk.post(move_url(booking, "arrive"), page_form(page) | {"actual_attendees": "0"})

    assert response.status_code == 400
    assert response.context["form"].errors["actual_attendees"]
    assert state(booking) == before


def test_a_bulk_move_without_the_version_the_page_showed_refuses_that_booking(manager, world):
    shown = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    mangled = world.book()
    seen = {
        f"seen-{shown.pk}": shown.updated_at.isoformat(),
        f"seen-{mangled.pk}": "2030-02-30T10:00:00+00:00",  # no such day
    }

    response = bulk(manager, "deny_selected", [shown, mangled], apply="1", **seen)

    assert response.status_code == 200
    assert Booking.objects.get(pk=shown.pk).status == "denied"
    assert Booking.objects.get(pk=mangled.pk).status == "pending"
    assert any(mangled.reference in m and "Nothing was done" in m for m in messages_of(response))


def test_a_page_version_that_is_no_date_is_a_form_error_not_a_500(manager, world):
    booking = world.book()
    page = manager.get(move_url(booking, "approve"))
    before = state(booking)

    response = manager.post(
        move_url(booking, "approve"), page_form(page) | {"updated_at": "2030-02-30T10:00:00+00:00"}
    )

    assert response.status_code == 400  # the form again, with its error
    assert "Reload the booking and try again." in response.content.decode()
    assert state(booking) == before
