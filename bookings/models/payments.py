"""Payments and refunds of a booking."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bookings.models.booking import Booking
from venues.models import (
    MONEY,
    PaymentType,
)


class Payment(models.Model):
    """Money received for a booking; a negative amount is a refund."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(**MONEY, help_text="Negative for a refund.")
    payment_type = models.ForeignKey(
        PaymentType, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="Receipt or transaction id.")
    paid_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="bookings_payment_amount_not_zero"),
        ]

    def __str__(self) -> str:
        kind = "Refund" if self.amount < 0 else "Payment"
        return f"{kind} of {abs(self.amount)} for {self.booking}"
