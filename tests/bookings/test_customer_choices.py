"""What a customer may choose when booking (issue 8, finding 1): only what the form offers.

Prices, VAT, discounts by id, setup and setdown, opening-hours overrides, attendee
figures, signage, internal notes, payment types and tickets are staff matters. The
services refuse them from a customer whichever door passes them on, naming the field;
a discount comes only by its public code, on a form that takes codes.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import Booking
from bookings.services import EventLineIn, ProductLineIn, SpaceLineIn, booking_create
from tests import factories as f
from tests.bookings.conftest import at
from tests.bookings.test_api_bookings import client_with, url
from tests.bookings.test_api_public import submission

pytestmark = pytest.mark.django_db


def room_line(world, **fields) -> SpaceLineIn:
    return SpaceLineIn(
        space=world.room,
        starts_at=at("2030-03-04 10:00"),
        ends_at=at("2030-03-04 12:00"),
        places=6,
        **fields,
    )


def staff_values(world) -> dict:
    vat = f.VatRateFactory(organization=world.organization, percent=Decimal("0"))
    staff_discount = f.DiscountFactory(organization=world.organization, value=Decimal("90"))
    return {
        "use_manual_price": True,
        "manual_price_gross": Decimal("0.00"),
        "manual_price_vat_rate": vat,
        "exclude_vat": True,
        "discount": staff_discount,
        "setup_minutes": 1440,
        "setdown_minutes": 0,
        "overrides_opening_hours": True,
        "expected_attendees": 6,
        "guaranteed_attendees": 6,
        "actual_attendees": 6,
        "signage": "Welcome",
        "show_signage": True,
    }


STAFF_SPACE_FIELDS = [
    "use_manual_price",
    "manual_price_gross",
    "manual_price_vat_rate",
    "exclude_vat",
    "discount",
    "setup_minutes",
    "setdown_minutes",
    "overrides_opening_hours",
    "expected_attendees",
    "guaranteed_attendees",
    "actual_attendees",
    "signage",
    "show_signage",
]


@pytest.mark.parametrize("field", STAFF_SPACE_FIELDS)
def test_a_customer_cannot_set_a_staff_field_of_a_space_line(world, field):
    world.form.requires_approval = False  # the probe's case: instant forms approved at once
    world.form.save()
    value = staff_values(world)[field]
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(space_lines=[room_line(world, **{field: value})])
    errors = refused.value.error_dict
    assert list(errors) == [f"space_lines.0.{field}"]
    assert errors[f"space_lines.0.{field}"][0].code == "staff_only"
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", "named price"),
        ("use_manual_price", True),
        ("exclude_vat", True),
        ("discount", "staff discount"),
    ],
)
def test_a_customer_cannot_set_a_staff_field_of_a_product_line(world, field, value):
    if value == "named price":
        value = f.PriceFactory(
            organization=world.organization, product=world.product, event=None, amount_gross=0
        )
    elif value == "staff discount":
        value = f.DiscountFactory(organization=world.organization)
    line = ProductLineIn(
        product=world.product,
        units=1,
        starts_at=at("2030-03-04 10:00"),
        ends_at=at("2030-03-04 12:00"),
        **{field: value},
    )
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(space_lines=[room_line(world)], product_lines=[line])
    assert f"product_lines.0.{field}" in refused.value.message_dict
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"internal_note": "VIP, no deposit"}, "internal_note"),
        ({"payment_type": "invoice"}, "payment_type"),
        ({"event_lines": "tickets"}, "event_lines"),
    ],
)
def test_a_customer_cannot_set_a_staff_field_of_the_booking(world, extra, field):
    if extra.get("payment_type"):
        extra = {"payment_type": f.PaymentTypeFactory(organization=world.organization)}
    if extra.get("event_lines"):
        extra = {"event_lines": [EventLineIn(event=world.event, price=world.ticket, quantity=1)]}
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(space_lines=[room_line(world)], **extra)
    assert field in refused.value.message_dict
    assert not Booking.objects.exists()


def test_a_customer_gets_the_setup_and_setdown_the_space_needs(world):
    world.room.setup_minutes, world.room.setdown_minutes = 30, 15
    world.room.save()
    line = world.book_as_customer(space_lines=[room_line(world)]).booking.space_bookings.get()
    assert (line.setup_minutes, line.setdown_minutes) == (30, 15)


def test_the_customer_choices_still_book(world):
    layout = f.SpaceLayoutFactory(space=world.room, capacity=20)
    created = world.book_as_customer(
        space_lines=[room_line(world, layout=layout, name="Kick-off")],
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=2,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
            )
        ],
    )
    assert created.booking.space_bookings.get().layout == layout
    assert created.booking.inventory_bookings.get().units == 2


# -- the form's time rules hold for every line -----------------------------------------------------


def product_line(world, start="2030-03-04 10:00", end="2030-03-04 12:00") -> ProductLineIn:
    return ProductLineIn(product=world.product, units=3, starts_at=at(start), ends_at=at(end))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2030-03-04 10:00", "2034-01-01 10:00", "product_lines.0.ends_at"),  # years of stock
        ("2030-03-04 09:00", "2030-03-04 11:00", "product_lines.0.starts_at"),  # before the room
        ("2030-03-04 10:07", "2030-03-04 12:00", "product_lines.0.starts_at"),  # off the steps
    ],
)
def test_an_extra_goes_with_the_booking_and_its_time(world, start, end, field):
    """The review's probe: on a form that confirms at once, one request held a product's
    whole stock for four years."""
    world.form.requires_approval = False
    world.form.save()
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(
            space_lines=[room_line(world)], product_lines=[product_line(world, start, end)]
        )
    assert field in refused.value.message_dict
    assert not Booking.objects.exists()


def test_an_extra_booked_alone_lasts_as_long_as_the_form_allows(world):
    world.form.max_duration_minutes = 240
    world.form.save()
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(product_lines=[product_line(world, end="2030-03-05 10:00")])
    assert refused.value.message_dict["product_lines.0.ends_at"] == ["Book at most 240 minutes."]


def test_no_line_may_end_past_the_forms_horizon(world):
    world.form.max_days_ahead = 30
    world.form.min_notice_hours = 0
    world.form.save()
    start = timezone.localtime(timezone.now(), world.venue.tzinfo).replace(
        minute=0, second=0, microsecond=0
    ) + timedelta(days=29)
    line = SpaceLineIn(
        space=world.room, starts_at=start, ends_at=start + timedelta(days=3), places=2
    )
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(space_lines=[line])
    assert refused.value.message_dict["space_lines.0.ends_at"] == ["End at most 30 days ahead."]


# -- discounts by their public code ---------------------------------------------------------------


@pytest.fixture
def early_bird(world):
    world.form.accepts_discount_codes = True
    world.form.save()
    return f.DiscountFactory(
        organization=world.organization,
        name="Early bird",
        code="EARLY10",
        value=Decimal("10"),
        applies_to="spaces",
    )


def test_a_customer_gets_a_discount_by_its_code_whatever_the_case(world, early_bird):
    booking = world.book_as_customer(
        space_lines=[room_line(world)], discount_code=" early10 "
    ).booking
    line = booking.space_bookings.get()
    assert (line.discount, line.discount_amount, booking.total_gross) == (
        early_bird,
        Decimal("20.00"),
        Decimal("180.00"),
    )
    assert booking.log_entries.get(action="created").data["discount_code"] == "EARLY10"


def test_a_fixed_amount_code_is_taken_off_once_however_many_lines(world, early_bird):
    """The review's probe: 50 off on each of two one-hour lines took 90 off."""
    early_bird.kind, early_bird.value = "fixed", Decimal("50.00")
    early_bird.save()
    second = room_line(world)
    second.starts_at, second.ends_at = at("2030-03-05 10:00"), at("2030-03-05 12:00")
    booking = world.book_as_customer(
        space_lines=[room_line(world), second], discount_code="EARLY10"
    ).booking
    amounts = list(booking.space_bookings.values_list("discount_amount", flat=True))
    assert sorted(amounts) == [Decimal("0.00"), Decimal("50.00")]
    assert booking.total_gross == Decimal("350.00")


def test_a_coded_discount_cannot_be_taken_by_its_id(world, early_bird):
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(space_lines=[room_line(world, discount=early_bird)])
    assert "space_lines.0.discount" in refused.value.message_dict


@pytest.mark.parametrize(
    ("code", "setup", "message"),
    [
        ("NOPE", None, "There is no such discount code."),
        ("EARLY10", "form without codes", "This form takes no discount codes."),
        ("EARLY10", "expired", "expired"),
        ("EARLY10", "for tickets", "is for event tickets"),
    ],
)
def test_a_discount_code_that_does_not_apply_is_refused_with_the_reason(
    world, early_bird, code, setup, message
):
    if setup == "form without codes":
        world.form.accepts_discount_codes = False
        world.form.save()
    elif setup == "expired":
        early_bird.valid_until = date.today() - timedelta(days=1)
        early_bird.save()
    elif setup == "for tickets":
        early_bird.applies_to = "events"
        early_bird.save()
    with pytest.raises(ValidationError) as refused:
        world.book_as_customer(space_lines=[room_line(world)], discount_code=code)
    assert message in refused.value.message_dict["discount_code"][0]
    assert not Booking.objects.exists()


def test_staff_may_still_set_every_field(world):
    values = staff_values(world)
    booking = booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        space_lines=[room_line(world, **values)],
        internal_note="Agreed by phone",
    ).booking
    line = booking.space_bookings.get()
    assert (line.gross, line.setup_minutes, line.actual_attendees) == (0, 1440, 6)


# -- through the public API --------------------------------------------------------------------


STAFF_API_FIELDS = {
    "use_manual_price": True,
    "manual_price_amount_gross": "0.00",
    "manual_price_vat_id": 1,
    "exclude_vat": True,
    "discount_id": 1,
    "setup_minutes": 1440,
    "setdown_minutes": 0,
    "overrides_opening_hours": True,
    "expected_attendees": 6,
    "guaranteed_attendees": 6,
    "actual_attendees": 6,
    "signage": "Welcome",
    "show_signage": True,
}


@pytest.mark.parametrize(("field", "value"), STAFF_API_FIELDS.items())
def test_the_public_api_refuses_each_staff_field_by_name(world, field, value):
    world.form.requires_approval = False
    world.form.save()
    payload = submission(world)
    payload["spaces"][0][field] = value
    response = APIClient().post(url("public/bookings"), payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == [
        {"code": "staff_only", "detail": "Only staff can set this.", "attr": f"spaces.0.{field}"}
    ]
    assert not Booking.objects.exists()


def test_the_probes_free_instant_booking_is_refused(world):
    """POST /public/bookings with a manual price of 0.00 on an instant form was 201, approved,
    total 0.00."""
    world.form.requires_approval = False
    world.form.save()
    payload = submission(world)
    payload["spaces"][0] |= {"use_manual_price": True, "manual_price_amount_gross": "0.00"}
    response = APIClient().post(url("public/bookings"), payload, format="json")
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {
        "spaces.0.use_manual_price",
        "spaces.0.manual_price_amount_gross",
    }
    assert not Booking.objects.exists()


def test_the_public_api_takes_a_discount_code(world, early_bird):
    response = APIClient().post(
        url("public/bookings"), submission(world, discount_code="early10"), format="json"
    )
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get(reference=response.json()["reference"])
    assert booking.space_bookings.get().discount == early_bird


def test_the_public_api_names_a_bad_discount_code(world, early_bird):
    response = APIClient().post(
        url("public/bookings"), submission(world, discount_code="SUMMER"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid", "detail": "There is no such discount code.", "attr": "discount_code"}
    ]


def test_staff_and_keys_may_use_a_discount_code_too(world, early_bird):
    api = client_with(world.organization, "read", "write")
    response = api.post(
        url("bookings"),
        {
            "customer_id": world.customer.pk,
            "discount_code": "EARLY10",
            "spaces": [
                {
                    "space_id": world.room.pk,
                    "starts_at": "2030-03-04 10:00:00",
                    "ends_at": "2030-03-04 12:00:00",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["spaces"][0]["discount_id"] == early_bird.pk
