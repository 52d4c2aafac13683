"""The history of a booking: one entry per change, written with the change."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from bookings.models.booking import Booking, BookingStatus
from core.actors import ActorKind
from venues.models import (
    OrganizationAPIKey,
)


class LogEntry(models.Model):
    """One line of a booking's history; written in the same transaction as the change."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        CANCELED = "canceled", "Canceled"
        ARRIVED = "arrived", "Arrived"
        SEATED = "seated", "Seated"
        RELEASED = "released", "Released"
        NO_SHOW = "no_show", "Marked no-show"
        LINE_ADDED = "line_added", "Line added"
        LINE_UPDATED = "line_updated", "Line updated"
        LINE_REMOVED = "line_removed", "Line removed"
        CONTACT_UPDATED = "contact_updated", "Customer or contact updated"
        DETAILS_UPDATED = "details_updated", "Details updated"
        PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
        CHANGE_REQUESTED = "change_requested", "Change requested"
        CHANGE_APPLIED = "change_applied", "Change applied"
        CHANGE_APPROVED = "change_approved", "Change request approved"
        CHANGE_DENIED = "change_denied", "Change request denied"
        CHANGE_WITHDRAWN = "change_withdrawn", "Change request withdrawn"
        OPENING_HOURS_OVERRIDDEN = "opening_hours_overridden", "Opening hours overridden"
        LINK_RESENT = "link_resent", "Manage link sent again"
        REMINDER_SENT = "reminder_sent", "Reminder sent"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="log_entries")
    action = models.CharField(max_length=40, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=BookingStatus.choices, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        OrganizationAPIKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(blank=True, help_text="Internal comment.")
    message = models.TextField(blank=True, help_text="Message sent to the customer.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "log entries"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["booking", "created_at"])]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at, self.booking.venue.tzinfo)
        return f"{self.booking} {self.get_action_display()} {when:%Y-%m-%d %H:%M %Z}"

    @property
    def actor_display(self) -> str:
        if self.actor_kind == ActorKind.USER and self.user:
            return self.user.get_full_name() or self.user.get_username()
        if self.actor_kind == ActorKind.API_KEY and self.api_key:
            return f"API key {self.api_key.name}"
        return self.get_actor_kind_display()
