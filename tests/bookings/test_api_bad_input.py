"""No input a person or a program can send answers 500 (issue 8, finding 4).

Before: a body over 2.5 MB, JSON nested 100,000 deep, a lone surrogate in answers, the
approve endpoint's event overrides, a NUL in an event title, two payments or two manual
prices near the column's limit — each was a server error.
"""

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from bookings.models import Booking, Payment
from core.api.parsers import MAX_DEPTH
from tests import factories as f
from tests.bookings.conftest import at
from tests.bookings.test_api_bookings import client_with, url
from tests.bookings.test_api_public import submission

pytestmark = pytest.mark.django_db

LIMIT = "9999999999.99"


@pytest.fixture
def api(world) -> APIClient:
    client = client_with(world.organization, "read", "write", "approve")
    client.raise_request_exception = False
    return client


def post_raw(client: APIClient, path: str, body: str):
    """POST a JSON text as is: json.dumps writes a lone surrogate as its escape "\\ud800"."""
    return client.post(url(path), body, content_type="application/json")


def errors_of(response) -> list[tuple[str, str]]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


# -- size and nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["public", "key"])
def test_a_body_over_a_mebibyte_is_413_in_the_error_shape(world, api, door):
    client = api if door == "key" else APIClient(raise_request_exception=False)
    path = "bookings" if door == "key" else "public/bookings"
    body = json.dumps({**submission(world), "title": "x" * (1024 * 1024)})
    response = post_raw(client, path, body)
    assert response.status_code == 413
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "request_too_large",
                "detail": "The request body is larger than 1048576 bytes (1024 KiB).",
                "attr": None,
            }
        ],
    }
    assert not Booking.objects.exists()


def test_json_nested_a_hundred_thousand_deep_is_a_400(world):
    client = APIClient(raise_request_exception=False)
    response = post_raw(client, "public/bookings", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_json_nested_beyond_the_stated_depth_is_named(world):
    deep: dict = {}
    inner = deep
    for _ in range(MAX_DEPTH):
        inner["a"] = {}
        inner = inner["a"]
    body = json.dumps(submission(world, answers=deep))
    response = post_raw(APIClient(), "public/bookings", body)
    assert response.status_code == 400
    attr, code = errors_of(response)[0]
    assert (attr.split(".")[0], code) == ("answers", "max_depth")


# -- characters no text can hold ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", chr(0xD800), chr(0xDFFF)], ids=["nul", "high", "low"])
@pytest.mark.parametrize(
    ("where", "attr"),
    [
        ("answer value", "answers.company"),
        ("answer key", "answers"),
        ("customer name", "customer.last_name"),
        ("title", "title"),
        ("line name", "spaces.0.name"),
    ],
)
def test_nul_and_lone_surrogates_anywhere_are_400_naming_the_field(world, bad, where, attr):
    f.CustomFieldFactory(form=world.form, key="company", label="Company")
    payload = submission(world)
    if where == "answer value":
        payload["answers"] = {"company": f"ACME{bad}"}
    elif where == "answer key":
        payload["answers"] = {f"comp{bad}any": "ACME"}
    elif where == "customer name":
        payload["customer"]["last_name"] = f"Pub{bad}lic"
    elif where == "title":
        payload["title"] = f"Party{bad}"
    else:
        payload["spaces"][0]["name"] = f"Main{bad}"
    response = post_raw(
        APIClient(raise_request_exception=False), "public/bookings", json.dumps(payload)
    )
    assert response.status_code == 400, response.content
    assert errors_of(response)[0][0] == attr
    assert not Booking.objects.exists()


def test_a_lone_surrogate_answer_is_refused_by_the_service_too(world):
    """Any door: the answers check itself refuses what the JSON parser would."""
    from django.core.exceptions import ValidationError

    from bookings.answers import clean_answers

    f.CustomFieldFactory(form=world.form, key="company", label="Company")
    with pytest.raises(ValidationError) as refused:
        clean_answers(world.form, {"company": "ACME \ud800"})
    assert refused.value.error_dict["company"][0].code == "surrogate_characters_not_allowed"


# -- the approve endpoint's event overrides ----------------------------------------------------


def test_the_approve_endpoint_sets_the_events_times_and_title(world, api):
    booking = world.book()
    response = api.post(
        url(f"bookings/{booking.pk}/approve"),
        {
            "event": {
                "title": "Kick-off",
                "starts_at": "2030-03-04 10:30:00",
                "ends_at": "2030-03-04T11:30:00+01:00",
                "capacity": 12,
                "is_public": True,
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    event = Booking.objects.get(pk=booking.pk).event
    assert (event.title, event.starts_at, event.ends_at, event.capacity, event.is_public) == (
        "Kick-off",
        at("2030-03-04 10:30"),
        at("2030-03-04 11:30"),
        12,
        True,
    )


@pytest.mark.parametrize(
    ("event", "attr"),
    [
        ({"starts_at": "soon"}, "event.starts_at"),
        ({"ends_at": "2030-03-04 09:00:00"}, "event.ends_at"),
        ({"title": "Kick\x00off"}, "event.title"),
        ({"title": "Kick\ud800off"}, "event.title"),
        ({"colour": "red"}, "event.colour"),
        ({"capacity": -1}, "event.capacity"),
    ],
)
def test_bad_event_overrides_are_400_naming_the_field(world, api, event, attr):
    booking = world.book()
    response = post_raw(api, f"bookings/{booking.pk}/approve", json.dumps({"event": event}))
    assert response.status_code == 400, response.content
    assert errors_of(response)[0][0] == attr
    assert Booking.objects.get(pk=booking.pk).status == "pending"


# -- amounts that would overflow a column -------------------------------------------------------


@pytest.mark.parametrize("amount", [LIMIT, "8120496975"])
def test_payments_cannot_add_up_past_what_a_column_holds(world, api, amount):
    booking = world.book()
    path = url(f"bookings/{booking.pk}/payments")
    assert api.post(path, {"amount": amount}, format="json").status_code == 201
    response = api.post(path, {"amount": amount}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("amount", "max_value")]
    assert Payment.objects.count() == 1


def test_two_manual_prices_at_the_limit_are_refused_naming_the_second(world, api):
    vat = f.VatRateFactory(organization=world.organization, percent=Decimal("21"))
    line = {
        "space_id": world.zone.pk,
        "use_manual_price": True,
        "manual_price_vat_id": vat.pk,
        "manual_price_amount_gross": LIMIT,
        "starts_at": "2030-03-04 10:00:00",
        "ends_at": "2030-03-04 12:00:00",
    }
    body = {"customer_id": world.customer.pk, "spaces": [line, line]}
    response = api.post(url("bookings"), body, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("spaces.1.manual_price_amount_gross", "max_value")]
    assert not Booking.objects.exists()


def test_units_times_a_price_past_the_limit_are_refused_naming_the_units(world, api):
    world.product.unit_price = Decimal("1000000.00")
    world.product.units_total = 100_000
    world.product.save()
    body = {
        "customer_id": world.customer.pk,
        "venue_id": world.venue.pk,
        "inventory_products": [
            {
                "inventory_product_id": world.product.pk,
                "units": 100_000,
                "starts_at": "2030-03-04 10:00:00",
                "ends_at": "2030-03-04 12:00:00",
            }
        ],
    }
    response = api.post(url("bookings"), body, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("inventory_products.0.units", "max_value")]
