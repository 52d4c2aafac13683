"""Change what describes a booking without touching its lines: customer, contact, title,
internal note, payment type and notification flags."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bookings.models import Booking, Customer, LogEntry
from bookings.services.common import check_fresh, lock_booking, write_log
from core.actors import Actor
from core.permissions import Action, require
from core.sanitize import forbidden_character
from venues.models import PaymentType

# Text kept stripped, as booking_create keeps it.
STRIPPED_TEXT = frozenset({"title", "contact_name", "contact_email", "contact_phone"})
# Text kept as written: the log says only that it changed, not what it said.
LONG_TEXT = frozenset({"internal_note"})
FLAGS = frozenset({"notify_email", "notify_sms"})
# Related objects, logged by id.
RELATIONS = {"customer": Customer, "payment_type": PaymentType}
DETAIL_FIELDS = STRIPPED_TEXT | LONG_TEXT | FLAGS | frozenset(RELATIONS)


def _refuse(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _checked(name: str, value: Any) -> Any:
    """`value` as `name` stores it, or a ValidationError naming `name`."""
    if name in FLAGS:
        if not isinstance(value, bool):
            raise _refuse(name, "Give true or false.")
        return value
    if name in RELATIONS:
        if name == "customer" and value is None:
            raise _refuse(name, "A booking needs a customer.", "required")
        if value is not None and not isinstance(value, RELATIONS[name]):
            raise _refuse(name, f"Give a {RELATIONS[name]._meta.verbose_name}.")
        return value
    if not isinstance(value, str):
        raise _refuse(name, "Enter text.")
    forbidden = forbidden_character(value)
    if forbidden is not None:
        raise ValidationError({name: forbidden})
    return value.strip() if name in STRIPPED_TEXT else value


def _stored(booking: Booking, name: str) -> Any:
    """What the booking holds for `name` (a relation by its id)."""
    return getattr(booking, f"{name}_id" if name in RELATIONS else name)


def _log_name(name: str) -> str:
    return f"{name}_id" if name in RELATIONS else name


@transaction.atomic
def booking_update(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    changes: Mapping[str, Any],
) -> Booking:
    """Change the booking's details; only the fields named in `changes` change.

    `changes` may name: customer (a Customer), contact_name, contact_email, contact_phone,
    title, internal_note, payment_type (a PaymentType, or None to clear it),
    notify_email, notify_sms.

    Rules: the write right (core.permissions; a customer asks through a change request
    instead); `client_updated_at`, the caller's copy of `updated_at`, must be current
    (else StaleBooking, nothing changed); the customer and the payment type must be the
    booking's organisation's; lengths and formats are the model's; anything else in
    `changes` is refused by name. The lines, the status and the Event (which keeps the
    title it was given at approval) stay as they are.
    Side effects: one LogEntry (details_updated) naming the changed fields, with old and
    new values except for the internal note; nothing when nothing changed.
    """
    unknown = sorted(map(str, set(changes) - DETAIL_FIELDS))
    if unknown:
        raise ValidationError({name: "This cannot be changed here." for name in unknown})
    booking = lock_booking(booking)
    require(actor, Action.WRITE, booking.organization)
    check_fresh(booking, client_updated_at)

    asked = {name: _checked(name, value) for name, value in changes.items()}
    before = {name: _stored(booking, name) for name in asked}
    for name, value in asked.items():
        setattr(booking, name, value)
    changed = [name for name in asked if _stored(booking, name) != before[name]]
    if not changed:
        return booking
    unchanged = [field.name for field in Booking._meta.fields if field.name not in changed]
    booking.full_clean(exclude=unchanged)  # clean() still checks every relation's owner
    booking.save(update_fields=[*changed, "updated_at"])
    write_log(
        booking,
        LogEntry.Action.DETAILS_UPDATED,
        actor,
        data={
            "fields": sorted(map(_log_name, changed)),
            "changed": {
                _log_name(name): [before[name], _stored(booking, name)]
                for name in changed
                if name not in LONG_TEXT
            },
        },
    )
    return booking
