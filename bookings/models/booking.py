"""A booking: its reference, customer, status machine, totals and manage token."""

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Max, Min, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from venues.models import (
    MONEY,
    BookingForm,
    Event,
    Organization,
    PaymentType,
    ProtectedStatusMixin,
    Venue,
    check_same_organization,
)

ZERO = Decimal("0.00")
# The most places, units or attendees one line may hold, whichever door it comes by.
MAX_PLACES = 100_000

# Human references: no 0/O or 1/I, so they survive being read out on the phone.
REFERENCE_PREFIX = "VD-"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


def generate_reference() -> str:
    """A random reference like VD-7QX3M2 (32**6 ≈ 10**9 values, unrelated to the id)."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
    )


def hash_manage_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Customer(models.Model):
    """A person or company who books; customers have no login."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customers"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    vat_number = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    notes = models.TextField(blank=True, help_text="Internal notes for staff.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "company", "id"]
        indexes = [
            # A booking's customer is matched by e-mail, whatever its case
            # (services.customer_find_or_create): lower(email), as that lookup asks.
            models.Index(F("organization"), Lower("email"), name="bookings_customer_email_ci"),
            models.Index(fields=["organization", "last_name", "first_name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_name="", last_name="", company=""),
                name="bookings_customer_has_a_name",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        if self.full_name and self.company:
            return f"{self.full_name} ({self.company})"
        return self.full_name or self.company


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    CANCELED = "canceled", "Canceled"
    ARRIVED = "arrived", "Arrived"
    SEATED = "seated", "Seated"
    RELEASED = "released", "Released"
    NO_SHOW = "no_show", "No-show"


@dataclass(frozen=True)
class StatusInfo:
    description: str
    colour: str
    holds_capacity: bool


STATUS_INFO = {
    BookingStatus.PENDING: StatusInfo(
        "Asked for, waiting for staff (or for a deposit). Holds no capacity.", "#d97706", False
    ),
    BookingStatus.APPROVED: StatusInfo(
        "Confirmed; the place is held for the guests.", "#16a34a", True
    ),
    BookingStatus.DENIED: StatusInfo("Staff turned the request down.", "#dc2626", False),
    BookingStatus.CANCELED: StatusInfo(
        "Canceled by the customer or by staff; the place is free again.", "#6b7280", False
    ),
    BookingStatus.ARRIVED: StatusInfo(
        "The guests are at the venue, maybe waiting for their place.", "#2563eb", True
    ),
    BookingStatus.SEATED: StatusInfo("The guests have their place.", "#7c3aed", True),
    BookingStatus.RELEASED: StatusInfo(
        "The guests left; the place is free again from the release time.", "#0f766e", True
    ),
    BookingStatus.NO_SHOW: StatusInfo("Nobody came; the place is free again.", "#9f1239", False),
}

# Words other booking systems use for our states, accepted on input.
STATUS_ALIASES = {
    "reserved": BookingStatus.PENDING,
    "accepted": BookingStatus.APPROVED,
    "booked": BookingStatus.APPROVED,
    "rejected": BookingStatus.DENIED,
    "declined": BookingStatus.DENIED,
    "unbooked": BookingStatus.CANCELED,
    "cancelled": BookingStatus.CANCELED,
    "arrival": BookingStatus.ARRIVED,
    "checked_in": BookingStatus.ARRIVED,
    "sitting": BookingStatus.SEATED,
    "completed": BookingStatus.RELEASED,
}

CAPACITY_HOLDING_STATUSES = frozenset(s for s, info in STATUS_INFO.items() if info.holds_capacity)


def resolve_status(name: str) -> BookingStatus:
    """The canonical status for a status name or alias; ValueError if there is none."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in BookingStatus.values:
        return BookingStatus(key)
    if key in STATUS_ALIASES:
        return STATUS_ALIASES[key]
    raise ValueError(f"Unknown booking status {name!r}.")


class BookingSource(models.TextChoices):
    PUBLIC_FORM = "public_form", "Public form"
    STAFF = "staff", "Staff"
    API = "api", "API"


class EventProcedure(models.TextChoices):
    """What happens to a booking's Event when the booking is canceled."""

    CANCEL = "cancel", "Mark the event canceled"
    DELETE = "delete", "Delete the event"


class Booking(ConcurrentTransitionMixin, ProtectedStatusMixin, models.Model):
    """What a customer asked for and what they get: one or more space, event and product lines."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bookings"
    )
    reference = models.CharField(max_length=12, unique=True, editable=False)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="bookings")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="bookings")
    status = FSMField(default=BookingStatus.PENDING, choices=BookingStatus.choices, protected=True)
    source = models.CharField(
        max_length=20, choices=BookingSource.choices, default=BookingSource.STAFF
    )
    booking_form = models.ForeignKey(
        BookingForm, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    title = models.CharField(
        max_length=200, blank=True, help_text="What the booking is for; the event's title."
    )
    contact_name = models.CharField(
        max_length=200, blank=True, help_text="Person to contact, if not the customer."
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    payment_type = models.ForeignKey(
        PaymentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    internal_note = models.TextField(blank=True, help_text="For staff only.")
    request_note = models.TextField(blank=True, help_text="The customer's note (sanitised HTML).")
    answers = models.JSONField(
        default=dict, blank=True, help_text="Answers to the form's custom fields, by key."
    )
    notify_email = models.BooleanField(default=True)
    notify_sms = models.BooleanField(default=False)
    total_net = models.DecimalField(**MONEY, default=ZERO)
    total_vat = models.DecimalField(**MONEY, default=ZERO)
    total_gross = models.DecimalField(**MONEY, default=ZERO)
    amount_paid = models.DecimalField(**MONEY, default=ZERO)
    balance = models.DecimalField(**MONEY, default=ZERO)
    event = models.OneToOneField(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_booking",
        help_text="Created when the booking is approved.",
    )
    manage_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Span of all lines, kept for listing and filtering by date.
    starts_at = models.DateTimeField(null=True, blank=True, editable=False)
    ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    canceled_at = models.DateTimeField(null=True, blank=True, editable=False)
    arrived_at = models.DateTimeField(null=True, blank=True, editable=False)
    seated_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once the reminder before the start is queued (bookings.services.automatic), so
    # that it goes out once whichever worker or sweep comes first.
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "starts_at"]),
            models.Index(fields=["organization", "starts_at"]),
            models.Index(fields=["venue", "starts_at"]),
            models.Index(
                fields=["manage_token_hash"],
                condition=~Q(manage_token_hash=""),
                name="bookings_manage_token_idx",
            ),
            # The requests waiting for a decision, a small part of the bookings: the
            # approval queue, oldest first (its count too), and each venue's on the dashboard.
            models.Index(
                fields=["created_at", "id", "organization"],
                condition=Q(status="pending"),
                name="bookings_booking_pending",
            ),
            models.Index(
                fields=["venue", "created_at"],
                condition=Q(status="pending"),
                name="bookings_booking_pending_venue",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="bookings_booking_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(total_net__gte=0, total_vat__gte=0, total_gross__gte=0),
                name="bookings_booking_totals_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="bookings_booking_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or "new booking"

    def save(self, *args, **kwargs) -> None:
        self.assign_reference()
        super().save(*args, **kwargs)

    def assign_reference(self) -> None:
        """Give a new booking its reference (save() does, unless a service did before)."""
        if not self.reference:
            self.reference = self._unused_reference()

    def clean(self) -> None:
        check_same_organization(
            self, self.organization_id, "venue", "customer", "booking_form", "payment_type"
        )

    @staticmethod
    def _unused_reference() -> str:
        # The unique constraint is the guarantee; this only avoids a needless IntegrityError.
        reference = generate_reference()
        while Booking.objects.filter(reference=reference).exists():
            reference = generate_reference()
        return reference

    # -- capacity held by the lines ---------------------------------------------------

    @property
    def holds_capacity(self) -> bool:
        return self.status in CAPACITY_HOLDING_STATUSES

    def compute_span(self) -> None:
        """Set starts_at / ends_at to the span of all lines (not saved)."""
        starts, ends = [], []
        for lines, start_field, end_field in (
            (self.space_bookings, "starts_at", "ends_at"),
            (self.inventory_bookings, "starts_at", "ends_at"),
            (self.event_bookings, "event__starts_at", "event__ends_at"),
        ):
            span = lines.aggregate(first=Min(start_field), last=Max(end_field))
            starts += [span["first"]] if span["first"] else []
            ends += [span["last"]] if span["last"] else []
        self.starts_at = min(starts, default=None)
        self.ends_at = max(ends, default=None)

    # -- the private manage link --------------------------------------------------------

    def issue_manage_token(self) -> str:
        """Make a new secret manage token, keep only its hash (not saved), return the token."""
        token = secrets.token_urlsafe(32)  # 256 bits
        self.manage_token_hash = hash_manage_token(token)
        return token

    def manage_token_matches(self, token: str) -> bool:
        return bool(self.manage_token_hash) and secrets.compare_digest(
            self.manage_token_hash, hash_manage_token(token)
        )

    # -- display -------------------------------------------------------------------------

    @property
    def status_info(self) -> StatusInfo:
        return STATUS_INFO[self.status]

    @property
    def notify_address(self) -> str:
        return self.contact_email or self.customer.email

    def allowed_next_statuses(self) -> list[str]:
        """The statuses this booking can move to now (conditions included)."""
        targets = {t.target for t in self.get_available_status_transitions()}
        return [status for status in BookingStatus.values if status in targets]

    # -- transitions (fields on self only; services save, log and notify) -------------------

    def has_started(self) -> bool:
        return self.starts_at is not None and self.starts_at <= timezone.now()

    @transition(field=status, source=BookingStatus.PENDING, target=BookingStatus.APPROVED)
    def approve(self) -> None:
        self.approved_at = timezone.now()

    @transition(field=status, source=BookingStatus.PENDING, target=BookingStatus.DENIED)
    def deny(self) -> None:
        pass

    @transition(
        field=status,
        source=[BookingStatus.PENDING, BookingStatus.APPROVED],
        target=BookingStatus.CANCELED,
    )
    def cancel(self) -> None:
        self.canceled_at = timezone.now()

    @transition(field=status, source=BookingStatus.APPROVED, target=BookingStatus.ARRIVED)
    def arrive(self) -> None:
        self.arrived_at = timezone.now()

    @transition(
        field=status,
        source=[BookingStatus.APPROVED, BookingStatus.ARRIVED],
        target=BookingStatus.SEATED,
    )
    def seat(self) -> None:
        self.seated_at = timezone.now()

    @transition(
        field=status,
        source=[BookingStatus.ARRIVED, BookingStatus.SEATED],
        target=BookingStatus.RELEASED,
    )
    def release(self) -> None:
        self.released_at = timezone.now()

    @transition(
        field=status,
        source=BookingStatus.APPROVED,
        target=BookingStatus.NO_SHOW,
        conditions=[has_started],
    )
    def mark_no_show(self) -> None:
        pass
