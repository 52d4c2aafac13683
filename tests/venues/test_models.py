"""Catalogue validation beyond database constraints: one organisation per object graph."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_event_refuses_a_venue_of_another_organisation():
    event = f.EventFactory()
    event.full_clean()
    event.venue = f.VenueFactory()
    with pytest.raises(ValidationError) as refused:
        event.full_clean()
    assert "venue" in refused.value.message_dict


def test_an_event_refuses_a_space_of_another_venue():
    event = f.EventFactory()
    event.space = f.SpaceFactory(venue__organization=event.organization)
    with pytest.raises(ValidationError, match="not at the event's venue"):
        event.full_clean()
    event.space = f.SpaceFactory(venue=event.venue)
    event.full_clean()


def test_a_price_refuses_an_event_of_another_organisation():
    price = f.PriceFactory()
    price.full_clean()
    price.organization = f.OrganizationFactory()
    with pytest.raises(ValidationError) as refused:
        price.full_clean()
    assert "event" in refused.value.message_dict


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: f.SpaceFactory(vat_rate=f.VatRateFactory()), "vat_rate"),
        (lambda: f.InventoryProductFactory(vat_rate=f.VatRateFactory()), "vat_rate"),
        (lambda: f.InventoryProductFactory(venue=f.VenueFactory()), "venue"),
        (lambda: f.BookingFormFactory(payment_type=f.PaymentTypeFactory()), "payment_type"),
        (lambda: f.BookingFormFactory(organization=f.OrganizationFactory()), "venue"),
    ],
)
def test_catalogue_objects_refuse_parts_of_another_organisation(make, field):
    with pytest.raises(ValidationError) as refused:
        make().full_clean()
    assert field in refused.value.message_dict


def test_catalogue_objects_of_one_organisation_are_valid():
    organization = f.OrganizationFactory()
    vat_rate = f.VatRateFactory(organization=organization)
    venue = f.VenueFactory(organization=organization)
    f.SpaceFactory(venue=venue, vat_rate=vat_rate).full_clean()
    f.InventoryProductFactory(
        organization=organization, venue=venue, vat_rate=vat_rate
    ).full_clean()
    f.BookingFormFactory(
        venue=venue, payment_type=f.PaymentTypeFactory(organization=organization)
    ).full_clean()
