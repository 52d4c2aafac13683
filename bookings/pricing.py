"""Money maths in Decimal: prices are gross (VAT included) and VAT is computed out of them.

Rounding: every stored amount has 2 decimal places, rounded half up (0.005 -> 0.01).
VAT is rounded once per line and net is gross minus VAT, so net + VAT == gross always.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def money(amount: Decimal | int | str) -> Decimal:
    """`amount` rounded to cents, half up."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def split_gross(gross: Decimal, vat_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(net, vat) of a gross amount at `vat_percent`; net + vat == money(gross)."""
    gross = money(gross)
    vat = money(gross * vat_percent / (HUNDRED + vat_percent))
    return gross - vat, vat
