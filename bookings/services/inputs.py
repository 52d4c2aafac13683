"""What a booking or a line asks for (the services' input values) and how a line is built.

CUSTOMER_CHOICES says which of these a customer may choose; everything else on a line
is a staff matter.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError

from bookings.availability import preparation_minutes
from bookings.models import (
    MAX_PLACES,
    Booking,
    EventBooking,
    InventoryBooking,
    SpaceBooking,
)
from core.times import in_venue_time
from venues.models import (
    Discount,
    Event,
    InventoryProduct,
    Price,
    Space,
    SpaceLayout,
    VatRate,
)


@dataclass
class LinePriceIn:
    """Price options every line accepts."""

    discount: Discount | None = None
    use_manual_price: bool = False
    manual_price_gross: Decimal | None = None
    manual_price_vat_rate: VatRate | None = None
    exclude_vat: bool = False


@dataclass
class SpaceLineIn(LinePriceIn):
    space: Space = None
    starts_at: datetime = None
    ends_at: datetime = None
    places: int = 1
    layout: SpaceLayout | None = None
    name: str = ""
    setup_minutes: int | None = None  # None: the layout's, else the space's default
    setdown_minutes: int | None = None
    expected_attendees: int | None = None
    guaranteed_attendees: int | None = None
    actual_attendees: int | None = None
    signage: str = ""
    show_signage: bool = False
    overrides_opening_hours: bool = False


@dataclass
class EventLineIn(LinePriceIn):
    event: Event = None
    price: Price | None = None
    quantity: int = 1


@dataclass
class ProductLineIn(LinePriceIn):
    product: InventoryProduct = None
    price: Price | None = None
    units: int = 1
    starts_at: datetime = None
    ends_at: datetime = None


@dataclass
class ContactIn:
    """The person to contact and how; blank fields fall back to the customer's."""

    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class CreatedBooking:
    booking: Booking
    manage_token: str  # shown once (confirmation page, API response, e-mail)
    warnings: list[str] = field(default_factory=list)
    lines: object = None  # the Lines saved with it (bookings.services.common.Lines)
    log: list = field(default_factory=list)  # the LogEntry rows written


# What a customer (public form, manage link) may choose on a line. Every other field of a
# line is a staff matter — prices, VAT, discounts by id, setup and setdown, opening-hours
# overrides, attendee figures, signage — and must be left as it is by default.
CUSTOMER_CHOICES = {
    SpaceLineIn: frozenset({"space", "layout", "starts_at", "ends_at", "places", "name"}),
    ProductLineIn: frozenset({"product", "units", "starts_at", "ends_at"}),
}
STAFF_ONLY = "Only staff can set this."


def staff_only(field_name: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(STAFF_ONLY, code="staff_only")})


# The ranges a line's counts take, whichever door they come by (the API's serializers
# state the same ones in its schema). Beyond them a time would overflow or a price would
# exceed what the database holds.
MAX_PREPARATION_MINUTES = 24 * 60
MAX_TICKETS = 10_000
LINE_RANGES = {
    "places": (1, MAX_PLACES),
    "setup_minutes": (0, MAX_PREPARATION_MINUTES),
    "setdown_minutes": (0, MAX_PREPARATION_MINUTES),
    "expected_attendees": (0, MAX_PLACES),
    "guaranteed_attendees": (0, MAX_PLACES),
    "actual_attendees": (0, MAX_PLACES),
    "quantity": (1, MAX_TICKETS),
    "units": (1, MAX_PLACES),
}


def check_line_input(line_in: LinePriceIn, prefix: str) -> None:
    """Refuse counts out of range and an incomplete price, naming the fields (the database's
    constraints would refuse them too, but in words no person should read)."""
    errors = {}
    for name, (low, high) in LINE_RANGES.items():
        value = getattr(line_in, name, None)
        if value is not None and not (type(value) is int and low <= value <= high):
            errors[f"{prefix}.{name}"] = f"Enter a whole number from {low} to {high}."
    if line_in.manual_price_gross is not None and line_in.manual_price_gross < 0:
        errors[f"{prefix}.manual_price_gross"] = "Enter a price of 0 or more."
    if line_in.use_manual_price:
        if line_in.manual_price_gross is None:
            errors[f"{prefix}.manual_price_gross"] = "Enter the manual price."
        if line_in.manual_price_vat_rate is None:
            errors[f"{prefix}.manual_price_vat_rate"] = "Choose the VAT rate of the manual price."
    elif isinstance(line_in, EventLineIn) and line_in.price is None:
        errors[f"{prefix}.price"] = "Choose a price, or set a manual price."
    if errors:
        raise ValidationError(errors)


def _price_fields(line_in: LinePriceIn) -> dict:
    return {
        "discount": line_in.discount,
        "use_manual_price": line_in.use_manual_price,
        "manual_price_gross": line_in.manual_price_gross,
        "manual_price_vat_rate": line_in.manual_price_vat_rate,
        "exclude_vat": line_in.exclude_vat,
    }


def build_space_line(booking: Booking, line_in: SpaceLineIn, *, prefix: str) -> SpaceBooking:
    """An unsaved SpaceBooking with times read in the venue's zone and default setup times."""
    check_line_input(line_in, prefix)
    tz = booking.venue.tzinfo
    layout, space = line_in.layout, line_in.space
    default_setup, default_setdown = preparation_minutes(space, layout)
    setup, setdown = line_in.setup_minutes, line_in.setdown_minutes
    return SpaceBooking(
        booking=booking,
        space=space,
        layout=layout,
        name=line_in.name,
        starts_at=_time(line_in.starts_at, tz, f"{prefix}.starts_at"),
        ends_at=_time(line_in.ends_at, tz, f"{prefix}.ends_at"),
        setup_minutes=default_setup if setup is None else setup,
        setdown_minutes=default_setdown if setdown is None else setdown,
        places=line_in.places,
        expected_attendees=line_in.expected_attendees,
        guaranteed_attendees=line_in.guaranteed_attendees,
        actual_attendees=line_in.actual_attendees,
        signage=line_in.signage,
        show_signage=line_in.show_signage,
        overrides_opening_hours=line_in.overrides_opening_hours,
        **_price_fields(line_in),
    )


def build_event_line(booking: Booking, line_in: EventLineIn, *, prefix: str) -> EventBooking:
    check_line_input(line_in, prefix)
    return EventBooking(
        booking=booking,
        event=line_in.event,
        price=line_in.price,
        quantity=line_in.quantity,
        **_price_fields(line_in),
    )


def build_product_line(
    booking: Booking, line_in: ProductLineIn, *, prefix: str
) -> InventoryBooking:
    check_line_input(line_in, prefix)
    tz = booking.venue.tzinfo
    return InventoryBooking(
        booking=booking,
        product=line_in.product,
        price=line_in.price,
        units=line_in.units,
        starts_at=_time(line_in.starts_at, tz, f"{prefix}.starts_at"),
        ends_at=_time(line_in.ends_at, tz, f"{prefix}.ends_at"),
        **_price_fields(line_in),
    )


def _time(value: datetime | None, tz, field_name: str) -> datetime:
    if value is None:
        raise ValidationError({field_name: "This field is required."})
    return in_venue_time(value, tz, field=field_name)
