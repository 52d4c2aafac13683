"""The notification outbox: rows written with the booking change, delivered after it commits.

`queue()` renders the messages and stores them in the caller's transaction, so a
notification exists exactly when the change it tells about does. `deliver_ids()` sends
them once that transaction has committed; whatever fails is retried by `deliver_due()`
(`manage.py send_notifications`, later a worker) with a growing delay. Delivery never
raises: a mail-server outage leaves rows pending and never touches the booking.
"""

import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from bookings.models import Booking, BookingStatus, ChangeRequest, Notification
from bookings.sms import get_sms_backend

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = Notification.Channel
CHANGE_KINDS = frozenset({Kind.CHANGE_RECEIVED, Kind.CHANGE_APPROVED, Kind.CHANGE_DENIED})

# Wait before the next attempt after the 1st, 2nd… failure; the last step repeats.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)

# How a status reads to the customer (staff see the plain status names).
CUSTOMER_STATUS_LABELS = {
    BookingStatus.PENDING: "Waiting for our confirmation",
    BookingStatus.APPROVED: "Confirmed",
    BookingStatus.DENIED: "Declined",
    BookingStatus.CANCELED: "Canceled",
}

CLOSED_STATUSES = frozenset({BookingStatus.DENIED, BookingStatus.CANCELED})

SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length


@dataclass(frozen=True)
class Note:
    """A customer's note (sanitised HTML) ready for both parts of an e-mail."""

    html: SafeString
    text: str

    @classmethod
    def from_html(cls, value: str) -> "Note":
        # Notes are sanitised when they are stored; cleaning again costs little and
        # keeps a mail safe even if some door forgot.
        return cls(
            html=mark_safe(nh3.clean(value or "")),
            text=html.unescape(strip_tags(value or "")).strip(),
        )


# -- queueing (inside the caller's transaction) ----------------------------------------------


def queue(
    *,
    booking: Booking,
    kind: str,
    change_request: ChangeRequest | None = None,
    message: str = "",
    send_email: bool = True,
    send_sms: bool = False,
    manage_url: str = "",
) -> list[Notification]:
    """Write the notifications of `kind` about `booking` to the outbox; send them after commit.

    Call it inside the service's `transaction.atomic()`: the rows commit or roll back with
    the change, and delivery starts only once it has committed.
    - `staff_new_request`: one e-mail to each address of the booking form's notify list
      (none without a form or addresses); `send_email` / `send_sms` do not apply.
    - every other kind goes to the customer: an e-mail to `booking.notify_address` when
      `send_email`, an SMS to the contact phone when `send_sms`, each only if it exists.
    - `change_*` kinds need the `change_request`.
    The messages are rendered now, from templates/emails/<kind>.*, so a row holds exactly
    what is sent. `message` is the staff's message to the customer; `manage_url` (absolute,
    or a path on VENUEDESK_SITE_URL) is the customer's private link, known only at creation.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    if kind in CHANGE_KINDS and change_request is None:
        raise ValueError(f"A {kind} notification needs the change request.")

    recipients = _recipients(booking, kind, send_email=send_email, send_sms=send_sms)
    if not recipients:
        return []
    context = _context(
        booking, kind=kind, change_request=change_request, message=message, manage_url=manage_url
    )
    channels = {channel for channel, _ in recipients}
    rendered = {channel: _render(kind, channel, context) for channel in channels}
    notifications = [
        Notification.objects.create(
            organization_id=booking.organization_id,
            booking=booking,
            change_request=change_request,
            channel=channel,
            kind=kind,
            recipient=recipient,
            **rendered[channel],
        )
        for channel, recipient in recipients
    ]
    ids = [notification.pk for notification in notifications]
    transaction.on_commit(lambda: deliver_ids(ids), robust=True)
    return notifications


def _recipients(
    booking: Booking, kind: str, *, send_email: bool, send_sms: bool
) -> list[tuple[str, str]]:
    if kind == Kind.STAFF_NEW_REQUEST:
        addresses = booking.booking_form.notify_email_list if booking.booking_form else []
        recipients, seen = [], set()
        for address in addresses:
            if address.lower() not in seen:
                seen.add(address.lower())
                recipients.append((Channel.EMAIL, address))
        return recipients
    recipients = []
    if send_email and booking.notify_address:
        recipients.append((Channel.EMAIL, booking.notify_address))
    phone = (booking.contact_phone or booking.customer.phone).strip()
    if send_sms and phone:
        recipients.append((Channel.SMS, phone))
    return recipients


def _context(
    booking: Booking,
    *,
    kind: str,
    change_request: ChangeRequest | None,
    message: str,
    manage_url: str,
) -> dict:
    site_url = settings.VENUEDESK_SITE_URL.rstrip("/")
    space_lines = list(booking.space_bookings.select_related("space", "layout"))
    labels = _answer_labels(booking)
    return {
        "kind": kind,
        "booking": booking,
        "customer": booking.customer,
        "organization": booking.organization,
        "venue": booking.venue,
        "booking_form": booking.booking_form,
        "space_lines": space_lines,
        "event_lines": list(booking.event_bookings.select_related("event", "price")),
        "product_lines": list(booking.inventory_bookings.select_related("product")),
        "status_label": (
            booking.get_status_display()
            if kind == Kind.STAFF_NEW_REQUEST
            else CUSTOMER_STATUS_LABELS.get(booking.status, booking.get_status_display())
        ),
        # Denied or canceled: nothing is held, so nothing is "still to pay".
        "is_closed": booking.status in CLOSED_STATUSES,
        "message": message.strip(),
        "request_note": Note.from_html(booking.request_note),
        "answers": [
            (labels.get(key, _humanize(key)), _display(value, booking.venue.tzinfo))
            for key, value in (booking.answers or {}).items()
            if value not in (None, "", [])
        ],
        "change_request": change_request,
        "change_note": Note.from_html(change_request.request_note if change_request else ""),
        "requested_changes": (
            _describe_changes(
                change_request, labels=labels, space_lines=space_lines, tz=booking.venue.tzinfo
            )
            if change_request
            else []
        ),
        "manage_url": _absolute(manage_url, site_url),
        "staff_url": _absolute(_staff_path(booking), site_url),
        "site_url": site_url,
    }


def _render(kind: str, channel: str, context: dict) -> dict:
    """The fields of a row: subject and bodies, rendered in the venue's time zone."""
    with (
        timezone.override(context["venue"].tzinfo),
        translation.override(settings.LANGUAGE_CODE),
    ):
        if channel == Channel.SMS:
            body = render_to_string(f"emails/{kind}.sms.txt", context)
            return {"subject": "", "body_text": " ".join(body.split()), "body_html": ""}
        subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
        return {
            "subject": Truncator(subject).chars(SUBJECT_MAX_LENGTH),
            "body_text": _tidy_text(render_to_string(f"emails/{kind}.txt", context)),
            "body_html": render_to_string(f"emails/{kind}.html", context).strip() + "\n",
        }


def _tidy_text(text: str) -> str:
    # Template tags leave blank lines and trailing spaces behind; a plain-text mail
    # reads better with at most one empty line between paragraphs.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _absolute(url: str, site_url: str) -> str:
    return f"{site_url}{url}" if url.startswith("/") else url


def _staff_path(booking: Booking) -> str:
    try:
        return reverse("admin:bookings_booking_change", args=[booking.pk])
    except NoReverseMatch:
        return ""


def _answer_labels(booking: Booking) -> dict[str, str]:
    if booking.booking_form is None:
        return {}
    return dict(booking.booking_form.custom_fields.values_list("key", "label"))


def _humanize(key: str) -> str:
    return str(key).replace("_", " ").strip().capitalize()


def _display(value, tz: ZoneInfo) -> str:
    """A value of answers or requested changes as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_display(item, tz) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{_humanize(k).lower()} {_display(v, tz)}" for k, v in value.items())
    if isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is not None:
            # Naive times are venue-local already (DESIGN §9).
            local = timezone.localtime(moment, tz) if timezone.is_aware(moment) else moment
            return _format_local(local)
    return str(value)


def _format_local(moment: datetime) -> str:
    return dateformat.format(moment, "D j M Y, H:i")


def _describe_changes(
    change_request: ChangeRequest, *, labels: dict[str, str], space_lines: list, tz: ZoneInfo
) -> list[str]:
    """What a change request asks for, one line per change (shape: ChangeRequest docstring)."""
    if change_request.is_cancellation:
        return ["Cancel the booking"]
    changes = change_request.changes if isinstance(change_request.changes, dict) else {}
    lines_by_id = {line.pk: line for line in space_lines}
    described = []
    for key, value in changes.items():
        if key == "contact" and isinstance(value, dict):
            described += [f"{_humanize(k)}: {_display(v, tz)}" for k, v in value.items()]
        elif key == "answers" and isinstance(value, dict):
            described += [
                f"{labels.get(k, _humanize(k))}: {_display(v, tz)}" for k, v in value.items()
            ]
        elif key == "space_lines" and isinstance(value, list):
            for item in value:
                if not isinstance(item, dict):
                    continue
                line = lines_by_id.get(item.get("id"))
                name = line.space.name if line else "New space line"
                details = {k: v for k, v in item.items() if k != "id"}
                described.append(f"{name}: {_display(details, tz)}")
        else:
            described.append(f"{_humanize(key)}: {_display(value, tz)}")
    return described


# -- delivery (after commit, and retries) -------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 min, 5, 15, 60, then 4 h)."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def deliver(notification: Notification) -> bool:
    """Send one notification now and record the outcome on its row; True when it was sent.

    Any exception from the mail or SMS backend counts as a failed attempt: the row stays
    pending with the error and a later next_attempt_at (see `retry_delay`), or becomes
    failed once VENUEDESK_NOTIFICATION_MAX_ATTEMPTS is reached. Never raises. It sends
    whatever row it is given; callers pick pending rows (`deliver_ids`, `deliver_due`).
    """
    now = timezone.now()
    notification.attempts += 1
    try:
        _send(notification)
    except Exception as error:
        _note_failure(notification, error, now)
    else:
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
    try:
        # A savepoint when the caller holds a transaction: a failed write spoils nothing there.
        with transaction.atomic():
            notification.save(
                update_fields=["status", "attempts", "last_error", "next_attempt_at", "sent_at"]
            )
    except Exception:
        logger.exception(
            "Could not record the delivery of notification %s (%s); it may be sent again.",
            notification.pk,
            notification.status,
        )
    return notification.status == Notification.Status.SENT


def _send(notification: Notification) -> None:
    if notification.channel == Channel.SMS:
        get_sms_backend().send(notification.recipient, notification.body_text)
        return
    organization_email = notification.organization.email
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        reply_to=[organization_email] if organization_email else None,
        headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no auto-replies, please
    )
    if notification.body_html:
        email.attach_alternative(notification.body_html, "text/html")
    email.send()


def _note_failure(notification: Notification, error: Exception, now: datetime) -> None:
    max_attempts = settings.VENUEDESK_NOTIFICATION_MAX_ATTEMPTS
    notification.last_error = f"{type(error).__name__}: {error}"
    notification.next_attempt_at = now + retry_delay(notification.attempts)
    description = (
        f"{notification.get_kind_display()} {notification.get_channel_display()} "
        f"#{notification.pk} to {notification.recipient}"
    )
    if notification.attempts >= max_attempts:
        notification.status = Notification.Status.FAILED
        logger.error(
            "Gave up sending %s after %d attempts: %s",
            description,
            notification.attempts,
            notification.last_error,
            exc_info=error,
        )
    else:
        logger.warning(
            "Could not send %s (attempt %d of %d, next at %s): %s",
            description,
            notification.attempts,
            max_attempts,
            notification.next_attempt_at.isoformat(),
            notification.last_error,
            exc_info=error,
        )


def _deliver_pending(pk: int, *, due_by: datetime | None = None) -> bool | None:
    """Deliver row `pk` if it is still pending (and due); None when there was nothing to do.

    The row stays locked while it is sent, and other workers skip locked rows, so two
    never send the same row. SQLite has no row locks; there the IMMEDIATE transaction
    serialises workers, and the status is read again inside it.
    """
    rows = Notification.objects.filter(pk=pk, status=Notification.Status.PENDING)
    if due_by is not None:
        rows = rows.filter(next_attempt_at__lte=due_by)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    with transaction.atomic():
        notification = rows.first()
        return None if notification is None else deliver(notification)


def deliver_ids(ids: Iterable[int]) -> None:
    """Deliver the notifications `ids` that are still pending (run after the commit)."""
    for pk in ids:
        try:
            _deliver_pending(pk)
        except Exception:
            # The booking change has committed; the row stays pending for deliver_due.
            logger.exception("Delivering notification %s failed unexpectedly.", pk)


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Deliver up to `limit` pending rows whose next attempt is due, longest waiting first.

    Returns (sent, failed attempts). One transaction per row, so a slow mail server holds
    one row at a time and every outcome is committed as soon as it is known.
    """
    now = now or timezone.now()
    due = (
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = failed = 0
    for pk in list(due):
        try:
            outcome = _deliver_pending(pk, due_by=now)
        except Exception:
            logger.exception("Delivering notification %s failed unexpectedly.", pk)
            continue
        if outcome is True:
            sent += 1
        elif outcome is False:
            failed += 1
    return sent, failed
