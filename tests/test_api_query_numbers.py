"""How many queries the bookings list and detail run, counted whole (authentication,
permission, page, lines), with an API key and with a staff session.

tests/test_api_query_counts.py proves that no list grows with its rows; this file pins the
absolute numbers of the busiest reads, so that one more query anywhere shows.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.actors import ActorKind
from tests import factories as f
from venues.models import Membership, OrganizationAPIKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings_with_everything():
    """50 bookings of one venue, each with a space, event and product line, a payment and a
    log entry, and a manager of their organisation."""
    organization = f.OrganizationFactory()
    venue = f.VenueFactory(organization=organization, timezone="Europe/Madrid")
    space = f.SpaceFactory(venue=venue)
    # Later than every line, so that each booking starts with its own space line.
    late = f.BASE_TIME + timedelta(days=400)
    event = f.EventFactory(venue=venue, starts_at=late, ends_at=late + timedelta(hours=2))
    product = f.InventoryProductFactory(organization=organization)
    payment_type = f.PaymentTypeFactory(organization=organization)
    manager = f.UserFactory()
    f.MembershipFactory(user=manager, organization=organization, role=Membership.Role.MANAGER)
    made = []
    for number in range(50):
        booking = f.BookingFactory(venue=venue)
        start = f.BASE_TIME + timedelta(hours=6 * number)
        f.SpaceBookingFactory(booking=booking, space=space, starts_at=start)
        f.EventBookingFactory(booking=booking, event=event, price__event=event)
        f.InventoryBookingFactory(booking=booking, product=product, starts_at=start)
        f.PaymentFactory(booking=booking, payment_type=payment_type)
        f.LogEntryFactory(booking=booking, user=manager, actor_kind=ActorKind.USER)
        booking.compute_span()
        booking.save()
        made.append(booking)
    return organization, venue, manager, made


def caller(kind: str, organization, manager) -> APIClient:
    client = APIClient()
    if kind == "api key":
        _, key = OrganizationAPIKey.objects.create_key(
            name="numbers", organization=organization, scopes=["read"]
        )
        client.credentials(HTTP_X_API_KEY=key)
        client.get("/api/v1/venues")  # the key's first use is written now, not counted
    else:
        client.force_login(manager)
    return client


def queries_of(client: APIClient, address: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


# The key (with its organisation) | the session and its user, the member's right in one;
# then the ids of the caller's organisations, the count, the page of bookings (customer and
# event joined) and their lines and payments, all kinds in one.
LIST_QUERIES = {"api key": 5, "staff session": 7}
# The key | the session, its user, the member's right and their role in the booking's
# organisation; then the booking, its lines and payments, its log with who acted.
DETAIL_QUERIES = {"api key": 4, "staff session": 7}


@pytest.mark.parametrize("kind", ["api key", "staff session"])
def test_a_page_of_50_bookings_with_lines_runs_a_fixed_number_of_queries(
    bookings_with_everything, kind
):
    organization, _, manager, _ = bookings_with_everything
    client = caller(kind, organization, manager)

    count, body = queries_of(client, "/api/v1/bookings?per_page=50")

    assert len(body["results"]) == 50
    assert all(
        row["spaces"] and row["events"] and row["inventory_products"] and row["payments"]
        for row in body["results"]
    )
    assert count == LIST_QUERIES[kind]


@pytest.mark.parametrize("kind", ["api key", "staff session"])
def test_a_venues_week_of_bookings_runs_no_more_queries_than_the_whole_list(
    bookings_with_everything, kind
):
    organization, venue, manager, made = bookings_with_everything
    client = caller(kind, organization, manager)
    first = made[0].starts_at.astimezone(venue.tzinfo).date()
    week = (
        f"/api/v1/bookings?per_page=50&venue_id={venue.pk}"
        f"&from_start_date={first}&until_start_date={first + timedelta(days=6)}"
    )

    count, body = queries_of(client, week)

    assert 0 < len(body["results"]) < 50
    assert count == LIST_QUERIES[kind]


@pytest.mark.parametrize("kind", ["api key", "staff session"])
def test_a_booking_with_lines_payments_and_log_runs_a_fixed_number_of_queries(
    bookings_with_everything, kind
):
    organization, _, manager, made = bookings_with_everything
    client = caller(kind, organization, manager)

    count, body = queries_of(client, f"/api/v1/bookings/{made[7].pk}")

    assert body["reference"] == made[7].reference
    assert [len(body["log"]), len(body["spaces"]), len(body["payments"])] == [1, 1, 1]
    assert count == DETAIL_QUERIES[kind]
