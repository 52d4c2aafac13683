"""What every booking service does the same way: lock, check freshness, log, price, check fit."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django_fsm import can_proceed

from bookings import notifications, pricing, webhooks
from bookings.availability import (
    check_event_line,
    check_product_line,
    check_space_line,
    lock_resources,
)
from bookings.models import (
    Booking,
    BookingStatus,
    ChangeRequest,
    EventBooking,
    InventoryBooking,
    LogEntry,
    Notification,
    SpaceBooking,
)
from bookings.selectors import lines_prefetched
from core.actors import Actor
from core.errors import BookingConflict, StaleBooking, TransitionNotAllowed


@dataclass
class Lines:
    """A booking's lines as they are (or will be once saved)."""

    spaces: list[SpaceBooking]
    events: list[EventBooking]
    products: list[InventoryBooking]

    @classmethod
    def of(cls, booking: Booking) -> "Lines":
        """The booking's lines, read as booking_detail_list reads them and kept on it (an
        answer about the booking reads them from there)."""
        prefetch_related_objects([booking], *lines_prefetched())
        return cls(
            spaces=list(booking.space_bookings.all()),
            events=list(booking.event_bookings.all()),
            products=list(booking.inventory_bookings.all()),
        )

    def all(self) -> list:
        return [*self.spaces, *self.events, *self.products]


def lock_booking(booking: Booking | int) -> Booking:
    """Re-read the booking under a row lock (the first lock every booking service takes)."""
    pk = booking.pk if isinstance(booking, Booking) else booking
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organization", "venue", "customer", "booking_form", "event")
        .get(pk=pk)
    )


def check_fresh(booking: Booking, seen: datetime | None) -> None:
    """Refuse a change based on an older version of the booking.

    `seen` is the client's copy of `updated_at`; one given to the second (no
    microseconds) is compared to the second.
    """
    if seen is None:
        return
    current = booking.updated_at
    if seen.microsecond == 0:
        current = current.replace(microsecond=0)
    if current != seen:
        raise StaleBooking(seen=seen, current=booking.updated_at)


@dataclass(frozen=True)
class Notice:
    """What goes with a decision: an internal comment (logged) and a message to the
    customer (logged and sent), by e-mail and SMS as the flags say (None: the booking's)."""

    comment: str = ""
    message: str = ""
    send_email: bool | None = None
    send_sms: bool | None = None


def require_transition(transition) -> None:
    """Refuse a move the booking's status does not allow, listing the legal ones.

    `transition` is the bound FSM method (`booking.approve`), as for django-fsm's can_proceed.
    """
    if not can_proceed(transition):
        booking = transition.__self__
        targets = {move.target for move in transition._django_fsm.transitions.values()}
        raise TransitionNotAllowed(
            current=booking.status,
            requested=targets.pop(),
            allowed=booking.allowed_next_statuses(),
        )


OCCUPANCY_FIELDS = ["holds_capacity", "occupied_from", "occupied_until"]


def sync_lines(booking: Booking, lines: Lines | None = None) -> None:
    """Copy what the lines mirror of their booking (capacity held, release time) to them.

    The lines carry these for the availability queries and the database's exclusion
    constraint; every service that moves a booking calls this after saving it. `lines`:
    the booking's lines as the service holds them (else they are read).
    """
    if lines is None or lines.events:
        booking.event_bookings.update(holds_capacity=booking.holds_capacity)
    if lines is not None:
        for line in lines.events:
            line.holds_capacity = booking.holds_capacity
    spaces = list(booking.space_bookings.all()) if lines is None else lines.spaces
    products = list(booking.inventory_bookings.all()) if lines is None else lines.products
    for model, group in ((SpaceBooking, spaces), (InventoryBooking, products)):
        for line in group:
            line.booking = booking
            line.compute_occupancy()
        if group:
            model.objects.bulk_update(group, OCCUPANCY_FIELDS)


def move(
    booking: Booking,
    transition,
    action: str,
    actor: Actor,
    *,
    notice: Notice = Notice(),
    data: dict | Callable[[Booking], dict] | None = None,
    before_save: Callable[[Booking], None] | None = None,
    lines: Lines | None = None,
) -> None:
    """Move a locked, checked booking with `transition`, save it, bring its lines in step
    and log it. `before_save(booking)` runs after the move, before the save (the Event);
    `data` for the log may be a function of the moved booking; `lines`: the booking's
    lines, when the service holds them."""
    require_transition(transition)
    from_status = booking.status
    transition()
    if before_save is not None:
        before_save(booking)
    booking.save()
    sync_lines(booking, lines)
    write_log(
        booking,
        action,
        actor,
        from_status=from_status,
        comment=notice.comment,
        message=notice.message,
        data=data(booking) if callable(data) else data,
    )


def log_entry(
    booking: Booking,
    action: str,
    actor: Actor,
    *,
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    message: str = "",
    data: dict | None = None,
) -> LogEntry:
    """An unsaved log entry of a change of `booking` (to its status now unless `to_status`)."""
    return LogEntry(
        booking=booking,
        action=action,
        from_status=from_status,
        to_status=to_status or booking.status,
        comment=comment,
        message=message,
        data=data or {},
        **actor.log_fields(),
    )


def write_logs(entries: Sequence[LogEntry]) -> list[LogEntry]:
    """Save log entries (one query), and write the webhook deliveries of the events they are
    (in the same transaction: every logged change is told about, and only once it commits)."""
    LogEntry.objects.bulk_create(entries)
    webhooks.queue_for_logs(entries)
    return list(entries)


def write_log(booking: Booking, action: str, actor: Actor, **fields) -> LogEntry:
    """Log a change of `booking` (log_entry's fields) and write its webhook deliveries."""
    return write_logs([log_entry(booking, action, actor, **fields)])[0]


# A booking takes change requests while it is in one of these statuses.
OPEN_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED)


def withdraw_open_change_request(booking: Booking, actor: Actor, *, reason: str) -> None:
    """Withdraw the booking's open change request, if any, and log why (the booking is locked).

    Closing a booking closes what hangs off it: a request left open could otherwise be
    approved onto a canceled booking. `reason`: "replaced", "canceled", "denied", ...
    """
    for change_request in booking.change_requests.select_for_update().filter(
        status=ChangeRequest.Status.PENDING
    ):
        change_request.withdraw()
        change_request.save()
        write_log(
            booking,
            LogEntry.Action.CHANGE_WITHDRAWN,
            actor,
            data={"change_request": change_request.pk, "reason": reason},
        )


def check_fit(booking: Booking, lines: Lines, *, lock: bool) -> None:
    """Raise BookingConflict unless every line fits next to what holds capacity now.

    With `lock`, the resources are row-locked first (lock_resources): do this whenever the
    lines are about to hold capacity.
    """
    if lock:
        lock_resources(
            spaces=[line.space for line in lines.spaces],
            products=[line.product for line in lines.products],
            events=[line.event for line in lines.events],
        )
    conflicts = []
    for number, line in enumerate(lines.spaces, 1):
        label = f"space line {number} ({line.space.name})"
        conflicts += check_space_line(line, label=label, siblings=lines.spaces)
    for number, line in enumerate(lines.events, 1):
        conflicts += check_event_line(
            line, label=f"event line {number} ({line.event.title})", siblings=lines.events
        )
    for number, line in enumerate(lines.products, 1):
        label = f"product line {number} ({line.product.name})"
        conflicts += check_product_line(line, label=label, siblings=lines.products)
    if conflicts:
        raise BookingConflict(conflicts)


def booking_day(booking: Booking) -> date:
    """The day the booking was made, in the venue's time zone (discounts are valid by it)."""
    return timezone.localtime(booking.created_at or timezone.now(), booking.venue.tzinfo).date()


# What drives the amount of a line, to name when it is too large: its quantity, or its
# manual price.
AMOUNT_FIELDS = {"space_lines": "ends_at", "event_lines": "quantity", "product_lines": "units"}


def price_lines(booking: Booking, lines: Lines) -> None:
    """Price every line and the booking's totals (nothing saved).

    Discounts are checked for validity on the day the booking was made, in the
    venue's time zone. No line and no total may exceed what a money column holds
    (pricing.MONEY_MAX): the line that would is named.
    """
    on = booking_day(booking)
    priced = [
        ("space_lines", lines.spaces, pricing.price_space_line),
        ("event_lines", lines.events, pricing.price_event_line),
        ("product_lines", lines.products, pricing.price_product_line),
    ]
    total = pricing.ZERO
    for prefix, group, price_of in priced:
        for number, line in enumerate(group):
            price = price_of(line, on=on)
            total += price.gross
            if max(price.subtotal_gross, price.gross, total) > pricing.MONEY_MAX:
                field = "manual_price_gross" if line.use_manual_price else AMOUNT_FIELDS[prefix]
                raise ValidationError(
                    {
                        f"{prefix}.{number}.{field}": ValidationError(
                            "This would take the booking over %(limit)s.",
                            code="max_value",
                            params={"limit": pricing.MONEY_MAX},
                        )
                    }
                )
            pricing.apply_line_price(line, price)
    pricing.apply_totals(booking, lines.all())


def set_span(booking: Booking, lines: Lines) -> None:
    """Set the booking's starts_at / ends_at to the span of its lines (not saved)."""
    timed = [*lines.spaces, *lines.products, *(line.event for line in lines.events)]
    booking.starts_at = min((item.starts_at for item in timed), default=None)
    booking.ends_at = max((item.ends_at for item in timed), default=None)


def save_lines(booking: Booking, lines: Lines) -> None:
    """Save every line of the booking (added or changed) and set its span (not saved)."""
    for line in lines.all():
        line.booking = booking
        line.save()
    set_span(booking, lines)


def check_fields(row, *, exclude: Sequence[str] = ()) -> None:
    """Validate a row a service is about to write, without asking the database.

    The fields' own rules (lengths, choices, required values, number ranges) and the
    model's clean() (every relation of the row's organisation) run here. Left to the
    database, which enforces them on the write: whether each foreign key exists (the
    service holds those objects, read through scoped lookups) and the unique, check and
    exclusion constraints — each of them is also a service rule that names the field
    (check_line_input, pricing, the state machine, check_fit). Asking the database again
    cost a query per relation and three per constraint.
    """
    relations = [field.name for field in row._meta.concrete_fields if field.is_relation]
    row.full_clean(
        exclude=[*relations, *exclude], validate_unique=False, validate_constraints=False
    )


def validate_line(line) -> None:
    """Validate a line (check_fields), leaving overlaps to check_fit(), which names the other
    booking."""
    starts_at, ends_at = getattr(line, "starts_at", None), getattr(line, "ends_at", None)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": "Must be after starts_at."})
    check_fields(line, exclude=["holds_capacity"])


def full_clean_all(lines: Sequence, prefix: str) -> None:
    """Validate each line, naming errors by position ("space_lines.0.starts_at")."""
    errors = {}
    for number, line in enumerate(lines):
        try:
            validate_line(line)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"{prefix}.{number}.{field}"] = messages
    if errors:
        raise ValidationError(errors)


def manage_url(token: str) -> str:
    """The customer's private link to their booking."""
    return f"{settings.VENUEDESK_SITE_URL.rstrip('/')}/manage/{token}/"


def follow_with_event(booking: Booking, lines: Lines) -> None:
    """Keep the Event of an approved booking on the times of its space lines."""
    event = booking.event
    if event is None or not lines.spaces:
        return
    event.starts_at = min(line.starts_at for line in lines.spaces)
    event.ends_at = max(line.ends_at for line in lines.spaces)
    event.save(update_fields=["starts_at", "ends_at", "updated_at"])


def notify_customer(booking: Booking, kind: str, **message) -> None:
    """Queue a message to the customer (customer_messages' arguments), sent after commit."""
    notifications.save(customer_messages(booking, kind, **message))


def customer_messages(
    booking: Booking,
    kind: str,
    *,
    notice: Notice = Notice(),
    change_request=None,
    manage_url: str = "",
    lines: Lines | None = None,
) -> list[Notification]:
    """A message to the customer, rendered, not saved (notifications.save); e-mail and SMS
    default to the booking's flags. `lines`: the booking's lines, when the service holds
    them (else they are read)."""
    return notifications.render(
        booking=booking,
        kind=kind,
        change_request=change_request,
        message=notice.message,
        send_email=booking.notify_email if notice.send_email is None else notice.send_email,
        send_sms=booking.notify_sms if notice.send_sms is None else notice.send_sms,
        manage_url=manage_url,
        lines=lines,
    )
