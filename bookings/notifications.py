"""The notification outbox: rows written with the booking change, delivered after it commits.

`queue()` renders the messages and stores them in the caller's transaction, so a
notification exists exactly when the change it tells about does. Once that transaction
has committed, `hand_over()` gives the new rows to the delivery mechanism that
VENUEDESK_NOTIFICATION_DELIVERY names (Celery workers when a broker is configured, else a
background thread; `inline` sends in the committing thread). Whatever fails or is left
over is retried with a growing delay, by the workers' outbox sweep (bookings.tasks) or by
`deliver_due()` (`manage.py send_notifications`). Delivery never raises: a
mail-server outage leaves rows pending and never touches the booking.

No request waits on a mail server, and no database transaction or row lock is held
while one is talked to: a worker claims a row in a short UPDATE (a lease), sends with a
timeout outside any transaction, then records the outcome in another short UPDATE.

The customer's private manage link is never stored in plain text: the bodies hold
MANAGE_LINK_PLACEHOLDER, the link is sealed beside them (bookings.sealing), put in at
send time only, and wiped once the row is sent or given up. A message with several
links (`queue_manage_links`) holds numbered placeholders (`manage_link_placeholder(n)`)
and seals the list of its links in the same field.
"""

import atexit
import html
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from queue import SimpleQueue
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connections, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy

from bookings import sealing
from bookings.models import Booking, BookingStatus, ChangeRequest, Notification
from bookings.sms import get_sms_backend

if TYPE_CHECKING:
    from bookings.services.common import Lines
from venues.models import Organization, Space, SpaceLayout

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
    BookingStatus.PENDING: gettext_lazy("Waiting for our confirmation"),
    BookingStatus.APPROVED: gettext_lazy("Confirmed"),
    BookingStatus.DENIED: gettext_lazy("Declined"),
    BookingStatus.CANCELED: gettext_lazy("Canceled"),
    BookingStatus.ARRIVED: gettext_lazy("Checked in"),
    BookingStatus.SEATED: gettext_lazy("Checked in"),
}

# What the fields a change request names are called in a message (others: _humanize(key)).
CHANGE_LABELS = {
    "contact_name": gettext_lazy("Contact name"),
    "contact_email": gettext_lazy("Contact email"),
    "contact_phone": gettext_lazy("Contact phone"),
    "starts_at": gettext_lazy("Starts at"),
    "ends_at": gettext_lazy("Ends at"),
    "places": gettext_lazy("Places"),
    "space_id": gettext_lazy("Space"),
    "layout_id": gettext_lazy("Layout"),
    "name": gettext_lazy("Name"),
    "expected_attendees": gettext_lazy("Expected attendees"),
    "guaranteed_attendees": gettext_lazy("Guaranteed attendees"),
}

# The ids a requested space line may carry, and what names them.
LINE_NAMED = {"space_id": Space, "layout_id": SpaceLayout}

CLOSED_STATUSES = frozenset({BookingStatus.DENIED, BookingStatus.CANCELED})

SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length

# What the stored bodies (and whoever reads them in the admin) show instead of the link.
MANAGE_LINK_PLACEHOLDER = "[private manage link]"


def manage_link_placeholder(number: int) -> str:
    """What the stored bodies show instead of the `number`-th link (from 1) of a message with
    several (MANAGE_LINK_PLACEHOLDER stands for the one link of the others)."""
    return f"[private manage link {number}]"


# A manage link as the templates write it, absolute or on the site (".../manage/<token>/").
MANAGE_LINK = re.compile(r"(?:https?://[^\s\"'<>]*?)?/manage/[A-Za-z0-9_-]+/")


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


def queue(**arguments) -> list[Notification]:
    """Write the notifications of `kind` about `booking` to the outbox (render()'s
    arguments); send them after commit."""
    return save(render(**arguments))


def render(
    *,
    booking: Booking,
    kind: str,
    change_request: ChangeRequest | None = None,
    message: str = "",
    send_email: bool = True,
    send_sms: bool = False,
    manage_url: str = "",
    lines: "Lines | None" = None,
) -> list[Notification]:
    """The notifications of `kind` about `booking`, rendered and not saved yet: save() (or
    queue(), which does both) writes them to the outbox and sends them after commit.

    A service renders before it takes its locks and saves with the change, inside its
    `transaction.atomic()`: the rows commit or roll back with the change, and delivery
    starts only once it has committed. (A booking not saved yet is set on the rows when
    it is.)
    - `staff_new_request`: one e-mail to each address of the booking form's notify list
      (none without a form or addresses); `send_email` / `send_sms` do not apply.
    - every other kind goes to the customer: an e-mail to `booking.notify_address` when
      `send_email`, an SMS to the contact phone when `send_sms`, each only if it exists.
    - `change_*` kinds need the `change_request`.
    The messages are rendered now, from templates/emails/<kind>.*, so a row holds what is
    sent. `message` is the staff's message to the customer; `manage_url` (absolute, or a
    path on VENUEDESK_SITE_URL) is the customer's private link, known only at creation: the
    bodies get MANAGE_LINK_PLACEHOLDER instead, and the link is sealed on the row.
    `lines`: the booking's lines as the caller holds them, saved (else they are read).
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    if kind == Kind.MANAGE_LINKS:
        raise ValueError("Booking links are queued with queue_manage_links().")
    if kind in CHANGE_KINDS and change_request is None:
        raise ValueError(f"A {kind} notification needs the change request.")

    recipients = _recipients(booking, kind, send_email=send_email, send_sms=send_sms)
    if not recipients:
        return []
    sealed_link = (
        sealing.seal(
            _absolute(manage_url, settings.VENUEDESK_SITE_URL.rstrip("/")),
            purpose=sealing.OUTBOX,
        )
        if manage_url
        else ""
    )
    channels = {channel for channel, _ in recipients}
    with _in_message_language():
        context = _context(
            booking,
            kind=kind,
            change_request=change_request,
            message=message,
            manage_url=MANAGE_LINK_PLACEHOLDER if manage_url else "",
            lines=lines,
        )
        rendered = {channel: _render(kind, channel, context) for channel in channels}
    return [
        Notification(
            organization_id=booking.organization_id,
            booking=booking,
            change_request=change_request,
            channel=channel,
            kind=kind,
            recipient=recipient,
            # Only a message that shows the link carries it (today's SMS texts do not).
            sealed_manage_url=(
                sealed_link if _shows_manage_link(rendered[channel].values()) else ""
            ),
            **rendered[channel],
        )
        for channel, recipient in recipients
    ]


def save(notifications: list[Notification]) -> list[Notification]:
    """Write rendered notifications to the outbox (one query); send them after commit."""
    if not notifications:
        return []
    Notification.objects.bulk_create(notifications)
    ids = [notification.pk for notification in notifications]
    transaction.on_commit(lambda: hand_over(ids), robust=True)
    return notifications


def queue_manage_links(
    *, organization: Organization, recipient: str, links: list[tuple[Booking, str]]
) -> Notification:
    """Write one e-mail to `recipient` with the private link of each booking of `links`
    (pairs of a booking of `organization` and its new manage link); send it after commit.

    Call it inside the service's transaction, like `queue()`. The bodies list each booking
    (reference, what, when in its venue's time with the zone named, status in words) with
    `manage_link_placeholder(n)` where its link goes; the links are sealed as one JSON list
    on the row, put in at send time and wiped afterwards, as for every other row. The row
    belongs to the organisation and to no one booking (each booking's log records it).
    """
    if not links:
        raise ValueError("A message of booking links needs at least one booking.")
    site_url = settings.VENUEDESK_SITE_URL.rstrip("/")
    venues = {booking.venue_id: booking.venue for booking, _ in links}
    context = {
        "kind": Kind.MANAGE_LINKS,
        "organization": organization,
        # Named in the message's header when every booking is at the same venue.
        "venue": next(iter(venues.values())) if len(venues) == 1 else None,
        "items": [
            {
                "booking": booking,
                "venue": booking.venue,
                "places": _places_of(booking),
                "status_label": CUSTOMER_STATUS_LABELS.get(
                    booking.status, booking.get_status_display()
                ),
                "manage_url": manage_link_placeholder(number),
            }
            for number, (booking, _) in enumerate(links, 1)
        ],
        "site_url": site_url,
    }
    sealed_links = sealing.seal(
        json.dumps([_absolute(url, site_url) for _, url in links]), purpose=sealing.OUTBOX
    )
    with _in_message_language():
        rendered = _render(Kind.MANAGE_LINKS, Channel.EMAIL, context)
    notification = Notification.objects.create(
        organization=organization,
        channel=Channel.EMAIL,
        kind=Kind.MANAGE_LINKS,
        recipient=recipient,
        sealed_manage_url=sealed_links,
        **rendered,
    )
    transaction.on_commit(lambda: hand_over([notification.pk]), robust=True)
    return notification


def _places_of(booking: Booking) -> list[str]:
    """What a booking takes, by name: its spaces, events and products, each once, in order."""
    names = [line.space.name for line in booking.space_bookings.all()]
    names += [line.event.title for line in booking.event_bookings.all()]
    names += [line.product.name for line in booking.inventory_bookings.all()]
    return list(dict.fromkeys(names))


def _shows_manage_link(parts: Iterable[str]) -> bool:
    return any(MANAGE_LINK_PLACEHOLDER in part for part in parts)


def mask_manage_links(text: str) -> str:
    """`text` with every manage link in it replaced by MANAGE_LINK_PLACEHOLDER."""
    return MANAGE_LINK.sub(MANAGE_LINK_PLACEHOLDER, text)


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
    lines: "Lines | None",
) -> dict:
    site_url = settings.VENUEDESK_SITE_URL.rstrip("/")
    if lines is None:
        space_lines = list(booking.space_bookings.select_related("space", "layout"))
        event_lines = list(booking.event_bookings.select_related("event", "price"))
        product_lines = list(booking.inventory_bookings.select_related("product"))
    else:  # in the order the queries above give (lines not saved yet: as they were given)
        space_lines = sorted(lines.spaces, key=lambda line: (line.starts_at, line.pk or 0))
        event_lines = sorted(lines.events, key=lambda line: line.pk or 0)
        product_lines = sorted(lines.products, key=lambda line: (line.starts_at, line.pk or 0))
    labels = _answer_labels(booking)
    return {
        "kind": kind,
        "booking": booking,
        "customer": booking.customer,
        "organization": booking.organization,
        "venue": booking.venue,
        "booking_form": booking.booking_form,
        "space_lines": space_lines,
        "event_lines": event_lines,
        "product_lines": product_lines,
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


def _in_message_language():
    """Messages are written in the site's language (LANGUAGE_CODE), whichever language the
    request that causes them is served in; their words from Python too (yes/no, labels)."""
    return translation.override(settings.LANGUAGE_CODE)


def _render(kind: str, channel: str, context: dict) -> dict:
    """The fields of a row: subject and bodies, rendered in the venue's time zone (and in
    the language of `_in_message_language()`, which the caller sets)."""
    # A message about bookings at several venues names each one's zone by itself.
    venue = context.get("venue")
    with timezone.override(venue.tzinfo if venue else timezone.get_default_timezone()):
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


def _label(key: str) -> str:
    """What a field a change request names is called in a message."""
    return str(CHANGE_LABELS.get(key, _humanize(key)))


def _display(value, tz: ZoneInfo) -> str:
    """A value of answers or requested changes as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(_display(item, tz) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()} {_display(v, tz)}" for k, v in value.items())
    if isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is not None:
            # Naive times are venue-local already.
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
        return [gettext("Cancel the booking")]
    changes = change_request.changes if isinstance(change_request.changes, dict) else {}
    lines_by_id = {line.pk: line for line in space_lines}
    described = []
    for key, value in changes.items():
        if key == "contact" and isinstance(value, dict):
            described += [f"{_label(k)}: {_display(v, tz)}" for k, v in value.items()]
        elif key == "answers" and isinstance(value, dict):
            described += [
                f"{labels.get(k, _humanize(k))}: {_display(v, tz)}" for k, v in value.items()
            ]
        elif key == "space_lines" and isinstance(value, list):
            items = [item for item in value if isinstance(item, dict)]
            names = _names_of_spaces_and_layouts(items)
            for item in items:
                line = lines_by_id.get(item.get("id"))
                name = line.space.name if line else gettext("New space line")
                details = {
                    k: names.get((k, v), v) for k, v in item.items() if k != "id"
                }  # a space or layout by its name, never its id
                described.append(f"{name}: {_display(details, tz)}")
        else:
            described.append(f"{_humanize(key)}: {_display(value, tz)}")
    return described


def _names_of_spaces_and_layouts(items: list[dict]) -> dict[tuple[str, int], str]:
    """{("space_id", 4): "Main Hall", ("layout_id", 2): "Banquet"} for the ids `items` name."""
    wanted = {key: {item[key] for item in items if item.get(key)} for key in LINE_NAMED}
    names = {}
    for key, model in LINE_NAMED.items():
        if wanted[key]:
            rows = model.objects.filter(pk__in=wanted[key]).values_list("pk", "name")
            names.update({(key, pk): name for pk, name in rows})
    return names


# -- hand-over after commit ---------------------------------------------------------------------

INLINE, BACKGROUND, CELERY = "inline", "background", "celery"
DELIVERY_MODES = (INLINE, BACKGROUND, CELERY)


def hand_over(ids: list[int]) -> None:
    """Start delivering the rows `ids`, just queued by a transaction that has committed.

    The one place that picks how (VENUEDESK_NOTIFICATION_DELIVERY): `celery` queues one
    task per row for the workers (run here and now when no broker is configured);
    `background` gives them to this process's delivery thread and returns at once; `inline`
    sends them here and now (tests, debugging). Whatever is not delivered stays pending for
    the outbox sweep (bookings.tasks) or `deliver_due()`.
    """
    mode = settings.VENUEDESK_NOTIFICATION_DELIVERY
    if mode == CELERY:
        _queue_for_workers(ids)
    elif mode == BACKGROUND:
        background.submit(ids)
    elif mode == INLINE:
        deliver_ids(ids)
    else:
        logger.error(
            "VENUEDESK_NOTIFICATION_DELIVERY=%r is not one of %s; notifications %s are left "
            "to send_notifications.",
            mode,
            ", ".join(DELIVERY_MODES),
            ids,
        )


def _queue_for_workers(ids: Iterable[int]) -> None:
    # Imported here: the tasks module imports this one.
    from bookings.tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.delay(pk)
        except Exception:  # the broker is down: the row waits for the next sweep
            logger.exception(
                "Could not queue notification %s for the workers; the outbox sweep or "
                "send_notifications sends it later.",
                pk,
            )


class BackgroundDelivery:
    """One daemon thread per process that delivers the rows handed over after commit.

    Started with the first hand-over, and again in a forked child (gunicorn workers) or
    when it died. It closes its database connections after each batch. Rows it has not
    delivered when the process ends stay pending, and `send_notifications` sends them.
    """

    # How long a stopping process waits for the thread to finish what it was given.
    EXIT_GRACE_SECONDS = 5

    def __init__(
        self, deliver=None, name: str = "venuedesk-notifications", kind: str = "notifications"
    ) -> None:
        # `deliver(ids)` sends a batch (default: this module's deliver_ids); the webhooks
        # (bookings.webhooks) run a second instance with their own.
        self._deliver = deliver
        self._name = name
        self._kind = kind
        self._reset()
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.wait_until_idle, timeout=self.EXIT_GRACE_SECONDS)

    def _reset(self) -> None:
        # After a fork the parent's lock may be held by a thread the child does not have,
        # and the parent's queue belongs to the parent's thread: start afresh.
        self._changed = threading.Condition()
        self._batches: SimpleQueue[list[int]] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._unfinished = 0

    def submit(self, ids: Iterable[int]) -> None:
        """Queue `ids` for the thread (started if need be) and return at once."""
        with self._changed:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._batches = SimpleQueue()
                self._unfinished = 0
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._batches,),
                    name=self._name,
                    daemon=True,
                )
                self._thread.start()
                self._pid = os.getpid()
            self._unfinished += 1
            self._batches.put(list(ids))

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Wait until every batch handed over so far is done; False if `timeout` ran out."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unfinished == 0, timeout)

    def _run(self, batches: SimpleQueue) -> None:
        while True:
            ids = batches.get()
            try:
                (self._deliver or deliver_ids)(ids)
            except Exception:  # the thread must outlive any one batch
                logger.exception("Background delivery of %s %s failed.", self._kind, ids)
            finally:
                connections.close_all()  # this thread's connections only
                with self._changed:
                    if batches is self._batches:
                        self._unfinished -= 1
                    self._changed.notify_all()


background = BackgroundDelivery()


# -- delivery: claim, send outside any transaction, record --------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 min, 5, 15, 60, then 4 h)."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def claim_lease() -> timedelta:
    """How long a claimed row is left to its worker before another may try it again.

    Long enough for every step of a slow SMTP exchange to use its full timeout, so a row
    is only taken over from a worker that died while sending it.
    """
    longest = max(settings.EMAIL_TIMEOUT, settings.VENUEDESK_SMS_TIMEOUT)
    return max(timedelta(minutes=5), timedelta(seconds=20 * longest))


def deliver(notification: Notification, *, due_by: datetime | None = None) -> bool | None:
    """Claim the row, send it, record the outcome: True sent, False failed, None not claimed.

    Only a pending row whose next attempt is due (by `due_by`, default now) is claimed, and
    only by one worker at a time (see `_claim`). Any exception from the mail or SMS backend
    counts as a failed attempt: the row stays pending with the error and a later
    next_attempt_at (see `retry_delay`), or becomes failed once
    VENUEDESK_NOTIFICATION_MAX_ATTEMPTS is reached. Never raises for the backend's sake.
    """
    claimed = _claim(notification.pk, due_by=due_by)
    return None if claimed is None else _attempt(claimed)


def _claim(pk: int, *, due_by: datetime | None = None) -> Notification | None:
    """Take row `pk` for one attempt, or None when it is not pending and due (or taken).

    One UPDATE counts the attempt and moves next_attempt_at a lease ahead, on condition
    that the row is still pending and due: of two workers, the second finds it no longer
    due and claims nothing (PostgreSQL re-checks the condition after the first commits;
    SQLite runs one writer at a time). Nothing stays locked after this statement.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=pk, status=Notification.Status.PENDING, next_attempt_at__lte=due_by or now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + claim_lease())
    if claimed != 1:
        return None
    return Notification.objects.select_related("organization").filter(pk=pk).first()


def _attempt(notification: Notification) -> bool:
    """Send a claimed row and record how it went; True when it was sent."""
    try:
        _send(notification)
    except sealing.Unsealable as error:
        # The secret key that sealed the link is gone: no later attempt can do better.
        outcome = _failure(notification, error, give_up=True)
    except Exception as error:
        outcome = _failure(notification, error)
    else:
        outcome = {
            "status": Notification.Status.SENT,
            "sent_at": timezone.now(),
            "last_error": "",
            "sealed_manage_url": "",
        }
    _record(notification, outcome)
    return outcome["status"] == Notification.Status.SENT


def _send(notification: Notification) -> None:
    subject, body_text, body_html = _with_manage_link(notification)
    if notification.channel == Channel.SMS:
        get_sms_backend().send(notification.recipient, body_text)
        return
    organization_email = notification.organization.email
    email = EmailMultiAlternatives(
        subject=subject,
        body=body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        reply_to=[organization_email] if organization_email else None,
        headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no auto-replies, please
        # Given, not left to the backend's own default: no attempt may wait forever.
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    if body_html:
        email.attach_alternative(body_html, "text/html")
    email.send()


def _with_manage_link(notification: Notification) -> tuple[str, str, str]:
    """Subject, text and HTML of the row with the sealed manage link(s) put in, for sending."""
    subject, body_text, body_html = (
        notification.subject,
        notification.body_text,
        notification.body_html,
    )
    for placeholder, link in _sealed_links(notification.sealed_manage_url):
        subject = subject.replace(placeholder, link)
        body_text = body_text.replace(placeholder, link)
        body_html = body_html.replace(placeholder, html.escape(link))
    return subject, body_text, body_html


def _sealed_links(sealed: str) -> list[tuple[str, str]]:
    """(placeholder, link) pairs of a row's sealed field; raises sealing.Unsealable.

    One link is sealed as itself and stands for MANAGE_LINK_PLACEHOLDER; several are
    sealed as a JSON list, the n-th for manage_link_placeholder(n). A link is a URL, so it
    never starts with "[" as the list does.
    """
    if not sealed:
        return []
    opened = sealing.unseal(sealed, purpose=sealing.OUTBOX)
    if not opened.startswith("["):
        return [(MANAGE_LINK_PLACEHOLDER, opened)]
    return [(manage_link_placeholder(n), link) for n, link in enumerate(json.loads(opened), 1)]


def _failure(notification: Notification, error: Exception, *, give_up: bool = False) -> dict:
    """The fields that record a failed attempt (and log it)."""
    max_attempts = settings.VENUEDESK_NOTIFICATION_MAX_ATTEMPTS
    now = timezone.now()
    outcome = {
        "status": Notification.Status.PENDING,
        "last_error": f"{type(error).__name__}: {error}",
        "next_attempt_at": now + retry_delay(notification.attempts),
    }
    description = (
        f"{notification.get_kind_display()} {notification.get_channel_display()} "
        f"#{notification.pk} to {notification.recipient}"
    )
    if give_up or notification.attempts >= max_attempts:
        outcome |= {"status": Notification.Status.FAILED, "sealed_manage_url": ""}
        logger.error(
            "Gave up sending %s after %d attempts: %s",
            description,
            notification.attempts,
            outcome["last_error"],
            exc_info=error,
        )
    else:
        logger.warning(
            "Could not send %s (attempt %d of %d, next at %s): %s",
            description,
            notification.attempts,
            max_attempts,
            outcome["next_attempt_at"].isoformat(),
            outcome["last_error"],
            exc_info=error,
        )
    return outcome


def _record(notification: Notification, outcome: dict) -> None:
    """Write the outcome of the attempt this worker claimed; never raises.

    Only while the row is still pending with this attempt's count: a row another worker
    has taken over since (the lease ran out) is theirs to record.
    """
    for field, value in outcome.items():
        setattr(notification, field, value)
    try:
        # A savepoint when the caller holds a transaction: a failed write spoils nothing there.
        with transaction.atomic():
            recorded = Notification.objects.filter(
                pk=notification.pk,
                status=Notification.Status.PENDING,
                attempts=notification.attempts,
            ).update(**outcome)
    except Exception:
        logger.exception(
            "Could not record the delivery of notification %s (%s); it may be sent again.",
            notification.pk,
            notification.status,
        )
        return
    if not recorded:
        logger.warning(
            "Notification %s was taken over by another worker; its outcome (%s) is not recorded.",
            notification.pk,
            notification.status,
        )


def deliver_ids(ids: Iterable[int]) -> None:
    """Deliver the notifications `ids` that are still pending and due (after the commit)."""
    for pk in ids:
        try:
            claimed = _claim(pk)
            if claimed is not None:
                _attempt(claimed)
        except Exception:
            # The booking change has committed; the row stays pending for deliver_due.
            logger.exception("Delivering notification %s failed unexpectedly.", pk)


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Deliver up to `limit` pending rows whose next attempt is due, longest waiting first.

    Returns (sent, failed attempts). Each row is claimed, sent and recorded on its own, so
    every outcome is committed as soon as it is known, and several workers may run at once.
    """
    now = now or timezone.now()
    sent = failed = 0
    for pk in due_ids(now=now, limit=limit):
        try:
            claimed = _claim(pk, due_by=now)
            outcome = None if claimed is None else _attempt(claimed)
        except Exception:
            logger.exception("Delivering notification %s failed unexpectedly.", pk)
            continue
        if outcome is True:
            sent += 1
        elif outcome is False:
            failed += 1
    return sent, failed


def due_ids(*, now: datetime, limit: int) -> list[int]:
    """The ids of up to `limit` pending rows whose next attempt is due, longest waiting first."""
    return list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
