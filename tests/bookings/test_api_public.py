"""The public door (booking form, change requests by manage token) and staff decisions."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from bookings.models import Booking, ChangeRequest
from tests import factories as f
from tests.bookings.test_api_bookings import client_with, url

pytestmark = pytest.mark.django_db


def submission(world, **extra) -> dict:
    return {
        "organization": world.organization.slug,
        "booking_form": world.form.slug,
        "customer": {"first_name": "Pia", "last_name": "Public", "email": "pia@example.com"},
        "spaces": [
            {
                "space_id": world.room.pk,
                "places_used": 6,
                "starts_at": "2030-03-04 10:00:00",
                "ends_at": "2030-03-04 12:00:00",
            }
        ],
        "request_note": "<p>Hello</p><script>x</script>",
        **extra,
    }


def test_a_customer_submits_without_login_and_gets_the_manage_token(world):
    response = APIClient().post(url("public/bookings"), submission(world), format="json")
    body = response.json()
    assert response.status_code == 201, body
    booking = Booking.objects.get(reference=body["reference"])
    assert (booking.status, booking.source, booking.request_note) == (
        "pending",
        "public_form",
        "<p>Hello</p>",
    )
    assert booking.manage_token_matches(body["manage_token"])
    assert body["manage_url"].endswith(f"/manage/{body['manage_token']}/")


def test_a_public_submission_follows_the_form_and_names_bad_fields(world):
    other = f.SpaceFactory(venue=world.venue)
    payload = submission(world)
    payload["spaces"][0]["space_id"] = other.pk
    response = APIClient().post(url("public/bookings"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "spaces.0.space_id"
    assert (
        APIClient()
        .post(url("public/bookings"), submission(world, website="spam"), format="json")
        .status_code
        == 400
    )
    assert Booking.objects.count() == 0


def test_a_form_of_another_organisation_slug_is_404(world):
    payload = submission(world, organization="nobody")
    assert APIClient().post(url("public/bookings"), payload, format="json").status_code == 404


def test_public_submissions_are_throttled(world, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "2/minute"})
    client = APIClient()
    codes = [
        client.post(url("public/bookings"), {"organization": "x"}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]


def test_a_customer_asks_for_a_change_with_the_token_and_staff_approve_it(world):
    created = APIClient().post(url("public/bookings"), submission(world), format="json").json()
    booking = Booking.objects.get(reference=created["reference"])
    api = client_with(world.organization, "read", "write", "approve")
    api.post(url(f"bookings/{booking.pk}/approve"), {}, format="json")
    line = booking.space_bookings.get()
    response = APIClient().post(
        url("public/change-requests"),
        {
            "manage_token": created["manage_token"],
            "spaces": [{"id": line.pk, "ends_at": "2030-03-04T13:00:00+01:00"}],
            "request_note": "One more hour please",
        },
        format="json",
    )
    body = response.json()
    assert (response.status_code, body["status"]) == (201, "pending")

    listed = api.get(url("change-requests?status=pending")).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    decided = api.post(
        url(f"change-requests/{body['id']}/approve"), {"message": "Done"}, format="json"
    )
    assert (decided.status_code, decided.json()["status"]) == (200, "approved")
    line.refresh_from_db()
    assert line.ends_at.isoformat() == "2030-03-04T12:00:00+00:00"


def test_a_wrong_manage_token_is_404(world):
    response = APIClient().post(
        url("public/change-requests"),
        {"manage_token": "guess", "cancellation": True},
        format="json",
    )
    assert response.status_code == 404


def test_denying_a_change_request_needs_the_approve_scope(world):
    created = APIClient().post(url("public/bookings"), submission(world), format="json").json()
    booking = Booking.objects.get(reference=created["reference"])
    client_with(world.organization, "approve", "read").post(
        url(f"bookings/{booking.pk}/approve"), {}, format="json"
    )
    change = (
        APIClient()
        .post(
            url("public/change-requests"),
            {"manage_token": created["manage_token"], "cancellation": True},
            format="json",
        )
        .json()
    )
    writer = client_with(world.organization, "read", "write")
    assert (
        writer.post(url(f"change-requests/{change['id']}/deny"), {}, format="json").status_code
        == 403
    )
    stranger = client_with(f.OrganizationFactory(), "read", "write", "approve")
    assert (
        stranger.post(url(f"change-requests/{change['id']}/deny"), {}, format="json").status_code
        == 404
    )
    assert ChangeRequest.objects.get(pk=change["id"]).status == "pending"
