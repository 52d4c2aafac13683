"""The catalogue: who rents out what, where, when and for how much."""

import hashlib
import re
import secrets
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from rest_framework_api_key.models import AbstractAPIKey

from core.permissions import Role, Scope, role_includes

MONEY = {"max_digits": 12, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone name (e.g. Europe/Madrid).",
            code="invalid_timezone",
            params={"value": value},
        )


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(
            "Not a valid regular expression: %(error)s", code="invalid_regex", params={"error": exc}
        ) from exc


def check_same_organization(instance: models.Model, organization_id, *fields: str) -> None:
    """Refuse related objects (by field name) that belong to another organisation.

    Relations that are not set yet are skipped; so is everything when the
    organisation itself is not set (the required-field error says that).
    """
    if organization_id is None:
        return
    errors = {}
    for name in fields:
        if getattr(instance, f"{name}_id") is None:
            continue
        related = getattr(instance, name)
        # A space belongs to its organisation through its venue.
        owner = getattr(related, "organization_id", None) or related.venue.organization_id
        if owner != organization_id:
            errors[name] = "This belongs to another organisation."
    if errors:
        raise ValidationError(errors)


class ProtectedStatusMixin(FSMModelMixin):
    """For models whose `status` is a protected FSM field: full_clean() leaves it alone.

    Model.clean_fields() assigns every field back to the instance, which a protected
    FSM field refuses; the status is changed by transitions only, and the database
    checks its value.
    """

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude={*(exclude or ()), "status"})


class Organization(models.Model):
    """A business that rents out venues; it owns everything else."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    email = models.EmailField(blank=True, help_text="Public contact address.")
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    currency = models.CharField(max_length=3, default="EUR", help_text="ISO 4217 code.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff user's role in an organisation; each role includes the ones below it."""

    Role = Role  # manager > approver > front_desk > viewer (core.permissions)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="venues_membership_one_per_user_and_org"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["manager", "approver", "front_desk", "viewer"]),
                name="venues_membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"

    def has_role(self, role: str) -> bool:
        """True when this membership's role is `role` or one above it."""
        return role_includes(self.role, role)


class OrganizationAPIKey(AbstractAPIKey):
    """An API key of one organisation (only its hash is stored) with its scopes."""

    Scope = Scope

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    scopes = models.JSONField(
        default=list, help_text='Any of "read", "write", "approve", e.g. ["read", "write"].'
    )
    # Set by the API's authentication at most once a minute per key (venues.services).
    last_used_at = models.DateTimeField(
        "last used", null=True, blank=True, editable=False, help_text="To the minute."
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        ordering = ["organization__name", "name"]

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.scopes, list) or not set(self.scopes) <= set(self.Scope.values):
            raise ValidationError(
                {"scopes": f"Must be a list drawn from {', '.join(self.Scope.values)}."}
            )

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class Venue(models.Model):
    """A place with an address and a time zone; every local time of it is read in that zone."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone name, e.g. Europe/Madrid.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="venues_venue_slug_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A secret address that serves a venue's bookings to staff calendar apps (subscribed
    by URL, so the token is the only key); only the token's hash is kept."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="calendar_feeds")
    name = models.CharField(
        max_length=100, help_text="Whose calendar reads it, e.g. “Front desk tablet”."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "calendar feed"
        ordering = ["venue__name", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.venue}: {self.name}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def issue_token(self) -> str:
        """Make the secret token (not saved), keep only its hash, return the token."""
        token = secrets.token_urlsafe(32)  # 256 bits
        self.token_hash = hash_feed_token(token)
        return token


class VatRate(models.Model):
    """A VAT rate; prices are gross and VAT is computed out of them."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="vat_rates"
    )
    name = models.CharField(max_length=100)
    percent = models.DecimalField(
        **PERCENT,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "VAT rate"
        ordering = ["organization__name", "percent", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="venues_vatrate_name_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="venues_vatrate_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent.normalize():f} %)"


class Space(models.Model):
    """The bookable unit of a venue: a room or hall (exclusive) or a zone or table (shared)."""

    class Kind(models.TextChoices):
        ROOM = "room", "Room"
        HALL = "hall", "Hall"
        ZONE = "zone", "Zone"
        TABLE = "table", "Table"
        OUTDOOR = "outdoor", "Outdoor area"

    class Mode(models.TextChoices):
        EXCLUSIVE = "exclusive", "Exclusive (one booking at a time)"
        SHARED = "shared", "Shared (many bookings until the places are used up)"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="spaces")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ROOM)
    description = models.TextField(blank=True)
    capacity = models.PositiveIntegerField(help_text="People the space holds.")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EXCLUSIVE)
    setup_minutes = models.PositiveIntegerField(
        default=0, help_text="Default preparation time before a booking."
    )
    setdown_minutes = models.PositiveIntegerField(
        default=0, help_text="Default clearing time after a booking."
    )
    hourly_price = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Gross price per hour (VAT included)."
    )
    vat_rate = models.ForeignKey(
        VatRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in lists and calendars.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["venue__name", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["venue", "slug"], name="venues_space_slug_unique_per_venue"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["exclusive", "shared"]), name="venues_space_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(hourly_price__gte=0), name="venues_space_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.venue.name})"

    def clean(self) -> None:
        if self.venue_id is not None:
            check_same_organization(self, self.venue.organization_id, "vat_rate")

    @property
    def is_exclusive(self) -> bool:
        return self.mode == self.Mode.EXCLUSIVE


class SpaceLayout(models.Model):
    """A way to set a space up (theatre, banquet, boardroom…), each with its own capacity."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="layouts")
    name = models.CharField(max_length=100)
    capacity = models.PositiveIntegerField()
    setup_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the space's setup time for this layout."
    )
    setdown_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the space's setdown time for this layout."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["space", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "name"], name="venues_spacelayout_name_unique_per_space"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space.name} — {self.name} ({self.capacity})"


class Blockout(models.Model):
    """A time when a space cannot be booked."""

    class Reason(models.TextChoices):
        MAINTENANCE = "maintenance", "Maintenance"
        PRIVATE_USE = "private_use", "Private use"
        HOLD = "hold", "Hold"
        OTHER = "other", "Other"

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="blockouts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.MAINTENANCE)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "space"]
        indexes = [models.Index(fields=["space", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="venues_blockout_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        when = f"{timezone.localtime(self.starts_at, self.space.venue.tzinfo):%Y-%m-%d %H:%M}"
        return f"{self.space.name} blocked {when} ({self.get_reason_display()})"


class OpeningHours(models.Model):
    """A period a venue is open on a weekday, in the venue's local time.

    A period whose closing time is not after its opening time runs past midnight
    (22:00–05:00); 00:00–00:00 is the whole day. A venue with no periods at all is
    always open; a weekday without periods is closed.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        verbose_name_plural = "opening hours"
        ordering = ["venue", "weekday", "opens_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["venue", "weekday", "opens_at"], name="venues_openinghours_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="venues_openinghours_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    @property
    def runs_past_midnight(self) -> bool:
        return self.closes_at <= self.opens_at

    def period_on(self, day: date) -> tuple[datetime, datetime]:
        """The aware (start, end) of this period on `day` (a date of its weekday), venue time."""
        tz = self.venue.tzinfo
        start = datetime.combine(day, self.opens_at, tzinfo=tz)
        end_day = day + timedelta(days=1) if self.runs_past_midnight else day
        end = datetime.combine(end_day, self.closes_at, tzinfo=tz)
        return start, end


class Event(ProtectedStatusMixin, models.Model):
    """Something that happens at a venue: sold as tickets, or created when a booking is approved."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELED = "canceled", "Canceled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="events")
    space = models.ForeignKey(
        Space, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="Internal notes for staff.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Tickets for sale; empty means not limited."
    )
    is_public = models.BooleanField(default=False, help_text="Listed and sold to the public.")
    status = FSMField(default=Status.SCHEDULED, choices=Status.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "title"]
        indexes = [models.Index(fields=["organization", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="venues_event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "canceled"]), name="venues_event_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({timezone.localtime(self.starts_at, self.venue.tzinfo):%Y-%m-%d})"

    def clean(self) -> None:
        check_same_organization(self, self.organization_id, "venue")
        if None not in (self.space_id, self.venue_id) and self.space.venue_id != self.venue_id:
            raise ValidationError({"space": "This space is not at the event's venue."})

    @transition(field=status, source=Status.SCHEDULED, target=Status.CANCELED)
    def cancel(self) -> None:
        """The event will not take place."""


class InventoryProduct(models.Model):
    """Equipment or an extra (projector, chairs, bottle service) with a limited stock."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="inventory_products"
    )
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inventory_products",
        help_text="Empty: available at every venue of the organisation.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    units_total = models.PositiveIntegerField(help_text="Units in stock.")
    unit_price = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Gross price per unit (VAT included)."
    )
    vat_rate = models.ForeignKey(
        VatRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="venues_inventoryproduct_name_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="venues_inventoryproduct_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_same_organization(self, self.organization_id, "venue", "vat_rate")


class Price(models.Model):
    """A named price of an event ticket or a product ("Adult", "Member")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="prices")
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="prices"
    )
    product = models.ForeignKey(
        InventoryProduct, on_delete=models.CASCADE, null=True, blank=True, related_name="prices"
    )
    name = models.CharField(max_length=100)
    amount_gross = models.DecimalField(**MONEY)
    vat_rate = models.ForeignKey(
        VatRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(event__isnull=False, product__isnull=True)
                    | Q(event__isnull=True, product__isnull=False)
                ),
                name="venues_price_of_event_or_product",
            ),
            models.CheckConstraint(
                condition=Q(amount_gross__gte=0), name="venues_price_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount_gross}"

    def clean(self) -> None:
        check_same_organization(self, self.organization_id, "event", "product", "vat_rate")


class Discount(models.Model):
    """A reduction in percent or a fixed amount, optionally behind a public code."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent"
        FIXED = "fixed", "Fixed amount"

    class AppliesTo(models.TextChoices):
        ALL = "all", "Everything"
        SPACES = "spaces", "Space bookings"
        EVENTS = "events", "Event tickets"
        PRODUCTS = "products", "Inventory products"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="discounts"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(**MONEY, help_text="Percent (0–100) or gross amount off, by kind.")
    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices, default=AppliesTo.ALL)
    code = models.CharField(
        max_length=40, blank=True, help_text="Public code customers type in; empty: staff only."
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True, help_text="Last day it applies.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                "organization",
                condition=~Q(code=""),
                name="venues_discount_code_unique_per_org",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="venues_discount_value_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="venues_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="venues_discount_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        amount = f"{self.value.normalize():f} %" if self.kind == self.Kind.PERCENT else self.value
        return f"{self.name} (−{amount})"


class PaymentType(models.Model):
    """How a customer pays: cash, card, invoice…"""

    class Kind(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        INVOICE = "invoice", "Invoice"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        ONLINE = "online", "Online payment"
        OTHER = "other", "Other"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="payment_types"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="venues_paymenttype_name_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BookingForm(models.Model):
    """A public booking form of a venue and its policy."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="booking_forms"
    )
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="booking_forms")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True, help_text="Shown above the form.")
    spaces = models.ManyToManyField(Space, related_name="booking_forms", blank=True)
    products = models.ManyToManyField(
        InventoryProduct, related_name="booking_forms", blank=True, help_text="Extras offered."
    )
    requires_approval = models.BooleanField(
        default=True, help_text="Off: requests that fit are approved at once."
    )
    min_notice_hours = models.PositiveIntegerField(
        default=24, help_text="How long before the start a request must arrive."
    )
    max_days_ahead = models.PositiveIntegerField(
        default=365, help_text="How far ahead a booking can start."
    )
    slot_minutes = models.PositiveIntegerField(
        default=30, help_text="Granularity of start times and durations."
    )
    min_duration_minutes = models.PositiveIntegerField(default=60)
    max_duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no limit."
    )
    accepts_discount_codes = models.BooleanField(
        default=False, help_text="Customers may type a discount's public code."
    )
    cancellation_deadline_hours = models.PositiveIntegerField(
        default=48, help_text="Customers may cancel themselves until this long before the start."
    )
    notify_emails = models.TextField(
        blank=True, help_text="Staff addresses told of new requests, one per line."
    )
    no_show_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Approved bookings nobody arrived for are marked no-show this many minutes "
        "after their start, automatically. Empty: only staff mark no-shows.",
    )
    payment_type = models.ForeignKey(
        PaymentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Payment type given to bookings from this form.",
    )
    confirmation_text = models.TextField(
        blank=True, help_text="Shown to the customer after submitting."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organization__name", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="venues_bookingform_slug_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gt=0), name="venues_bookingform_slot_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_duration_minutes__isnull=True)
                | Q(max_duration_minutes__gte=F("min_duration_minutes")),
                name="venues_bookingform_max_duration_not_below_min",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def notify_email_list(self) -> list[str]:
        return [line.strip() for line in self.notify_emails.splitlines() if line.strip()]

    def clean(self) -> None:
        from django.core.validators import validate_email

        check_same_organization(self, self.organization_id, "venue", "payment_type")
        for address in self.notify_email_list:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"notify_emails": f"{address!r} is not an e-mail address."}
                ) from None


class CustomField(models.Model):
    """A question of a booking form; answers are validated on the server for every door."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        LONG_TEXT = "long_text", "Long text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        EMAIL = "email", "E-mail"
        CHOICE = "choice", "Choice"
        MULTI_CHOICE = "multi_choice", "Multiple choice"
        CHECKBOX = "checkbox", "Checkbox"

    class Section(models.TextChoices):
        CONTACT = "contact", "Contact"
        EVENT = "event", "Event"

    CHOICE_TYPES = {Type.CHOICE, Type.MULTI_CHOICE}

    form = models.ForeignKey(BookingForm, on_delete=models.CASCADE, related_name="custom_fields")
    label = models.CharField(max_length=200)
    key = models.SlugField(max_length=60, help_text="Name of the answer in data and the API.")
    field_type = models.CharField(max_length=20, choices=Type.choices, default=Type.TEXT)
    section = models.CharField(max_length=10, choices=Section.choices, default=Section.EVENT)
    help_text = models.CharField(max_length=255, blank=True)
    required = models.BooleanField(default=False)
    required_message = models.CharField(
        max_length=200, blank=True, help_text="Shown when a required answer is missing."
    )
    max_length = models.PositiveIntegerField(null=True, blank=True)
    regex = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_regex],
        help_text="The whole answer must match.",
    )
    regex_message = models.CharField(
        max_length=200, blank=True, help_text="Shown when the answer does not match."
    )
    choices = models.JSONField(default=list, blank=True, help_text="Options of choice fields.")
    default = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["form", "section", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "key"], name="venues_customfield_key_unique_per_form"
            ),
            models.CheckConstraint(
                condition=Q(max_length__isnull=True) | Q(max_length__gt=0),
                name="venues_customfield_max_length_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form.title}: {self.label}"

    def clean(self) -> None:
        if self.field_type in self.CHOICE_TYPES:
            if not (
                isinstance(self.choices, list)
                and self.choices
                and all(isinstance(choice, str) and choice for choice in self.choices)
            ):
                raise ValidationError({"choices": "Give the options as a list of texts."})
        elif self.choices:
            raise ValidationError({"choices": "Only choice fields have options."})
        if self.regex_message and not self.regex:
            raise ValidationError({"regex_message": "There is no regular expression to explain."})
