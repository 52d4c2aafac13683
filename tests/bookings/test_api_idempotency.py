"""Idempotency-Key on creating POSTs: a retry replays the first answer and creates nothing."""

import pytest

from bookings.models import Booking, Payment
from tests.bookings.test_api_bookings import client_with, url

pytestmark = pytest.mark.django_db


def payload(world, day="04") -> dict:
    return {
        "customer_id": world.customer.pk,
        "spaces": [
            {
                "space_id": world.room.pk,
                "places_used": 5,
                "starts_at": f"2030-03-{day} 10:00:00",
                "ends_at": f"2030-03-{day} 12:00:00",
            }
        ],
    }


def test_the_same_key_and_body_replays_the_first_answer_without_a_second_booking(world):
    api = client_with(world.organization, "read", "write")
    first = api.post(url("bookings"), payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(url("bookings"), payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(world):
    api = client_with(world.organization, "read", "write")
    api.post(url("bookings"), payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = api.post(
        url("bookings"), payload(world, day="05"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_without_a_key_each_post_creates_and_keys_belong_to_their_caller(world):
    api = client_with(world.organization, "read", "write")
    other = client_with(world.organization, "read", "write")
    api.post(url("bookings"), payload(world), format="json")
    api.post(url("bookings"), payload(world), format="json")
    other.post(url("bookings"), payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    api.post(url("bookings"), payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert Booking.objects.count() == 4


def test_a_failed_request_does_not_use_up_its_key(world):
    api = client_with(world.organization, "read", "write")
    bad = payload(world)
    bad["spaces"][0]["space_id"] = 999999
    assert (
        api.post(url("bookings"), bad, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 400
    )
    # The client corrects the request and retries with the same key.
    assert (
        api.post(
            url("bookings"), payload(world), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
        ).status_code
        == 201
    )
    assert Booking.objects.count() == 1


def test_a_payment_is_recorded_once_per_key(world):
    api = client_with(world.organization, "read", "write")
    booking = world.book()
    for _ in range(2):
        response = api.post(
            url(f"bookings/{booking.pk}/payments"),
            {"amount": "20.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pay-1",
        )
        assert response.status_code == 201
    assert Payment.objects.filter(booking=booking).count() == 1
