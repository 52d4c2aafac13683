"""A real Celery worker (another process) delivers a notification and a webhook through the
local Redis.

The worker reads the test database, so the test commits its data (transactional_db) and
runs on PostgreSQL, as CI does; it is skipped without a Redis at VENUEDESK_TEST_REDIS_URL.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from bookings.models import Notification, WebhookDelivery, WebhookEndpoint
from bookings.services import webhook_endpoint_create
from tests.bookings.celery_broker import tasks_sent_to

REDIS_URL = os.environ.get("VENUEDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PROJECT = Path(__file__).resolve().parents[2]
# How long the worker may take to start and deliver (a busy CI machine is slow to start one).
DELIVERY_TIMEOUT = 60

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker must see the test database: PostgreSQL (CI runs this there)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def redis_broker():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (set VENUEDESK_TEST_REDIS_URL)")
    finally:
        client.close()
    return REDIS_URL


def _test_database_url() -> str:
    """The test database, as a DATABASE_URL another process can use."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_worker(redis_broker, tmp_path):
    """`celery -A config worker` in a subprocess on the test database; always stopped."""
    log = (tmp_path / "worker.log").open("w")
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "insecure-key-for-tests-only"),
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": redis_broker,
        # Per process: the test reads the row's status, not the worker's outbox.
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # The webhook test's receiver listens on 127.0.0.1.
        "VENUEDESK_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield worker
    finally:
        _stop(worker)
        log.close()
        print((tmp_path / "worker.log").read_text())  # shown when the test fails


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)  # a warm shutdown: the solo pool finishes its task
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=15)


def test_a_celery_worker_delivers_the_notification_of_a_booking(world, settings, celery_worker):
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "celery"

    with tasks_sent_to(REDIS_URL):
        booking = world.book(approve=True)  # commits, then queues a task per row

    row = Notification.objects.get(booking=booking)
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while row.status == Notification.Status.PENDING and time.monotonic() < deadline:
        assert celery_worker.poll() is None, "the worker stopped"
        time.sleep(0.25)
        row.refresh_from_db()

    assert row.status == Notification.Status.SENT, row.last_error
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.sealed_manage_url == ""


def test_a_celery_worker_posts_the_webhooks_of_a_booking(
    world, settings, celery_worker, httpserver
):
    settings.VENUEDESK_WEBHOOK_DELIVERY = "celery"
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = True
    webhook_endpoint_create(
        actor=world.actors["manager"],
        endpoint=WebhookEndpoint(organization=world.organization),
        changes={"url": httpserver.url_for("/hooks")},
    )
    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")

    with tasks_sent_to(REDIS_URL):
        booking = world.book(approve=True)  # booking.created and booking.approved

    deadline = time.monotonic() + DELIVERY_TIMEOUT
    rows = WebhookDelivery.objects.filter(booking=booking)
    while rows.exclude(status=WebhookDelivery.Status.SENT).exists():
        assert time.monotonic() < deadline, list(rows.values("status", "last_error"))
        assert celery_worker.poll() is None, "the worker stopped"
        time.sleep(0.25)

    assert sorted(rows.values_list("event", flat=True)) == ["booking.approved", "booking.created"]
    assert sorted(request.headers["Venuedesk-Event"] for request, _ in httpserver.log) == [
        "booking.approved",
        "booking.created",
    ]
