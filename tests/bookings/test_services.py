"""The booking services against the database: happy paths, log, outbox, refusals."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Customer, LogEntry, Notification
from bookings.notifications import deliver_due
from bookings.services import (
    CustomerIn,
    EventLineIn,
    ProductLineIn,
    SpaceLineIn,
    booking_create,
)
from core.actors import Actor
from core.errors import BookingConflict, PermissionDenied, StaleBooking, TransitionNotAllowed
from tests import factories as f
from tests.bookings.conftest import at

pytestmark = pytest.mark.django_db


def log_of(booking) -> list[tuple[str, str, str]]:
    return list(booking.log_entries.values_list("action", "from_status", "to_status"))


def outbox(booking) -> list[tuple[str, str]]:
    return sorted(booking.notifications.values_list("kind", "recipient"))


def public_booking(
    world,
    *,
    start="2030-03-04 10:00",
    end="2030-03-04 12:00",
    answers=None,
    space=None,
    places=4,
    **extra,
):
    return world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=space or world.room, starts_at=at(start), ends_at=at(end), places=places
            )
        ],
        answers=answers,
        **extra,
    )


# -- create -------------------------------------------------------------------------------------


def test_staff_create_a_pending_booking_priced_logged_and_announced(world):
    booking = world.book(notify_email=True)
    line = booking.space_bookings.get()
    assert booking.status == "pending"
    # 2 h × 100.00 = 200.00 gross; VAT 200 × 21/121 = 34.71; net 165.29.
    assert (line.gross, line.vat, line.net) == (
        Decimal("200.00"),
        Decimal("34.71"),
        Decimal("165.29"),
    )
    assert (booking.total_gross, booking.balance) == (Decimal("200.00"), Decimal("200.00"))
    assert (booking.starts_at, booking.ends_at) == (at("2030-03-04 10:00"), at("2030-03-04 12:00"))
    assert log_of(booking) == [("created", "", "pending")]
    assert booking.log_entries.get().user == world.actors["manager"].user
    assert outbox(booking) == [("request_received", "ada@example.com")]
    assert not line.holds_capacity


def test_staff_may_approve_at_creation_which_creates_the_event(world):
    booking = world.book(approve=True)
    assert booking.status == "approved"
    assert booking.event.title == "Team meeting"
    assert (booking.event.starts_at, booking.event.space) == (at("2030-03-04 10:00"), world.room)
    assert [a for a, *_ in log_of(booking)] == ["created", "approved"]
    assert outbox(booking) == [("approved", "ada@example.com")]
    assert booking.space_bookings.get().holds_capacity


def test_a_booking_mixes_space_event_and_product_lines(world):
    created = booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="api",
        space_lines=[
            SpaceLineIn(
                space=world.zone,
                starts_at=at("2030-03-08 22:00"),
                ends_at=at("2030-03-09 02:00"),
                places=6,
            )
        ],
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=2)],
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=2,
                starts_at=at("2030-03-08 22:00"),
                ends_at=at("2030-03-09 02:00"),
            )
        ],
        approve=True,
    )
    booking = created.booking
    # 2 tickets × 30.00 + 2 units × 25.00 (factory unit price) + 0.00 zone.
    assert booking.total_gross == Decimal("110.00")
    assert booking.ends_at == at("2030-03-09 04:00")  # the event ends last
    assert all(line.holds_capacity for line in booking.event_bookings.all())


def test_naive_times_are_read_in_the_venue_zone(world):
    booking = booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=datetime(2030, 7, 1, 10),
                ends_at=datetime(2030, 7, 1, 12),
            )
        ],
    ).booking
    assert booking.starts_at.astimezone(UTC).hour == 8  # 10:00 CEST


def test_a_public_request_is_validated_against_the_form(world):
    f.CustomFieldFactory(
        form=world.form,
        key="phone",
        required=True,
        regex=r"\+?[0-9 ]{7,20}",
        regex_message="Digits and spaces only.",
    )
    with pytest.raises(ValidationError) as refused:
        public_booking(world, answers={"phone": "call me"})
    assert refused.value.message_dict == {"phone": ["Digits and spaces only."]}
    assert Booking.objects.count() == 0
    assert not Customer.objects.filter(email="guest@example.com").exists()


def test_a_public_request_gets_a_manage_token_and_alerts_staff(world, mailoutbox):
    created = public_booking(world, request_note="<p>Hi</p><script>x()</script>")
    booking = created.booking
    assert booking.manage_token_matches(created.manage_token)
    assert booking.request_note == "<p>Hi</p>"
    assert outbox(booking) == [
        ("request_received", "guest@example.com"),
        ("staff_new_request", "staff@harbour.example"),
    ]
    assert created.manage_token not in booking.notifications.get(kind="request_received").body_text
    deliver_due()
    [mail] = [mail for mail in mailoutbox if mail.to == ["guest@example.com"]]
    assert f"/manage/{created.manage_token}/" in mail.body


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2030-03-04 10:15", "2030-03-04 12:00", "starts_at", "steps of 30 minutes"),
        ("2030-03-04 10:00", "2030-03-04 10:30", "ends_at", "at least 60 minutes"),
        ("2050-03-04 10:00", "2050-03-04 12:00", "starts_at", "days ahead"),
    ],
)
def test_a_public_request_follows_the_form_policy(world, start, end, field, message):
    with pytest.raises(ValidationError) as refused:
        public_booking(world, start=start, end=end)
    assert message in str(refused.value.message_dict[f"space_lines.0.{field}"])


def test_a_public_request_needs_the_minimum_notice(world):
    soon = timezone.localtime(timezone.now() + timedelta(hours=2), world.venue.tzinfo)
    soon = soon.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with pytest.raises(ValidationError, match="24 hours ahead"):
        public_booking(world, start=soon.isoformat(), end=(soon + timedelta(hours=2)).isoformat())


def test_a_public_request_may_only_book_what_the_form_offers(world):
    other = f.SpaceFactory(venue=world.venue)
    with pytest.raises(ValidationError, match="cannot be booked with this form"):
        public_booking(world, space=other)


def test_a_form_without_approval_confirms_what_fits_at_once(world, mailoutbox):
    world.form.requires_approval = False
    world.form.save()
    created = public_booking(world)
    booking = created.booking
    assert booking.status == "approved"
    assert outbox(booking) == [
        ("approved", "guest@example.com"),
        ("staff_new_request", "staff@harbour.example"),
    ]
    deliver_due()
    [mail] = [mail for mail in mailoutbox if mail.to == ["guest@example.com"]]
    assert created.manage_token in mail.body


def test_a_request_for_a_slot_already_held_is_refused_and_nothing_is_kept(world):
    holder = world.book(approve=True)
    before = Booking.objects.count()
    with pytest.raises(BookingConflict) as refused:
        public_booking(world, start="2030-03-04 11:00", end="2030-03-04 13:00")
    [conflict] = refused.value.conflicts
    assert (conflict.reason, conflict.other_booking) == ("space_taken", holder.reference)
    assert Booking.objects.count() == before


def test_pending_requests_for_the_same_slot_may_compete(world):
    first, second = world.book(), world.book()
    assert first.status == second.status == "pending"


@pytest.mark.parametrize("actor", ["viewer", "key:read", "stranger"])
def test_creating_needs_the_write_right(world, actor):
    with pytest.raises(PermissionDenied):
        world.book(actor=actor)
    assert Booking.objects.count() == 0


def test_approving_at_creation_needs_the_approve_right(world):
    with pytest.raises(PermissionDenied):
        world.book(actor="key:write", approve=True)
    assert Booking.objects.count() == 0


# -- approve, deny, cancel --------------------------------------------------------------------


def test_approve_holds_the_place_creates_the_event_logs_and_notifies(world):
    booking = world.book()
    services.booking_approve(
        actor=world.actors["approver"],
        booking=booking,
        client_updated_at=booking.updated_at,
        event_fields={"title": "Board meeting", "is_public": True},
        notice=services.Notice(comment="ok", message="See you there!"),
    )
    booking.refresh_from_db()
    assert booking.status == "approved"
    assert booking.approved_at is not None
    assert (booking.event.title, booking.event.is_public) == ("Board meeting", True)
    assert log_of(booking)[-1] == ("approved", "pending", "approved")
    entry = booking.log_entries.last()
    assert (entry.comment, entry.message, entry.user) == (
        "ok",
        "See you there!",
        world.actors["approver"].user,
    )
    approved = booking.notifications.get(kind="approved")
    assert "See you there!" in approved.body_text


def test_approve_refuses_a_stale_booking_and_changes_nothing(world):
    booking = world.book()
    seen = booking.updated_at
    services.booking_update(
        actor=world.actors["manager"],
        booking=booking,
        changes={"contact_phone": "+34 611 000 000"},
    )
    with pytest.raises(StaleBooking):
        services.booking_approve(
            actor=world.actors["approver"], booking=booking, client_updated_at=seen
        )
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert not booking.notifications.filter(kind="approved").exists()


def test_a_client_time_given_to_the_second_is_fresh(world):
    booking = world.book()
    seen = booking.updated_at.replace(microsecond=0)
    services.booking_approve(
        actor=world.actors["approver"], booking=booking, client_updated_at=seen
    )
    assert Booking.objects.get(pk=booking.pk).status == "approved"


@pytest.mark.parametrize("actor", ["front_desk", "viewer", "key:write", "key:read", "stranger"])
def test_approve_needs_the_approve_right(world, actor):
    booking = world.book()
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=world.actors[actor], booking=booking)
    assert Booking.objects.get(pk=booking.pk).status == "pending"


def test_an_api_key_with_the_approve_scope_may_approve(world):
    booking = world.book()
    services.booking_approve(actor=world.actors["key:approve"], booking=booking)
    entry = LogEntry.objects.filter(booking=booking, action="approved").get()
    assert (entry.actor_kind, entry.api_key) == ("api_key", world.actors["key:approve"].api_key)


def test_approve_refuses_a_booking_in_the_wrong_state(world):
    booking = world.book()
    services.booking_deny(actor=world.actors["approver"], booking=booking)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.booking_approve(actor=world.actors["approver"], booking=booking)
    assert refused.value.allowed == []
    assert "cannot become approved" in str(refused.value)


def test_approve_refuses_a_booking_whose_slot_was_taken_meanwhile(world):
    waiting = world.book()
    world.book(approve=True)
    with pytest.raises(BookingConflict):
        services.booking_approve(actor=world.actors["approver"], booking=waiting)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.event) == ("pending", None)


def test_deny_logs_the_comment_and_sends_the_message(world):
    world.customer.phone = "+34 600 000 000"
    world.customer.save()
    booking = world.book()
    services.booking_deny(
        actor=world.actors["approver"],
        booking=booking,
        notice=services.Notice(
            comment="Double booked", message="Sorry, that day is full.", send_sms=True
        ),
    )
    booking.refresh_from_db()
    assert booking.status == "denied"
    entry = booking.log_entries.last()
    assert (entry.action, entry.comment, entry.message) == (
        "denied",
        "Double booked",
        "Sorry, that day is full.",
    )
    kinds = set(booking.notifications.values_list("kind", "channel"))
    assert {("denied", "email"), ("denied", "sms")} <= kinds
    assert (
        "Sorry, that day is full."
        in booking.notifications.get(channel="email", kind="denied").body_text
    )


def test_deny_without_e_mail_sends_none(world):
    booking = world.book()
    services.booking_deny(
        actor=world.actors["approver"],
        booking=booking,
        notice=services.Notice(send_email=False),
    )
    assert not booking.notifications.filter(kind="denied").exists()


@pytest.mark.parametrize(("procedure", "event_status"), [("cancel", "canceled"), ("delete", None)])
def test_cancel_frees_the_place_and_handles_the_event(world, procedure, event_status):
    booking = world.book(approve=True)
    event_pk = booking.event.pk
    services.booking_cancel(
        actor=world.actors["approver"],
        booking=booking,
        event_procedure=procedure,
        notice=services.Notice(message="Canceled as agreed."),
    )
    booking.refresh_from_db()
    assert booking.status == "canceled"
    assert not booking.space_bookings.get().holds_capacity
    from venues.models import Event

    assert (
        Event.objects.filter(pk=event_pk).values_list("status", flat=True).first() == event_status
    )
    assert booking.log_entries.last().data == {"event_procedure": procedure}
    assert world.book(approve=True).status == "approved"  # the slot is free again


def test_a_customer_may_cancel_a_pending_request_with_the_manage_token(world):
    created = public_booking(world)
    services.booking_cancel(actor=Actor.customer(created.manage_token), booking=created.booking)
    created.booking.refresh_from_db()
    assert created.booking.status == "canceled"
    assert created.booking.log_entries.last().actor_kind == "customer"


@pytest.mark.parametrize("case", ["wrong token", "approved", "after deadline"])
def test_a_customer_may_not_cancel_otherwise(world, case):
    created = public_booking(world)
    token = "not-the-token" if case == "wrong token" else created.manage_token
    if case == "approved":
        services.booking_approve(actor=world.actors["approver"], booking=created.booking)
    late = created.booking.starts_at - timedelta(hours=1)
    with (
        (
            mock.patch("django.utils.timezone.now", return_value=late)
            if case == "after deadline"
            else mock.MagicMock()
        ),
        pytest.raises(PermissionDenied),
    ):
        services.booking_cancel(actor=Actor.customer(token), booking=created.booking)
    assert Booking.objects.get(pk=created.booking.pk).status != "canceled"


# -- front desk and status by name ------------------------------------------------------------


def test_the_front_desk_checks_guests_in_seats_and_releases_them(world):
    booking = world.book(approve=True)
    desk = world.actors["front_desk"]
    services.booking_arrive(actor=desk, booking=booking)
    services.booking_seat(actor=desk, booking=booking)
    services.booking_release(actor=desk, booking=booking)
    booking.refresh_from_db()
    assert booking.status == "released"
    assert [a for a, *_ in log_of(booking)][-3:] == ["arrived", "seated", "released"]


def test_a_viewer_cannot_check_guests_in(world):
    booking = world.book(approve=True)
    with pytest.raises(PermissionDenied):
        services.booking_arrive(actor=world.actors["viewer"], booking=booking)


def test_no_show_only_after_the_start(world):
    booking = world.book(approve=True)
    with pytest.raises(TransitionNotAllowed):
        services.booking_mark_no_show(actor=world.actors["front_desk"], booking=booking)
    with mock.patch("django.utils.timezone.now", return_value=at("2030-03-04 11:00")):
        services.booking_mark_no_show(actor=world.actors["front_desk"], booking=booking)
    assert Booking.objects.get(pk=booking.pk).status == "no_show"


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (["accepted"], "approved"),
        (["booked", "arrival", "sitting", "completed"], "released"),
        (["rejected"], "denied"),
        (["cancelled"], "canceled"),
    ],
)
def test_status_by_name_accepts_the_aliases(world, steps, expected):
    booking = world.book()
    for name in steps:
        services.booking_set_status(actor=world.actors["manager"], booking=booking, status=name)
    assert Booking.objects.get(pk=booking.pk).status == expected


def test_an_illegal_status_move_lists_the_legal_ones(world):
    booking = world.book()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.booking_set_status(
            actor=world.actors["manager"], booking=booking, status="released"
        )
    assert refused.value.allowed == ["approved", "denied", "canceled"]


def test_asking_for_the_current_status_changes_nothing(world):
    booking = world.book()
    services.booking_set_status(actor=world.actors["manager"], booking=booking, status="reserved")
    assert log_of(booking) == [("created", "", "pending")]


def test_an_unknown_status_name_is_a_field_error(world):
    with pytest.raises(ValidationError) as refused:
        services.booking_set_status(
            actor=world.actors["manager"], booking=world.book(), status="paused"
        )
    assert "status" in refused.value.message_dict


# -- payments ---------------------------------------------------------------------


def test_payments_and_refunds_keep_paid_and_balance(world):
    booking = world.book()
    services.payment_record(
        actor=world.actors["front_desk"], booking=booking, amount=Decimal("150.00"), reference="R-1"
    )
    services.payment_record(
        actor=world.actors["front_desk"], booking=booking, amount=Decimal("-20.00"), note="Refund"
    )
    booking.refresh_from_db()
    assert (booking.amount_paid, booking.balance) == (Decimal("130.00"), Decimal("70.00"))
    assert booking.payments.count() == 2
    assert [a for a, *_ in log_of(booking)][-2:] == ["payment_recorded", "payment_recorded"]
    with pytest.raises(ValidationError, match="cannot exceed what was paid"):
        services.payment_record(
            actor=world.actors["manager"], booking=booking, amount=Decimal("-131.00")
        )


def test_a_public_customer_is_matched_by_e_mail(world):
    first = services.customer_find_or_create(
        organization=world.organization, customer=CustomerIn(last_name="Lee", email="L@x.com")
    )
    again = services.customer_find_or_create(
        organization=world.organization, customer=CustomerIn(last_name="Lee", email="l@X.com")
    )
    assert first == again
    with pytest.raises(ValidationError) as refused:
        services.customer_find_or_create(
            organization=world.organization, customer=CustomerIn(email="nobody@x.com")
        )
    assert "customer.last_name" in refused.value.message_dict


def test_notifications_are_rows_in_the_same_transaction(world):
    booking = world.book()
    assert Notification.objects.filter(booking=booking).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_smtp_outage_never_loses_the_approval_nor_its_e_mail(world, settings, mailoutbox):
    from django.core.management import call_command

    from tests.bookings.test_notifications import FAILING_BACKEND, LOCMEM_BACKEND

    booking = world.book()
    settings.EMAIL_BACKEND = FAILING_BACKEND
    services.booking_approve(actor=world.actors["approver"], booking=booking)

    booking.refresh_from_db()
    assert booking.status == "approved"  # committed although the mail server is down
    row = booking.notifications.get(kind="approved")
    assert (row.status, row.attempts) == ("pending", 1)
    assert "SMTP" in row.last_error

    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        call_command("send_notifications", stdout=mock.MagicMock())
    row.refresh_from_db()
    assert row.status == "sent"
    assert [mail.subject for mail in mailoutbox if mail.subject == row.subject] == [row.subject]


def test_a_customer_books_only_through_a_public_form(world):
    with pytest.raises(PermissionDenied, match="public booking form"):
        booking_create(
            actor=Actor.customer(),
            organization=world.organization,
            venue=world.venue,
            customer=world.customer,
            source="api",
            space_lines=[
                SpaceLineIn(
                    space=world.room,
                    starts_at=at("2030-03-04 10:00"),
                    ends_at=at("2030-03-04 12:00"),
                )
            ],
        )


def test_the_system_may_import_past_public_form_history(world):
    booking = booking_create(
        actor=Actor.system(),
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="public_form",
        booking_form=world.form,
        space_lines=[
            SpaceLineIn(
                space=world.room, starts_at=at("2020-03-02 10:15"), ends_at=at("2020-03-02 10:45")
            )
        ],
    ).booking
    assert (booking.source, booking.status) == ("public_form", "pending")
