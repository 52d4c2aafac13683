"""The outbox: notifications queued with a change and delivered after commit."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from bookings.models.booking import Booking
from bookings.models.change_requests import ChangeRequest
from venues.models import (
    Organization,
)


class Notification(models.Model):
    """An outbox row: written with the change, delivered after commit, retried until sent."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class Kind(models.TextChoices):
        REQUEST_RECEIVED = "request_received", "Request received (customer)"
        STAFF_NEW_REQUEST = "staff_new_request", "New request (staff)"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        CANCELED = "canceled", "Canceled"
        CHANGE_RECEIVED = "change_received", "Change request received"
        CHANGE_APPROVED = "change_approved", "Change request approved"
        CHANGE_DENIED = "change_denied", "Change request denied"
        MANAGE_LINKS = "manage_links", "Booking links sent again"
        REMINDER = "reminder", "Reminder before the start"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed for good"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="notifications"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    change_request = models.ForeignKey(
        ChangeRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    recipient = models.CharField(max_length=254, help_text="E-mail address or phone number.")
    # The bodies hold MANAGE_LINK_PLACEHOLDER where the customer's private link goes; the
    # link itself is kept sealed (bookings.sealing) until the message is sent, then wiped.
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    sealed_manage_url = models.TextField(blank=True, default="", db_default="", editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="bookings_notification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_status_display()})"
