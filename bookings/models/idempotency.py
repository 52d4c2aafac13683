"""Answers kept for the API's Idempotency-Key header."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The first answer to a creating request sent with an `Idempotency-Key` header.

    The same key and body again gets the same answer without creating anything; the
    same key with another body is refused. Keyed per caller (API key, user or public
    client address). The answer is kept sealed (bookings.sealing): it may carry a
    booking's manage token and the customer's personal data.
    """

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    sealed_response = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="bookings_idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

    @staticmethod
    def expiry_cutoff():
        """Answers kept from before this time are expired (VENUEDESK_IDEMPOTENCY_HOURS)."""
        return timezone.now() - timedelta(hours=settings.VENUEDESK_IDEMPOTENCY_HOURS)
