"""The transactions: bookings, their lines, payments, log, change requests and outbox.

Models hold data and declare transitions; transitions change fields on `self` only.
Every write that serves a use case goes through `bookings.services`.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Max, Min, Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from bookings.constraints import PostgresExclusionConstraint, TsTzRange
from core.actors import ActorKind
from venues.models import (
    MONEY,
    PERCENT,
    BookingForm,
    Discount,
    Event,
    InventoryProduct,
    Organization,
    OrganizationAPIKey,
    PaymentType,
    Price,
    ProtectedStatusMixin,
    Space,
    SpaceLayout,
    VatRate,
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
            models.Index(fields=["organization", "email"]),
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
        if not self.reference:
            self.reference = self._unused_reference()
        super().save(*args, **kwargs)

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


class BookingLine(models.Model):
    """What every line carries: its booking, whether it holds capacity, and its price.

    Prices are gross; VAT is computed out of the gross (bookings.pricing). The VAT
    percent is copied onto the line so that later changes to a rate do not alter
    what was sold.
    """

    holds_capacity = models.BooleanField(
        default=False, editable=False, help_text="Mirrors the booking's status."
    )
    unit_price_gross = models.DecimalField(**MONEY, default=ZERO)
    vat_rate = models.ForeignKey(
        VatRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vat_percent = models.DecimalField(**PERCENT, default=ZERO)
    exclude_vat = models.BooleanField(default=False, help_text="No VAT on this line.")
    discount = models.ForeignKey(
        Discount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discount_amount = models.DecimalField(**MONEY, default=ZERO)
    use_manual_price = models.BooleanField(default=False)
    manual_price_gross = models.DecimalField(**MONEY, null=True, blank=True)
    manual_price_vat_rate = models.ForeignKey(
        VatRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    net = models.DecimalField(**MONEY, default=ZERO)
    vat = models.DecimalField(**MONEY, default=ZERO)
    gross = models.DecimalField(**MONEY, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.booking_id is not None:
            check_same_organization(
                self,
                self.booking.organization_id,
                self.catalogue_field,
                "vat_rate",
                "discount",
                "manual_price_vat_rate",
            )

    def held_interval(self, start, end) -> tuple:
        """The interval the line holds its resource: [start, end), cut at the release time."""
        released_at = self.booking.released_at
        if released_at is not None:
            end = max(start, min(end, released_at))
        return start, end

    @classmethod
    def price_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(use_manual_price=False)
                | Q(manual_price_gross__isnull=False, manual_price_vat_rate__isnull=False),
                name=f"{prefix}_manual_price_complete",
            ),
            models.CheckConstraint(
                condition=Q(manual_price_gross__isnull=True) | Q(manual_price_gross__gte=0),
                name=f"{prefix}_manual_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(unit_price_gross__gte=0, discount_amount__gte=0, gross__gte=0),
                name=f"{prefix}_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(vat_percent__gte=0, vat_percent__lte=100),
                name=f"{prefix}_vat_percent_range",
            ),
        ]


class SpaceBooking(BookingLine):
    """A space (and layout) from starts_at to ends_at, with setup and setdown around it.

    The occupied interval [starts_at − setup, ends_at + setdown) is stored, because
    PostgreSQL's exclusion constraint needs it as plain columns (timestamp − interval
    is not immutable, so it cannot be computed in the index); it ends at the release
    time once the guests have left.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="space_bookings")
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="space_bookings")
    layout = models.ForeignKey(
        SpaceLayout, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True, help_text="Session name.")
    signage = models.CharField(max_length=200, blank=True, help_text="Text for door signs.")
    show_signage = models.BooleanField(default=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    setup_minutes = models.PositiveIntegerField(default=0)
    setdown_minutes = models.PositiveIntegerField(default=0)
    places = models.PositiveIntegerField(default=1, help_text="Places (people) it takes.")
    expected_attendees = models.PositiveIntegerField(null=True, blank=True)
    guaranteed_attendees = models.PositiveIntegerField(null=True, blank=True)
    actual_attendees = models.PositiveIntegerField(null=True, blank=True)
    overrides_opening_hours = models.BooleanField(
        default=False, help_text="Staff allowed it outside the venue's opening hours."
    )
    occupied_from = models.DateTimeField(editable=False)
    occupied_until = models.DateTimeField(editable=False)
    exclusive_space = models.BooleanField(
        default=True, editable=False, help_text="Mirrors the space's mode."
    )

    catalogue_field = "space"

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["space", "occupied_from", "occupied_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="bookings_spacebooking_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(places__gt=0), name="bookings_spacebooking_places_positive"
            ),
            models.CheckConstraint(
                condition=Q(occupied_from__lte=F("starts_at"))
                & Q(occupied_until__gte=F("occupied_from")),
                name="bookings_spacebooking_occupied_interval_valid",
            ),
            *BookingLine.price_constraints("bookings_spacebooking"),
            PostgresExclusionConstraint(
                name="bookings_spacebooking_no_overlap_in_exclusive_space",
                expressions=[
                    ("space", RangeOperators.EQUAL),
                    (
                        TsTzRange("occupied_from", "occupied_until", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(holds_capacity=True, exclusive_space=True),
                violation_error_code="space_overlap",
                violation_error_message="The space is already booked at that time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space.name} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    def save(self, *args, **kwargs) -> None:
        self.compute_occupancy()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.layout_id is not None and self.layout.space_id != self.space_id:
            raise ValidationError({"layout": "This layout belongs to another space."})
        if None not in (self.booking_id, self.space_id, self.starts_at, self.ends_at):
            self.compute_occupancy()

    def compute_occupancy(self) -> None:
        """Set the mirrored fields and the occupied interval from the line and its booking."""
        self.holds_capacity = self.booking.holds_capacity
        self.exclusive_space = self.space.is_exclusive
        self.occupied_from, self.occupied_until = self.held_interval(*self.interval_with_setup())

    def interval_with_setup(self) -> tuple:
        """[starts_at − setup, ends_at + setdown): the time the line needs the space."""
        return (
            self.starts_at - timedelta(minutes=self.setup_minutes),
            self.ends_at + timedelta(minutes=self.setdown_minutes),
        )


class EventBooking(BookingLine):
    """Tickets to an event: a price and a quantity."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="event_bookings")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="event_bookings")
    price = models.ForeignKey(
        Price, on_delete=models.PROTECT, null=True, blank=True, related_name="event_bookings"
    )
    quantity = models.PositiveIntegerField(default=1)

    catalogue_field = "event"

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["event", "holds_capacity"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="bookings_eventbooking_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=False) | Q(use_manual_price=True),
                name="bookings_eventbooking_price_or_manual_price",
            ),
            *BookingLine.price_constraints("bookings_eventbooking"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.event.title}"

    def clean(self) -> None:
        super().clean()
        if self.price_id is not None and self.price.event_id != self.event_id:
            raise ValidationError({"price": "This price is not a price of the event."})


class InventoryBooking(BookingLine):
    """Units of a product from starts_at to ends_at."""

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="inventory_bookings"
    )
    product = models.ForeignKey(
        InventoryProduct, on_delete=models.PROTECT, related_name="inventory_bookings"
    )
    price = models.ForeignKey(
        Price,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inventory_bookings",
        help_text="A named price of the product; empty: its unit price.",
    )
    units = models.PositiveIntegerField(default=1)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    occupied_from = models.DateTimeField(editable=False)
    occupied_until = models.DateTimeField(
        editable=False, help_text="ends_at, or the release time once the guests left."
    )

    catalogue_field = "product"

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["product", "occupied_from", "occupied_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="bookings_inventorybooking_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(units__gt=0), name="bookings_inventorybooking_units_positive"
            ),
            models.CheckConstraint(
                condition=Q(occupied_from=F("starts_at"))
                & Q(occupied_until__gte=F("occupied_from"), occupied_until__lte=F("ends_at")),
                name="bookings_inventorybooking_occupied_interval_valid",
            ),
            *BookingLine.price_constraints("bookings_inventorybooking"),
        ]

    def __str__(self) -> str:
        return f"{self.units} × {self.product.name}"

    def save(self, *args, **kwargs) -> None:
        self.compute_occupancy()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if None not in (self.product_id, self.booking_id) and self.product.venue_id not in (
            None,
            self.booking.venue_id,
        ):
            raise ValidationError({"product": "This product is kept at another venue."})
        if self.price_id is not None and self.price.product_id != self.product_id:
            raise ValidationError({"price": "This price is not a price of the product."})
        if None not in (self.booking_id, self.starts_at, self.ends_at):
            self.compute_occupancy()

    def compute_occupancy(self) -> None:
        self.holds_capacity = self.booking.holds_capacity
        self.occupied_from, self.occupied_until = self.held_interval(self.starts_at, self.ends_at)


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
        return f"{self.booking} {self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor_display(self) -> str:
        if self.actor_kind == ActorKind.USER and self.user:
            return self.user.get_full_name() or self.user.get_username()
        if self.actor_kind == ActorKind.API_KEY and self.api_key:
            return f"API key {self.api_key.name}"
        return self.get_actor_kind_display()


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
