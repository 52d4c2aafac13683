"""Times and dates far outside the years anything is booked are a 400 naming the field.

Year 1 or 9999 with setup minutes or a time-zone shift would leave what Python and the
database can hold; every door refuses them before that.
"""

import pytest

from tests.bookings.test_api_bookings import client_with, url

pytestmark = pytest.mark.django_db

EDGES = [
    ("9999-12-31 23:00:00", "9999-12-31 23:59:59"),
    ("0001-01-01 00:00:00", "0001-01-01 02:00:00"),
    ("0001-01-01T00:30:00+14:00", "0001-01-01T02:00:00+14:00"),
    ("9999-12-31T23:00:00-12:00", "9999-12-31T23:30:00-12:00"),
    ("1899-12-31 10:00:00", "1899-12-31 12:00:00"),
]


@pytest.fixture
def api(world):
    return client_with(world.organization, "read", "write", "approve")


@pytest.mark.parametrize(("start", "end"), EDGES)
def test_a_booking_at_the_edge_of_time_is_400_naming_the_line_field(world, api, start, end):
    body = {
        "customer_id": world.customer.pk,
        "status": "approved",
        "spaces": [
            {
                "space_id": world.room.pk,
                "starts_at": start,
                "ends_at": end,
                "setup_minutes": 1440,
                "setdown_minutes": 1440,
            }
        ],
        "inventory_products": [
            {"inventory_product_id": world.product.pk, "starts_at": start, "ends_at": end}
        ],
    }
    response = api.post(url("bookings"), body, format="json")
    assert response.status_code == 400
    attrs = {error["attr"] for error in response.json()["errors"]}
    assert "spaces.0.starts_at" in attrs
    error = response.json()["errors"][0]
    assert error["detail"] == "Give a date between the years 1900 and 2999."
    assert error["code"] == "out_of_range"


@pytest.mark.parametrize(("start", "end"), EDGES)
def test_blockouts_events_and_payments_at_the_edge_of_time_are_400(world, api, start, end):
    booking = world.book()
    cases = [
        ("blockouts", {"space_id": world.room.pk, "starts_at": start, "ends_at": end}, "starts_at"),
        (
            "events",
            {"venue_id": world.venue.pk, "title": "Y10K", "starts_at": start, "ends_at": end},
            "starts_at",
        ),
        (f"bookings/{booking.pk}/payments", {"amount": "5.00", "paid_at": start}, "paid_at"),
        (f"bookings/{booking.pk}/approve", {"client_booking_last_updated_at": end}, None),
    ]
    for path, body, attr in cases:
        response = api.post(url(path), body, format="json")
        assert response.status_code == 400, (path, response.content)
        error = response.json()["errors"][0]
        assert error["attr"] == (attr or "client_booking_last_updated_at")
        assert error["code"] == "out_of_range"


@pytest.mark.parametrize(
    "query",
    [
        "bookings?from_start_date=0001-01-01",
        "bookings?until_start_date=9999-12-31",
        "events?start_date=0001-01-01",
        "blockouts?from_date=9999-12-31",
        "bookings/inventory-products?booking_start_date=0001-01-01",
        "spaces/{space}/availability?from=0001-01-01&to=0001-01-02",
        "spaces/{space}/availability?from=9999-12-30T00:00:00-12:00&to=9999-12-31",
    ],
)
def test_query_dates_at_the_edge_of_time_are_400(world, api, query):
    response = api.get(url(query.format(space=world.room.pk)))
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert (error["code"], error["detail"][:20]) == ("out_of_range", "Give a date between ")
