"""A booking's lines: spaces, event tickets and products, each with its price."""

from datetime import timedelta

from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from bookings.constraints import PostgresExclusionConstraint, TsTzRange
from bookings.models.booking import ZERO, Booking
from venues.models import (
    MONEY,
    PERCENT,
    Discount,
    Event,
    InventoryProduct,
    Price,
    Space,
    SpaceLayout,
    VatRate,
    check_same_organization,
)


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
        zone = self.space.venue.tzinfo
        starts, ends = (
            timezone.localtime(self.starts_at, zone),
            timezone.localtime(self.ends_at, zone),
        )
        return f"{self.space.name} {starts:%Y-%m-%d %H:%M}–{ends:%H:%M} {ends:%Z}"

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

    def save(self, *args, **kwargs) -> None:
        self.holds_capacity = self.booking.holds_capacity
        super().save(*args, **kwargs)

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
