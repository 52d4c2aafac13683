"""No request waits on the mail server: delivery after commit, outside any transaction, timed out.

The mail server here is a real socket on 127.0.0.1 that accepts connections and never
says a word, the way a hanging SMTP server behaves.
"""

import contextlib
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from bookings import notifications
from bookings.models import Notification
from bookings.notifications import BackgroundDelivery, deliver_due, hand_over
from bookings.sms import BaseSMSBackend, get_sms_backend
from tests import factories as f
from tests.bookings.test_api_bookings import url
from tests.bookings.test_api_public import submission
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db

Status = Notification.Status
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Seconds each SMTP attempt may wait; requests must answer well within it (long enough
# that a busy CI machine answers both requests first).
MAIL_TIMEOUT = 8


# -- a mail server that never answers -----------------------------------------------------------


@dataclass
class Connection:
    sock: socket.socket
    opened_at: float
    closed_at: float | None = None
    closed: threading.Event = field(default_factory=threading.Event)


class SilentMailServer:
    """Accepts TCP connections on 127.0.0.1 and never sends the SMTP greeting."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[Connection] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:  # closed
                return
            accepted = Connection(sock=sock, opened_at=time.monotonic())
            with self.changed:
                self.connections.append(accepted)
                self.changed.notify_all()
            threading.Thread(target=self._watch, args=(accepted,), daemon=True).start()

    def _watch(self, accepted: Connection) -> None:
        try:
            while accepted.sock.recv(1024):  # a client waiting for the greeting sends nothing
                pass
        except OSError:
            pass
        accepted.closed_at = time.monotonic()
        accepted.closed.set()

    def connection(self, number: int, timeout: float) -> Connection:
        """The `number`-th connection (1-based), once a client has made it."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.connections) >= number, timeout), (
                f"no connection number {number} within {timeout} s"
            )
            return self.connections[number - 1]

    def close(self) -> None:
        """Stop listening and hang up on every client."""
        self.listener.close()
        with self.changed:
            for accepted in self.connections:
                with contextlib.suppress(OSError):
                    accepted.sock.shutdown(socket.SHUT_RDWR)
                accepted.sock.close()


@pytest.fixture
def silent_mail_server(settings):
    server = SilentMailServer()
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = MAIL_TIMEOUT
    yield server
    server.close()


@pytest.fixture
def background_delivery(settings):
    """Background delivery, and a test that ends only once the thread is idle again."""
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "background"
    yield
    assert notifications.background.wait_until_idle(timeout=3 * MAIL_TIMEOUT)


# -- the finding: a hanging mail server held up requests ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_hanging_mail_server_does_not_hold_up_a_booking_nor_another_writer(
    world, silent_mail_server, background_delivery, settings, mailoutbox
):
    world.form.notify_emails = ""  # one message per booking: to the customer
    world.form.save()
    client = APIClient()

    started = time.monotonic()
    first = client.post(url("public/bookings"), submission(world), format="json")
    first_answered_at = time.monotonic()

    assert first.status_code == 201, first.content
    hanging = silent_mail_server.connection(1, timeout=MAIL_TIMEOUT)
    # Another writer (a second booking) while the mail server keeps the first one waiting;
    # on SQLite a worker holding a transaction there would hold the database's write lock.
    second = client.post(url("public/bookings"), submission(world), format="json")
    second_answered_at = time.monotonic()
    assert second.status_code == 201, second.content
    assert not hanging.closed.is_set()

    # Both answers came while the SMTP connection was open and unanswered…
    assert hanging.closed.wait(timeout=3 * MAIL_TIMEOUT)
    assert first_answered_at < second_answered_at < hanging.closed_at
    # …and well before the attempt gave up (after its timeout, not earlier).
    assert first_answered_at - started < MAIL_TIMEOUT / 2
    assert hanging.closed_at - hanging.opened_at > MAIL_TIMEOUT - 1

    # The worker goes on with the second booking's message; hang up on it at once.
    silent_mail_server.connection(2, timeout=3 * MAIL_TIMEOUT)
    silent_mail_server.close()
    assert notifications.background.wait_until_idle(timeout=3 * MAIL_TIMEOUT)

    rows = list(Notification.objects.order_by("pk"))
    assert [(row.status, row.attempts, row.sent_at) for row in rows] == [("pending", 1, None)] * 2
    assert "timed out" in rows[0].last_error
    assert all(row.next_attempt_at > timezone.now() for row in rows)
    # Not lost: the next run of send_notifications sends both once the server answers.
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    assert deliver_due(now=timezone.now() + timedelta(minutes=2)) == (2, 0)
    assert sorted(email.to[0] for email in mailoutbox) == ["pia@example.com"] * 2


# -- every attempt has a timeout ----------------------------------------------------------------


def test_each_smtp_attempt_is_given_the_email_timeout(settings, mailoutbox):
    settings.EMAIL_TIMEOUT = 7
    notification = f.NotificationFactory()

    with mock.patch(
        "bookings.notifications.get_connection", wraps=mail.get_connection
    ) as get_connection:
        assert notifications.deliver(notification) is True

    assert get_connection.call_args.kwargs["timeout"] == 7
    assert len(mailoutbox) == 1


class TimeoutRecordingSMSBackend(BaseSMSBackend):
    timeouts: list = []

    def send(self, to: str, body: str) -> None:
        self.timeouts.append(self.timeout)


def test_the_sms_backend_is_given_the_sms_timeout(settings):
    settings.VENUEDESK_SMS_BACKEND = f"{__name__}.TimeoutRecordingSMSBackend"
    settings.VENUEDESK_SMS_TIMEOUT = 4
    TimeoutRecordingSMSBackend.timeouts.clear()
    notification = f.NotificationFactory(channel=Notification.Channel.SMS, recipient="+34 600")

    assert notifications.deliver(notification) is True

    assert get_sms_backend().timeout == 4
    assert TimeoutRecordingSMSBackend.timeouts == [4]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VENUEDESK_NOTIFICATION_DELIVERY", "carrier-pigeon"),
        ("EMAIL_TIMEOUT", None),
        ("EMAIL_TIMEOUT", 0),
        ("VENUEDESK_SMS_TIMEOUT", -1),
    ],
)
def test_system_checks_refuse_settings_that_would_stall_or_lose_delivery(settings, name, value):
    setattr(settings, name, value)

    ids = [message.id for message in run_checks() if message.id.startswith("bookings.")]

    assert ids == [
        "bookings.E001" if name == "VENUEDESK_NOTIFICATION_DELIVERY" else "bookings.E002"
    ]


# -- no transaction or lock while the mail server is talked to ----------------------------------


class InspectingBackend(BaseEmailBackend):
    """Records, for each message, whether a transaction was open while it was handed over."""

    in_transaction: list = []

    def send_messages(self, email_messages):
        self.in_transaction.append(connection.in_atomic_block)
        mail.outbox.extend(email_messages)
        return len(email_messages)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_a_message_is_sent(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.InspectingBackend"
    InspectingBackend.in_transaction = []
    rows = f.NotificationFactory.create_batch(2)

    notifications.deliver_ids([rows[0].pk])
    assert deliver_due() == (1, 0)

    assert InspectingBackend.in_transaction == [False, False]
    assert len(mailoutbox) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


class GatedBackend(BaseEmailBackend):
    """Holds each message until the test opens the gate; counts what it was given."""

    sending = threading.Event()
    gate = threading.Event()
    sent: Counter = Counter()

    def send_messages(self, email_messages):
        self.sending.set()
        assert self.gate.wait(timeout=30)
        for message in email_messages:
            self.sent[message.to[0]] += 1
        return len(email_messages)


@pytest.fixture
def gated_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.GatedBackend"
    GatedBackend.sending, GatedBackend.gate, GatedBackend.sent = (
        threading.Event(),
        threading.Event(),
        Counter(),
    )
    yield GatedBackend
    GatedBackend.gate.set()


def in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_being_sent_is_claimed_not_locked_and_another_worker_skips_it(gated_backend):
    notification = f.NotificationFactory(recipient="once@example.com")
    worker = in_thread(deliver_due)
    try:
        assert gated_backend.sending.wait(timeout=10)

        assert deliver_due() == (0, 0)  # the other worker finds it claimed
        with transaction.atomic():  # …and nothing holds the row meanwhile
            Notification.objects.select_for_update(nowait=True).get(pk=notification.pk)
        claimed = Notification.objects.get(pk=notification.pk)
        assert (claimed.status, claimed.attempts) == ("pending", 1)
        assert claimed.next_attempt_at > timezone.now() + timedelta(minutes=4)
    finally:
        gated_backend.gate.set()
        worker.join(timeout=30)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert gated_backend.sent == {"once@example.com": 1}


class SlowBackend(BaseEmailBackend):
    sent: Counter = Counter()
    lock = threading.Lock()

    def send_messages(self, email_messages):
        time.sleep(0.01)  # long enough for the other worker to reach the same row
        with self.lock:
            for message in email_messages:
                self.sent[message.to[0]] += 1
        return len(email_messages)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_due_rows_at_once_send_each_row_once(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    SlowBackend.sent = Counter()
    booking = f.BookingFactory()
    for number in range(30):
        f.NotificationFactory(booking=booking, recipient=f"guest{number}@example.com")
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait(timeout=10)
        results.append(deliver_due())

    workers = [in_thread(worker) for _ in range(2)]
    for thread in workers:
        thread.join(timeout=60)

    assert sum(sent for sent, _ in results) == 30
    assert len(SlowBackend.sent) == 30
    assert set(SlowBackend.sent.values()) == {1}
    assert Notification.objects.filter(status=Status.SENT, attempts=1).count() == 30


# -- the background thread ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_background_hand_over_returns_at_once_and_the_thread_delivers(
    background_delivery, gated_backend, mailoutbox
):
    notification = f.NotificationFactory(recipient="later@example.com")

    hand_over([notification.pk])  # what the commit of the service's transaction calls
    assert gated_backend.sending.wait(timeout=10)  # the thread is sending; we are not

    gated_backend.gate.set()
    assert notifications.background.wait_until_idle(timeout=10)
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert gated_backend.sent == {"later@example.com": 1}


@pytest.mark.django_db(transaction=True)
def test_the_background_thread_closes_its_database_connections_after_each_batch(
    background_delivery, mailoutbox
):
    first, second = f.NotificationFactory.create_batch(2)
    closed_by = []
    close_all = notifications.connections.close_all

    def closing():
        closed_by.append(threading.current_thread().name)
        close_all()

    with mock.patch.object(notifications.connections, "close_all", side_effect=closing):
        for notification in (first, second):
            hand_over([notification.pk])
            assert notifications.background.wait_until_idle(timeout=10)

    assert closed_by == ["venuedesk-notifications"] * 2
    assert len(mailoutbox) == 2


def test_a_forked_process_starts_its_own_delivery_thread():
    delivery = BackgroundDelivery()
    with mock.patch.object(notifications, "deliver_ids") as deliver_ids:
        delivery.submit([1])
        assert delivery.wait_until_idle(timeout=10)
        parent_thread = delivery._thread

        with mock.patch("os.getpid", return_value=-1):  # as seen from a forked child
            delivery.submit([2])
            assert delivery.wait_until_idle(timeout=10)

    assert delivery._thread is not parent_thread
    assert delivery._thread.is_alive()
    assert [call.args[0] for call in deliver_ids.call_args_list] == [[1], [2]]


def test_the_delivery_thread_survives_a_batch_that_fails(caplog):
    delivery = BackgroundDelivery()
    with mock.patch.object(
        notifications, "deliver_ids", side_effect=[DatabaseError("gone"), None]
    ) as deliver_ids:
        delivery.submit([1])
        delivery.submit([2])
        assert delivery.wait_until_idle(timeout=10)

    assert deliver_ids.call_count == 2
    assert "Background delivery of notifications [1] failed" in caplog.text


def test_an_unknown_delivery_mode_leaves_the_rows_for_send_notifications(settings, caplog):
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "carrier-pigeon"
    with mock.patch.object(notifications, "deliver_ids") as deliver_ids:
        hand_over([1, 2])

    deliver_ids.assert_not_called()
    assert "left to send_notifications" in caplog.text
