"""seed_demo: believable, complete, idempotent; and the app it seeds is served."""

import http.cookiejar
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from bookings.demo import DEMO_PASSWORD, ORG_SLUG
from bookings.models import Booking, BookingStatus, LogEntry, Payment, SpaceBooking
from venues.models import Membership, OrganizationAPIKey

ROOT = Path(__file__).resolve().parents[2]


def model_counts() -> dict[str, int]:
    models = [
        *apps.get_app_config("venues").get_models(),
        *apps.get_app_config("bookings").get_models(),
        *apps.get_app_config("auth").get_models(),
    ]
    return {model._meta.label: model.objects.count() for model in models}


@pytest.fixture
def seeded(db) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_twice_changes_nothing(seeded):
    first = model_counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert model_counts() == first
    assert "already present" in out.getvalue()


def test_seed_demo_tells_the_truth_about_the_api_key_the_first_time_and_after(seeded):
    # `make run` points at what seed_demo printed: "see 'Demo API key' above".
    [pointer] = re.findall(r"see '([^']+)' above", (ROOT / "Makefile").read_text())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    again = out.getvalue()

    secret = re.search(rf"^{pointer}.*: (\S+)$", seeded, re.MULTILINE).group(1)
    assert OrganizationAPIKey.objects.get_from_key(secret).organization.slug == ORG_SLUG
    assert pointer in again
    assert secret not in again  # only its hash is kept; it cannot be shown twice
    command = re.search(r"manage\.py (create_api_key .*)$", again, re.MULTILINE).group(1)
    created = StringIO()
    call_command(*shlex.split(command.replace("NAME", "'My test key'")), stdout=created)
    new_secret = created.getvalue().splitlines()[-1]
    assert OrganizationAPIKey.objects.get_from_key(new_secret).scopes == [
        "approve",
        "read",
        "write",
    ]


def test_seed_demo_creates_every_kind_of_object(seeded):
    empty = [label for label, count in model_counts().items() if count == 0]
    assert sorted(empty) == ["auth.Group", "bookings.IdempotencyKey"]  # API replay cache


def test_seed_demo_has_about_fifty_bookings_in_every_state_with_their_log(seeded):
    bookings = Booking.objects.all()
    assert 45 <= bookings.count() <= 60
    assert set(bookings.values_list("status", flat=True)) == set(BookingStatus.values)
    for booking in bookings:
        log = list(booking.log_entries.all())
        assert log[0].action == LogEntry.Action.CREATED
        assert log[0].created_at == booking.created_at
        assert log[-1].to_status == booking.status


def test_seed_demo_writes_bookings_through_the_services_priced_paid_and_logged(seeded):
    """The management-command door: every total is the services' sum of priced lines, and
    every payment moved the paid amount and the balance and is in the log."""
    bookings = Booking.objects.prefetch_related(
        "space_bookings", "event_bookings", "inventory_bookings", "payments", "log_entries"
    )
    for booking in bookings:
        lines = [
            *booking.space_bookings.all(),
            *booking.event_bookings.all(),
            *booking.inventory_bookings.all(),
        ]
        assert booking.total_gross == sum(line.gross for line in lines), booking
        assert booking.total_net + booking.total_vat == booking.total_gross, booking
        payments = list(booking.payments.all())
        assert booking.amount_paid == sum(payment.amount for payment in payments), booking
        assert booking.balance == booking.total_gross - booking.amount_paid, booking
        logged = [
            entry.data["payment"]
            for entry in booking.log_entries.all()
            if entry.action == LogEntry.Action.PAYMENT_RECORDED
        ]
        assert sorted(logged) == sorted(payment.pk for payment in payments), booking
    assert bookings.filter(total_gross__gt=0).count() > len(bookings) // 2
    assert Payment.objects.exists()


def test_seed_demo_spreads_bookings_over_past_and_coming_weeks(seeded):
    now = timezone.now()
    assert Booking.objects.filter(starts_at__lt=now - timedelta(days=14)).exists()
    assert Booking.objects.filter(starts_at__gt=now + timedelta(days=14)).exists()
    assert Booking.objects.filter(starts_at__date=timezone.localdate()).exists()


def test_seed_demo_never_double_books_an_exclusive_space(seeded):
    held = SpaceBooking.objects.filter(holds_capacity=True, exclusive_space=True)
    for line in held:
        overlapping = held.filter(
            space=line.space,
            occupied_from__lt=line.occupied_until,
            occupied_until__gt=line.occupied_from,
        ).exclude(pk=line.pk)
        assert not overlapping.exists(), line


def test_seed_demo_prints_a_login_for_each_role(seeded):
    for role in Membership.Role.values:
        assert re.search(rf"\b{role}\b", seeded)
    assert "superuser" in seeded
    assert DEMO_PASSWORD in seeded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_served_app_answers_after_seed_demo(tmp_path):
    """The `make run` path end to end: migrate, seed, serve, log in."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_DEBUG": "true",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v0"], ["seed_demo"]):
        subprocess.run([*manage, *command], env=env, check=True, capture_output=True, cwd=ROOT)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                page = opener.open(f"{base}/admin/login/", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        html = page.read().decode()
        assert page.status == 200
        assert "Venuedesk" in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": "admin",
                "password": DEMO_PASSWORD,
                "next": "/admin/",
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"}
        )
        index = opener.open(request, timeout=10)
        assert index.url == f"{base}/admin/"
        assert "Log out" in index.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
