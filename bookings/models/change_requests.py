"""A customer's or staff's request to change or cancel a booking, beside the booking."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from bookings.models.booking import Booking, EventProcedure
from core.actors import ActorKind
from venues.models import (
    ProtectedStatusMixin,
)


class ChangeRequest(ProtectedStatusMixin, models.Model):
    """A customer's or staff member's request to change or cancel an approved booking.

    `changes` holds what is asked, in the shape the services accept, e.g.
    {"contact": {...}, "answers": {...}, "space_lines": [{"id": 3, "starts_at": ...}]}.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Withdrawn"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="change_requests")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    is_cancellation = models.BooleanField(default=False)
    changes = models.JSONField(default=dict, blank=True)
    request_note = models.TextField(blank=True, help_text="The requester's note (sanitised HTML).")
    submitted_by_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event_procedure = models.CharField(
        max_length=10, choices=EventProcedure.choices, blank=True, help_text="Set on approval."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True, help_text="Internal comment.")
    decision_message = models.TextField(blank=True, help_text="Message sent to the customer.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(status="pending"),
                name="bookings_changerequest_one_open_per_booking",
                violation_error_message="This booking already has an open change request.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "denied", "withdrawn"]),
                name="bookings_changerequest_status_valid",
            ),
        ]

    def __str__(self) -> str:
        kind = "Cancellation" if self.is_cancellation else "Change"
        return f"{kind} request for {self.booking} ({self.get_status_display()})"

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.DENIED)
    def deny(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.WITHDRAWN)
    def withdraw(self) -> None:
        self.decided_at = timezone.now()
