"""Money maths in Decimal: prices are gross (VAT included) and VAT is computed out of them.

Rounding: every stored amount has 2 decimal places, rounded half up (0.005 -> 0.01).
VAT is rounded once per line and net is gross minus VAT, so net + VAT == gross always.

Pure functions: they read the catalogue through the lines but never save anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from venues.models import Discount, VatRate

if TYPE_CHECKING:
    from bookings.models import Booking, BookingLine, EventBooking, InventoryBooking, SpaceBooking

CENT = Decimal("0.01")
# The largest amount a money column (12 digits, 2 after the point) holds: every price,
# total, payment sum and balance must stay within ±MONEY_MAX.
MONEY_MAX = Decimal("9999999999.99")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
# Hours are often not exact decimals (110 min = 1.8333… h), so price × hours can land a
# hair below a half cent: 45.45 × 110/60 gives 83.32499…98 instead of 83.325. Rounding
# to this first puts it back before the half-up rounding to cents.
EXACT_ENOUGH = Decimal("1e-10")


def money(amount: Decimal | int | str) -> Decimal:
    """`amount` rounded to cents, half up."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def split_gross(gross: Decimal, vat_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(net, vat) of a gross amount at `vat_percent`; net + vat == money(gross)."""
    gross = money(gross)
    vat = money(gross * vat_percent / (HUNDRED + vat_percent))
    return gross - vat, vat


@dataclass(frozen=True)
class LinePrice:
    """What one line costs; gross = subtotal − discount (or the manual price), net + vat = gross."""

    unit_price_gross: Decimal  # one unit (one hour for spaces) before discount
    quantity: Decimal  # hours for spaces, tickets, units
    subtotal_gross: Decimal  # money(unit_price_gross × quantity)
    discount_amount: Decimal  # gross amount taken off; 0 with a manual price
    vat_percent: Decimal  # 0 when the line has no VAT rate or its VAT is excluded
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rate: VatRate | None = None  # the rate used: the manual one with a manual price


def discount_refusal(discount: Discount, *, line_kind: str, on: date) -> ValidationError | None:
    """Why `discount` cannot be used on a line of `line_kind` ("spaces", "events",
    "products") for the booking day `on`, as an error on the "discount" field; None if it
    can: active, valid_from <= on <= valid_until (either may be empty), and meant for all
    lines or for this kind."""
    name = f'The discount "{discount.name}"'
    if not discount.is_active:
        message, code = f"{name} is not active.", "discount_inactive"
    elif discount.valid_from is not None and on < discount.valid_from:
        message = f"{name} is not valid yet: it starts on {discount.valid_from.isoformat()}."
        code = "discount_not_yet_valid"
    elif discount.valid_until is not None and on > discount.valid_until:
        message = f"{name} expired: its last day was {discount.valid_until.isoformat()}."
        code = "discount_expired"
    elif discount.applies_to not in (Discount.AppliesTo.ALL, line_kind):
        meant_for = discount.get_applies_to_display().lower()
        message = f"{name} is for {meant_for}, not {Discount.AppliesTo(line_kind).label.lower()}."
        code = "discount_wrong_line_kind"
    else:
        return None
    return ValidationError({"discount": ValidationError(message, code=code)})


def _discount_amount(discount: Discount, subtotal: Decimal, *, line_kind: str, on: date) -> Decimal:
    """Gross taken off `subtotal`; a fixed discount never takes more than the subtotal."""
    refusal = discount_refusal(discount, line_kind=line_kind, on=on)
    if refusal is not None:
        raise refusal
    if discount.kind == Discount.Kind.PERCENT:
        return money(subtotal * discount.value / HUNDRED)
    return min(money(discount.value), subtotal)


def price_line(
    *,
    unit_price_gross: Decimal,
    quantity: Decimal,
    vat_rate: VatRate | None,
    line_kind: str,
    on: date,
    discount: Discount | None = None,
    manual_price_gross: Decimal | None = None,
    manual_price_vat_rate: VatRate | None = None,
    exclude_vat: bool = False,
) -> LinePrice:
    """Price one line of `line_kind` booked for `on` (the booking day, venue time).

    A manual price is the gross, with its own VAT rate; the discount is then ignored.
    Otherwise gross = subtotal − discount: a percent discount takes money(subtotal ×
    value / 100), a fixed one its value but never more than the subtotal. A discount
    that does not apply on `on` raises ValidationError on "discount" saying why.
    VAT comes out of the gross of the line (none without a rate or with exclude_vat).
    """
    subtotal = money((unit_price_gross * quantity).quantize(EXACT_ENOUGH, ROUND_HALF_UP))
    if manual_price_gross is not None:
        gross, discount_amount, vat_rate = money(manual_price_gross), ZERO, manual_price_vat_rate
    else:
        discount_amount = (
            ZERO
            if discount is None
            else _discount_amount(discount, subtotal, line_kind=line_kind, on=on)
        )
        gross = subtotal - discount_amount
    vat_percent = ZERO if vat_rate is None or exclude_vat else vat_rate.percent
    net, vat = split_gross(gross, vat_percent)
    return LinePrice(
        unit_price_gross=unit_price_gross,
        quantity=quantity,
        subtotal_gross=subtotal,
        discount_amount=discount_amount,
        vat_percent=vat_percent,
        net=net,
        vat=vat,
        gross=gross,
        vat_rate=vat_rate,
    )


def _price_booking_line(
    line: BookingLine,
    *,
    unit_price_gross: Decimal,
    quantity: Decimal,
    vat_rate: VatRate | None,
    line_kind: str,
    on: date,
) -> LinePrice:
    """price_line with the line's own discount, manual price and VAT exclusion."""
    if line.use_manual_price and line.manual_price_gross is None:
        raise ValidationError({"manual_price_gross": "Enter the manual price."})
    manual = line.use_manual_price
    return price_line(
        unit_price_gross=unit_price_gross,
        quantity=quantity,
        vat_rate=vat_rate,
        line_kind=line_kind,
        on=on,
        discount=line.discount,
        manual_price_gross=line.manual_price_gross if manual else None,
        manual_price_vat_rate=line.manual_price_vat_rate if manual else None,
        exclude_vat=line.exclude_vat,
    )


def price_space_line(line: SpaceBooking, *, on: date) -> LinePrice:
    """The space's hourly price × the hours from starts_at to ends_at (setup and setdown
    are not charged), at the space's VAT rate."""
    minutes = (line.ends_at - line.starts_at) // timedelta(minutes=1)
    return _price_booking_line(
        line,
        unit_price_gross=line.space.hourly_price,
        quantity=Decimal(minutes) / 60,
        vat_rate=line.space.vat_rate,
        line_kind=Discount.AppliesTo.SPACES,
        on=on,
    )


def price_event_line(line: EventBooking, *, on: date) -> LinePrice:
    """The Price's gross amount × tickets, at the Price's VAT rate; a line with a manual
    price may have no Price."""
    price = line.price
    if price is None and not line.use_manual_price:
        raise ValidationError({"price": "Choose a price or enter a manual price."})
    return _price_booking_line(
        line,
        unit_price_gross=ZERO if price is None else price.amount_gross,
        quantity=Decimal(line.quantity),
        vat_rate=None if price is None else price.vat_rate,
        line_kind=Discount.AppliesTo.EVENTS,
        on=on,
    )


def price_product_line(line: InventoryBooking, *, on: date) -> LinePrice:
    """A named Price of the product (e.g. "Member") if the line has one, else the product's
    unit price; × units, per booking (not per hour), at that price's VAT rate."""
    source = line.price or line.product
    return _price_booking_line(
        line,
        unit_price_gross=source.amount_gross if line.price else source.unit_price,
        quantity=Decimal(line.units),
        vat_rate=source.vat_rate,
        line_kind=Discount.AppliesTo.PRODUCTS,
        on=on,
    )


def apply_line_price(line: BookingLine, price: LinePrice) -> None:
    """Copy `price` onto the line's stored price fields (not saved)."""
    line.unit_price_gross = price.unit_price_gross
    line.vat_rate = price.vat_rate
    line.vat_percent = price.vat_percent
    line.discount_amount = price.discount_amount
    line.net = price.net
    line.vat = price.vat
    line.gross = price.gross


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class VatShare:
    """Net, VAT and gross of the lines taxed at one percent."""

    percent: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


def booking_totals(lines: Iterable[BookingLine]) -> Totals:
    """Sums of the lines' stored net, VAT and gross (VAT is not recomputed on the sum)."""
    lines = list(lines)
    return Totals(
        net=sum((line.net for line in lines), ZERO),
        vat=sum((line.vat for line in lines), ZERO),
        gross=sum((line.gross for line in lines), ZERO),
    )


def vat_breakdown(lines: Iterable[BookingLine]) -> list[VatShare]:
    """The lines' stored amounts summed per VAT percent, lowest percent first."""
    by_percent: dict[Decimal, list[BookingLine]] = defaultdict(list)
    for line in lines:
        by_percent[line.vat_percent].append(line)
    shares = []
    for percent in sorted(by_percent):
        totals = booking_totals(by_percent[percent])
        shares.append(VatShare(percent=percent, net=totals.net, vat=totals.vat, gross=totals.gross))
    return shares


def apply_totals(booking: Booking, lines: Iterable[BookingLine]) -> None:
    """Set the booking's totals from its lines and balance = total gross − paid (not saved)."""
    totals = booking_totals(lines)
    booking.total_net = totals.net
    booking.total_vat = totals.vat
    booking.total_gross = totals.gross
    booking.balance = totals.gross - booking.amount_paid
