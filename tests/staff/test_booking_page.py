"""The staff booking page: everything about one booking, its timeline, and the decisions."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.models import Booking, BookingStatus, LogEntry, Notification
from core.actors import Actor
from tests import factories as f
from tests.bookings import conftest as bookings_conftest
from tests.bookings.conftest import World, at

pytestmark = pytest.mark.django_db

world = bookings_conftest.world  # the services' small organisation, as a fixture here


def signed_in(client, world: World, role: str):
    user = world.actors[role].user
    user.is_staff = True
    user.first_name, user.last_name = {"approver": ("Pau", "Puig")}.get(role, (role.title(), ""))
    user.save()
    client.force_login(user)
    return user


def page(client, booking: Booking) -> str:
    response = client.get(f"/staff/bookings/{booking.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def seen(booking: Booking) -> str:
    booking.refresh_from_db()
    return booking.updated_at.isoformat()


def decide(client, booking: Booking, action: str, **fields):
    data = {f"{action}-updated_at": seen(booking)}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    return client.post(f"/staff/bookings/{booking.pk}/{action}/", data)


@pytest.mark.parametrize(
    ("role", "approve", "deny", "cancel"),
    [
        ("viewer", False, False, False),
        ("front_desk", False, False, False),
        ("approver", True, True, True),
        ("manager", True, True, True),
    ],
)
def test_each_role_sees_only_the_decisions_it_may_take(client, world, role, approve, deny, cancel):
    booking = world.book()
    signed_in(client, world, role)
    html = page(client, booking)
    assert (f'action="/staff/bookings/{booking.pk}/approve/"' in html) is approve
    assert (f'action="/staff/bookings/{booking.pk}/deny/"' in html) is deny
    assert (f'action="/staff/bookings/{booking.pk}/cancel/"' in html) is cancel
    # The internal note and payments are for those who may change bookings.
    may_write = role != "viewer"
    assert (f'action="/staff/bookings/{booking.pk}/note/"' in html) is may_write
    assert (f'action="/staff/bookings/{booking.pk}/payment/"' in html) is may_write


def test_an_approved_booking_offers_cancel_but_not_approve_or_deny(client, world):
    booking = world.book(approve=True)
    signed_in(client, world, "approver")
    html = page(client, booking)
    assert f"/staff/bookings/{booking.pk}/approve/" not in html
    assert f"/staff/bookings/{booking.pk}/deny/" not in html
    assert f'action="/staff/bookings/{booking.pk}/cancel/"' in html


def test_a_viewer_posting_a_decision_is_refused_in_words_and_nothing_changes(client, world):
    booking = world.book()
    signed_in(client, world, "viewer")
    response = decide(client, booking, "deny", message="No")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    html = client.get(response["Location"]).content.decode()
    assert "Nothing was done: You may not approve, deny or cancel bookings here." in html


def test_another_organisations_booking_is_not_found(client, world):
    stranger_booking = world.book()
    stranger_booking_id = stranger_booking.pk
    # A member of another organisation only:
    client.force_login(world.actors["stranger"].user)
    world.actors["stranger"].user.is_staff = True
    world.actors["stranger"].user.save()
    assert client.get(f"/staff/bookings/{stranger_booking_id}/").status_code == 404
    assert decide(client, stranger_booking, "approve", event_title="x").status_code == 404
    stranger_booking.refresh_from_db()
    assert stranger_booking.status == BookingStatus.PENDING


def test_the_page_shows_customer_lines_in_venue_time_totals_vat_answers_and_notes(client, world):
    booking = world.book(start="2030-03-04 18:00", end="2030-03-04 20:00")
    Booking.objects.filter(pk=booking.pk).update(
        request_note="<p>Vegan menu please</p>", internal_note="Regular guest", answers={"k": 1}
    )
    signed_in(client, world, "manager")
    html = page(client, booking)
    assert world.customer.email in html
    assert "Mon 4 Mar 2030, 18:00–20:00" in html
    assert "Europe/Madrid" in html
    assert "VAT breakdown" in html
    assert "21 %" in html
    assert str(booking.total_gross) in html
    assert "<p>Vegan menu please</p>" in html
    assert "Regular guest" in html


def test_custom_answers_are_shown_under_their_questions_labels(client, world):
    f.CustomFieldFactory(form=world.form, key="company", label="Company name")
    booking = world.book()
    Booking.objects.filter(pk=booking.pk).update(
        booking_form=world.form, answers={"company": "Acme Ltd"}
    )
    signed_in(client, world, "viewer")
    html = page(client, booking)
    assert "<dt>Company name</dt><dd>Acme Ltd</dd>" in html


def test_approving_with_event_fields_comment_and_message(client, world, mailoutbox):
    booking = world.book()
    signed_in(client, world, "approver")
    response = decide(
        client,
        booking,
        "approve",
        event_title="Harbour AGM",
        event_notes="Needs a lectern",
        comment="Checked the deposit",
        message="See you there",
        send_email="on",
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    assert booking.event.title == "Harbour AGM"
    assert booking.event.notes == "Needs a lectern"
    entry = booking.log_entries.get(action=LogEntry.Action.APPROVED)
    assert (entry.comment, entry.message) == ("Checked the deposit", "See you there")
    html = client.get(response["Location"]).content.decode()
    assert f"Approved {booking.reference}." in html
    assert "Internal comment:" in html
    assert "Checked the deposit" in html
    assert "Message to the customer:" in html
    assert "See you there" in html
    assert "by Pau Puig" in html


def test_deny_and_cancel_go_through_the_services_with_their_flags(client, world):
    pending, approved = (
        world.book(),
        world.book(start="2030-03-05 10:00", end="2030-03-05 12:00", approve=True),
    )
    signed_in(client, world, "approver")
    decide(client, pending, "deny", comment="Double booked", message="Sorry, taken", send_sms="on")
    pending.refresh_from_db()
    assert pending.status == BookingStatus.DENIED
    denied = Notification.objects.filter(booking=pending, kind=Notification.Kind.DENIED)
    assert {n.channel for n in denied} == {"sms"} or not world.customer.phone
    decide(client, approved, "cancel", event_procedure="delete", message="Venue closed")
    approved.refresh_from_db()
    assert approved.status == BookingStatus.CANCELED
    assert approved.event is None
    entry = approved.log_entries.get(action=LogEntry.Action.CANCELED)
    assert entry.data == {"event_procedure": "delete"}
    assert entry.message == "Venue closed"


def test_a_stale_decision_is_refused_saying_who_changed_it_and_when(client, world):
    booking = world.book()
    signed_in(client, world, "approver")
    old_seen = seen(booking)
    # Someone else approves it meanwhile.
    services.booking_approve(actor=world.actors["approver"], booking=booking)
    response = client.post(
        f"/staff/bookings/{booking.pk}/deny/",
        {"deny-updated_at": old_seen, "deny-message": "No"},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    html = client.get(response["Location"]).content.decode()
    entry = booking.log_entries.get(action=LogEntry.Action.APPROVED)
    from django.utils import timezone

    when = timezone.localtime(entry.created_at, booking.venue.tzinfo).strftime("%H:%M")
    assert "Nothing was done: this booking changed after you opened it." in html
    assert f"Approved by Pau Puig at {when} (Europe/Madrid)." in html


def test_a_stale_note_is_refused_and_the_note_kept(client, world):
    booking = world.book()
    signed_in(client, world, "manager")
    old_seen = seen(booking)
    services.payment_record(actor=world.actors["manager"], booking=booking, amount=Decimal("5"))
    response = client.post(
        f"/staff/bookings/{booking.pk}/note/",
        {"note-updated_at": old_seen, "note-internal_note": "mine"},
    )
    booking.refresh_from_db()
    assert booking.internal_note == ""
    html = client.get(response["Location"]).content.decode()
    assert "Payment recorded by Manager at" in html


def test_the_internal_note_is_saved_through_the_service(client, world):
    booking = world.book()
    signed_in(client, world, "front_desk")
    decide(client, booking, "note", internal_note="Allergic to nuts")
    booking.refresh_from_db()
    assert booking.internal_note == "Allergic to nuts"
    assert booking.log_entries.filter(action=LogEntry.Action.DETAILS_UPDATED).exists()


def test_approving_lists_the_competing_requests_before_confirming(client, world):
    booking = world.book()
    rival = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00")
    elsewhere = world.book(start="2030-03-04 15:00", end="2030-03-04 16:00")
    signed_in(client, world, "approver")
    html = page(client, booking)
    assert "1 other request wants this time" in html
    assert rival.reference in html
    response = decide(client, booking, "approve", event_title="Meeting")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deny in the same step" in html
    assert f'name="deny" value="{rival.pk}"' in html
    assert elsewhere.reference not in html
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING  # nothing yet


def test_confirming_approves_and_denies_the_competitors_with_one_message(client, world):
    booking = world.book()
    rivals = [
        world.book(start="2030-03-04 11:00", end="2030-03-04 13:00"),
        world.book(start="2030-03-04 09:00", end="2030-03-04 10:30"),
    ]
    for number, rival in enumerate(rivals):
        customer = f.CustomerFactory(
            organization=world.organization, email=f"r{number}@example.com"
        )
        Booking.objects.filter(pk=rival.pk).update(customer=customer, notify_email=True)
    signed_in(client, world, "approver")
    data = {
        "confirm": "1",
        "approve-updated_at": seen(booking),
        "approve-event_title": "Meeting",
        "deny": [str(rival.pk) for rival in rivals],
        "losers-message": "Sorry, the room was taken.",
        "losers-send_email": "on",
    }
    for rival in rivals:
        data[f"seen-{rival.pk}"] = seen(rival)
    response = client.post(f"/staff/bookings/{booking.pk}/approve/", data)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    for number, rival in enumerate(rivals):
        rival.refresh_from_db()
        assert rival.status == BookingStatus.DENIED
        entry = rival.log_entries.get(action=LogEntry.Action.DENIED)
        assert booking.reference in entry.comment
        assert entry.message == "Sorry, the room was taken."
        mail = Notification.objects.get(booking=rival, kind=Notification.Kind.DENIED)
        assert mail.recipient == f"r{number}@example.com"
        assert "Sorry, the room was taken." in mail.body_text
        assert f"The slot went to {booking.reference}." in page(client, rival)


def test_a_competitor_that_changed_meanwhile_is_left_pending_and_named(client, world):
    booking = world.book()
    rival = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00")
    signed_in(client, world, "approver")
    rival_seen = seen(rival)
    services.booking_update(actor=world.actors["manager"], booking=rival, changes={"title": "New"})
    response = client.post(
        f"/staff/bookings/{booking.pk}/approve/",
        {
            "confirm": "1",
            "approve-updated_at": seen(booking),
            "approve-event_title": "Meeting",
            "deny": [str(rival.pk)],
            f"seen-{rival.pk}": rival_seen,
            "losers-message": "Sorry",
        },
    )
    rival.refresh_from_db()
    assert rival.status == BookingStatus.PENDING
    html = client.get(response["Location"]).content.decode()
    assert f"changed meanwhile: {rival.reference}" in html


def test_a_conflict_with_a_held_booking_is_explained_naming_it(client, world):
    booking = world.book()
    # A booking approved directly over the same time (staff may create it held).
    holder = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00")
    services.booking_approve(actor=world.actors["manager"], booking=holder)
    signed_in(client, world, "approver")
    response = decide(client, booking, "approve", event_title="Meeting")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    html = client.get(response["Location"]).content.decode()
    assert "Nothing was done: it does not fit." in html
    assert holder.reference in html


def test_recording_a_payment_and_a_refund(client, world):
    booking = world.book()
    cash = f.PaymentTypeFactory(organization=world.organization, name="Cash")
    signed_in(client, world, "front_desk")
    decide(client, booking, "payment", kind="payment", amount="50.00", payment_type=cash.pk)
    response = decide(client, booking, "payment", kind="refund", amount="20", note="Overpaid")
    booking.refresh_from_db()
    assert booking.amount_paid == Decimal("30.00")
    html = client.get(response["Location"]).content.decode()
    assert "Refund of 20.00 recorded." in html
    assert "Payment of 50.00" in html
    assert "Cash" in html


def test_a_refund_above_what_was_paid_is_an_error_on_the_field(client, world):
    booking = world.book()
    signed_in(client, world, "manager")
    response = decide(client, booking, "payment", kind="refund", amount="20")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error:" in html
    assert 'href="#id_payment-amount"' in html
    assert "A refund cannot exceed what was paid" in html


def test_the_timeline_names_each_actor_and_automatic_actions(client, world):
    booking = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    key = world.actors["key:write"]
    services.payment_record(actor=key, booking=booking, amount=Decimal("10"))
    Booking.objects.filter(pk=booking.pk).update(starts_at=at("2020-01-01 10:00"))
    LogEntry.objects.create(
        booking=booking,
        action=LogEntry.Action.NO_SHOW,
        from_status="approved",
        to_status="no_show",
        **Actor.system().log_fields(),
    )
    LogEntry.objects.create(
        booking=booking, action=LogEntry.Action.CHANGE_REQUESTED, **Actor.customer().log_fields()
    )
    signed_in(client, world, "viewer")
    html = page(client, booking)
    assert "Booking created</strong> by manager" in html
    assert "Payment recorded</strong> by API key write key" in html
    assert "Payment of 10.00" in html
    assert 'Marked no-show</strong> <span class="tag">automatic</span>' in html
    assert "Change requested</strong> by the customer" in html


def test_the_page_costs_the_same_queries_with_many_log_entries_and_lines(client, world):
    few = world.book()
    many = world.book(start="2030-03-06 10:00", end="2030-03-06 11:00")
    for hour in range(12, 20):
        services.space_line_save(
            actor=world.actors["manager"],
            booking=many,
            line=services.SpaceLineIn(
                space=world.room,
                starts_at=at(f"2030-03-06 {hour}:00"),
                ends_at=at(f"2030-03-06 {hour}:30"),
                places=2,
            ),
        )
    for _ in range(10):
        services.payment_record(actor=world.actors["manager"], booking=many, amount=Decimal("1"))
    signed_in(client, world, "manager")

    def queries(booking):
        with CaptureQueriesContext(connection) as captured:
            page(client, booking)
        return len(captured)

    assert many.log_entries.count() > 15
    assert many.space_bookings.count() > 5
    assert queries(many) == queries(few)


def test_times_are_in_the_venue_zone_even_across_midnight(client, world):
    booking = world.book(start="2030-03-04 23:00", end="2030-03-05 01:00")
    signed_in(client, world, "viewer")
    html = page(client, booking)
    assert "Mon 4 Mar 2030, 23:00 – Tue 5 Mar 2030, 01:00" in html
