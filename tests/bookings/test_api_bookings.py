"""The bookings API through the client: status codes, bodies, keys, scopes and tenancy."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bookings import services
from bookings.models import Booking, ChangeRequest
from bookings.services import SpaceLineIn, booking_create
from tests import factories as f
from tests.bookings.conftest import at
from venues.models import OrganizationAPIKey

pytestmark = pytest.mark.django_db


def client_with(organization, *scopes) -> APIClient:
    _, key = OrganizationAPIKey.objects.create_key(
        name="test", organization=organization, scopes=list(scopes)
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


@pytest.fixture
def api(world) -> APIClient:
    return client_with(world.organization, "read", "write", "approve")


def url(path: str) -> str:
    return f"/api/v1/{path}"


# -- the examples of the issue, literally ------------------------------------------------------


def test_put_status_accepted_answers_success(world, api):
    booking = world.book()
    response = api.put(url(f"bookings/{booking.pk}/status"), {"status": "accepted"}, format="json")
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert Booking.objects.get(pk=booking.pk).status == "approved"


def test_an_illegal_status_move_is_409_listing_the_legal_ones(world, api):
    booking = world.book()
    response = api.put(url(f"bookings/{booking.pk}/status"), {"status": "sitting"}, format="json")
    body = response.json()
    assert response.status_code == 409
    assert body["errors"][0]["code"] == "transition_not_allowed"
    assert body["allowed"] == ["approved", "denied", "canceled"]


def test_decline_with_comment_and_message_answers_the_booking_with_its_log(world, api):
    booking = world.book()
    response = api.put(
        url(f"bookings/{booking.pk}/decline"),
        {
            "comment": "Full",
            "message": "Sorry, we are full.",
            "send_email_confirmation": True,
            "send_sms_confirmation": False,
        },
        format="json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "denied"
    assert body["log"][-1]["action"] == "denied"
    assert (body["log"][-1]["comment"], body["log"][-1]["message"]) == (
        "Full",
        "Sorry, we are full.",
    )


def test_approve_with_a_stale_last_updated_at_is_409_and_changes_nothing(world, api):
    booking = world.book()
    seen = booking.updated_at.isoformat()
    api.patch(
        url(f"bookings/{booking.pk}"), {"contact": {"phone": "+34 600 000 001"}}, format="json"
    )
    response = api.post(
        url(f"bookings/{booking.pk}/approve"),
        {"client_booking_last_updated_at": seen},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stale_booking"
    assert Booking.objects.get(pk=booking.pk).status == "pending"


def test_delete_cancels_and_keeps_the_row(world, api):
    booking = world.book(approve=True)
    response = api.delete(url(f"bookings/{booking.pk}"))
    assert (response.status_code, response.json()["status"]) == (200, "canceled")
    assert Booking.objects.filter(pk=booking.pk, status="canceled").exists()


def test_statuses_lists_every_state_with_label_colour_and_next_states(api):
    body = api.get(url("bookings/statuses")).json()
    assert [row["status"] for row in body] == [
        "pending",
        "approved",
        "denied",
        "canceled",
        "arrived",
        "seated",
        "released",
        "no_show",
    ]
    pending = body[0]
    assert pending["allowed_next"] == ["approved", "denied", "canceled"]
    assert pending["colour"].startswith("#")
    assert pending["description"]


def test_list_filters_by_local_day_venue_and_pages(world, api):
    # 00:30 in Madrid on 4 March is 23:30 UTC on 3 March: it belongs to the 4th.
    late = world.book(start="2030-03-04 00:30", end="2030-03-04 02:00")
    world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    query = "from_start_date=2030-03-04&until_start_date=2030-03-04&venue_id={}&page=1&per_page=25"
    body = api.get(url("bookings?" + query.format(world.venue.pk))).json()
    assert body["count"] == 1
    assert body["results"][0]["reference"] == late.reference
    assert set(body) == {"count", "next", "previous", "results"}
    assert api.get(url("bookings?start_date=2030-03-03")).json()["count"] == 0


def test_the_second_page_of_a_days_bookings_of_one_venue(world, api):
    for minute in range(27):  # 27 requests on 4 March (pending ones may overlap)
        world.book(start=f"2030-03-04 10:{minute:02d}", end="2030-03-04 12:00")
    world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")  # another day
    elsewhere = f.SpaceFactory(venue=f.VenueFactory(organization=world.organization))
    booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=elsewhere.venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=elsewhere, starts_at=at("2030-03-04 10:00"), ends_at=at("2030-03-04 11:00")
            )
        ],
    )
    query = (
        f"from_start_date=2030-03-04&until_start_date=2030-03-04&venue_id={world.venue.pk}"
        "&page=2&per_page=25"
    )
    body = api.get(url("bookings?" + query)).json()
    assert (body["count"], len(body["results"]), body["next"]) == (27, 2, None)
    previous = parse_qs(urlsplit(body["previous"]).query)
    assert (previous.get("page"), previous["per_page"]) == (None, ["25"])  # page 1
    assert {row["venue_id"] for row in body["results"]} == {world.venue.pk}


def test_list_filters_by_status_alias_customer_and_search(world, api):
    approved = world.book(approve=True)
    world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    assert [b["id"] for b in api.get(url("bookings?status=accepted")).json()["results"]] == [
        approved.pk
    ]
    assert api.get(url(f"bookings?search={approved.reference}")).json()["count"] == 1
    assert api.get(url(f"bookings?customer_id={world.customer.pk}")).json()["count"] == 2
    assert api.get(url("bookings?status=bogus")).status_code == 400


def test_page_size_is_capped_at_200():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from core.api.pagination import PagePagination

    def size(per_page: str) -> int:
        request = Request(APIRequestFactory().get("/", {"per_page": per_page}))
        return PagePagination().get_page_size(request)

    assert (size("10"), size("100000"), size("oops")) == (10, 200, 25)


def test_a_booking_shows_lines_totals_vat_and_log(world, api):
    booking = world.book(approve=True)
    body = api.get(url(f"bookings/{booking.pk}")).json()
    assert body["total_gross"] == "200.00"
    assert body["vat_breakdown"] == [
        {"percent": "21.00", "net": "165.29", "vat": "34.71", "gross": "200.00"}
    ]
    assert body["spaces"][0]["places_used"] == 10
    assert [entry["action"] for entry in body["log"]] == ["created", "approved"]
    assert body["event"]["title"] == "Team meeting"


def test_approve_conflict_is_409_naming_the_other_booking(world, api):
    waiting = world.book()
    holder = world.book(approve=True)
    response = api.post(url(f"bookings/{waiting.pk}/approve"), {}, format="json")
    body = response.json()
    assert response.status_code == 409
    assert body["conflicts"][0]["other_booking"] == holder.reference
    assert body["conflicts"][0]["reason"] == "space_taken"


def test_patch_changes_the_contact_and_names_a_bad_field(world, api):
    booking = world.book()
    response = api.patch(
        url(f"bookings/{booking.pk}"), {"contact": {"email": "pa@example.com"}}, format="json"
    )
    assert (response.status_code, response.json()["contact"]["email"]) == (200, "pa@example.com")
    response = api.patch(url(f"bookings/{booking.pk}"), {"status": "approved"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"


def test_the_log_endpoint_lists_the_history(world, api):
    booking = world.book(approve=True)
    body = api.get(url(f"bookings/{booking.pk}/log")).json()
    assert [entry["action"] for entry in body] == ["created", "approved"]


# -- keys, scopes and tenancy --------------------------------------------------------------------


def test_no_key_or_a_bad_or_revoked_key_is_401(world):
    assert APIClient().get(url("bookings")).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_X_API_KEY="nope.nope")
    assert bad.get(url("bookings")).status_code == 401
    client = client_with(world.organization, "read")
    OrganizationAPIKey.objects.update(revoked=True)
    assert client.get(url("bookings")).status_code == 401


def test_a_staff_session_needs_the_csrf_token_to_change_anything(world):
    booking = world.book()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.actors["approver"].user)
    assert client.get(url(f"bookings/{booking.pk}")).status_code == 200
    refused = client.post(url(f"bookings/{booking.pk}/approve"), {}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"][0]["detail"]
    assert Booking.objects.get(pk=booking.pk).status == "pending"
    client.get(url("bookings"), HTTP_ACCEPT="text/html")  # the browsable API sets the cookie
    token = client.cookies["csrftoken"].value
    approved = client.post(
        url(f"bookings/{booking.pk}/approve"), {}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert approved.status_code == 200
    assert Booking.objects.get(pk=booking.pk).status == "approved"


def test_a_staff_session_has_its_roles_rights(world):
    booking = world.book()
    client = APIClient()
    client.force_login(world.actors["front_desk"].user)
    refused = client.post(url(f"bookings/{booking.pk}/approve"), {}, format="json")
    assert refused.status_code == 403
    viewer = APIClient()
    viewer.force_login(world.actors["viewer"].user)
    assert viewer.get(url("bookings")).json()["count"] == 1
    assert viewer.post(url("customers"), {"last_name": "X"}, format="json").status_code == 403


def test_a_read_key_cannot_write_and_a_write_key_cannot_approve(world):
    booking = world.book()
    reader = client_with(world.organization, "read")
    writer = client_with(world.organization, "read", "write")
    assert reader.get(url(f"bookings/{booking.pk}")).status_code == 200
    assert (
        reader.patch(
            url(f"bookings/{booking.pk}"), {"contact": {"name": "X"}}, format="json"
        ).status_code
        == 403
    )
    assert (
        writer.patch(
            url(f"bookings/{booking.pk}"), {"contact": {"name": "X"}}, format="json"
        ).status_code
        == 200
    )
    assert writer.post(url(f"bookings/{booking.pk}/approve"), {}, format="json").status_code == 403
    assert Booking.objects.get(pk=booking.pk).status == "pending"


def test_the_list_shows_only_the_callers_bookings(world, api):
    world.book()
    stranger = client_with(f.OrganizationFactory(), "read")
    assert stranger.get(url("bookings")).json()["count"] == 0
    assert api.get(url("bookings")).json()["count"] == 1


# -- bad input -----------------------------------------------------------------------------------


def test_malformed_json_wrong_content_type_and_nul_bytes_are_4xx(world, api):
    booking = world.book()
    target = url(f"bookings/{booking.pk}/status")
    assert api.put(target, "{oops", content_type="application/json").status_code == 400
    assert (
        api.put(
            target, "status=approved", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 415
    )
    response = api.put(target, {"status": "appro\x00ved"}, format="json")
    assert response.status_code == 400
    assert api.get(url("bookings/99999999999999999999999")).status_code == 404


# -- query counts ---------------------------------------------------------------------------------


def queries_for(api, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


def test_the_list_runs_the_same_number_of_queries_for_1_10_and_50_bookings(world, api):
    api.get(url("bookings"))  # the key's first use is written now, outside the counts
    counts = []
    made = 0
    for total in (1, 10, 50):
        while made < total:
            day = 4 + made // 10
            hour = 8 + made % 10
            world.book(
                start=f"2030-04-{day:02d} {hour:02d}:00",
                end=f"2030-04-{day:02d} {hour:02d}:30",
                approve=made % 2 == 0,
            )
            made += 1
        counts.append(queries_for(api, url("bookings?per_page=50")))
    assert counts[0] == counts[1] == counts[2]


# -- creating ------------------------------------------------------------------------------------


def space(world, start="2030-03-04 10:00:00", end="2030-03-04 12:00:00", **extra) -> dict:
    return {
        "space_id": world.room.pk,
        "places_used": 10,
        "starts_at": start,
        "ends_at": end,
        **extra,
    }


def test_post_bookings_with_every_kind_of_line_reads_naive_times_in_the_venue_zone(world, api):
    response = api.post(
        url("bookings"),
        {
            "customer_id": world.customer.pk,
            "title": "Launch",
            "spaces": [space(world)],
            "events": [{"event_id": world.event.pk, "price_id": world.ticket.pk, "quantity": 2}],
            "inventory_products": [
                {
                    "inventory_product_id": world.product.pk,
                    "units": 1,
                    "starts_at": "2030-03-04T10:00:00+01:00",
                    "ends_at": "2030-03-04T12:00:00+01:00",
                }
            ],
            "status": "accepted",
        },
        format="json",
    )
    body = response.json()
    assert response.status_code == 201, body
    assert (body["status"], body["source"]) == ("approved", "api")
    assert body["spaces"][0]["starts_at"] == "2030-03-04T09:00:00Z"  # 10:00 in Madrid
    assert body["total_gross"] == "285.00"  # 200 + 2 × 30 + 25
    assert body["manage_token"]


def test_post_bookings_spaces_with_a_manual_price(world, api):
    vat = world.room.vat_rate
    response = api.post(
        url("bookings/spaces"),
        {
            "customer": {"first_name": "Nora", "last_name": "New", "email": "nora@example.com"},
            "spaces": [
                space(
                    world,
                    use_manual_price=True,
                    manual_price_vat_id=vat.pk,
                    manual_price_amount_gross="150.00",
                )
            ],
        },
        format="json",
    )
    body = response.json()
    assert response.status_code == 201, body
    assert (body["status"], body["total_gross"]) == ("pending", "150.00")
    assert body["customer"]["email"] == "nora@example.com"


def test_post_bookings_names_bad_fields_and_writes_nothing(world, api):
    response = api.post(
        url("bookings"),
        {
            "customer_id": world.customer.pk,
            "spaces": [space(world, space_id=999999)],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "spaces.0.space_id"
    response = api.post(
        url("bookings"),
        {
            "customer_id": world.customer.pk,
            "spaces": [space(world, starts_at="2030-03-04 12:00:00", end="x")],
        },
        format="json",
    )
    assert response.status_code == 400
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("lines", "attr"),
    [
        ({"spaces": [{"end": "2030-03-04 10:00:00"}]}, "spaces.0.ends_at"),
        (
            {"spaces": [{}, {"start": "2030-03-05 12:00:00", "end": "2030-03-05 12:00:00"}]},
            "spaces.1.ends_at",
        ),
        (
            {
                "inventory_products": [
                    {"starts_at": "2030-03-04 12:00:00", "ends_at": "2030-03-04 11:00:00"}
                ]
            },
            "inventory_products.0.ends_at",
        ),
    ],
)
def test_a_line_the_services_refuse_is_named_as_the_request_names_it(world, api, lines, attr):
    body = {"customer_id": world.customer.pk, "venue_id": world.venue.pk}
    for name, rows in lines.items():
        if name == "spaces":
            body[name] = [space(world, **row) for row in rows]
        else:
            body[name] = [{"inventory_product_id": world.product.pk, **row} for row in rows]
    response = api.post(url("bookings"), body, format="json")
    assert response.status_code == 400, response.json()
    assert attr in {error["attr"] for error in response.json()["errors"]}
    assert "Constraint" not in response.content.decode()
    assert Booking.objects.count() == 0


def test_sessions_name_a_refused_field_as_the_request_does(world, api):
    booking = world.book()
    response = api.post(
        url(f"bookings/{booking.pk}/sessions"),
        space(world, start="2030-03-04 16:00:00", end="2030-03-04 15:00:00"),
        format="json",
    )
    assert (response.status_code, response.json()["errors"][0]["attr"]) == (400, "ends_at")
    assert response.json()["errors"][0]["detail"] == "Must be after starts_at."


def test_post_bookings_conflict_is_409(world, api):
    world.book(approve=True)
    response = api.post(
        url("bookings"), {"customer_id": world.customer.pk, "spaces": [space(world)]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["conflicts"][0]["reason"] == "space_taken"


def test_sessions_add_and_update_a_space_line_and_answer_id_and_warnings(world, api):
    booking = world.book()
    response = api.post(
        url(f"bookings/{booking.pk}/sessions"),
        space(
            world,
            start="2030-03-04 14:00:00",
            end="2030-03-04 16:00:00",
            name="Afternoon",
            setup_minutes=30,
        ),
        format="json",
    )
    body = response.json()
    assert response.status_code == 200, body
    assert (body["success"], body["warnings"]) == (True, [])
    line_id = body["id"]
    response = api.post(
        url(f"bookings/{booking.pk}/sessions"),
        space(world, start="2030-03-04 15:00:00", end="2030-03-04 17:00:00", id=line_id),
        format="json",
    )
    assert response.json()["id"] == line_id
    assert api.delete(url(f"bookings/{booking.pk}/sessions/{line_id}")).json() == {"success": True}


def test_payments_are_listed_and_recorded(world, api):
    booking = world.book()
    response = api.post(
        url(f"bookings/{booking.pk}/payments"),
        {"amount": "50.00", "reference": "POS-1"},
        format="json",
    )
    assert response.status_code == 201
    assert [p["amount"] for p in api.get(url(f"bookings/{booking.pk}/payments")).json()] == [
        "50.00"
    ]
    assert api.get(url(f"bookings/{booking.pk}")).json()["balance"] == "150.00"


def test_a_write_key_creates_but_cannot_create_approved(world):
    writer = client_with(world.organization, "read", "write")
    payload = {"customer_id": world.customer.pk, "spaces": [space(world)]}
    assert writer.post(url("bookings"), payload, format="json").status_code == 201
    payload["status"] = "approved"
    payload["spaces"] = [space(world, start="2030-03-05 10:00:00", end="2030-03-05 12:00:00")]
    assert writer.post(url("bookings"), payload, format="json").status_code == 403


def test_a_change_request_decided_on_a_stale_booking_is_409_and_changes_nothing(world, api):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    change = services.change_request_submit(
        actor=world.actors["manager"],
        booking=booking,
        changes={"space_lines": [{"id": line.pk, "places": 12}]},
    )
    seen = Booking.objects.get(pk=booking.pk).updated_at.isoformat()
    api.patch(
        url(f"bookings/{booking.pk}"), {"contact": {"phone": "+34 600 000 001"}}, format="json"
    )

    response = api.post(
        url(f"change-requests/{change.pk}/approve"),
        {"client_booking_last_updated_at": seen},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stale_booking"
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.PENDING
    assert booking.space_bookings.get().places == line.places
