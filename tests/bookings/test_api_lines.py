"""Event bookings and inventory-product bookings as resources: list, create, get, update."""

import pytest

from bookings.models import Booking, EventBooking
from tests.bookings.test_api_bookings import client_with, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    return client_with(world.organization, "read", "write", "approve")


def test_event_bookings_are_created_listed_read_and_updated(world, api):
    response = api.post(
        url("bookings/events"),
        {
            "customer_id": world.customer.pk,
            "events": [{"event_id": world.event.pk, "price_id": world.ticket.pk, "quantity": 2}],
            "status": "approved",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    line = EventBooking.objects.get()
    listed = api.get(url(f"bookings/events?event_id={world.event.pk}")).json()
    assert [row["id"] for row in listed["results"]] == [line.pk]
    assert listed["results"][0]["booking_reference"] == line.booking.reference
    response = api.put(
        url(f"bookings/events/{line.pk}"),
        {
            "event_id": world.event.pk,
            "price_id": world.ticket.pk,
            "quantity": 3,
        },
        format="json",
    )
    assert (response.status_code, response.json()["quantity"]) == (200, 3)
    assert api.get(url(f"bookings/events/{line.pk}")).json()["gross"] == "90.00"
    assert Booking.objects.get().total_gross == 90


def test_too_many_tickets_is_a_409(world, api):
    payload = {
        "customer_id": world.customer.pk,
        "status": "approved",
        "events": [{"event_id": world.event.pk, "price_id": world.ticket.pk, "quantity": 6}],
    }
    response = api.post(url("bookings/events"), payload, format="json")
    assert response.status_code == 409
    assert response.json()["conflicts"][0]["reason"] == "event_capacity"


def test_inventory_product_bookings_search_filter_and_update(world, api):
    response = api.post(
        url("bookings/inventory-products"),
        {
            "customer_id": world.customer.pk,
            "venue_id": world.venue.pk,
            "inventory_products": [
                {
                    "inventory_product_id": world.product.pk,
                    "units": 2,
                    "starts_at": "2030-03-04 10:00:00",
                    "ends_at": "2030-03-04 12:00:00",
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    line_id = response.json()["inventory_products"][0]["id"]
    name = world.product.name
    for query, expected in [
        (f"search={name}", 1),
        (f"search={world.customer.last_name}", 1),
        ("search=nothing-like-it", 0),
        ("booking_statuses=reserved", 1),
        ("booking_statuses=accepted", 0),
        ("booking_start_date=2030-03-04&booking_end_date=2030-03-04", 1),
        ("booking_start_date=2030-03-05", 0),
    ]:
        assert api.get(url(f"bookings/inventory-products?{query}")).json()["count"] == expected, (
            query
        )
    response = api.put(
        url(f"bookings/inventory-products/{line_id}"),
        {
            "inventory_product_id": world.product.pk,
            "units": 3,
            "starts_at": "2030-03-04 10:00:00",
            "ends_at": "2030-03-04 13:00:00",
        },
        format="json",
    )
    assert (response.status_code, response.json()["units"]) == (200, 3)


def test_a_line_resource_creates_only_its_own_kind_of_line(world, api):
    response = api.post(
        url("bookings/events"),
        {
            "customer_id": world.customer.pk,
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
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "events"
