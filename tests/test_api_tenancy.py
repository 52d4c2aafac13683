"""Tenancy across the whole API: another organisation's data is never seen nor changed.

The detail routes come from the router, so a new endpoint joins the matrix by itself
(and fails it until it has an object below). Ids of another organisation in a request
body are refused as unknown, naming the field.
"""

import pytest
from rest_framework.test import APIClient

from api.urls import router
from bookings.models import Booking, ChangeRequest, EventBooking, InventoryBooking, SpaceBooking
from bookings.services import EventLineIn, ProductLineIn, SpaceLineIn, booking_create
from tests import factories as f
from tests.bookings import conftest as booking_world
from tests.bookings.test_api_bookings import client_with
from venues.models import Blockout, Event, Membership

pytestmark = pytest.mark.django_db

world = booking_world.world
at = booking_world.at


def manager_client(organization) -> APIClient:
    user = f.UserFactory()
    f.MembershipFactory(user=user, organization=organization, role=Membership.Role.MANAGER)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def owned(world) -> dict:
    """One object per router prefix, all of `world`'s organisation, plus a space line."""
    booking = booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=world.room, starts_at=at("2030-03-04 10:00"), ends_at=at("2030-03-04 12:00")
            )
        ],
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=1)],
        product_lines=[
            ProductLineIn(
                product=world.product,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
            )
        ],
    ).booking
    return {
        "bookings": booking,
        "bookings/events": EventBooking.objects.get(booking=booking),
        "bookings/inventory-products": InventoryBooking.objects.get(booking=booking),
        "change-requests": f.ChangeRequestFactory(
            booking=world.book(start="2030-03-06 10:00", end="2030-03-06 12:00")
        ),
        "venues": world.venue,
        "spaces": world.room,
        "blockouts": f.BlockoutFactory(space=world.room),
        "events": world.event,
        "inventory-products": world.product,
        "prices": world.ticket,
        "vat-rates": world.room.vat_rate,
        "discounts": f.DiscountFactory(organization=world.organization),
        "payment-types": f.PaymentTypeFactory(organization=world.organization),
        "booking-forms": world.form,
        "customers": world.customer,
        "webhooks": f.WebhookEndpointFactory(organization=world.organization),
        "line": SpaceBooking.objects.get(booking=booking),
    }


def every_detail_route():
    """(method, prefix, path) of every detail route, with {pk} and {line_id} to fill."""
    for pattern in router.urls:
        route = str(pattern.pattern).lstrip("^").replace("/?$", "").replace("$", "")
        if "(?P<pk>" not in route:
            continue
        prefix = route.split("/(?P<pk>")[0]
        path = route.replace("(?P<pk>[0-9]+)", "{pk}", 1).replace(
            "(?P<line_id>[0-9]+)", "{line_id}"
        )
        assert "(?P<" not in path, f"a route parameter the matrix does not know: {route}"
        for method in pattern.callback.actions:
            yield method, prefix, path


ROUTES = sorted(set(every_detail_route()))


def test_every_prefix_of_the_router_has_an_object_in_the_matrix(owned):
    assert {prefix for prefix, _, _ in router.registry} <= set(owned)
    assert len(ROUTES) > 40  # every detail route and method, actions included


def snapshot(owned: dict) -> dict:
    """Everything the strangers could touch, as plain values."""
    state = {}
    for name, target in owned.items():
        state[name] = type(target).objects.values().get(pk=target.pk)
    booking = owned["bookings"]
    state["counts"] = (
        booking.space_bookings.count(),
        booking.payments.count(),
        booking.log_entries.count(),
        Blockout.objects.count(),
        Event.objects.count(),
        ChangeRequest.objects.count(),
    )
    return state


@pytest.mark.parametrize("stranger_kind", ["manager", "key"])
@pytest.mark.parametrize(("method", "prefix", "path"), ROUTES)
def test_another_organisations_object_is_404_on_every_route_and_method(
    owned, method, prefix, path, stranger_kind
):
    before = snapshot(owned)
    # A manager of another organisation holds every right there, and a key every scope:
    # only tenancy refuses, with a 404 that does not confirm the object exists.
    stranger = (
        manager_client(f.OrganizationFactory())
        if stranger_kind == "manager"
        else client_with(f.OrganizationFactory(), "read", "write", "approve")
    )
    address = "/api/v1/" + path.format(pk=owned[prefix].pk, line_id=owned["line"].pk)
    response = getattr(stranger, method)(address, {}, format="json")
    assert response.status_code == 404, response.content
    assert snapshot(owned) == before


def test_lists_show_none_of_another_organisations_rows(owned):
    stranger = client_with(f.OrganizationFactory(), "read")
    # Webhook endpoints are listed to managers' sessions only (API keys are refused).
    manager = manager_client(f.OrganizationFactory())
    for prefix, _, _ in router.registry:
        client = manager if prefix == "webhooks" else stranger
        body = client.get(f"/api/v1/{prefix}").json()
        assert body["count"] == 0, prefix


def foreign_ids() -> dict:
    """Objects of another organisation that a request body could name."""
    other = f.OrganizationFactory()
    venue = f.VenueFactory(organization=other)
    event = f.EventFactory(venue=venue)
    return {
        "customer": f.CustomerFactory(organization=other),
        "venue": venue,
        "space": f.SpaceFactory(venue=venue),
        "event": event,
        "price": f.PriceFactory(event=event),
        "product": f.InventoryProductFactory(organization=other),
        "payment_type": f.PaymentTypeFactory(organization=other),
        "form": f.BookingFormFactory(venue=venue),
    }


def line(world, **extra) -> dict:
    return {
        "space_id": world.room.pk,
        "starts_at": "2030-03-04 10:00:00",
        "ends_at": "2030-03-04 12:00:00",
        **extra,
    }


BODIES = {
    # case -> (path, body, the field the 400 names)
    "booking customer": (
        "bookings",
        lambda w, x: {"customer_id": x["customer"].pk, "spaces": [line(w)]},
        "customer_id",
    ),
    "booking venue": (
        "bookings",
        lambda w, x: {"customer_id": w.customer.pk, "venue_id": x["venue"].pk},
        "venue_id",
    ),
    "booking space": (
        "bookings",
        lambda w, x: {"customer_id": w.customer.pk, "spaces": [line(w, space_id=x["space"].pk)]},
        "spaces.0.space_id",
    ),
    "booking event": (
        "bookings",
        lambda w, x: {"customer_id": w.customer.pk, "events": [{"event_id": x["event"].pk}]},
        "events.0.event_id",
    ),
    "booking product": (
        "bookings",
        lambda w, x: {
            "customer_id": w.customer.pk,
            "inventory_products": [
                {
                    "inventory_product_id": x["product"].pk,
                    "starts_at": "2030-03-04 10:00:00",
                    "ends_at": "2030-03-04 12:00:00",
                }
            ],
        },
        "inventory_products.0.inventory_product_id",
    ),
    "booking payment type": (
        "bookings",
        lambda w, x: {
            "customer_id": w.customer.pk,
            "spaces": [line(w)],
            "payment_type_id": x["payment_type"].pk,
        },
        "payment_type_id",
    ),
    "booking form": (
        "bookings",
        lambda w, x: {
            "customer_id": w.customer.pk,
            "spaces": [line(w)],
            "booking_form_id": x["form"].pk,
        },
        "booking_form_id",
    ),
    "blockout space": (
        "blockouts",
        lambda w, x: {
            "space_id": x["space"].pk,
            "starts_at": "2030-03-04 10:00:00",
            "ends_at": "2030-03-04 12:00:00",
        },
        "space_id",
    ),
    "event venue": (
        "events",
        lambda w, x: {
            "venue_id": x["venue"].pk,
            "title": "Stolen",
            "starts_at": "2030-03-04 10:00:00",
            "ends_at": "2030-03-04 12:00:00",
        },
        "venue_id",
    ),
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_another_organisations_id_in_a_body_is_refused_and_nothing_is_created(world, case):
    path, body, field = BODIES[case]
    client = client_with(world.organization, "read", "write")
    counts = (Booking.objects.count(), Blockout.objects.count(), Event.objects.count())
    response = client.post(f"/api/v1/{path}", body(world, foreign_ids()), format="json")
    assert response.status_code == 400, response.content
    assert field in {error["attr"] for error in response.json()["errors"]}
    # The foreign objects made for the case add one event; nothing else was created.
    assert (Booking.objects.count(), Blockout.objects.count()) == counts[:2]
    assert Event.objects.count() == counts[2] + 1
