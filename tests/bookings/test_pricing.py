"""VAT out of gross prices, checked by hand."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookings.pricing import money, split_gross


@pytest.mark.parametrize(
    ("gross", "percent", "net", "vat"),
    [
        ("121.00", "21", "100.00", "21.00"),
        ("110.00", "10", "100.00", "10.00"),
        ("10.00", "21", "8.26", "1.74"),  # 10 × 21/121 = 1.7355… → 1.74
        ("0.05", "21", "0.04", "0.01"),  # 0.05 × 21/121 = 0.00867… → 0.01
        ("99.99", "0", "99.99", "0.00"),
        ("0.00", "21", "0.00", "0.00"),
    ],
)
def test_vat_is_computed_out_of_the_gross_price(gross, percent, net, vat):
    assert split_gross(Decimal(gross), Decimal(percent)) == (Decimal(net), Decimal(vat))


def test_money_rounds_half_up_to_cents():
    assert money(Decimal("2.345")) == Decimal("2.35")
    assert money(Decimal("2.344")) == Decimal("2.34")
    assert money(Decimal("-2.345")) == Decimal("-2.35")


@given(
    st.decimals(min_value=0, max_value=10**8, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_net_and_vat_always_add_up_to_the_gross(gross, percent):
    net, vat = split_gross(gross, percent)
    assert net + vat == gross
    assert Decimal(0) <= vat <= gross
