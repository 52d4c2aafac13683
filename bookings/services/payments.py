"""Payments and refunds of a booking: amount paid and balance move with them, logged."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bookings import pricing
from bookings.models import (
    Booking,
    LogEntry,
    Payment,
)
from bookings.services.common import (
    check_fresh,
    lock_booking,
    write_log,
)
from core.actors import Actor
from core.permissions import Action, require
from venues.models import (
    PaymentType,
)


@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    booking: Booking | int,
    amount: Decimal,
    payment_type: PaymentType | None = None,
    reference: str = "",
    paid_at: datetime | None = None,
    note: str = "",
    client_updated_at: datetime | None = None,
) -> Payment:
    """Record a payment (or, with a negative amount, a refund) and update paid and balance.

    A refund cannot exceed what was paid. With `client_updated_at` (the caller's copy of
    `updated_at`) a booking changed since is refused (StaleBooking): a form sent twice
    records one payment.
    """
    booking = lock_booking(booking)
    require(actor, Action.WRITE, booking.organization)
    check_fresh(booking, client_updated_at)
    amount = Decimal(amount)
    if amount.is_zero():
        raise ValidationError({"amount": "A payment cannot be zero."})
    if booking.amount_paid + amount < 0:
        raise ValidationError(
            {"amount": f"A refund cannot exceed what was paid ({booking.amount_paid})."}
        )
    if booking.amount_paid + amount > pricing.MONEY_MAX:
        raise ValidationError(
            {
                "amount": ValidationError(
                    "The payments of a booking cannot add up to more than %(limit)s.",
                    code="max_value",
                    params={"limit": pricing.MONEY_MAX},
                )
            }
        )
    payment = Payment(
        booking=booking,
        amount=amount,
        payment_type=payment_type,
        reference=reference.strip(),
        paid_at=paid_at or timezone.now(),
        note=note.strip(),
        recorded_by=actor.user,
    )
    payment.full_clean()
    if payment_type is not None and payment_type.organization_id != booking.organization_id:
        raise ValidationError({"payment_type": "This belongs to another organisation."})
    payment.save()
    booking.amount_paid += amount
    booking.balance = booking.total_gross - booking.amount_paid
    booking.save(update_fields=["amount_paid", "balance", "updated_at"])
    write_log(
        booking,
        LogEntry.Action.PAYMENT_RECORDED,
        actor,
        data={"payment": payment.pk, "amount": str(amount), "reference": payment.reference},
    )
    return payment
