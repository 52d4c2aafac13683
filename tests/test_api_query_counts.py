"""Every list endpoint runs as many queries for 1, 10 and 50 results.

The makers below build rows with everything a list shows (layouts, prices, lines,
custom fields), so a missing select_related / prefetch_related shows as a growing count.
The routes come from the router: a new list endpoint without a maker fails the suite.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.urls import router
from bookings.models import WebhookEndpoint
from core.actors import ActorKind
from tests import factories as f
from venues.models import Membership, OrganizationAPIKey

pytestmark = pytest.mark.django_db


class Tenant:
    """One organisation with a venue, a space, an event and a product to hang rows on."""

    def __init__(self):
        self.organization = f.OrganizationFactory()
        self.venue = f.VenueFactory(organization=self.organization)
        self.space = f.SpaceFactory(venue=self.venue)
        self.event = f.EventFactory(venue=self.venue)
        self.product = f.InventoryProductFactory(organization=self.organization)
        self.booking = f.BookingFactory(venue=self.venue)
        self.staff = f.UserFactory()
        f.MembershipFactory(
            user=self.staff, organization=self.organization, role=Membership.Role.MANAGER
        )

    def booking_with_lines(self, number: int):
        booking = f.BookingFactory(venue=self.venue)
        start = f.BASE_TIME + timedelta(days=number)
        f.SpaceBookingFactory(booking=booking, space=self.space, starts_at=start)
        f.EventBookingFactory(booking=booking, event=self.event, price__event=self.event)
        f.InventoryBookingFactory(booking=booking, product=self.product, starts_at=start)
        f.PaymentFactory(
            booking=booking, payment_type=f.PaymentTypeFactory(organization=self.organization)
        )
        f.LogEntryFactory(booking=booking, user=self.staff, actor_kind=ActorKind.USER)
        booking.compute_span()
        booking.save()
        return booking


def make_space(t: Tenant, number: int) -> None:
    space = f.SpaceFactory(venue=t.venue)
    f.SpaceLayoutFactory.create_batch(2, space=space)


def make_event(t: Tenant, number: int) -> None:
    event = f.EventFactory(venue=t.venue)
    f.PriceFactory.create_batch(2, event=event)


def make_product(t: Tenant, number: int) -> None:
    product = f.InventoryProductFactory(organization=t.organization, venue=t.venue)
    f.PriceFactory(event=None, product=product, organization=t.organization)


def make_form(t: Tenant, number: int) -> None:
    form = f.BookingFormFactory(venue=t.venue)
    f.CustomFieldFactory.create_batch(2, form=form)
    form.spaces.set([t.space])
    form.products.set([t.product])


def make_change_request(t: Tenant, number: int) -> None:
    f.ChangeRequestFactory(booking=t.booking_with_lines(number))


# prefix (or "bookings/{id}/payments"-style path) -> a maker of one more row of the list
MAKERS = {
    "venues": lambda t, n: f.VenueFactory(organization=t.organization),
    "spaces": make_space,
    "blockouts": lambda t, n: f.BlockoutFactory(space=t.space),
    "events": make_event,
    "inventory-products": make_product,
    "prices": lambda t, n: f.PriceFactory(event=t.event),
    "vat-rates": lambda t, n: f.VatRateFactory(organization=t.organization),
    "discounts": lambda t, n: f.DiscountFactory(organization=t.organization),
    "payment-types": lambda t, n: f.PaymentTypeFactory(organization=t.organization),
    "booking-forms": make_form,
    "customers": lambda t, n: f.CustomerFactory(organization=t.organization),
    "bookings": lambda t, n: t.booking_with_lines(n),
    "bookings/events": lambda t, n: t.booking_with_lines(n),
    "bookings/inventory-products": lambda t, n: t.booking_with_lines(n),
    "change-requests": make_change_request,
    "bookings/{booking}/payments": lambda t, n: f.PaymentFactory(
        booking=t.booking, payment_type=f.PaymentTypeFactory(organization=t.organization)
    ),
    "bookings/{booking}/log": lambda t, n: f.LogEntryFactory(
        booking=t.booking, user=t.staff, actor_kind=ActorKind.USER
    ),
    "webhooks": lambda t, n: WebhookEndpoint.objects.create(
        organization=t.organization, url=f"https://hooks.example/{n}", sealed_secret="-"
    ),
}
# Managed by managers' staff sessions only: API keys are refused (api/webhooks.py).
STAFF_ONLY = {"webhooks"}


def test_every_list_route_of_the_router_has_a_maker():
    prefixes = {prefix for prefix, viewset, _ in router.registry if hasattr(viewset, "list")}
    assert prefixes <= set(MAKERS)


@pytest.mark.parametrize("path", sorted(MAKERS))
@pytest.mark.parametrize("caller", ["api key", "staff session"])
def test_a_list_runs_as_many_queries_for_1_10_and_50_results(path, caller):
    if caller == "api key" and path in STAFF_ONLY:
        pytest.skip("not for API keys")
    tenant = Tenant()
    client = APIClient()
    if caller == "api key":
        _, key = OrganizationAPIKey.objects.create_key(
            name="counts", organization=tenant.organization, scopes=["read"]
        )
        client.credentials(HTTP_X_API_KEY=key)
        client.get("/api/v1/venues")  # its first use is written now, outside the counts
    else:
        client.force_login(tenant.staff)
    address = f"/api/v1/{path.format(booking=tenant.booking.pk)}?per_page=50"
    counts, made = [], 0
    for total in (1, 10, 50):
        while made < total:
            MAKERS[path](tenant, made)
            made += 1
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"] if isinstance(body, dict) else body) >= total
        counts.append(len(captured))
    assert counts[0] == counts[1] == counts[2], counts
