"""Line prices, discounts, VAT out of gross prices and booking totals, checked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from bookings.pricing import (
    LinePrice,
    Totals,
    VatShare,
    apply_line_price,
    apply_totals,
    booking_totals,
    discount_refusal,
    money,
    price_event_line,
    price_line,
    price_product_line,
    price_space_line,
    split_gross,
    vat_breakdown,
)
from tests.factories import (
    BASE_TIME,
    BookingFactory,
    DiscountFactory,
    EventBookingFactory,
    EventFactory,
    InventoryBookingFactory,
    InventoryProductFactory,
    PriceFactory,
    SpaceBookingFactory,
    SpaceFactory,
    VatRateFactory,
)
from venues.models import Discount, VatRate


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


# -- one line ---------------------------------------------------------------------------

ON = date(2030, 3, 4)  # the booking day of the factories' BASE_TIME


def rate(percent: str) -> VatRate:
    return VatRate(name=f"VAT {percent}", percent=Decimal(percent))


def discount(**fields) -> Discount:
    return Discount(name="Spring", **fields)


def price(unit: str, quantity: str | Decimal, vat: str | None = "21.00", **options) -> LinePrice:
    return price_line(
        unit_price_gross=Decimal(unit),
        quantity=Decimal(quantity),
        vat_rate=None if vat is None else rate(vat),
        line_kind=Discount.AppliesTo.SPACES,
        on=ON,
        **options,
    )


@pytest.mark.parametrize(
    ("percent", "net", "vat"),
    [
        ("21.00", "74.38", "15.62"),  # 90 × 21/121 = 15.619… → 15.62
        ("10.00", "81.82", "8.18"),  # 90 × 10/110 = 8.181… → 8.18
        ("0.00", "90.00", "0.00"),
    ],
)
def test_a_line_without_discount_takes_its_vat_out_of_the_gross(percent, net, vat):
    line = price("30.00", "3", percent)  # 30.00 × 3 = 90.00

    assert (line.subtotal_gross, line.discount_amount, line.gross) == (
        Decimal("90.00"),
        Decimal("0.00"),
        Decimal("90.00"),
    )
    assert (line.vat_percent, line.net, line.vat) == (Decimal(percent), Decimal(net), Decimal(vat))


def test_a_line_without_vat_rate_has_no_vat():
    line = price("30.00", "3", vat=None)

    assert (line.vat_percent, line.net, line.vat) == (Decimal(0), Decimal("90.00"), Decimal(0))


def test_a_percent_discount_comes_off_the_subtotal_before_vat():
    # 45.00 × 3 = 135.00; 15 % of it = 20.25; gross 114.75
    # VAT 114.75 × 21/121 = 19.915… → 19.92; net 114.75 − 19.92 = 94.83
    line = price("45.00", "3", discount=discount(kind="percent", value=Decimal("15.00")))

    assert line.discount_amount == Decimal("20.25")
    assert (line.net, line.vat, line.gross) == (
        Decimal("94.83"),
        Decimal("19.92"),
        Decimal("114.75"),
    )


def test_a_percent_discount_is_rounded_half_up():
    # 10 % of 12.25 = 1.225 → 1.23 (half even would give 1.22); gross 11.02
    # VAT 11.02 × 10/110 = 1.0018… → 1.00; net 10.02
    line = price("12.25", "1", "10.00", discount=discount(kind="percent", value=Decimal(10)))

    assert (line.discount_amount, line.net, line.vat, line.gross) == (
        Decimal("1.23"),
        Decimal("10.02"),
        Decimal("1.00"),
        Decimal("11.02"),
    )


def test_a_fixed_discount_comes_off_the_gross():
    # 25.00 × 2 = 50.00 − 12.50 = 37.50; VAT 37.50 × 21/121 = 6.508… → 6.51; net 30.99
    line = price("25.00", "2", discount=discount(kind="fixed", value=Decimal("12.50")))

    assert (line.discount_amount, line.net, line.vat, line.gross) == (
        Decimal("12.50"),
        Decimal("30.99"),
        Decimal("6.51"),
        Decimal("37.50"),
    )


def test_a_fixed_discount_larger_than_the_subtotal_makes_the_line_free_not_negative():
    # 25.00 × 2 = 50.00; 80.00 off is capped at 50.00 → gross 0.00
    line = price("25.00", "2", discount=discount(kind="fixed", value=Decimal("80.00")))

    assert line.discount_amount == Decimal("50.00")
    assert (line.net, line.vat, line.gross) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_manual_price_uses_its_own_vat_rate_and_ignores_the_discount():
    # catalogue 100.00 × 2 = 200.00 at 21 %; manual 150.00 at 10 %:
    # VAT 150 × 10/110 = 13.636… → 13.64; net 136.36. The expired discount is not checked.
    ten = rate("10.00")
    expired = discount(kind="percent", value=Decimal(50), valid_until=date(2020, 1, 1))

    line = price(
        "100.00",
        "2",
        discount=expired,
        manual_price_gross=Decimal("150.00"),
        manual_price_vat_rate=ten,
    )

    assert line.subtotal_gross == Decimal("200.00")
    assert line.discount_amount == Decimal("0.00")
    assert (line.vat_rate, line.vat_percent) == (ten, Decimal("10.00"))
    assert (line.net, line.vat, line.gross) == (
        Decimal("136.36"),
        Decimal("13.64"),
        Decimal("150.00"),
    )


@pytest.mark.parametrize(
    "manual", [{}, {"manual_price_gross": Decimal("100.00"), "manual_price_vat_rate": rate("10")}]
)
def test_exclude_vat_leaves_the_whole_gross_as_net(manual):
    line = price("100.00", "1", exclude_vat=True, **manual)

    assert (line.vat_percent, line.net, line.vat, line.gross) == (
        Decimal(0),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("100.00"),
    )


def test_hours_that_are_not_exact_decimals_still_round_half_up():
    # 1 h 50 min at 45.45/h = 45.45 × 11/6 = 83.325 exactly → 83.33, although
    # 45.45 × 1.8333… (28 digits) is 83.32499…98
    line = price("45.45", Decimal(110) / 60)

    assert line.subtotal_gross == Decimal("83.33")


@given(
    unit=st.decimals(min_value=0, max_value=10**5, places=2),
    quantity=st.integers(min_value=1, max_value=1000),
    off=st.decimals(min_value=0, max_value=10**7, places=2),
    percent=st.sampled_from(["0", "10", "21"]),
)
def test_a_fixed_discount_never_makes_a_line_negative(unit, quantity, off, percent):
    line = price(str(unit), str(quantity), percent, discount=discount(kind="fixed", value=off))

    assert Decimal(0) <= line.gross <= line.subtotal_gross
    assert line.net + line.vat == line.gross


# -- discount validity --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "line_kind", "code", "words"),
    [
        ({"valid_until": date(2030, 3, 3)}, "spaces", "discount_expired", "expired"),
        ({"valid_from": date(2030, 3, 5)}, "spaces", "discount_not_yet_valid", "not valid yet"),
        ({"is_active": False}, "spaces", "discount_inactive", "not active"),
        ({"applies_to": "events"}, "spaces", "discount_wrong_line_kind", "for event tickets"),
        ({"applies_to": "spaces"}, "products", "discount_wrong_line_kind", "not inventory"),
    ],
)
def test_a_discount_that_does_not_apply_is_refused_naming_the_discount(
    fields, line_kind, code, words
):
    refused = discount(kind="percent", value=Decimal(10), **fields)

    assert discount_refusal(refused, line_kind=line_kind, on=ON) is not None
    with pytest.raises(ValidationError) as error:
        price_line(
            unit_price_gross=Decimal("10.00"),
            quantity=Decimal(1),
            vat_rate=None,
            line_kind=line_kind,
            on=ON,
            discount=refused,
        )
    [problem] = error.value.error_dict["discount"]
    assert problem.code == code
    assert words in problem.message


@pytest.mark.parametrize(
    ("fields", "line_kind"),
    [
        ({}, "spaces"),
        ({"valid_from": ON, "valid_until": ON}, "events"),  # both days are included
        ({"applies_to": "products"}, "products"),
    ],
)
def test_a_discount_applies_within_its_dates_to_its_kind_of_line(fields, line_kind):
    assert discount_refusal(discount(**fields), line_kind=line_kind, on=ON) is None


# -- lines of a booking ---------------------------------------------------------------------


@pytest.fixture
def booking():
    return BookingFactory()


@pytest.fixture
def vat_21(booking):
    return VatRateFactory(organization=booking.organization, percent=Decimal("21.00"))


@pytest.fixture
def vat_10(booking):
    return VatRateFactory(organization=booking.organization, percent=Decimal("10.00"))


@pytest.mark.django_db
def test_a_space_is_charged_per_hour_without_setup_and_setdown(booking, vat_21):
    space = SpaceFactory(venue=booking.venue, hourly_price=Decimal("80.00"), vat_rate=vat_21)
    line = SpaceBookingFactory(
        booking=booking,
        space=space,
        ends_at=BASE_TIME + timedelta(hours=2, minutes=30),
        setup_minutes=30,
        setdown_minutes=15,
    )

    price = price_space_line(line, on=ON)

    # 80.00 × 2.5 h = 200.00; VAT 200 × 21/121 = 34.710… → 34.71; net 165.29
    assert (price.unit_price_gross, price.quantity) == (Decimal("80.00"), Decimal("2.5"))
    assert (price.net, price.vat, price.gross) == (
        Decimal("165.29"),
        Decimal("34.71"),
        Decimal("200.00"),
    )


@pytest.mark.django_db
def test_a_product_is_charged_per_unit_for_the_whole_booking(booking, vat_10):
    product = InventoryProductFactory(
        organization=booking.organization, unit_price=Decimal("25.00"), vat_rate=vat_10
    )
    line = InventoryBookingFactory(
        booking=booking, product=product, units=3, ends_at=BASE_TIME + timedelta(hours=4)
    )

    price = price_product_line(line, on=ON)

    # 25.00 × 3 = 75.00 (4 hours do not matter); VAT 75 × 10/110 = 6.818… → 6.82; net 68.18
    assert price.quantity == Decimal(3)
    assert (price.net, price.vat, price.gross) == (
        Decimal("68.18"),
        Decimal("6.82"),
        Decimal("75.00"),
    )


@pytest.mark.django_db
def test_event_tickets_are_charged_at_their_price_with_its_vat_rate(booking, vat_10):
    ticket = PriceFactory(
        event=EventFactory(venue=booking.venue), amount_gross=Decimal("30.00"), vat_rate=vat_10
    )
    line = EventBookingFactory(
        booking=booking,
        event=ticket.event,
        price=ticket,
        quantity=4,
        discount=DiscountFactory(
            organization=booking.organization, value=Decimal(10), applies_to="events"
        ),
    )

    price = price_event_line(line, on=ON)

    # 30.00 × 4 = 120.00 − 10 % (12.00) = 108.00; VAT 108 × 10/110 = 9.818… → 9.82; net 98.18
    assert (price.subtotal_gross, price.discount_amount) == (Decimal("120.00"), Decimal("12.00"))
    assert (price.net, price.vat, price.gross) == (
        Decimal("98.18"),
        Decimal("9.82"),
        Decimal("108.00"),
    )


@pytest.mark.django_db
def test_event_tickets_with_a_manual_price_need_no_price(booking, vat_21):
    line = EventBookingFactory(
        booking=booking,
        price=None,
        use_manual_price=True,
        manual_price_gross=Decimal("50.00"),
        manual_price_vat_rate=vat_21,
    )

    price = price_event_line(line, on=ON)

    # 50.00 at 21 %: VAT 50 × 21/121 = 8.677… → 8.68; net 41.32
    assert price.unit_price_gross == Decimal(0)
    assert (price.vat_rate, price.net, price.vat, price.gross) == (
        vat_21,
        Decimal("41.32"),
        Decimal("8.68"),
        Decimal("50.00"),
    )


@pytest.mark.django_db
def test_a_line_marked_for_a_manual_price_without_one_is_refused(booking):
    line = SpaceBookingFactory.build(booking=booking, use_manual_price=True)

    with pytest.raises(ValidationError) as error:
        price_space_line(line, on=ON)
    assert "manual_price_gross" in error.value.error_dict


@pytest.mark.django_db
def test_applying_a_manual_price_stores_the_manual_vat_rate_without_saving(booking, vat_21, vat_10):
    space = SpaceFactory(venue=booking.venue, vat_rate=vat_21)
    line = SpaceBookingFactory(
        booking=booking,
        space=space,
        use_manual_price=True,
        manual_price_gross=Decimal("110.00"),
        manual_price_vat_rate=vat_10,
    )

    apply_line_price(line, price_space_line(line, on=ON))

    # 2 h × 100.00 catalogue, but 110.00 manual at 10 %: VAT 10.00, net 100.00
    assert (line.unit_price_gross, line.vat_rate, line.vat_percent) == (
        Decimal("100.00"),
        vat_10,
        Decimal("10.00"),
    )
    assert (line.discount_amount, line.net, line.vat, line.gross) == (
        Decimal(0),
        Decimal("100.00"),
        Decimal("10.00"),
        Decimal("110.00"),
    )
    line.refresh_from_db()
    assert line.gross == Decimal(0)


# -- a booking ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_totals_and_vat_breakdown_sum_the_lines(booking, vat_21, vat_10):
    space = SpaceFactory(venue=booking.venue, hourly_price=Decimal("100.00"), vat_rate=vat_21)
    ticket = PriceFactory(
        event=EventFactory(venue=booking.venue), amount_gross=Decimal("30.00"), vat_rate=vat_10
    )
    product = InventoryProductFactory(
        organization=booking.organization, unit_price=Decimal("25.00"), vat_rate=vat_21
    )
    lines = [
        # 2 h × 100.00 = 200.00 at 21 %: VAT 34.710… → 34.71, net 165.29
        (SpaceBookingFactory(booking=booking, space=space), price_space_line),
        # 2 × 30.00 = 60.00 at 10 %: VAT 5.454… → 5.45, net 54.55
        (EventBookingFactory(booking=booking, event=ticket.event, price=ticket), price_event_line),
        # 2 × 25.00 = 50.00 at 21 %: VAT 8.677… → 8.68, net 41.32
        (InventoryBookingFactory(booking=booking, product=product, units=2), price_product_line),
    ]
    for line, price_of in lines:
        apply_line_price(line, price_of(line, on=ON))
        line.save()
    stored = [
        *booking.space_bookings.all(),
        *booking.event_bookings.all(),
        *booking.inventory_bookings.all(),
    ]

    # net 165.29 + 54.55 + 41.32 = 261.16; VAT 34.71 + 5.45 + 8.68 = 48.84; gross 310.00
    assert booking_totals(stored) == Totals(
        net=Decimal("261.16"), vat=Decimal("48.84"), gross=Decimal("310.00")
    )
    # 21 %: net 165.29 + 41.32 = 206.61, VAT 34.71 + 8.68 = 43.39, gross 250.00
    assert vat_breakdown(stored) == [
        VatShare(
            percent=Decimal(10), net=Decimal("54.55"), vat=Decimal("5.45"), gross=Decimal("60.00")
        ),
        VatShare(
            percent=Decimal(21), net=Decimal("206.61"), vat=Decimal("43.39"), gross=Decimal("250")
        ),
    ]

    booking.amount_paid = Decimal("100.00")
    apply_totals(booking, stored)

    # balance 310.00 − 100.00 = 210.00
    assert (booking.total_net, booking.total_vat, booking.total_gross, booking.balance) == (
        Decimal("261.16"),
        Decimal("48.84"),
        Decimal("310.00"),
        Decimal("210.00"),
    )
    booking.refresh_from_db()
    assert booking.total_gross == Decimal(0)


def test_a_booking_without_lines_costs_nothing():
    assert booking_totals([]) == Totals(net=Decimal(0), vat=Decimal(0), gross=Decimal(0))
    assert vat_breakdown([]) == []
