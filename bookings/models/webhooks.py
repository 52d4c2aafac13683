"""Outbound webhooks: an organisation's endpoints and the deliveries written for them."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from bookings.models.booking import Booking
from venues.models import Organization

# Every event a webhook may be told about (bookings.webhooks maps log actions to them).
WEBHOOK_EVENTS = (
    "booking.created",
    "booking.approved",
    "booking.denied",
    "booking.canceled",
    "booking.arrived",
    "booking.seated",
    "booking.released",
    "booking.no_show",
    "booking.updated",
    "change_request.created",
    "change_request.approved",
    "change_request.denied",
    "payment.recorded",
)


class WebhookEndpoint(models.Model):
    """A partner's URL that is told about the organisation's booking changes, signed with a
    secret only Venuedesk and the partner know (sealed at rest: it must be read to sign)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500, help_text="http(s) address that receives the POSTs.")
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="The events to send; none chosen means every event."
    )
    is_active = models.BooleanField(default=True)
    sealed_secret = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "url", "id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return not self.event_types or event in self.event_types


class WebhookDelivery(models.Model):
    """One event for one endpoint: written with the change, POSTed after commit, retried."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed for good"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=[(name, name) for name in WEBHOOK_EVENTS])
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(delivered_at__isnull=False),
                name="bookings_webhookdelivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint.url} ({self.get_status_display()})"
