"""Line use cases: add or update a space line ("booking session"), an event or a product line,
and remove a line. Availability is re-checked and the booking re-priced each time.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from bookings.availability import is_open
from bookings.models import (
    Booking,
    BookingStatus,
    EventBooking,
    InventoryBooking,
    LogEntry,
    SpaceBooking,
)
from bookings.services.common import (
    OPEN_STATUSES,
    Lines,
    check_fit,
    check_fresh,
    follow_with_event,
    lock_booking,
    price_lines,
    save_lines,
    validate_line,
    write_log,
)
from bookings.services.inputs import (
    EventLineIn,
    ProductLineIn,
    SpaceLineIn,
    build_event_line,
    build_product_line,
    build_space_line,
)
from core.actors import Actor
from core.errors import BookingClosed, PermissionDenied
from core.permissions import Action, require

LINE_FIELDS = {
    "space": ("spaces", SpaceBooking),
    "event": ("events", EventBooking),
    "product": ("products", InventoryBooking),
}


@dataclass
class SavedLine:
    line: SpaceBooking | EventBooking | InventoryBooking
    warnings: list[str] = field(default_factory=list)


def _open_booking(actor: Actor, booking, client_updated_at) -> Booking:
    booking = lock_booking(booking)
    require(actor, Action.WRITE, booking.organization)
    check_fresh(booking, client_updated_at)
    if booking.status not in OPEN_STATUSES:
        raise BookingClosed(booking.status)
    return booking


def _save(actor: Actor, booking: Booking, kind: str, new_line, line_id: int | None) -> SavedLine:
    """Put `new_line` in place of line `line_id` (or add it), check, price, save, log."""
    attribute, model = LINE_FIELDS[kind]
    lines = Lines.of(booking)
    current = getattr(lines, attribute)
    before = None
    if line_id is not None:
        before = next((line for line in current if line.pk == line_id), None)
        if before is None:
            raise model.DoesNotExist(f"Booking {booking.reference} has no {kind} line {line_id}.")
        new_line.pk = before.pk
        new_line.created_at = before.created_at
        new_line._state.adding, new_line._state.db = False, before._state.db  # an update
        current[current.index(before)] = new_line
    else:
        current.append(new_line)
    try:
        validate_line(new_line)
    except ValidationError as error:
        raise ValidationError(
            {f"line.{name}": messages for name, messages in error.message_dict.items()}
        ) from None
    if kind == "space" and new_line.overrides_opening_hours and actor.is_customer:
        raise PermissionDenied("Only staff may book outside the opening hours.")

    price_lines(booking, lines)
    check_fit(booking, lines, lock=booking.holds_capacity)
    save_lines(booking, lines)
    follow_with_event(booking, lines)
    booking.save()

    changes = _changes(before, new_line)
    action = LogEntry.Action.LINE_UPDATED if before else LogEntry.Action.LINE_ADDED
    write_log(booking, action, actor, data={"kind": kind, "line": new_line.pk, "changes": changes})
    warnings = []
    if kind == "space":
        outside_hours = new_line.overrides_opening_hours and not is_open(
            new_line.space.venue, new_line.starts_at, new_line.ends_at
        )
        warnings = _space_warnings(booking, new_line, outside_hours=outside_hours)
        if outside_hours:
            write_log(
                booking, LogEntry.Action.OPENING_HOURS_OVERRIDDEN, actor, data={"line": new_line.pk}
            )
    return SavedLine(line=new_line, warnings=warnings)


def _changes(before, after) -> dict:
    names = [f.name for f in type(after)._meta.concrete_fields if f.editable and f.name != "id"]
    if before is None:
        return {name: _plain(getattr(after, name)) for name in names if getattr(after, name)}
    return {
        name: [_plain(getattr(before, name)), _plain(getattr(after, name))]
        for name in names
        if getattr(before, name) != getattr(after, name)
    }


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value if isinstance(value, int | bool | str | type(None)) else str(value)


def _space_warnings(booking: Booking, line: SpaceBooking, *, outside_hours: bool) -> list[str]:
    """What does not block but staff should know: competing requests, overridden hours."""
    warnings = []
    start, end = line.interval_with_setup()
    competing = (
        SpaceBooking.objects.filter(
            space=line.space,
            booking__status=BookingStatus.PENDING,
            occupied_from__lt=end,
            occupied_until__gt=start,
        )
        .exclude(booking=booking)
        .values_list("booking__reference", flat=True)
        .distinct()
    )
    if competing:
        warnings.append(
            f"Pending requests compete for {line.space.name} then: {', '.join(sorted(competing))}."
        )
    if outside_hours:
        warnings.append(f"Outside the opening hours of {line.space.venue.name} (overridden).")
    return warnings


@transaction.atomic
def space_line_save(
    *,
    actor: Actor,
    booking: Booking | int,
    line: SpaceLineIn,
    line_id: int | None = None,
    client_updated_at: datetime | None = None,
) -> SavedLine:
    """Add a space line to a booking, or replace line `line_id` ("booking session").

    Re-checks availability (under the locks when the booking holds capacity), re-prices
    the booking, moves the approved booking's Event with its times, logs the change.
    Warnings name competing pending requests and an opening-hours override.
    """
    booking = _open_booking(actor, booking, client_updated_at)
    return _save(actor, booking, "space", build_space_line(booking, line, prefix="line"), line_id)


@transaction.atomic
def event_line_save(
    *,
    actor: Actor,
    booking: Booking | int,
    line: EventLineIn,
    line_id: int | None = None,
    client_updated_at: datetime | None = None,
) -> SavedLine:
    """Add tickets to a booking, or replace event line `line_id`; re-checks and re-prices."""
    booking = _open_booking(actor, booking, client_updated_at)
    return _save(actor, booking, "event", build_event_line(booking, line, prefix="line"), line_id)


@transaction.atomic
def product_line_save(
    *,
    actor: Actor,
    booking: Booking | int,
    line: ProductLineIn,
    line_id: int | None = None,
    client_updated_at: datetime | None = None,
) -> SavedLine:
    """Add a product to a booking, or replace product line `line_id`; re-checks and re-prices."""
    booking = _open_booking(actor, booking, client_updated_at)
    return _save(
        actor, booking, "product", build_product_line(booking, line, prefix="line"), line_id
    )


@transaction.atomic
def line_remove(
    *,
    actor: Actor,
    booking: Booking | int,
    kind: str,
    line_id: int,
    client_updated_at: datetime | None = None,
) -> Booking:
    """Remove a space, event or product line; a booking keeps at least one line."""
    booking = _open_booking(actor, booking, client_updated_at)
    attribute, model = LINE_FIELDS[kind]
    lines = Lines.of(booking)
    current = getattr(lines, attribute)
    line = next((line for line in current if line.pk == line_id), None)
    if line is None:
        raise model.DoesNotExist(f"Booking {booking.reference} has no {kind} line {line_id}.")
    if len(lines.all()) == 1:
        raise ValidationError({"line": "A booking keeps at least one line; cancel it instead."})
    current.remove(line)
    line.delete()
    price_lines(booking, lines)
    save_lines(booking, lines)
    follow_with_event(booking, lines)
    booking.save()
    write_log(booking, LogEntry.Action.LINE_REMOVED, actor, data={"kind": kind, "line": line_id})
    return booking
