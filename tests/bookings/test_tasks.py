"""The Celery tasks, run eagerly as they are without a broker: the outbox sweep, reminders,
the no-show policy, and a mail-server outage that loses nothing.

tests/bookings/test_celery_worker.py runs a real worker against Redis.
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.checks import run_checks
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command

from api.catalogue.serializers import BookingFormSerializer
from bookings import tasks
from bookings.models import Booking, BookingStatus, LogEntry, Notification
from bookings.services import SpaceLineIn, booking_arrive
from config import celery_app
from core.actors import ActorKind
from tests.bookings.celery_broker import tasks_sent_to
from tests.bookings.conftest import at
from venues.services import booking_form_save

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
Status = Notification.Status


@pytest.fixture
def celery_delivery(settings):
    """Notifications handed to Celery tasks, run eagerly (as with no broker configured)."""
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "celery"
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """`with committing():` runs the hand-overs after commit of what happens in it, as they
    would run outside the test's transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# -- reminders ------------------------------------------------------------------------------------


@pytest.fixture
def reminder_world(world, settings):
    settings.VENUEDESK_REMINDER_HOURS = 24
    world.due = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    world.later = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00", approve=True)
    world.started = world.book(start="2030-03-03 11:00", end="2030-03-03 13:00", approve=True)
    world.pending = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00")
    return world


def test_reminders_are_sent_once_to_approved_bookings_starting_within_the_hours(
    reminder_world, celery_delivery, committing, mailoutbox
):
    world = reminder_world
    with time_machine.travel(at("2030-03-03 12:00"), tick=False), committing():
        tasks.send_reminders.delay()
        tasks.send_reminders.delay()

    reminders = Notification.objects.filter(kind=Kind.REMINDER)
    assert [(row.booking, row.recipient, row.status) for row in reminders] == [
        (world.due, "ada@example.com", Status.SENT)
    ]
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]
    world.due.refresh_from_db()
    assert world.due.reminder_sent_at == at("2030-03-03 12:00")
    for other in (world.later, world.started, world.pending):
        other.refresh_from_db()
        assert other.reminder_sent_at is None


def test_a_reminder_names_the_start_in_the_venue_zone_and_carries_a_working_manage_link(
    reminder_world, celery_delivery, committing, mailoutbox
):
    world = reminder_world
    with time_machine.travel(at("2030-03-03 12:00"), tick=False), committing():
        tasks.send_reminders.delay()

    [message] = mailoutbox
    assert world.due.reference in message.subject
    assert "starts on Monday 4 March 2030 at 10:00 (Europe/Madrid time)" in message.body
    token = re.search(r"/manage/([A-Za-z0-9_-]+)/", message.body).group(1)
    world.due.refresh_from_db()
    assert world.due.manage_token_matches(token)
    [row] = Notification.objects.filter(kind=Kind.REMINDER)
    assert token not in row.body_text  # the stored row holds the placeholder only
    assert row.sealed_manage_url == ""


def test_a_reminder_is_logged_as_the_system_and_leaves_updated_at_alone(
    reminder_world, celery_delivery
):
    world = reminder_world
    updated_at = Booking.objects.get(pk=world.due.pk).updated_at
    with time_machine.travel(at("2030-03-03 12:00"), tick=False):
        tasks.send_reminders.delay()

    entry = LogEntry.objects.get(booking=world.due, action=LogEntry.Action.REMINDER_SENT)
    assert entry.actor_kind == ActorKind.SYSTEM
    assert entry.data["new_manage_link"] is True
    assert Booking.objects.get(pk=world.due.pk).updated_at == updated_at


def test_no_reminders_when_the_hours_are_zero(reminder_world, settings, celery_delivery):
    settings.VENUEDESK_REMINDER_HOURS = 0
    with time_machine.travel(at("2030-03-03 12:00"), tick=False):
        tasks.send_reminders.delay()

    assert not Notification.objects.filter(kind=Kind.REMINDER).exists()


def test_an_sms_only_reminder_keeps_the_manage_link_the_customer_has(
    world, settings, celery_delivery, committing
):
    settings.VENUEDESK_REMINDER_HOURS = 24
    booking = world.book(approve=True, notify_email=False, notify_sms=True)
    token_hash = Booking.objects.get(pk=booking.pk).manage_token_hash
    world.customer.phone = "+34 600 2"
    world.customer.save()

    with time_machine.travel(at("2030-03-03 12:00"), tick=False), committing():
        tasks.send_reminders.delay()

    [row] = Notification.objects.filter(kind=Kind.REMINDER)
    assert row.channel == Notification.Channel.SMS
    assert "(Europe/Madrid time)" in row.body_text
    assert Booking.objects.get(pk=booking.pk).manage_token_hash == token_hash


# -- the no-show policy -------------------------------------------------------------------------


@pytest.fixture
def no_show_world(world):
    world.form.no_show_after_minutes = 30
    world.form.save()

    def book(start, end, *, form=world.form, approve=True):
        return world.book(
            start=start, end=end, space=world.zone, places=2, approve=approve, booking_form=form
        )

    world.overdue = book("2030-03-04 10:00", "2030-03-04 12:00")
    world.just_started = book("2030-03-04 10:30", "2030-03-04 12:00")
    world.arrived = book("2030-03-04 09:00", "2030-03-04 12:00")
    world.without_policy = book("2030-03-04 08:00", "2030-03-04 12:00", form=None)
    world.pending = book("2030-03-04 08:00", "2030-03-04 11:00", approve=False)
    return world


def test_the_no_show_policy_marks_only_approved_bookings_nobody_arrived_for_past_the_minutes(
    no_show_world,
):
    world = no_show_world
    with time_machine.travel(at("2030-03-04 10:40"), tick=False):
        booking_arrive(actor=world.actors["front_desk"], booking=world.arrived)
        tasks.mark_no_shows.delay()
        tasks.mark_no_shows.delay()

    statuses = {
        name: Booking.objects.get(pk=getattr(world, name).pk).status
        for name in ("overdue", "just_started", "arrived", "without_policy", "pending")
    }
    assert statuses == {
        "overdue": BookingStatus.NO_SHOW,
        "just_started": BookingStatus.APPROVED,
        "arrived": BookingStatus.ARRIVED,
        "without_policy": BookingStatus.APPROVED,
        "pending": BookingStatus.PENDING,
    }


def test_a_no_show_by_policy_is_logged_once_as_an_automatic_action_of_the_system(no_show_world):
    world = no_show_world
    with time_machine.travel(at("2030-03-04 10:40"), tick=False):
        tasks.mark_no_shows.delay()
        tasks.mark_no_shows.delay()

    entries = LogEntry.objects.filter(action=LogEntry.Action.NO_SHOW)
    # Nobody checked in the party of 9:00 here either: it is marked too, once.
    assert sorted(entry.booking_id for entry in entries) == [world.overdue.pk, world.arrived.pk]
    entry = entries.get(booking=world.overdue)
    assert entry.actor_kind == ActorKind.SYSTEM
    assert entry.user is None
    assert entry.from_status == BookingStatus.APPROVED
    assert entry.comment.startswith("Automatic: nobody had arrived 30 minutes after the start")


# -- the outbox sweep and a mail-server outage ------------------------------------------------


class OutageBackend(BaseEmailBackend):
    """A mail server that refuses connections while `down`, then accepts every message."""

    down = True
    refused = 0

    def send_messages(self, email_messages):
        if OutageBackend.down:
            OutageBackend.refused += 1
            raise ConnectionRefusedError(111, "Connection refused")
        mail.outbox.extend(email_messages)
        return len(email_messages)


@pytest.fixture
def mail_server_outage(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.OutageBackend"
    OutageBackend.down, OutageBackend.refused = True, 0
    yield OutageBackend
    OutageBackend.down = True


def test_bookings_made_during_a_mail_outage_are_all_delivered_after_it_none_lost(
    world, mail_server_outage, celery_delivery, committing, mailoutbox
):
    references = []
    for day in range(1, 8):
        with committing():
            created = world.book_as_customer(
                space_lines=[
                    SpaceLineIn(
                        space=world.room,
                        starts_at=at(f"2030-04-0{day} 10:00"),
                        ends_at=at(f"2030-04-0{day} 12:00"),
                        places=4,
                    )
                ]
            )
        references.append(created.booking.reference)
    rows = Notification.objects.filter(booking__reference__in=references)
    # Each booking tells the customer and the staff address: 14 messages, none out yet.
    assert rows.count() == 14
    assert mail_server_outage.refused == 14
    assert set(rows.values_list("status", "attempts")) == {(Status.PENDING, 1)}

    mail_server_outage.down = False
    with time_machine.travel(timedelta(minutes=2)):
        tasks.sweep_outbox.delay()

    assert rows.filter(status=Status.SENT).count() == 14
    assert not rows.exclude(status=Status.SENT).exists()
    assert len(mailoutbox) == 14
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        ["guest@example.com"] * 7 + ["staff@harbour.example"] * 7
    )
    for reference in references:
        assert sum(reference in message.subject for message in mailoutbox) == 2


def test_the_sweep_gives_up_after_the_maximum_attempts_and_the_row_is_failed(
    world, settings, mail_server_outage, celery_delivery, committing
):
    settings.VENUEDESK_NOTIFICATION_MAX_ATTEMPTS = 3
    with committing():
        booking = world.book(approve=True)  # one approval e-mail to the customer
    [row] = Notification.objects.filter(booking=booking)

    for minutes in (2, 10, 30, 90):  # past each back-off (1, 5, 15 minutes), and once more
        with time_machine.travel(timedelta(minutes=minutes)):
            tasks.sweep_outbox.delay()

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert mail_server_outage.refused == 3


def test_the_sweep_queues_only_rows_that_are_due(
    world, mail_server_outage, celery_delivery, committing
):
    with committing():
        booking = world.book(approve=True)
    [row] = Notification.objects.filter(booking=booking)

    tasks.sweep_outbox.delay()  # within the first back-off minute

    row.refresh_from_db()
    assert row.attempts == 1
    assert mail_server_outage.refused == 1


def test_another_outbox_joins_the_sweep_and_one_failing_does_not_stop_the_others(monkeypatch):
    calls = []

    def requeue_webhooks(now, limit):
        calls.append(limit)
        return 2

    def broken(now, limit):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "OUTBOX_SWEEPS", [broken, *tasks.OUTBOX_SWEEPS])
    tasks.outbox_sweep(requeue_webhooks)

    queued = tasks.sweep_outbox()

    assert queued == {
        "requeue_due_notifications": 0,
        "requeue_due_webhooks": 0,  # the real webhook outbox (bookings.tasks)
        "requeue_webhooks": 2,
    }
    assert calls == [tasks.SWEEP_LIMIT]


def test_a_broker_that_is_down_fails_neither_the_booking_nor_its_notifications(
    world, settings, committing, caplog
):
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "celery"
    with tasks_sent_to("redis://127.0.0.1:9/0"), committing():  # nobody listens on port 9
        booking = world.book(approve=True)

    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.APPROVED
    [row] = Notification.objects.filter(booking=booking)
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert "the outbox sweep or send_notifications sends it later" in caplog.text


def test_run_periodic_tasks_command_reminds_and_marks_no_shows_without_a_broker(no_show_world):
    world = no_show_world
    world.book(start="2030-03-05 09:00", end="2030-03-05 10:00", approve=True)
    out = StringIO()

    with time_machine.travel(at("2030-03-04 10:40"), tick=False):
        call_command("run_periodic_tasks", stdout=out)

    # Today's bookings have started: only tomorrow's is reminded. Nobody checked in the
    # parties of 9:00 and 10:00, past the form's 30 minutes.
    assert out.getvalue().strip() == "Reminders queued 1, no-shows marked 2"


def test_celery_delivery_without_a_broker_is_warned_about(settings):
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "celery"
    settings.CELERY_BROKER_URL = ""

    ids = [message.id for message in run_checks() if message.id.startswith("bookings.")]

    assert ids == ["bookings.W002"]


def test_a_manager_sets_a_forms_no_show_policy_and_the_api_shows_it(world):
    booking_form_save(
        actor=world.actors["manager"], form=world.form, changes={"no_show_after_minutes": 15}
    )

    world.form.refresh_from_db()
    assert world.form.no_show_after_minutes == 15
    assert BookingFormSerializer(world.form).data["no_show_after_minutes"] == 15
