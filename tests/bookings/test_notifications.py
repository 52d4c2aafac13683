"""The notification outbox: queued with the change, sent after commit, retried, never lost."""

import smtplib
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from bookings.models import Notification
from bookings.notifications import deliver, deliver_due, deliver_ids, queue, retry_delay
from bookings.sms import LocmemSMSBackend
from tests import factories as f

Kind = Notification.Kind
Status = Notification.Status
VENUE = "Harbourlight Conference Centre"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


FAILING_BACKEND = f"{__name__}.FailingEmailBackend"


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.VENUEDESK_SMS_BACKEND = "bookings.sms.LocmemSMSBackend"
    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def booking(db):
    """A pending request for a room, 10:00–12:00 UTC, i.e. 11:00–13:00 in Madrid."""
    organization = f.OrganizationFactory(
        name="Harbourlight Venues", email="hello@harbourlight.example", phone="+34 960 000 111"
    )
    venue = f.VenueFactory(
        organization=organization,
        name=VENUE,
        address="Muelle de la Aduana 1",
        postal_code="46024",
        city="Valencia",
    )
    form = f.BookingFormFactory(
        venue=venue,
        title="Meeting rooms",
        notify_emails="events@harbourlight.example\nmanager@harbourlight.example\n",
    )
    f.CustomFieldFactory(form=form, key="catering", label="Do you need catering?")
    customer = f.CustomerFactory(
        organization=organization,
        first_name="Ada",
        last_name="O'Brien",
        email="ada@example.com",
        phone="+34 611 222 333",
    )
    booking = f.BookingFactory(
        venue=venue,
        customer=customer,
        booking_form=form,
        title="Board meeting",
        answers={"catering": "Coffee & pastries"},
        request_note="<p>Near the <b>window</b>, please.</p><script>alert(1)</script>",
        total_net=Decimal("200.00"),
        total_vat=Decimal("42.00"),
        total_gross=Decimal("242.00"),
    )
    f.SpaceBookingFactory(
        booking=booking,
        space=f.SpaceFactory(venue=venue, name="Lighthouse Room"),
        gross=Decimal("242.00"),
    )
    booking.compute_span()
    booking.save()
    return booking


def move_to(booking, kind: str):
    """Put the booking in the status a `kind` notification is sent from; its change request."""
    if kind in (Kind.APPROVED, Kind.CHANGE_RECEIVED, Kind.CHANGE_APPROVED, Kind.CHANGE_DENIED):
        booking.approve()
    elif kind == Kind.DENIED:
        booking.deny()
    elif kind == Kind.CANCELED:
        booking.cancel()
    booking.save()
    if kind.startswith("change_"):
        line = booking.space_bookings.get()
        return f.ChangeRequestFactory(
            booking=booking,
            changes={
                "contact": {"phone": "+34 600 000 000"},
                "space_lines": [{"id": line.pk, "starts_at": "2030-03-04T14:00:00+00:00"}],
            },
        )
    return None


# -- rendering ----------------------------------------------------------------------------------


# Every kind about one booking; the mail of booking links has its own tests
# (tests/bookings/test_manage_links.py).
BOOKING_KINDS = [kind for kind in Kind.values if kind != Kind.MANAGE_LINKS]


@pytest.mark.parametrize("kind", BOOKING_KINDS)
def test_every_kind_renders_subject_text_and_html_with_reference_and_venue_local_time(
    booking, kind
):
    change_request = move_to(booking, kind)

    notifications = queue(booking=booking, kind=kind, change_request=change_request)

    assert notifications
    for notification in notifications:
        assert notification.channel == Notification.Channel.EMAIL
        assert booking.reference in notification.subject
        assert "\n" not in notification.subject
        for body in (notification.body_text, notification.body_html):
            assert booking.reference in body
            assert "11:00–13:00" in body  # 10:00–12:00 UTC, shown in Madrid time
            assert "10:00" not in body
            assert "Europe/Madrid" in body
            assert "Lighthouse Room" in body
            assert "242.00 EUR" in body
        assert notification.body_html.startswith("<!doctype html>")
        assert "<" not in notification.body_text
        assert "\n\n\n" not in notification.body_text


@pytest.mark.parametrize("kind", [k for k in BOOKING_KINDS if k != Kind.STAFF_NEW_REQUEST])
def test_customer_mails_tell_whom_to_contact(booking, kind):
    change_request = move_to(booking, kind)

    [notification] = queue(booking=booking, kind=kind, change_request=change_request)

    assert notification.recipient == "ada@example.com"
    assert "Hello Ada," in notification.body_text
    for body in (notification.body_text, notification.body_html):
        assert "hello@harbourlight.example" in body
        assert "+34 960 000 111" in body


def test_approved_subject_names_the_reference_and_the_venue(booking):
    move_to(booking, Kind.APPROVED)

    [notification] = queue(booking=booking, kind=Kind.APPROVED)

    assert notification.subject == f"Booking {booking.reference} approved — {VENUE}"
    assert "is approved" in notification.body_text


def test_request_received_leads_with_the_manage_link_made_absolute(booking, settings, mailoutbox):
    settings.VENUEDESK_SITE_URL = "https://book.harbourlight.example/"

    [notification] = queue(
        booking=booking, kind=Kind.REQUEST_RECEIVED, manage_url="/manage/s3cr3t-token/"
    )
    deliver(notification)

    [email] = mailoutbox
    link = "https://book.harbourlight.example/manage/s3cr3t-token/"
    assert link in email.body
    assert f'href="{link}"' in email.alternatives[0][0]
    assert email.body.index(link) < email.body.index("Lighthouse Room")
    assert "We received your booking request" in email.subject
    assert "Nothing is confirmed yet" in email.body


def test_request_received_of_a_booking_approved_at_once_says_it_is_confirmed(booking):
    move_to(booking, Kind.APPROVED)

    [notification] = queue(booking=booking, kind=Kind.REQUEST_RECEIVED, manage_url="https://x/m/")

    assert notification.subject == f"Booking {booking.reference} confirmed — {VENUE}"
    assert "is confirmed" in notification.body_text


@pytest.mark.parametrize("kind", [Kind.APPROVED, Kind.DENIED, Kind.CANCELED, Kind.CHANGE_DENIED])
def test_the_staff_message_is_shown_to_the_customer(booking, kind):
    change_request = move_to(booking, kind)

    [notification] = queue(
        booking=booking,
        kind=kind,
        change_request=change_request,
        message="We are fully booked <that> week.\nSorry!",
    )

    assert "We are fully booked <that> week.\nSorry!" in notification.body_text
    assert "We are fully booked &lt;that&gt; week.<br>Sorry!" in notification.body_html


def test_text_is_plain_and_html_is_escaped(booking):
    [notification, _] = queue(booking=booking, kind=Kind.STAFF_NEW_REQUEST)

    assert "Ada O'Brien" in notification.body_text
    assert "Coffee & pastries" in notification.body_text
    assert "Ada O&#x27;Brien" in notification.body_html
    assert "Coffee &amp; pastries" in notification.body_html
    assert "<b>window</b>" in notification.body_html
    assert "alert(1)" not in notification.body_html
    assert "Near the window, please." in notification.body_text


def test_staff_new_request_shows_the_customer_answers_and_a_link_to_review(booking, settings):
    settings.VENUEDESK_SITE_URL = "https://book.harbourlight.example"

    [notification, _] = queue(booking=booking, kind=Kind.STAFF_NEW_REQUEST)

    assert notification.subject.startswith(f"New booking request {booking.reference}")
    assert "Do you need catering?: Coffee & pastries" in notification.body_text
    assert "ada@example.com" in notification.body_text
    assert "+34 611 222 333" in notification.body_text
    assert "waiting for approval" in notification.body_text
    assert (
        f"https://book.harbourlight.example/admin/bookings/booking/{booking.pk}/change/"
        in notification.body_text
    )


def test_change_mails_describe_the_requested_changes_in_venue_time(booking):
    change_request = move_to(booking, Kind.CHANGE_RECEIVED)

    [notification] = queue(
        booking=booking, kind=Kind.CHANGE_RECEIVED, change_request=change_request
    )

    assert "- Phone: +34 600 000 000" in notification.body_text
    assert "- Lighthouse Room: starts at Mon 4 Mar 2030, 15:00" in notification.body_text
    assert "Lighthouse Room: starts at Mon 4 Mar 2030, 15:00" in notification.body_html
    assert "remains confirmed" in notification.body_text
    assert notification.change_request == change_request


def test_a_requested_space_and_layout_are_named_never_shown_as_ids(booking):
    booking.approve()
    booking.save()
    line = booking.space_bookings.get()
    hall = f.SpaceFactory(venue=booking.venue, name="Main Hall")
    banquet = f.SpaceLayoutFactory(space=hall, name="Banquet", capacity=80)
    change_request = f.ChangeRequestFactory(
        booking=booking,
        changes={"space_lines": [{"id": line.pk, "space_id": hall.pk, "layout_id": banquet.pk}]},
    )

    [notification] = queue(
        booking=booking, kind=Kind.CHANGE_RECEIVED, change_request=change_request
    )

    assert "Lighthouse Room: space Main Hall; layout Banquet" in notification.body_text
    assert f"id {hall.pk}" not in notification.body_text


def test_an_approved_cancellation_request_says_the_booking_is_canceled(booking):
    booking.approve()
    booking.save()
    change_request = f.ChangeRequestFactory(booking=booking, is_cancellation=True, changes={})
    booking.cancel()
    booking.save()

    [notification] = queue(
        booking=booking, kind=Kind.CHANGE_APPROVED, change_request=change_request
    )

    assert notification.subject == f"Booking {booking.reference} canceled as you asked — {VENUE}"
    assert "is now canceled" in notification.body_text


def test_a_change_kind_without_its_change_request_is_refused(booking):
    with pytest.raises(ValueError, match="change request"):
        queue(booking=booking, kind=Kind.CHANGE_APPROVED)


def test_an_unknown_kind_is_refused(booking):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        queue(booking=booking, kind="birthday_card")


# -- who gets what ------------------------------------------------------------------------------


def test_staff_new_request_goes_to_each_notify_address_whatever_the_customer_flags(booking):
    notifications = queue(
        booking=booking, kind=Kind.STAFF_NEW_REQUEST, send_email=False, send_sms=True
    )

    assert sorted(n.recipient for n in notifications) == [
        "events@harbourlight.example",
        "manager@harbourlight.example",
    ]
    assert {n.channel for n in notifications} == {Notification.Channel.EMAIL}
    assert Notification.objects.count() == 2


def test_staff_new_request_writes_nothing_without_a_form_or_its_addresses(booking):
    booking.booking_form.notify_emails = ""
    booking.booking_form.save()
    assert queue(booking=booking, kind=Kind.STAFF_NEW_REQUEST) == []

    booking.booking_form = None
    booking.save()
    assert queue(booking=booking, kind=Kind.STAFF_NEW_REQUEST) == []
    assert not Notification.objects.exists()


def test_nothing_is_queued_when_neither_email_nor_sms_is_asked_for(
    booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        notifications = queue(booking=booking, kind=Kind.DENIED, send_email=False, send_sms=False)

    assert notifications == []
    assert not Notification.objects.exists()
    assert callbacks == []


def test_the_contact_person_is_preferred_to_the_customer(booking):
    booking.contact_email = "assistant@example.com"
    booking.contact_phone = "+34 699 999 999"
    booking.save()

    notifications = queue(booking=booking, kind=Kind.APPROVED, send_sms=True)

    assert [(n.channel, n.recipient) for n in notifications] == [
        ("email", "assistant@example.com"),
        ("sms", "+34 699 999 999"),
    ]


def test_no_email_row_without_an_address_and_no_sms_row_without_a_phone(booking):
    customer = booking.customer
    customer.email = ""
    customer.save()

    notifications = queue(booking=booking, kind=Kind.APPROVED, send_sms=True)
    assert [n.channel for n in notifications] == ["sms"]

    customer.phone = ""
    customer.save()
    assert queue(booking=booking, kind=Kind.APPROVED, send_sms=True) == []


def test_an_sms_is_short_and_delivered_through_the_sms_backend(
    booking, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    move_to(booking, Kind.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        queue(booking=booking, kind=Kind.APPROVED, send_email=False, send_sms=True)

    [sms] = sms_outbox
    assert sms.to == "+34 611 222 333"
    assert booking.reference in sms.body
    assert "Mon 4 Mar, 11:00" in sms.body
    assert "\n" not in sms.body
    assert len(sms.body) <= 160
    assert mailoutbox == []
    row = Notification.objects.get()
    assert (row.channel, row.status, row.subject, row.body_html) == ("sms", "sent", "", "")


# -- delivery after commit ----------------------------------------------------------------------


def test_mail_goes_out_only_after_commit(booking, mailoutbox, django_capture_on_commit_callbacks):
    move_to(booking, Kind.APPROVED)

    with django_capture_on_commit_callbacks() as callbacks:
        [notification] = queue(booking=booking, kind=Kind.APPROVED)
    assert mailoutbox == []
    assert Notification.objects.get().status == Status.PENDING

    for callback in callbacks:
        callback()

    [email] = mailoutbox
    assert email.to == ["ada@example.com"]
    assert email.subject == f"Booking {booking.reference} approved — {VENUE}"
    assert email.reply_to == ["hello@harbourlight.example"]
    assert email.from_email == "Venuedesk <bookings@localhost>"
    assert email.body == notification.body_text
    assert email.alternatives[0][0] == notification.body_html
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    assert notification.sent_at is not None


def approve_and_notify_then_fail(booking):
    with transaction.atomic():  # the service's transaction
        booking.approve()
        booking.save()
        queue(booking=booking, kind=Kind.APPROVED, send_sms=True)
        raise RuntimeError("the service failed after queueing")


def test_rows_queued_in_a_transaction_that_rolls_back_are_gone_and_nothing_is_sent(
    booking, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="after queueing"),
    ):
        approve_and_notify_then_fail(booking)

    assert not Notification.objects.exists()
    assert callbacks == []
    assert mailoutbox == []
    assert sms_outbox == []
    booking.refresh_from_db()
    assert booking.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_an_smtp_outage_keeps_the_booking_and_the_row_which_is_sent_later(
    booking, settings, mailoutbox, caplog
):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    before = timezone.now()

    with transaction.atomic():  # the service's transaction
        booking.approve()
        booking.save()
        queue(booking=booking, kind=Kind.APPROVED)

    booking.refresh_from_db()
    assert booking.status == "approved"
    row = Notification.objects.get()
    assert row.status == Status.PENDING
    assert row.attempts == 1
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in row.last_error
    assert row.next_attempt_at >= before + timedelta(minutes=1)
    assert row.sent_at is None
    assert mailoutbox == []
    assert "Could not send" in caplog.text

    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    assert deliver_due() == (0, 0)  # not due yet
    assert deliver_due(now=timezone.now() + timedelta(minutes=2)) == (1, 0)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    [email] = mailoutbox
    assert email.subject == row.subject


def test_send_notifications_command_retries_due_rows_and_reports(booking, mailoutbox):
    due = f.NotificationFactory(
        booking=booking, attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    f.NotificationFactory(booking=booking, next_attempt_at=timezone.now() + timedelta(hours=1))
    out = StringIO()

    call_command("send_notifications", "--limit", "10", stdout=out)

    assert out.getvalue().strip() == "Sent 1, failed 0, pending 1"
    due.refresh_from_db()
    assert due.status == Status.SENT
    assert [email.to for email in mailoutbox] == [[due.recipient]]


def test_send_notifications_command_counts_failed_attempts(booking, settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    f.NotificationFactory(booking=booking, next_attempt_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()

    call_command("send_notifications", stdout=out)

    assert out.getvalue().strip() == "Sent 0, failed 1, pending 1"


# -- retries ------------------------------------------------------------------------------------


def test_retries_wait_1_5_15_60_minutes_then_4_hours():
    assert [retry_delay(n) for n in range(1, 8)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(hours=4),
        timedelta(hours=4),
    ]


def test_after_the_last_attempt_the_row_is_failed_and_no_longer_retried(
    booking, settings, mailoutbox, caplog
):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    settings.VENUEDESK_NOTIFICATION_MAX_ATTEMPTS = 3
    notification = f.NotificationFactory(booking=booking)
    later = timezone.now()

    for attempt in (1, 2, 3):
        later += timedelta(days=1)
        assert deliver_due(now=later) == (0, 1)
        notification.refresh_from_db()
        assert notification.attempts == attempt

    assert notification.status == Status.FAILED
    assert "Gave up sending" in caplog.text
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    assert deliver_due(now=later + timedelta(days=30)) == (0, 0)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 3)
    assert mailoutbox == []


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPException("451 try again later"),
        smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")}),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        ValueError("Header values can't contain newlines"),
    ],
)
def test_deliver_never_raises_and_records_the_error(booking, error):
    notification = f.NotificationFactory(booking=booking)

    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=error):
        assert deliver(notification) is False

    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert notification.attempts == 1
    assert notification.last_error.startswith(type(error).__name__)
    assert notification.next_attempt_at > timezone.now()


def test_deliver_survives_a_broken_sms_backend_setting(booking, settings):
    settings.VENUEDESK_SMS_BACKEND = "bookings.sms.NoSuchBackend"
    notification = f.NotificationFactory(
        booking=booking, channel=Notification.Channel.SMS, recipient="+34 611 222 333"
    )

    assert deliver(notification) is False

    notification.refresh_from_db()
    assert "NoSuchBackend" in notification.last_error


def test_deliver_does_not_raise_when_the_outcome_cannot_be_saved(booking, mailoutbox, caplog):
    notification = f.NotificationFactory(booking=booking)
    update = QuerySet.update

    def recording_fails(queryset, **fields):
        if "status" in fields:  # the claim goes through, recording the outcome does not
            raise DatabaseError("database is gone")
        return update(queryset, **fields)

    with mock.patch.object(QuerySet, "update", autospec=True, side_effect=recording_fails):
        assert deliver(notification) is True

    assert len(mailoutbox) == 1
    assert "Could not record the delivery" in caplog.text


def test_deliver_ids_sends_only_rows_still_pending(booking, mailoutbox):
    sent = f.NotificationFactory(
        booking=booking, status=Status.SENT, sent_at=timezone.now(), attempts=1
    )
    failed = f.NotificationFactory(booking=booking, status=Status.FAILED, attempts=8)
    pending = f.NotificationFactory(booking=booking, recipient="pending@example.com")

    deliver_ids([sent.pk, failed.pk, pending.pk, 999_999])

    assert [email.to for email in mailoutbox] == [["pending@example.com"]]


def test_deliver_due_takes_due_rows_longest_waiting_first_up_to_the_limit(booking, mailoutbox):
    now = timezone.now()
    for recipient, wait in [("second", -5), ("first", -10), ("later", 10)]:
        f.NotificationFactory(
            booking=booking,
            recipient=f"{recipient}@example.com",
            next_attempt_at=now + timedelta(minutes=wait),
        )

    assert deliver_due(now=now, limit=1) == (1, 0)
    assert deliver_due(now=now) == (1, 0)
    assert deliver_due(now=now) == (0, 0)

    assert [email.to for email in mailoutbox] == [["first@example.com"], ["second@example.com"]]
    still_pending = Notification.objects.get(status=Status.PENDING)
    assert still_pending.recipient == "later@example.com"


# Two workers and one row: see test_delivery.py (the claim protocol, on PostgreSQL).
