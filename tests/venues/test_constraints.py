"""The catalogue's database constraints refuse bad rows and accept their valid neighbours.

Each refusal runs inside its own savepoint (`refused`), so the test transaction survives
and the accepted neighbour is then written in the same test.
"""

from contextlib import contextmanager
from datetime import date, time, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests import factories as f
from tests.factories import BASE_TIME
from venues.models import Event, Price

pytestmark = pytest.mark.django_db


@contextmanager
def refused(match: str):
    """The database refuses what the block writes, naming `match` (constraint or column)."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield


# -- uniqueness ----------------------------------------------------------------------------

UNIQUE_PER_PARENT = [
    # factory, parent the value is unique under, the repeated values, what the error names
    pytest.param(f.VenueFactory, "organization", {"slug": "main"}, "slug", id="venue-slug"),
    pytest.param(f.SpaceFactory, "venue", {"slug": "room-a"}, "slug", id="space-slug"),
    pytest.param(f.CustomFieldFactory, "form", {"key": "diet"}, "key", id="custom-field-key"),
    pytest.param(f.VatRateFactory, "organization", {"name": "Reduced"}, "name", id="vat-name"),
    pytest.param(
        f.PaymentTypeFactory, "organization", {"name": "Card"}, "name", id="payment-type-name"
    ),
    pytest.param(
        f.InventoryProductFactory, "organization", {"name": "Beamer"}, "name", id="product-name"
    ),
    pytest.param(f.SpaceLayoutFactory, "space", {"name": "Theatre"}, "name", id="layout-name"),
    pytest.param(
        f.OpeningHoursFactory,
        "venue",
        {"weekday": 2, "opens_at": time(9)},
        "opens_at",
        id="opening-hours-period",
    ),
]


@pytest.mark.parametrize(("factory", "parent", "values", "match"), UNIQUE_PER_PARENT)
def test_a_unique_value_repeats_only_under_another_parent(factory, parent, values, match):
    first = factory(**values)
    with refused(match):
        factory(**{parent: getattr(first, parent)}, **values)
    other = factory(**values)
    assert getattr(other, parent) != getattr(first, parent)
    assert type(first).objects.filter(**values).count() == 2


def test_organization_slug_is_unique():
    f.OrganizationFactory(slug="acme")
    with refused("slug"):
        f.OrganizationFactory(slug="acme")
    assert f.OrganizationFactory(slug="acme-events").slug == "acme-events"


def test_a_user_has_one_membership_per_organisation_but_may_join_others():
    membership = f.MembershipFactory()
    with refused("user_id"):
        f.MembershipFactory(
            user=membership.user, organization=membership.organization, role="viewer"
        )
    f.MembershipFactory(user=membership.user)
    assert membership.user.memberships.count() == 2


def test_booking_form_slug_is_unique_across_the_venues_of_an_organisation():
    form = f.BookingFormFactory(slug="enquiry")
    with refused("slug"):
        f.BookingFormFactory(venue=f.VenueFactory(organization=form.organization), slug="enquiry")
    other = f.BookingFormFactory(slug="enquiry")
    assert other.organization != form.organization


def test_discount_code_is_unique_per_organisation_whatever_its_case():
    summer = f.DiscountFactory(code="SUMMER")
    with refused("code"):
        f.DiscountFactory(organization=summer.organization, code="summer")
    f.DiscountFactory(code="summer")  # another organisation
    f.DiscountFactory(organization=summer.organization, code="WINTER")
    assert summer.organization.discounts.count() == 2
    assert type(summer).objects.filter(code__iexact="summer").count() == 2


def test_discounts_without_a_code_may_repeat_in_an_organisation():
    staff_only = f.DiscountFactory(code="")
    f.DiscountFactory(organization=staff_only.organization, code="")
    assert staff_only.organization.discounts.filter(code="").count() == 2


# -- check constraints ---------------------------------------------------------------------

LATER = BASE_TIME + timedelta(minutes=1)
EARLIER = BASE_TIME - timedelta(hours=1)

CHECKS = [
    # factory, refused values, accepted neighbour, what the error names
    pytest.param(
        f.SpaceFactory, {"capacity": -1}, {"capacity": 0}, "capacity", id="space-capacity"
    ),
    pytest.param(
        f.SpaceFactory,
        {"hourly_price": D("-0.01")},
        {"hourly_price": D("0.00")},
        "venues_space_price_not_negative",
        id="space-hourly-price",
    ),
    pytest.param(
        f.SpaceFactory,
        {"mode": "private"},
        {"mode": "shared"},
        "venues_space_mode_valid",
        id="space-mode",
    ),
    pytest.param(
        f.VatRateFactory,
        {"percent": D("-1")},
        {"percent": D("0")},
        "venues_vatrate_percent_range",
        id="vat-percent-below-0",
    ),
    pytest.param(
        f.VatRateFactory,
        {"percent": D("100.01")},
        {"percent": D("100")},
        "venues_vatrate_percent_range",
        id="vat-percent-above-100",
    ),
    pytest.param(
        f.DiscountFactory,
        {"kind": "percent", "value": D("150")},
        {"kind": "fixed", "value": D("150")},
        "venues_discount_percent_range",
        id="discount-150-percent-but-150-off",
    ),
    pytest.param(
        f.DiscountFactory,
        {"kind": "percent", "value": D("100.01")},
        {"kind": "percent", "value": D("100")},
        "venues_discount_percent_range",
        id="discount-percent-above-100",
    ),
    pytest.param(
        f.DiscountFactory,
        {"kind": "fixed", "value": D("-1")},
        {"kind": "fixed", "value": D("0")},
        "venues_discount_value_not_negative",
        id="discount-negative-value",
    ),
    pytest.param(
        f.DiscountFactory,
        {"valid_from": date(2030, 3, 5), "valid_until": date(2030, 3, 4)},
        {"valid_from": date(2030, 3, 5), "valid_until": date(2030, 3, 5)},
        "venues_discount_valid_until_after_from",
        id="discount-valid-until-before-from",
    ),
    pytest.param(
        f.BlockoutFactory,
        {"ends_at": BASE_TIME},
        {"ends_at": LATER},
        "venues_blockout_ends_after_start",
        id="blockout-ends-at-start",
    ),
    pytest.param(
        f.BlockoutFactory,
        {"ends_at": EARLIER},
        {"ends_at": LATER},
        "venues_blockout_ends_after_start",
        id="blockout-ends-before-start",
    ),
    pytest.param(
        f.EventFactory,
        {"ends_at": BASE_TIME},
        {"ends_at": LATER},
        "venues_event_ends_after_start",
        id="event-ends-at-start",
    ),
    pytest.param(
        f.EventFactory,
        {"ends_at": EARLIER},
        {"ends_at": LATER},
        "venues_event_ends_after_start",
        id="event-ends-before-start",
    ),
    pytest.param(
        f.InventoryProductFactory,
        {"units_total": -1},
        {"units_total": 0},
        "units_total",
        id="product-units-total",
    ),
    pytest.param(
        f.InventoryProductFactory,
        {"unit_price": D("-0.01")},
        {"unit_price": D("0.00")},
        "venues_inventoryproduct_price_not_negative",
        id="product-unit-price",
    ),
    pytest.param(
        f.PriceFactory,
        {"amount_gross": D("-0.01")},
        {"amount_gross": D("0.00")},
        "venues_price_amount_not_negative",
        id="price-amount",
    ),
    pytest.param(
        f.CustomFieldFactory,
        {"max_length": 0},
        {"max_length": 1},
        "venues_customfield_max_length_positive",
        id="custom-field-max-length",
    ),
    pytest.param(
        f.OpeningHoursFactory,
        {"weekday": 7},
        {"weekday": 6},
        "venues_openinghours_weekday_range",
        id="opening-hours-weekday-7",
    ),
    pytest.param(
        f.OpeningHoursFactory,
        {"weekday": -1},
        {"weekday": 0},
        "weekday",
        id="opening-hours-weekday-minus-1",
    ),
    pytest.param(
        f.MembershipFactory,
        {"role": "owner"},
        {"role": "viewer"},
        "venues_membership_role_valid",
        id="membership-role",
    ),
    pytest.param(
        f.BookingFormFactory,
        {"slot_minutes": 0},
        {"slot_minutes": 1},
        "venues_bookingform_slot_positive",
        id="form-slot-minutes",
    ),
    pytest.param(
        f.BookingFormFactory,
        {"min_duration_minutes": 60, "max_duration_minutes": 59},
        {"min_duration_minutes": 60, "max_duration_minutes": 60},
        "venues_bookingform_max_duration_not_below_min",
        id="form-max-duration-below-min",
    ),
]


@pytest.mark.parametrize(("factory", "bad", "good", "match"), CHECKS)
def test_database_refuses_a_bad_row_and_accepts_its_neighbour(factory, bad, good, match):
    with refused(match):
        factory(**bad)
    row = factory(**good)
    assert type(row).objects.filter(pk=row.pk, **good).exists()


@pytest.mark.parametrize(
    ("with_event", "with_product", "accepted"),
    [(True, False, True), (False, True, True), (True, True, False), (False, False, False)],
)
def test_price_belongs_to_exactly_one_of_event_and_product(with_event, with_product, accepted):
    event = f.EventFactory()
    product = f.InventoryProductFactory(organization=event.organization)

    def make():
        return f.PriceFactory(
            organization=event.organization,
            event=event if with_event else None,
            product=product if with_product else None,
        )

    if accepted:
        make()
    else:
        with refused("venues_price_of_event_or_product"):
            make()
    assert Price.objects.filter(organization=event.organization).count() == int(accepted)


def test_event_status_must_be_a_known_state():
    event = f.EventFactory()
    events = Event.objects.filter(pk=event.pk)  # bypasses the protected FSM field
    with refused("venues_event_status_valid"):
        events.update(status="postponed")
    assert events.update(status="canceled") == 1
    assert events.get().status == "canceled"


# -- model validation (full_clean) ----------------------------------------------------------


def test_venue_time_zone_must_be_an_iana_name():
    venue = f.VenueFactory()
    venue.timezone = "Mars/Olympus"
    with pytest.raises(ValidationError) as excinfo:
        venue.full_clean()
    assert [e.code for e in excinfo.value.error_dict["timezone"]] == ["invalid_timezone"]
    venue.timezone = "Europe/Madrid"
    venue.full_clean()


@pytest.mark.parametrize(
    ("field_type", "choices", "valid"),
    [
        ("choice", ["Vegan", "Meat"], True),
        ("multi_choice", ["Projector", "Flip chart"], True),
        ("text", [], True),
        ("choice", [], False),
        ("multi_choice", [], False),
        ("choice", ["Vegan", ""], False),
        ("choice", "Vegan, Meat", False),
        ("text", ["Vegan"], False),
    ],
)
def test_custom_field_has_choices_exactly_when_it_is_a_choice_field(field_type, choices, valid):
    field = f.CustomFieldFactory.build(form=f.BookingFormFactory())
    field.field_type, field.choices = field_type, choices
    if valid:
        field.full_clean()
    else:
        with pytest.raises(ValidationError) as excinfo:
            field.full_clean()
        assert set(excinfo.value.message_dict) == {"choices"}


def test_custom_field_regex_must_compile():
    field = f.CustomFieldFactory.build(form=f.BookingFormFactory(), regex="([A-Z]+")
    with pytest.raises(ValidationError) as excinfo:
        field.full_clean()
    assert [e.code for e in excinfo.value.error_dict["regex"]] == ["invalid_regex"]
    field.regex = r"[A-Z]{2}\d{4}"
    field.full_clean()


def test_booking_form_refuses_a_notify_line_that_is_not_an_email_address():
    form = f.BookingFormFactory(notify_emails="events@example.com\nthe boss")
    with pytest.raises(ValidationError) as excinfo:
        form.full_clean()
    assert "'the boss'" in excinfo.value.message_dict["notify_emails"][0]
    form.notify_emails = "events@example.com\n\n  boss@example.com  \n"
    form.full_clean()
    assert form.notify_email_list == ["events@example.com", "boss@example.com"]
