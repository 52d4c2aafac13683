"""What creating and approving a booking through the API costs the database, query by query.

Counted: every statement the request runs, but the SAVEPOINTs the test's own transaction
turns the services' transactions into (a server runs BEGIN and COMMIT instead, which
Django does not send as queries). The lists below are the budget: a new query shows up as
a failing test that names it.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bookings import notifications
from bookings.services import CustomerIn, common, customer_find_or_create
from bookings.services.customers import customers_by_email
from tests import factories as f
from tests.markers import requires_postgres
from venues.models import OrganizationAPIKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world) -> APIClient:
    _, key = OrganizationAPIKey.objects.create_key(
        name="counts", organization=world.organization, scopes=["read", "write", "approve"]
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    client.get("/api/v1/venues")  # its first use is written now, outside the counts
    return client


def body(world, **extra) -> dict:
    return {
        "venue_id": world.venue.pk,
        "customer": {"first_name": "Gina", "last_name": "Guest", "email": "Gina@Example.com"},
        "spaces": [
            {
                "space_id": world.zone.pk,
                "starts_at": "2030-03-04T10:00:00+01:00",
                "ends_at": "2030-03-04T12:00:00+01:00",
                "places_used": 2,
            }
        ],
        **extra,
    }


def statements(captured) -> list[str]:
    """What each query did, in order: "SELECT venues_space", "INSERT bookings_booking"…"""
    done = []
    for query in captured:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        if verb in {"SAVEPOINT", "RELEASE"}:
            continue
        table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
        locked = " FOR UPDATE" if "FOR UPDATE" in sql else ""
        done.append(f"{verb} {table[1] if table else sql[:60]}{locked}")
    return done


def post(api, path, data) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = api.post(path, data, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json(), statements(captured)


# SQLite has no row locks (its transaction is the lock): the same query, without FOR UPDATE.
LOCKED = " FOR UPDATE" if connection.features.has_select_for_update else ""

AUTHENTICATE = ["SELECT venues_organizationapikey"]  # with its organisation
CHECK = [  # what is free: blockouts, opening hours, the lines that hold the space then
    "SELECT venues_blockout",
    "SELECT venues_openinghours",
    "SELECT bookings_spacebooking",
]


def test_creating_an_approved_booking_costs_these_queries(world, api):
    api.post("/api/v1/bookings", body(world), format="json")  # the customer exists now
    answer, done = post(api, "/api/v1/bookings", body(world, status="approved"))
    assert answer["status"] == "approved"
    assert done == [
        *AUTHENTICATE,
        "SELECT venues_space",  # with its venue and VAT rate
        "SELECT bookings_customer",  # by e-mail, whatever its case
        "SELECT bookings_booking",  # is the new reference free?
        # The lock, and under it only the check and the writes:
        f"SELECT venues_space{LOCKED}",
        *CHECK,
        "INSERT venues_event",
        "INSERT bookings_booking",
        "INSERT bookings_spacebooking",
        "INSERT bookings_logentry",  # created and approved, in one statement
        "SELECT bookings_webhookendpoint",
        "INSERT bookings_notification",
    ]


def test_creating_a_pending_booking_costs_these_queries(world, api):
    api.post("/api/v1/bookings", body(world), format="json")
    answer, done = post(api, "/api/v1/bookings", body(world))
    assert answer["status"] == "pending"
    assert done == [
        *AUTHENTICATE,
        "SELECT venues_space",
        "SELECT bookings_customer",
        "SELECT bookings_booking",
        *CHECK,  # a request for a taken slot is refused too (without a lock)
        "INSERT bookings_booking",
        "INSERT bookings_spacebooking",
        "INSERT bookings_logentry",
        "SELECT bookings_webhookendpoint",
        "INSERT bookings_notification",
    ]


def test_approving_costs_these_queries(world, api):
    created = api.post("/api/v1/bookings", body(world), format="json").json()
    answer, done = post(api, f"/api/v1/bookings/{created['id']}/approve", {})
    assert answer["status"] == "approved"
    assert [entry["action"] for entry in answer["log"]] == ["created", "approved"]
    assert done == [
        *AUTHENTICATE,
        "SELECT bookings_booking",  # the caller's booking (404 otherwise)
        f"SELECT bookings_booking{LOCKED}",
        "SELECT bookings_spacebooking",
        "SELECT bookings_eventbooking",
        "SELECT bookings_inventorybooking",
        f"SELECT venues_space{LOCKED}",
        *CHECK,
        "INSERT venues_event",
        "UPDATE bookings_booking",
        "UPDATE bookings_spacebooking",  # it holds the space now
        "INSERT bookings_logentry",
        "SELECT bookings_webhookendpoint",
        "INSERT bookings_notification",
        # The answer: the booking and its lines as the service left them, and then
        "SELECT bookings_payment",
        "SELECT bookings_logentry",
    ]


def test_the_answer_to_a_creation_is_the_booking_as_read_back(world, api):
    answer, _ = post(api, "/api/v1/bookings", body(world, status="approved"))
    read = api.get(f"/api/v1/bookings/{answer['id']}").json()
    assert answer.pop("manage_token")
    assert answer == read


def test_the_answer_to_a_creation_of_many_lines_given_out_of_order_is_as_read_back(world, api):
    def space(day: int) -> dict:
        return {
            "space_id": world.zone.pk,
            "starts_at": f"2030-03-0{day}T10:00:00+01:00",
            "ends_at": f"2030-03-0{day}T12:00:00+01:00",
        }

    def product(day: int) -> dict:  # the times of a space line, without the space
        return {"inventory_product_id": world.product.pk, **space(day)}

    tickets = {"event_id": world.event.pk, "price_id": world.ticket.pk, "quantity": 1}
    lines = {
        "spaces": [space(6), space(4), space(5)],
        "events": [tickets, {**tickets, "quantity": 2}],
        "inventory_products": [product(5), product(4)],
    }
    for line in lines["inventory_products"]:
        line.pop("space_id")
    answer, _ = post(api, "/api/v1/bookings", body(world, status="approved", **lines))
    read = api.get(f"/api/v1/bookings/{answer['id']}").json()
    assert answer.pop("manage_token")
    assert answer == read
    assert [line["starts_at"][:10] for line in answer["spaces"]] == [
        "2030-03-04",
        "2030-03-05",
        "2030-03-06",
    ]


def test_the_answer_to_an_approval_is_the_booking_as_read_back(world, api):
    created = api.post("/api/v1/bookings", body(world), format="json").json()
    answer, _ = post(api, f"/api/v1/bookings/{created['id']}/approve", {"comment": "Fine"})
    assert answer == api.get(f"/api/v1/bookings/{created['id']}").json()


def test_a_customer_is_found_by_email_whatever_its_case(world):
    known = f.CustomerFactory(organization=world.organization, email="Gina@Example.com")
    found = customer_find_or_create(
        organization=world.organization,
        customer=CustomerIn(last_name="G", email="gINA@example.COM"),
    )
    assert found == known


@requires_postgres
def test_the_customer_lookup_by_email_is_served_by_an_index(world):
    f.CustomerFactory.create_batch(3, organization=world.organization)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # else 3 rows are read in a scan
    plan = customers_by_email(world.organization, "gina@example.com").explain()
    assert "bookings_customer_email_ci" in plan, plan


@pytest.fixture
def steps(monkeypatch) -> list[str]:
    """The order in which a service renders its messages and takes the resource locks."""
    done = []
    lock, render = common.lock_resources, notifications.render

    def locking(**resources):
        done.append("lock")
        return lock(**resources)

    def rendering(**message):
        done.append("render")
        return render(**message)

    monkeypatch.setattr(common, "lock_resources", locking)
    monkeypatch.setattr(notifications, "render", rendering)
    return done


def test_an_approved_booking_is_created_with_its_message_rendered_before_the_lock(
    world, api, steps
):
    post(api, "/api/v1/bookings", body(world, status="approved"))
    assert steps == ["render", "lock"]


def test_an_approval_renders_its_message_before_the_lock(world, api, steps):
    created = api.post("/api/v1/bookings", body(world), format="json").json()
    steps.clear()
    post(api, f"/api/v1/bookings/{created['id']}/approve", {})
    assert steps == ["render", "lock"]
