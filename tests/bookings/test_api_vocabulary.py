"""One API vocabulary: answers name every field as requests do, every door takes contact
details and space lines under the same names, and PATCH changes a booking's details."""

from datetime import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from bookings.models import Booking, ChangeRequest, LogEntry
from tests import factories as f
from tests.bookings.test_api_bookings import client_with, url
from tests.bookings.test_api_public import submission

pytestmark = pytest.mark.django_db


def full_request(world) -> dict:
    """A booking that sends every field POST /bookings takes (but a discount code)."""
    layout = f.SpaceLayoutFactory(space=world.room, capacity=30)
    vat = f.VatRateFactory(organization=world.organization, percent=Decimal("10"))
    discount = f.DiscountFactory(organization=world.organization)
    paid_by = f.PaymentTypeFactory(organization=world.organization)
    hire = f.PriceFactory(
        event=None, product=world.product, organization=world.organization, amount_gross=25
    )
    return {
        "customer": {
            "first_name": "Echo",
            "last_name": "Field",
            "company": "Mirror Ltd",
            "email": "echo@example.com",
            "phone": "+34 600 000 002",
        },
        "venue_id": world.venue.pk,
        "booking_form_id": world.form.pk,
        "payment_type_id": paid_by.pk,
        "title": "Product launch",
        "internal_note": "Bring the long table.",
        "request_note": "<p>Vegetarian lunch</p>",
        "contact": {"name": "Pat Assistant", "email": "pat@example.com", "phone": "+34 600 3"},
        "answers": {},
        "notify_email": False,
        "notify_sms": True,
        "status": "pending",
        "spaces": [
            {
                "space_id": world.room.pk,
                "layout_id": layout.pk,
                "places_used": 12,
                "starts_at": "2030-03-04T10:00:00+01:00",
                "ends_at": "2030-03-04T12:00:00+01:00",
                "setup_minutes": 15,
                "setdown_minutes": 30,
                "name": "Main session",
                "expected_attendees": 12,
                "guaranteed_attendees": 10,
                "actual_attendees": 0,
                "signage": "Launch",
                "show_signage": True,
                "overrides_opening_hours": False,
                "discount_id": discount.pk,
                "use_manual_price": True,
                "manual_price_vat_id": vat.pk,
                "manual_price_amount_gross": "150.00",
                "exclude_vat": False,
            }
        ],
        "events": [
            {
                "event_id": world.event.pk,
                "price_id": world.ticket.pk,
                "quantity": 2,
                "discount_id": None,
                "use_manual_price": False,
                "manual_price_vat_id": None,
                "manual_price_amount_gross": None,
                "exclude_vat": False,
            }
        ],
        "inventory_products": [
            {
                "inventory_product_id": world.product.pk,
                "price_id": hire.pk,
                "units": 1,
                "starts_at": "2030-03-04T10:00:00+01:00",
                "ends_at": "2030-03-04T12:00:00+01:00",
                "discount_id": None,
                "use_manual_price": False,
                "manual_price_vat_id": None,
                "manual_price_amount_gross": None,
                "exclude_vat": True,
            }
        ],
    }


def as_sent(answer, sent):
    """The answer cut to the shape of what was sent: the same keys, lists item by item."""
    if isinstance(sent, dict):
        assert isinstance(answer, dict), answer
        missing = sorted(set(sent) - set(answer))
        assert not missing, f"the answer does not name {missing}"
        return {key: as_sent(answer[key], value) for key, value in sent.items()}
    if isinstance(sent, list):
        assert len(answer) == len(sent)
        return [as_sent(item, value) for item, value in zip(answer, sent, strict=True)]
    return answer


def same_value(answered, sent) -> bool:
    """Equal, reading times as instants (answers are in UTC)."""
    if isinstance(sent, str) and isinstance(answered, str) and sent[:2] == "20" and "T" in sent:
        return datetime.fromisoformat(answered) == datetime.fromisoformat(sent)
    return answered == sent


def differences(answered, sent, path="") -> list[str]:
    if isinstance(sent, dict):
        return [d for key in sent for d in differences(answered[key], sent[key], f"{path}.{key}")]
    if isinstance(sent, list):
        return [
            d
            for n, (a, s) in enumerate(zip(answered, sent, strict=True))
            for d in differences(a, s, f"{path}.{n}")
        ]
    return [] if same_value(answered, sent) else [f"{path}: sent {sent!r}, answered {answered!r}"]


# -- answers echo requests ----------------------------------------------------------------------


def test_a_posted_booking_answers_every_field_under_the_name_it_was_sent_by(world):
    api = client_with(world.organization, "read", "write")
    sent = full_request(world)
    response = api.post(url("bookings"), sent, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    assert differences(as_sent(answer, sent), sent) == []
    assert answer["customer_id"] == answer["customer"]["id"]
    for old_name in ("space_lines", "event_lines", "product_lines", "contact_name"):
        assert old_name not in answer
    for line in answer["spaces"] + answer["events"] + answer["inventory_products"]:
        assert "manual_price_gross" not in line
        assert "manual_price_vat_rate_id" not in line


def test_a_booking_answer_fed_back_field_for_field_books_the_same_again(world):
    api = client_with(world.organization, "read", "write")
    sent = full_request(world)
    first = api.post(url("bookings"), sent, format="json").json()
    again = api.post(url("bookings"), as_sent(first, sent), format="json")
    assert again.status_code == 201, again.content
    assert as_sent(again.json(), sent) == as_sent(first, sent)
    assert again.json()["id"] != first["id"]


def test_get_and_the_line_resources_use_the_request_names(world):
    api = client_with(world.organization, "read", "write")
    created = api.post(url("bookings"), full_request(world), format="json").json()
    shown = api.get(url(f"bookings/{created['id']}")).json()
    listed = api.get(url("bookings")).json()["results"][0]
    assert shown["spaces"] == created["spaces"] == listed["spaces"]
    assert shown["contact"] == {
        "name": "Pat Assistant",
        "email": "pat@example.com",
        "phone": "+34 600 3",
    }
    ticket_line = api.get(url(f"bookings/events/{created['events'][0]['id']}")).json()
    product_line = api.get(
        url(f"bookings/inventory-products/{created['inventory_products'][0]['id']}")
    ).json()
    for line in (shown["spaces"][0], ticket_line, product_line):
        assert {"manual_price_amount_gross", "manual_price_vat_id"} <= set(line)
    assert shown["spaces"][0]["manual_price_amount_gross"] == "150.00"


def test_a_line_put_answers_the_manual_price_under_its_request_names(world):
    api = client_with(world.organization, "read", "write")
    created = api.post(url("bookings"), full_request(world), format="json").json()
    line_id = created["events"][0]["id"]
    vat = f.VatRateFactory(organization=world.organization, percent=Decimal("21"))
    sent = {
        "event_id": world.event.pk,
        "price_id": world.ticket.pk,
        "quantity": 3,
        "use_manual_price": True,
        "manual_price_vat_id": vat.pk,
        "manual_price_amount_gross": "40.00",
    }
    response = api.put(url(f"bookings/events/{line_id}"), sent, format="json")
    assert response.status_code == 200, response.content
    assert differences(as_sent(response.json(), sent), sent) == []


# -- contact and space lines under one name at every door ---------------------------------------


def test_a_public_change_request_takes_contact_name_and_spaces_and_answers_them_so(world):
    created = APIClient().post(url("public/bookings"), submission(world), format="json").json()
    booking = Booking.objects.get(reference=created["reference"])
    client_with(world.organization, "read", "approve").post(
        url(f"bookings/{booking.pk}/approve"), {}, format="json"
    )
    line = booking.space_bookings.get()
    asked = {
        "contact": {"name": "Nora Newname", "email": "nora@example.com"},
        "spaces": [{"id": line.pk, "places_used": 8, "ends_at": "2030-03-04T13:00:00+01:00"}],
    }
    response = APIClient().post(
        url("public/change-requests"),
        {"manage_token": created["manage_token"], **asked},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cancellation"] is False
    assert differences(as_sent(body["changes"], asked), asked) == []
    stored = ChangeRequest.objects.get(pk=body["id"]).changes
    assert stored["contact"] == {
        "contact_name": "Nora Newname",
        "contact_email": "nora@example.com",
    }
    assert stored["space_lines"][0]["places"] == 8

    api = client_with(world.organization, "read", "approve")
    listed = api.get(url("change-requests?cancellation=false")).json()["results"]
    assert [row["changes"] for row in listed] == [body["changes"]]
    assert api.get(url("change-requests?cancellation=true")).json()["results"] == []
    decided = api.post(
        url(f"change-requests/{body['id']}/approve"),
        {"comment": "Fine", "message": "See you at one"},
        format="json",
    ).json()
    assert (decided["comment"], decided["message"]) == ("Fine", "See you at one")
    booking.refresh_from_db()
    assert (booking.contact_name, booking.space_bookings.get().places) == ("Nora Newname", 8)


def test_a_public_change_request_names_bad_fields_by_the_api_path(world):
    created = APIClient().post(url("public/bookings"), submission(world), format="json").json()
    booking = Booking.objects.get(reference=created["reference"])
    line = booking.space_bookings.get()
    response = APIClient().post(
        url("public/change-requests"),
        {
            "manage_token": created["manage_token"],
            "spaces": [{"id": line.pk, "starts_at": "2030-03-04T13:00:00+01:00"}],  # after end
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert [error["attr"] for error in response.json()["errors"]] == ["spaces.0.ends_at"]
    response = APIClient().post(
        url("public/change-requests"),
        {"manage_token": created["manage_token"], "contact": {"contact_name": "Old Style"}},
        format="json",
    )
    assert [error["attr"] for error in response.json()["errors"]] == ["contact.contact_name"]
    assert booking.change_requests.count() == 0


def test_a_contact_error_from_the_service_is_named_inside_contact(world):
    api = client_with(world.organization, "read", "write")
    booking = world.book()
    response = api.patch(
        url(f"bookings/{booking.pk}"), {"contact": {"name": "Nul\x00l"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "contact.name"


# -- PATCH /bookings/{id} --------------------------------------------------------------------------


def test_patch_changes_title_internal_note_payment_type_and_flags_and_logs_them(world):
    api = client_with(world.organization, "read", "write")
    booking = world.book()
    card = f.PaymentTypeFactory(organization=world.organization, name="Card")
    response = api.patch(
        url(f"bookings/{booking.pk}"),
        {
            "title": "  Board meeting ",
            "internal_note": "VIP: greet at the door.",
            "payment_type_id": card.pk,
            "notify_email": False,
            "notify_sms": True,
            "client_booking_last_updated_at": booking.updated_at.isoformat(),
        },
        format="json",
    )
    body = response.json()
    assert response.status_code == 200, body
    assert (body["title"], body["internal_note"], body["payment_type_id"]) == (
        "Board meeting",
        "VIP: greet at the door.",
        card.pk,
    )
    assert (body["notify_email"], body["notify_sms"]) == (False, True)
    entry = body["log"][-1]
    assert entry["action"] == "details_updated"
    assert entry["data"]["fields"] == [
        "internal_note",
        "notify_email",
        "notify_sms",
        "payment_type_id",
        "title",
    ]
    assert entry["data"]["changed"]["title"] == ["Team meeting", "Board meeting"]
    assert entry["data"]["changed"]["payment_type_id"] == [None, card.pk]
    assert "internal_note" not in entry["data"]["changed"]


def test_patch_with_null_clears_the_payment_type(world):
    api = client_with(world.organization, "read", "write")
    cash = f.PaymentTypeFactory(organization=world.organization)
    booking = world.book(payment_type=cash)
    response = api.patch(url(f"bookings/{booking.pk}"), {"payment_type_id": None}, format="json")
    assert (response.status_code, response.json()["payment_type_id"]) == (200, None)


def test_a_stale_patch_is_409_and_changes_nothing(world):
    api = client_with(world.organization, "read", "write")
    booking = world.book()
    seen = booking.updated_at.isoformat()
    api.patch(url(f"bookings/{booking.pk}"), {"title": "First"}, format="json")
    response = api.patch(
        url(f"bookings/{booking.pk}"),
        {"title": "Second", "internal_note": "x", "client_booking_last_updated_at": seen},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stale_booking"
    booking.refresh_from_db()
    assert (booking.title, booking.internal_note) == ("First", "")


def test_patch_refuses_another_organisations_payment_type_naming_payment_type_id(world):
    api = client_with(world.organization, "read", "write")
    booking = world.book()
    foreign = f.PaymentTypeFactory()
    response = api.patch(
        url(f"bookings/{booking.pk}"),
        {"payment_type_id": foreign.pk, "title": "Not kept"},
        format="json",
    )
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["payment_type_id"]
    booking.refresh_from_db()
    assert (booking.payment_type_id, booking.title) == (None, "Team meeting")
    assert not booking.log_entries.filter(action=LogEntry.Action.DETAILS_UPDATED).exists()


def test_a_read_only_key_cannot_patch(world):
    reader = client_with(world.organization, "read")
    booking = world.book()
    response = reader.patch(url(f"bookings/{booking.pk}"), {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert Booking.objects.get(pk=booking.pk).title == "Team meeting"


def test_patch_refuses_the_old_flat_contact_fields_and_an_overlong_title(world):
    api = client_with(world.organization, "read", "write")
    booking = world.book()
    old = api.patch(url(f"bookings/{booking.pk}"), {"contact_name": "X"}, format="json")
    assert [error["attr"] for error in old.json()["errors"]] == ["contact_name"]
    long = api.patch(url(f"bookings/{booking.pk}"), {"title": "x" * 201}, format="json")
    assert (long.status_code, long.json()["errors"][0]["attr"]) == (400, "title")
