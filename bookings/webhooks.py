"""Outbound webhooks: deliveries written with the change, POSTed and signed after commit.

`queue_for_logs(entries)` runs for every log entry (bookings.services.common.write_logs), so
every change that is logged is told about, in the same transaction: the log action maps to
one event (`EVENT_OF_ACTION`; entries that only accompany another, such as a withdrawn
change request or an opening-hours override, map to none). For each active endpoint of the
booking's organisation that wants the event, one WebhookDelivery row holds the payload
rendered now, a snapshot of the booking as the API shows it.

The payload is rendered by whoever registered a renderer (`register_payload_renderer`):
the API door does so in its AppConfig.ready(), with its own serializers, because this
layer may not import the doors. Without one, a minimal booking is sent.

After commit, `hand_over()` gives the new rows to VENUEDESK_WEBHOOK_DELIVERY (a Celery task
each with a broker, else a "background" thread; "inline" in tests); the outbox sweep
(bookings.tasks) or `deliver_due_webhooks()` (`manage.py send_webhooks`) sends what is due
again. A delivery is claimed with a lease in one
short UPDATE, POSTed outside any transaction with connect and read timeouts, and recorded in
another UPDATE: 2xx is sent; anything else is retried with a doubling delay until
VENUEDESK_WEBHOOK_MAX_ATTEMPTS, then failed (staff see it in the admin).

Every POST carries `Venuedesk-Event`, `Venuedesk-Delivery` (the delivery's id, the same on
every retry), `Venuedesk-Timestamp` (unix seconds) and `Venuedesk-Signature:
v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. Only http(s) URLs; outside DEBUG, an
address in a private, loopback, link-local or reserved range is refused when the endpoint
is saved and again when it is sent to (the connection goes to the address that was checked),
unless VENUEDESK_WEBHOOKS_ALLOW_PRIVATE.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bookings import sealing
from bookings.models import (
    Booking,
    LogEntry,
    WebhookDelivery,
    WebhookEndpoint,
)
from bookings.notifications import BackgroundDelivery

logger = logging.getLogger(__name__)

Action = LogEntry.Action
Status = WebhookDelivery.Status

SECRET_PURPOSE = "webhook-secret"
SECRET_PREFIX = "whsec_"

# The one event each logged action is (actions missing here accompany another entry).
EVENT_OF_ACTION = {
    Action.CREATED: "booking.created",
    Action.APPROVED: "booking.approved",
    Action.DENIED: "booking.denied",
    Action.CANCELED: "booking.canceled",
    Action.ARRIVED: "booking.arrived",
    Action.SEATED: "booking.seated",
    Action.RELEASED: "booking.released",
    Action.NO_SHOW: "booking.no_show",
    Action.LINE_ADDED: "booking.updated",
    Action.LINE_UPDATED: "booking.updated",
    Action.LINE_REMOVED: "booking.updated",
    Action.CONTACT_UPDATED: "booking.updated",
    Action.DETAILS_UPDATED: "booking.updated",
    # A pending booking's change request is applied at once: the booking changed.
    Action.CHANGE_APPLIED: "booking.updated",
    Action.CHANGE_REQUESTED: "change_request.created",
    Action.CHANGE_APPROVED: "change_request.approved",
    Action.CHANGE_DENIED: "change_request.denied",
    Action.PAYMENT_RECORDED: "payment.recorded",
}


# -- the payload renderer (registered by a door) ------------------------------------------------

PayloadRenderer = Callable[..., dict]


def _minimal_payload(
    *, booking: Booking, change_request_id: int | None, payment_id: int | None
) -> dict:
    data = {"booking": {"id": booking.pk, "reference": booking.reference, "status": booking.status}}
    if change_request_id is not None:
        data["change_request"] = {"id": change_request_id}
    if payment_id is not None:
        data["payment"] = {"id": payment_id}
    return data


_renderer: PayloadRenderer = _minimal_payload


def register_payload_renderer(renderer: PayloadRenderer) -> None:
    """Make `renderer(booking=, change_request_id=, payment_id=)` give each event's `data`:
    a JSON-ready dict with "booking" (and "change_request" or "payment" when given)."""
    global _renderer
    _renderer = renderer


# -- queueing (inside the change's transaction) -------------------------------------------------


def queue_for_logs(entries: Sequence[LogEntry]) -> list[WebhookDelivery]:
    """Write a delivery of the event each entry is, for each endpoint that wants it.

    One query finds the endpoints for all the entries (a booking created and approved at
    once logs two), one writes the deliveries.
    """
    told = [(entry, EVENT_OF_ACTION[entry.action]) for entry in entries if _is_told(entry)]
    if not told:
        return []
    endpoints = list(
        WebhookEndpoint.objects.filter(
            organization_id__in={entry.booking.organization_id for entry, _ in told},
            is_active=True,
        ).values_list("pk", "organization_id", "event_types")
    )
    deliveries = []
    for entry, event in told:
        booking = entry.booking
        wanted = [
            pk
            for pk, organization_id, event_types in endpoints
            if organization_id == booking.organization_id
            and (not event_types or event in event_types)
        ]
        if wanted:
            payload = _payload(entry, event)
            deliveries += [
                WebhookDelivery(endpoint_id=pk, event=event, booking=booking, payload=payload)
                for pk in wanted
            ]
    if not deliveries:
        return []
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: hand_over(ids), robust=True)
    return deliveries


def _is_told(entry: LogEntry) -> bool:
    if entry.action not in EVENT_OF_ACTION:
        return False
    # A cancellation applied at once: booking.canceled told about it.
    return not (entry.action == Action.CHANGE_APPLIED and entry.data.get("changes") == {})


def _payload(entry: LogEntry, event: str) -> dict:
    """The body of `event`: the booking (and request or payment) as the API shows it now."""
    booking = entry.booking
    data = _renderer(
        booking=booking,
        change_request_id=entry.data.get("change_request"),
        payment_id=entry.data.get("payment"),
    )
    return json.loads(
        json.dumps(
            {
                "event": event,
                "occurred_at": entry.created_at,
                "organization_id": booking.organization_id,
                "data": data,
            },
            cls=DjangoJSONEncoder,
        )
    )


# -- secrets and signatures ---------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def seal_secret(secret: str) -> str:
    return sealing.seal(secret, purpose=SECRET_PURPOSE)


def open_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret; raises sealing.Unsealable after a SECRET_KEY change."""
    return sealing.unseal(endpoint.sealed_secret, purpose=SECRET_PURPOSE)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Venuedesk-Signature header of `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


# -- where a webhook may go ---------------------------------------------------------------------


class AddressRefused(ValueError):
    """The URL is not http(s), or its host is (or resolves to) a private address."""


def allow_private() -> bool:
    return settings.DEBUG or settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE


def _is_public(address: str) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, shared,
    reserved, documentation or multicast)."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone names a local link
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and "%" not in address


def _parts(url: str):
    """The URL split, and its port; raises AddressRefused for anything but http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise AddressRefused("The URL names no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("The URL's port is not a number between 0 and 65535.") from None
    return parts, port


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of `url`; raises AddressRefused.

    The host is resolved here, and every address it has must be public unless private
    ones are allowed; the first is the one to connect to (so a later DNS answer cannot
    swap in another)."""
    parts, port = _parts(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"The host {parts.hostname} cannot be resolved ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private():
        refused = [address for address in addresses if not _is_public(address)]
        if refused:
            raise AddressRefused(
                f"The host {parts.hostname} is on a private, loopback or reserved address "
                f"({', '.join(refused)}); webhooks go to public addresses only."
            )
    return parts.scheme, parts.hostname, port, addresses[0]


def check_url(url: str) -> None:
    """Refuse, as a ValidationError on `url`, an address a webhook may not go to (the host
    is resolved only where private addresses are refused)."""
    try:
        if allow_private():
            _parts(url)
        else:
            resolve(url)
    except AddressRefused as error:
        raise ValidationError({"url": str(error)}) from None


# -- hand-over after commit ---------------------------------------------------------------------

INLINE, BACKGROUND, CELERY = "inline", "background", "celery"


def hand_over(ids: list[int]) -> None:
    """Start delivering the rows `ids` just committed (VENUEDESK_WEBHOOK_DELIVERY says how:
    a Celery task each, this process's delivery thread, or here and now); what is not
    delivered waits for the outbox sweep (bookings.tasks) or `deliver_due_webhooks()`."""
    mode = settings.VENUEDESK_WEBHOOK_DELIVERY
    if mode == CELERY:
        _queue_for_workers(ids)
    elif mode == BACKGROUND:
        background.submit(ids)
    elif mode == INLINE:
        deliver_ids(ids)
    else:
        logger.error(
            "VENUEDESK_WEBHOOK_DELIVERY=%r is not one of celery, background, inline; webhook "
            "deliveries %s are left to send_webhooks.",
            mode,
            ids,
        )


def _queue_for_workers(ids: Iterable[int]) -> None:
    # Imported here: the tasks module imports this one.
    from bookings.tasks import deliver_webhook as deliver_webhook_task

    for pk in ids:
        try:
            deliver_webhook_task.delay(pk)
        except Exception:  # the broker is down: the row waits for the next sweep
            logger.exception("Could not queue webhook delivery %s for the workers.", pk)


def deliver_ids(ids: Iterable[int]) -> None:
    for pk in ids:
        deliver_webhook(pk)


background = BackgroundDelivery(deliver_ids, name="venuedesk-webhooks", kind="webhooks")


# -- delivery: claim, POST outside any transaction, record --------------------------------------

# The longest wait between two attempts.
MAX_RETRY_DELAY = timedelta(hours=6)
# How much of the receiver's answer is kept with a failed attempt.
ANSWER_KEPT = 500


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the base, doubling each time."""
    base = timedelta(seconds=settings.VENUEDESK_WEBHOOK_RETRY_SECONDS)
    return min(base * 2 ** (max(attempts, 1) - 1), MAX_RETRY_DELAY)


def claim_lease() -> timedelta:
    """How long a claimed delivery is left to its worker before another may try it again."""
    longest = settings.VENUEDESK_WEBHOOK_CONNECT_TIMEOUT + settings.VENUEDESK_WEBHOOK_READ_TIMEOUT
    return max(timedelta(minutes=1), timedelta(seconds=3 * longest))


def deliver_webhook(delivery_id: int, *, due_by: datetime | None = None) -> bool | None:
    """Claim, POST and record one delivery: True sent, False failed attempt, None when it
    was not pending and due (sent, given up, or claimed by another worker). Never raises:
    the change it tells about has committed."""
    try:
        claimed = _claim(delivery_id, due_by=due_by)
        return None if claimed is None else _attempt(claimed)
    except Exception:
        logger.exception("Delivering webhook %s failed unexpectedly.", delivery_id)
        return None


def deliver_due_webhooks(*, now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Deliver up to `limit` pending deliveries whose next attempt is due, oldest first.

    Returns (sent, failed attempts); safe to run from several workers at once."""
    now = now or timezone.now()
    outcomes = [deliver_webhook(pk, due_by=now) for pk in due_ids(now=now, limit=limit)]
    return outcomes.count(True), outcomes.count(False)


def due_ids(*, now: datetime, limit: int) -> list[int]:
    """The ids of up to `limit` pending deliveries whose next attempt is due, oldest first."""
    return list(
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def _claim(pk: int, *, due_by: datetime | None = None) -> WebhookDelivery | None:
    """Take delivery `pk` for one attempt in one UPDATE (as the notification outbox does):
    it counts the attempt and moves next_attempt_at a lease ahead, so that no other worker
    finds it due meanwhile."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=pk, status=Status.PENDING, next_attempt_at__lte=due_by or now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + claim_lease())
    if claimed != 1:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=pk)


class NotDelivered(Exception):
    """The receiver did not take it (`status_code` when it answered); `final` when no
    later attempt can do better."""

    def __init__(self, message: str, status_code: int | None = None, final: bool = False):
        super().__init__(message)
        self.status_code = status_code
        self.final = final


def _attempt(delivery: WebhookDelivery) -> bool:
    give_up = False
    try:
        status_code = _post(delivery)
    except sealing.Unsealable as error:
        outcome = _failure(delivery, f"The endpoint's secret cannot be opened: {error}")
        give_up = True
    except NotDelivered as error:
        outcome = _failure(delivery, str(error), status_code=error.status_code)
        give_up = error.final
    except (OSError, http.client.HTTPException, AddressRefused) as error:
        outcome = _failure(delivery, f"{type(error).__name__}: {error}")
    else:
        outcome = {
            "status": Status.SENT,
            "delivered_at": timezone.now(),
            "last_status_code": status_code,
            "last_error": "",
        }
    if give_up or (
        outcome["status"] == Status.PENDING
        and delivery.attempts >= settings.VENUEDESK_WEBHOOK_MAX_ATTEMPTS
    ):
        outcome["status"] = Status.FAILED
        logger.error(
            "Gave up webhook delivery %s (%s to %s) after %d attempts: %s",
            delivery.pk,
            delivery.event,
            delivery.endpoint.url,
            delivery.attempts,
            outcome["last_error"],
        )
    _record(delivery, outcome)
    return outcome["status"] == Status.SENT


def _failure(delivery: WebhookDelivery, error: str, *, status_code: int | None = None) -> dict:
    next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    logger.warning(
        "Webhook delivery %s (%s to %s), attempt %d: %s; next at %s",
        delivery.pk,
        delivery.event,
        delivery.endpoint.url,
        delivery.attempts,
        error,
        next_attempt_at.isoformat(),
    )
    return {
        "status": Status.PENDING,
        "last_status_code": status_code,
        "last_error": error,
        "next_attempt_at": next_attempt_at,
    }


def _record(delivery: WebhookDelivery, outcome: dict) -> None:
    """Write the outcome of the attempt this worker claimed, unless another took it over."""
    for field, value in outcome.items():
        setattr(delivery, field, value)
    with transaction.atomic():
        recorded = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts
        ).update(**outcome)
    if not recorded:
        logger.warning("Webhook delivery %s was taken over by another worker.", delivery.pk)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def _post(delivery: WebhookDelivery) -> int:
    """POST the delivery to its endpoint; the 2xx status, else raise NotDelivered (or the
    connection's OSError). Redirects are not followed: they count as a failure."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        # Given up at once; staff may send it with "Retry now" once it is active again.
        raise NotDelivered("The endpoint is inactive.", final=True)
    secret = open_secret(endpoint)
    scheme, host, port, address = resolve(endpoint.url)
    parts = urlsplit(endpoint.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Venuedesk-Webhooks/1",
        "Venuedesk-Event": delivery.event,
        "Venuedesk-Delivery": str(delivery.pk),
        "Venuedesk-Timestamp": str(timestamp),
        "Venuedesk-Signature": signature(secret, timestamp, body),
    }
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ANSWER_KEPT).decode("utf-8", "replace")
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status
    raise NotDelivered(
        f"HTTP {response.status} {response.reason}: {answer}".strip(), status_code=response.status
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, within the connect timeout; then reads
    with the read timeout. The Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str) -> None:
        super().__init__(host, port, timeout=settings.VENUEDESK_WEBHOOK_CONNECT_TIMEOUT)
        self.address = address

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.settimeout(settings.VENUEDESK_WEBHOOK_READ_TIMEOUT)
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open_socket(), server_hostname=self.host)
