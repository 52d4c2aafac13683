"""The customer and contact details of a booking."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bookings.models import Booking, LogEntry
from bookings.services.common import check_fresh, lock_booking, write_log
from core.actors import Actor
from core.permissions import Action, require

CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "notify_email", "notify_sms")


@transaction.atomic
def booking_update_contact(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    changes: Mapping[str, Any],
) -> Booking:
    """Change the customer and the contact details (name, e-mail, phone, notify flags).

    `changes` names model fields: `customer`, and CONTACT_FIELDS. Everything else changes
    through lines or change requests.
    """
    changes = dict(changes)
    customer = changes.pop("customer", None)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({name: "This cannot be changed here." for name in sorted(unknown)})
    booking = lock_booking(booking)
    require(actor, Action.WRITE, booking.organization)
    check_fresh(booking, client_updated_at)
    before = {name: getattr(booking, name) for name in (*CONTACT_FIELDS, "customer_id")}
    if customer is not None:
        booking.customer = customer
    for name, value in changes.items():
        setattr(booking, name, value.strip() if isinstance(value, str) else value)
    booking.full_clean()
    after = {name: getattr(booking, name) for name in before}
    changed = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if changed:
        booking.save()
        write_log(booking, LogEntry.Action.CONTACT_UPDATED, actor, data={"changed": changed})
    return booking
