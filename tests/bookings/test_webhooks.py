"""Outbound webhooks: written with the change, signed, delivered after commit, retried."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient
from werkzeug import Response

from bookings import webhooks
from bookings.models import WEBHOOK_EVENTS, Booking, WebhookDelivery, WebhookEndpoint
from bookings.services import (
    booking_approve,
    booking_arrive,
    booking_cancel,
    booking_deny,
    booking_mark_no_show,
    booking_release,
    booking_seat,
    booking_update,
    change_request_approve,
    change_request_deny,
    change_request_submit,
    payment_record,
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from core.errors import BookingConflict, PermissionDenied, StaleBooking
from venues.models import OrganizationAPIKey

Status = WebhookDelivery.Status


@pytest.fixture(autouse=True)
def _webhooks_to_localhost(settings):
    # The receiver is pytest-httpserver on 127.0.0.1; deliveries go out in the committing
    # thread unless a test asks for the background thread.
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.VENUEDESK_WEBHOOK_DELIVERY = "inline"
    settings.VENUEDESK_WEBHOOK_CONNECT_TIMEOUT = 2
    settings.VENUEDESK_WEBHOOK_READ_TIMEOUT = 2


def endpoint_of(world, httpserver, *, actor="manager", **changes):
    """A new endpoint of the world's organisation for the local receiver, and its secret."""
    made = webhook_endpoint_create(
        actor=world.actors[actor],
        endpoint=WebhookEndpoint(organization=world.organization),
        changes={"url": httpserver.url_for("/hooks"), **changes},
    )
    return made.endpoint, made.secret


def verify(secret: str, headers, body: bytes, *, tolerance: int = 300) -> dict:
    """A receiver's check, as the README shows it: signature, then the timestamp's age."""
    timestamp = headers["Venuedesk-Timestamp"]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    scheme, _, given = headers["Venuedesk-Signature"].partition("=")
    if scheme != "v1" or not hmac.compare_digest(expected, given):
        raise ValueError("bad signature")
    if abs(time.time() - int(timestamp)) > tolerance:
        raise ValueError("too old")
    return json.loads(body)


class Receiver:
    """Records what it was sent; answers the statuses it is given in turn (then 200)."""

    def __init__(self, httpserver, *statuses: int, delay: float = 0):
        self.requests = []
        self.statuses = list(statuses)
        self.delay = delay
        httpserver.expect_request("/hooks", method="POST").respond_with_handler(self.answer)

    def answer(self, request):
        self.requests.append((dict(request.headers), request.get_data()))
        if self.delay:
            time.sleep(self.delay)
        return Response("ok", status=self.statuses.pop(0) if self.statuses else 200)

    def events(self) -> list[str]:
        return [headers["Venuedesk-Event"] for headers, _ in self.requests]


def key_client(organization, *scopes) -> APIClient:
    _, key = OrganizationAPIKey.objects.create_key(
        name="webhooks", organization=organization, scopes=list(scopes)
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def events_of(booking: Booking) -> list[str]:
    return list(
        WebhookDelivery.objects.filter(booking=booking)
        .order_by("id")
        .values_list("event", flat=True)
    )


# -- the event map ------------------------------------------------------------------------------


def test_every_documented_event_is_what_some_logged_action_is():
    assert set(webhooks.EVENT_OF_ACTION.values()) == set(WEBHOOK_EVENTS)


# -- signed delivery to a local receiver --------------------------------------------------------


def test_a_new_booking_reaches_the_receiver_signed_with_the_secret(
    world, httpserver, django_capture_on_commit_callbacks
):
    _, secret = endpoint_of(world, httpserver)
    receiver = Receiver(httpserver)
    with django_capture_on_commit_callbacks(execute=True):
        booking = world.book()

    ((headers, body),) = receiver.requests
    payload = verify(secret, headers, body)
    delivery = WebhookDelivery.objects.get()
    assert headers["Venuedesk-Event"] == "booking.created"
    assert headers["Venuedesk-Delivery"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json"
    assert payload["event"] == "booking.created"
    assert payload["organization_id"] == world.organization.pk
    assert payload["data"]["booking"]["reference"] == booking.reference
    assert payload["data"]["booking"]["status"] == "pending"
    assert payload["data"]["booking"]["spaces"][0]["space_id"] == world.room.pk
    assert delivery.status == Status.SENT
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None


def test_a_tampered_body_or_another_secret_does_not_verify(
    world, httpserver, django_capture_on_commit_callbacks
):
    _, secret = endpoint_of(world, httpserver)
    receiver = Receiver(httpserver)
    with django_capture_on_commit_callbacks(execute=True):
        world.book()
    ((headers, body),) = receiver.requests
    with pytest.raises(ValueError, match="bad signature"):
        verify(secret, headers, body.replace(b"pending", b"approved"))
    with pytest.raises(ValueError, match="bad signature"):
        verify(webhooks.new_secret(), headers, body)


def test_the_secret_is_sealed_at_rest_and_a_rotated_one_signs_from_then_on(world, httpserver):
    endpoint, secret = endpoint_of(world, httpserver)
    assert secret.startswith("whsec_")
    assert secret not in endpoint.sealed_secret
    rotated = webhook_endpoint_rotate_secret(actor=world.actors["manager"], endpoint=endpoint)
    assert rotated.secret != secret
    assert webhooks.open_secret(WebhookEndpoint.objects.get()) == rotated.secret


# -- retries ------------------------------------------------------------------------------------


def test_a_500_is_retried_after_a_growing_delay_and_then_succeeds(
    world, httpserver, django_capture_on_commit_callbacks, settings
):
    settings.VENUEDESK_WEBHOOK_RETRY_SECONDS = 30
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver, 500, 503)
    with django_capture_on_commit_callbacks(execute=True):
        world.book()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
    assert delivery.last_status_code == 500
    assert "HTTP 500" in delivery.last_error
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)
    assert webhooks.deliver_due_webhooks() == (0, 0)  # not due yet: nothing sent

    assert webhooks.deliver_due_webhooks(now=delivery.next_attempt_at) == (0, 1)
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < second_wait <= timedelta(seconds=60)  # doubled

    assert webhooks.deliver_due_webhooks(now=delivery.next_attempt_at) == (1, 0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.SENT, 3, "")
    assert len(receiver.requests) == 3
    assert len({headers["Venuedesk-Delivery"] for headers, _ in receiver.requests}) == 1


def test_after_the_maximum_of_attempts_a_delivery_is_failed_and_sent_no_more(
    world, httpserver, django_capture_on_commit_callbacks, settings
):
    settings.VENUEDESK_WEBHOOK_MAX_ATTEMPTS = 3
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver, *[500] * 10)
    with django_capture_on_commit_callbacks(execute=True):
        world.book()
    later = timezone.now() + timedelta(days=1)
    for _ in range(4):
        webhooks.deliver_due_webhooks(now=later)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 3)
    assert len(receiver.requests) == 3


def test_a_receiver_that_cannot_be_reached_is_a_failed_attempt(world, settings):
    webhook_endpoint_create(
        actor=world.actors["manager"],
        endpoint=WebhookEndpoint(organization=world.organization),
        changes={"url": "http://127.0.0.1:9/closed"},  # the discard port: nobody listens
    )
    world.book()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def test_staff_retry_a_failed_delivery_now(
    world, httpserver, django_capture_on_commit_callbacks, settings
):
    settings.VENUEDESK_WEBHOOK_MAX_ATTEMPTS = 1
    endpoint_of(world, httpserver)
    Receiver(httpserver, 500)
    with django_capture_on_commit_callbacks(execute=True):
        world.book()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.FAILED
    with pytest.raises(PermissionDenied):
        webhook_delivery_retry(actor=world.actors["approver"], delivery=delivery)

    assert webhook_delivery_retry(actor=world.actors["manager"], delivery=delivery) is True
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT


def test_send_webhooks_sends_what_is_due(world, httpserver, settings):
    settings.VENUEDESK_WEBHOOK_DELIVERY = "none"  # nothing handed over: left to the command
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver)
    world.book()
    call_command("send_webhooks")
    assert receiver.events() == ["booking.created"]
    assert WebhookDelivery.objects.get().status == Status.SENT


def test_two_workers_never_send_one_delivery_twice(world, httpserver, settings):
    settings.VENUEDESK_WEBHOOK_DELIVERY = "none"
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver)
    world.book()
    pk = WebhookDelivery.objects.get().pk
    claimed = webhooks._claim(pk)
    assert claimed is not None
    assert webhooks._claim(pk) is None  # leased to the first
    assert webhooks.deliver_due_webhooks() == (0, 0)
    assert receiver.requests == []


# -- never slowing the request ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_hangs_does_not_slow_the_booking_request(world, httpserver, settings):
    settings.VENUEDESK_WEBHOOK_DELIVERY = "background"
    settings.VENUEDESK_WEBHOOK_READ_TIMEOUT = 10
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver, delay=3)
    api = key_client(world.organization, "read", "write")
    body = {
        "customer_id": world.customer.pk,
        "title": "Board meeting",
        # No e-mail after commit: the test database (SQLite in memory, shared between
        # threads) locks a table for a moment where a database file would wait its turn.
        "notify_email": False,
        "spaces": [
            {
                "space_id": world.room.pk,
                "starts_at": "2030-03-04 10:00:00",
                "ends_at": "2030-03-04 12:00:00",
                "places_used": 8,
            }
        ],
    }
    started = time.monotonic()
    response = api.post("/api/v1/bookings", body, format="json")
    took = time.monotonic() - started

    assert response.status_code == 201, response.content
    assert took < 1.5, took  # the receiver takes 3 s to answer
    assert webhooks.background.wait_until_idle(timeout=15)
    assert receiver.events() == ["booking.created"]
    assert WebhookDelivery.objects.get().status == Status.SENT


# -- written with the change, and only then -----------------------------------------------------


def test_a_change_that_fails_writes_no_delivery(world, httpserver):
    endpoint_of(world, httpserver)
    held = world.book(approve=True)
    assert events_of(held) == ["booking.created", "booking.approved"]
    with pytest.raises(BookingConflict):
        world.book(approve=True)  # the same slot
    pending = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    seen = pending.updated_at - timedelta(minutes=1)
    with pytest.raises(StaleBooking):
        booking_approve(actor=world.actors["manager"], booking=pending, client_updated_at=seen)
    assert WebhookDelivery.objects.count() == 3  # created+approved, created


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(world, httpserver):
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver)
    world.book(approve=True)
    with pytest.raises(BookingConflict):
        world.book(approve=True)  # the same slot: rolled back
    assert WebhookDelivery.objects.count() == 2  # the first booking's two events only
    assert receiver.events() == ["booking.created", "booking.approved"]


def test_each_change_through_each_service_is_one_event(world, httpserver):
    endpoint_of(world, httpserver)
    manager = world.actors["manager"]
    booking = world.book()
    assert events_of(booking) == ["booking.created"]

    booking_update(actor=manager, booking=booking, changes={"title": "Board"})
    change_request_submit(
        actor=manager, booking=booking, changes={"contact": {"contact_name": "Ada"}}
    )
    booking_approve(actor=manager, booking=booking)
    payment_record(actor=manager, booking=booking, amount=Decimal("10.00"))
    asked = change_request_submit(
        actor=manager, booking=booking, changes={"contact": {"contact_name": "Bea"}}
    )
    change_request_approve(actor=manager, change_request=asked)
    asked = change_request_submit(
        actor=manager, booking=booking, changes={"contact": {"contact_name": "Cy"}}
    )
    change_request_deny(actor=manager, change_request=asked)
    booking_arrive(actor=manager, booking=booking)
    booking_seat(actor=manager, booking=booking)
    booking_release(actor=manager, booking=booking)
    assert events_of(booking) == [
        "booking.created",
        "booking.updated",  # details
        "booking.updated",  # a pending booking's change, applied at once
        "booking.approved",
        "payment.recorded",
        "change_request.created",
        "change_request.approved",
        "change_request.created",
        "change_request.denied",
        "booking.arrived",
        "booking.seated",
        "booking.released",
    ]

    denied = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    booking_deny(actor=manager, booking=denied)
    canceled = world.book(start="2030-03-06 10:00", end="2030-03-06 12:00")
    booking_cancel(actor=manager, booking=canceled)
    assert events_of(denied) == ["booking.created", "booking.denied"]
    assert events_of(canceled) == ["booking.created", "booking.canceled"]


def test_a_no_show_and_a_cancellation_request_are_one_event_each(world, httpserver):
    endpoint_of(world, httpserver)
    manager = world.actors["manager"]
    past = world.book(start="2020-03-04 10:00", end="2020-03-04 12:00", approve=True)
    booking_mark_no_show(actor=manager, booking=past)
    assert events_of(past)[-1] == "booking.no_show"

    pending = world.book(start="2030-03-07 10:00", end="2030-03-07 12:00")
    change_request_submit(actor=manager, booking=pending, is_cancellation=True)
    assert events_of(pending) == ["booking.created", "booking.canceled"]


def test_the_payment_and_the_change_request_ride_with_the_booking(world, httpserver):
    endpoint_of(world, httpserver)
    manager = world.actors["manager"]
    booking = world.book(approve=True)
    payment_record(actor=manager, booking=booking, amount=Decimal("25.00"), reference="R-1")
    asked = change_request_submit(
        actor=manager, booking=booking, changes={"contact": {"contact_name": "Bea"}}
    )
    payment, request = WebhookDelivery.objects.order_by("-id")[:2][::-1]
    assert payment.payload["data"]["payment"]["reference"] == "R-1"
    assert payment.payload["data"]["booking"]["amount_paid"] == "25.00"
    assert request.payload["data"]["change_request"]["id"] == asked.pk
    assert request.payload["data"]["change_request"]["status"] == "pending"


def test_an_endpoint_gets_only_the_events_it_chose_and_an_inactive_one_none(world, httpserver):
    approvals, _ = endpoint_of(world, httpserver, event_types=["booking.approved"])
    quiet, _ = endpoint_of(world, httpserver, is_active=False)
    world.book(approve=True)
    assert list(WebhookDelivery.objects.values_list("endpoint", "event")) == [
        (approvals.pk, "booking.approved")
    ]
    assert not quiet.deliveries.exists()


def test_an_organisations_events_never_go_to_another_organisations_endpoint(world, httpserver):
    mine, _ = endpoint_of(world, httpserver)
    stranger = world.actors["stranger"]
    theirs = webhook_endpoint_create(
        actor=stranger,
        endpoint=WebhookEndpoint(organization=stranger.user.memberships.get().organization),
        changes={"url": httpserver.url_for("/theirs")},
    ).endpoint
    world.book(approve=True)
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {mine.pk}
    assert not theirs.deliveries.exists()


# -- managing endpoints -------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["approver", "key:approve", "stranger"])
def test_only_a_manager_of_the_organisation_manages_its_endpoints(world, httpserver, actor):
    with pytest.raises(PermissionDenied):
        endpoint_of(world, httpserver, actor=actor)
    assert not WebhookEndpoint.objects.exists()


def test_unknown_events_are_refused_and_chosen_ones_kept_in_order(world, httpserver):
    with pytest.raises(ValidationError) as refused:
        endpoint_of(world, httpserver, event_types=["booking.exploded"])
    assert "booking.exploded" in str(refused.value.message_dict["event_types"])
    endpoint, _ = endpoint_of(
        world, httpserver, event_types=["payment.recorded", "booking.created", "booking.created"]
    )
    assert endpoint.event_types == ["booking.created", "payment.recorded"]


# -- where webhooks may go ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "https://10.1.2.3/hooks",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/",
        "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    ],
)
def test_private_addresses_are_refused_in_production(world, settings, url):
    settings.DEBUG = False
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(
            actor=world.actors["manager"],
            endpoint=WebhookEndpoint(organization=world.organization),
            changes={"url": url},
        )
    assert "public addresses only" in str(refused.value.message_dict["url"])


@pytest.mark.parametrize("url", ["ftp://example.com/hooks", "file:///etc/passwd", "javascript:x"])
def test_only_http_and_https_urls_are_taken(world, url):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(
            actor=world.actors["manager"],
            endpoint=WebhookEndpoint(organization=world.organization),
            changes={"url": url},
        )
    assert "url" in refused.value.message_dict


def test_an_address_that_turned_private_is_refused_at_delivery_time(world, httpserver, settings):
    endpoint, _ = endpoint_of(world, httpserver)  # allowed while it is saved
    receiver = Receiver(httpserver)
    settings.DEBUG = False
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = False
    world.book()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    assert "public addresses only" in delivery.last_error
    assert receiver.requests == []


def test_a_redirect_is_not_followed(world, httpserver):
    endpoint_of(world, httpserver)
    httpserver.expect_request("/hooks").respond_with_data(
        "", status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"}
    )
    world.book()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302


def test_the_update_service_checks_the_url_again(world, httpserver, settings):
    endpoint, _ = endpoint_of(world, httpserver)
    settings.DEBUG = False
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        webhook_endpoint_update(
            actor=world.actors["manager"], endpoint=endpoint, changes={"description": "x"}
        )


# -- the API: managers' staff sessions only -----------------------------------------------------


def staff_client(world, role="manager") -> APIClient:
    client = APIClient()
    client.force_login(world.actors[role].user)
    return client


def test_a_manager_creates_an_endpoint_through_the_api_and_sees_its_secret_once(world, httpserver):
    api = staff_client(world)
    response = api.post(
        "/api/v1/webhooks",
        {"url": httpserver.url_for("/hooks"), "event_types": ["booking.approved"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["booking.approved"]
    assert webhooks.open_secret(WebhookEndpoint.objects.get()) == created["secret"]

    listed = api.get("/api/v1/webhooks").json()["results"]
    shown = api.get(f"/api/v1/webhooks/{created['id']}").json()
    assert [row["id"] for row in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in shown

    changed = api.patch(f"/api/v1/webhooks/{created['id']}", {"is_active": False}, format="json")
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False
    rotated = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (created["secret"], None)
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_the_api_refuses_a_bad_url_and_unknown_events_by_field(world, settings):
    settings.DEBUG = False
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = False
    api = staff_client(world)
    response = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1/x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "url"
    response = api.post(
        "/api/v1/webhooks",
        {"url": "https://hooks.example/", "event_types": ["booking.exploded"]},
        format="json",
    )
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["api key", "approver", "stranger"])
def test_api_keys_and_staff_below_manager_cannot_see_or_make_endpoints(world, httpserver, who):
    endpoint, _ = endpoint_of(world, httpserver)
    if who == "api key":
        api = key_client(world.organization, "read", "write", "approve")
    else:
        api = staff_client(world, who)
    listed = api.get("/api/v1/webhooks")
    if who == "stranger":  # a manager of another organisation: sees only theirs
        assert listed.status_code == 200
        assert listed.json()["results"] == []
    else:
        assert listed.status_code == 403
        made = api.post("/api/v1/webhooks", {"url": "https://hooks.example/"}, format="json")
        assert made.status_code == 403
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 404
    assert WebhookEndpoint.objects.count() == 1


def test_an_approved_cancellation_request_is_the_cancellation_and_the_decision(world, httpserver):
    endpoint_of(world, httpserver)
    manager = world.actors["manager"]
    booking = world.book(approve=True)
    asked = change_request_submit(actor=manager, booking=booking, is_cancellation=True)
    change_request_approve(actor=manager, change_request=asked)
    assert events_of(booking)[-3:] == [
        "change_request.created",
        "booking.canceled",
        "change_request.approved",
    ]


def test_the_booking_in_the_payload_is_the_booking_as_the_api_lists_it(world, httpserver):
    endpoint_of(world, httpserver)
    booking = world.book()
    listed = key_client(world.organization, "read").get(
        f"/api/v1/bookings?search={booking.reference}"
    )
    (row,) = listed.json()["results"]
    assert WebhookDelivery.objects.get().payload["data"]["booking"] == row


def test_a_delivery_to_an_endpoint_deactivated_since_is_given_up_at_once(world, httpserver):
    endpoint, _ = endpoint_of(world, httpserver)
    receiver = Receiver(httpserver)
    world.book()
    webhook_endpoint_update(
        actor=world.actors["manager"], endpoint=endpoint, changes={"is_active": False}
    )
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Status.FAILED, "The endpoint is inactive.")
    assert receiver.requests == []


# -- on Celery (eager here: no broker) ----------------------------------------------------------


def test_with_celery_a_delivery_is_a_task_and_the_sweep_queues_what_is_due(
    world, httpserver, django_capture_on_commit_callbacks, settings
):
    from bookings import tasks

    settings.VENUEDESK_WEBHOOK_DELIVERY = "celery"
    endpoint_of(world, httpserver)
    receiver = Receiver(httpserver, 500)
    with django_capture_on_commit_callbacks(execute=True):
        world.book()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)

    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert tasks.sweep_outbox()["requeue_due_webhooks"] == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert receiver.events() == ["booking.created"] * 2
