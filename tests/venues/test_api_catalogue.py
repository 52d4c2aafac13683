"""The catalogue API through the client: bodies, availability, scopes, roles and tenancy."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bookings.services import EventLineIn, ProductLineIn, booking_create
from tests import factories as f
from tests.bookings import conftest as booking_world
from venues.models import Blockout, Event, Membership, OrganizationAPIKey, Venue

pytestmark = pytest.mark.django_db

# The bookings tests' small organisation (Europe/Madrid, far future), as a fixture here too.
world = booking_world.world
at = booking_world.at


def client_with(organization, *scopes) -> APIClient:
    _, key = OrganizationAPIKey.objects.create_key(
        name="test", organization=organization, scopes=list(scopes)
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def staff_client(organization, role=Membership.Role.MANAGER) -> APIClient:
    user = f.UserFactory()
    f.MembershipFactory(user=user, organization=organization, role=role)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def api(world) -> APIClient:
    return client_with(world.organization, "read", "write")


@pytest.fixture
def reader(world) -> APIClient:
    return client_with(world.organization, "read")


def url(path: str) -> str:
    return f"/api/v1/{path}"


def first_error(response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["attr"], error["code"]


# -- venues -----------------------------------------------------------------------------------


def test_venues_list_and_detail_show_the_timezone(world, reader):
    body = reader.get(url("venues")).json()
    assert body["count"] == 1
    assert body["results"][0]["timezone"] == "Europe/Madrid"
    detail = reader.get(url(f"venues/{world.venue.pk}")).json()
    assert (detail["id"], detail["organization_id"]) == (world.venue.pk, world.organization.pk)


def test_a_manager_creates_changes_and_deletes_a_venue(world):
    manager = staff_client(world.organization)
    response = manager.post(
        url("venues"),
        {"name": "Pier 2", "slug": "pier-2", "timezone": "Europe/Lisbon"},
        format="json",
    )
    assert response.status_code == 201
    venue_id = response.json()["id"]
    assert Venue.objects.get(pk=venue_id).organization == world.organization
    response = manager.patch(url(f"venues/{venue_id}"), {"city": "Lisbon"}, format="json")
    assert (response.status_code, response.json()["city"]) == (200, "Lisbon")
    assert manager.delete(url(f"venues/{venue_id}")).status_code == 204
    assert not Venue.objects.filter(pk=venue_id).exists()


def test_a_venue_with_a_bad_time_zone_or_a_taken_slug_is_400_naming_the_field(world):
    manager = staff_client(world.organization)
    bad_zone = manager.post(
        url("venues"), {"name": "X", "slug": "x", "timezone": "Mars/Olympus"}, format="json"
    )
    assert first_error(bad_zone)[:2] == (400, "timezone")
    taken = manager.post(url("venues"), {"name": "X", "slug": world.venue.slug}, format="json")
    assert first_error(taken)[:2] == (400, "slug")


def test_a_venue_in_use_is_not_deleted(world):
    response = staff_client(world.organization).delete(url(f"venues/{world.venue.pk}"))
    assert first_error(response) == (409, None, "venue_in_use")
    assert Venue.objects.filter(pk=world.venue.pk).exists()


def test_a_write_key_and_a_front_desk_user_cannot_create_a_venue(world, api):
    body = {"name": "Pier 3", "slug": "pier-3"}
    assert api.post(url("venues"), body, format="json").status_code == 403
    front_desk = staff_client(world.organization, Membership.Role.FRONT_DESK)
    assert front_desk.post(url("venues"), body, format="json").status_code == 403
    assert not Venue.objects.filter(slug="pier-3").exists()


# -- spaces and their availability --------------------------------------------------------------


def test_spaces_list_with_layouts_and_filters(world, reader):
    f.SpaceLayoutFactory(space=world.room, name="Theatre", capacity=35)
    body = reader.get(url("spaces")).json()
    assert body["count"] == 2
    room = next(space for space in body["results"] if space["id"] == world.room.pk)
    assert room["layouts"][0]["name"] == "Theatre"
    shared = reader.get(url(f"spaces?mode=shared&venue_id={world.venue.pk}")).json()
    assert [space["id"] for space in shared["results"]] == [world.zone.pk]
    assert reader.get(url("spaces?is_active=false")).json()["count"] == 0


def test_the_spaces_list_runs_as_many_queries_for_five_spaces_as_for_one(world, reader):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get(url("spaces")).status_code == 200
        return len(captured.captured_queries)

    world.zone.delete()
    f.SpaceLayoutFactory(space=world.room)
    reader.get(url("spaces"))  # the key's first use is written now, outside the counts
    one = queries()
    for _ in range(4):
        f.SpaceLayoutFactory(space=f.SpaceFactory(venue=world.venue))
    assert reader.get(url("spaces")).json()["count"] == 5
    assert queries() == one


def test_one_approved_booking_leaves_two_free_windows(world, reader):
    world.book(approve=True)  # 10:00–12:00 Madrid
    response = reader.get(
        url(f"spaces/{world.room.pk}/availability"),
        {"from": "2030-03-04 08:00:00", "to": "2030-03-04 18:00:00"},
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["capacity"], body["mode"], body["timezone"]) == (40, "exclusive", "Europe/Madrid")
    assert body["windows"] == [
        {"starts_at": "2030-03-04T07:00:00Z", "ends_at": "2030-03-04T09:00:00Z"},
        {"starts_at": "2030-03-04T11:00:00Z", "ends_at": "2030-03-04T17:00:00Z"},
    ]


def test_availability_takes_offsets_and_dates_and_lists_the_blockouts(world, reader):
    blockout = f.BlockoutFactory(
        space=world.room, starts_at=at("2030-03-04 14:00"), ends_at=at("2030-03-04 16:00")
    )
    body = reader.get(
        url(f"spaces/{world.room.pk}/availability"),
        {"from": "2030-03-04T08:00:00+01:00", "to": "2030-03-04"},
    ).json()
    assert body["from"] == "2030-03-04T07:00:00Z"
    assert body["to"] == "2030-03-04T23:00:00Z"  # the end of the local day
    assert [b["id"] for b in body["blockouts"]] == [blockout.pk]
    assert body["windows"] == [
        {"starts_at": "2030-03-04T07:00:00Z", "ends_at": "2030-03-04T13:00:00Z"},
        {"starts_at": "2030-03-04T15:00:00Z", "ends_at": "2030-03-04T23:00:00Z"},
    ]


def test_a_shared_space_is_free_while_places_remain(world, reader):
    world.book(space=world.zone, places=8, approve=True)
    query = {"from": "2030-03-04 10:00:00", "to": "2030-03-04 12:00:00"}
    path = url(f"spaces/{world.zone.pk}/availability")
    two = reader.get(path, {**query, "places": 2}).json()["windows"]
    three = reader.get(path, {**query, "places": 3}).json()["windows"]
    assert (len(two), three) == (1, [])


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ({"to": "2030-03-04 18:00:00"}, "from"),
        ({"from": "2030-03-04 08:00:00"}, "to"),
        ({"from": "2030-03-01", "to": "2030-04-05"}, "to"),
        ({"from": "2030-03-04 18:00:00", "to": "2030-03-04 08:00:00"}, "to"),
        ({"from": "soon", "to": "2030-03-04"}, "from"),
        ({"from": "2030-03-31 02:30:00", "to": "2030-04-01"}, "from"),  # skipped by DST
        ({"from": "2030-03-04", "to": "2030-03-05", "places": 0}, "places"),
    ],
)
def test_availability_refuses_a_missing_bad_or_too_long_range(world, reader, query, attr):
    response = reader.get(url(f"spaces/{world.room.pk}/availability"), query)
    assert first_error(response)[:2] == (400, attr)


def test_a_range_of_31_days_is_accepted(world, reader):
    response = reader.get(
        url(f"spaces/{world.room.pk}/availability"),
        {"from": "2030-03-01 00:00:00", "to": "2030-04-01 00:00:00"},
    )
    assert response.status_code == 200


def test_product_availability_gives_the_peak_units_held(world, reader):
    two = ProductLineIn(
        product=world.product,
        units=2,
        starts_at=at("2030-03-04 10:00"),
        ends_at=at("2030-03-04 12:00"),
    )
    one = ProductLineIn(
        product=world.product,
        units=1,
        starts_at=at("2030-03-04 11:00"),
        ends_at=at("2030-03-04 12:00"),
    )
    world.book(approve=True, product_lines=[two])
    world.book(space=world.zone, places=1, approve=True, product_lines=[one])
    path = url(f"inventory-products/{world.product.pk}/availability")
    body = reader.get(
        path, {"from": "2030-03-04T09:00:00+01:00", "to": "2030-03-04T13:00:00+01:00"}
    ).json()
    assert (body["units_total"], body["units_held"], body["units_free"]) == (3, 3, 0)
    assert body["peak_at"] == "2030-03-04T10:00:00Z"
    early = reader.get(
        path, {"from": "2030-03-04T09:00:00+01:00", "to": "2030-03-04T11:00:00+01:00"}
    ).json()
    assert (early["units_held"], early["units_free"]) == (2, 1)


def test_product_availability_reads_naive_times_only_for_a_product_with_a_venue(world, reader):
    path = url(f"inventory-products/{world.product.pk}/availability")
    query = {"from": "2030-03-04 09:00:00", "to": "2030-03-04 13:00:00"}
    assert first_error(reader.get(path, query))[:2] == (400, "from")
    world.product.venue = world.venue
    world.product.save()
    body = reader.get(path, query).json()
    assert (body["from"], body["units_free"]) == ("2030-03-04T08:00:00Z", 3)


# -- blockouts ----------------------------------------------------------------------------------


def test_a_write_key_creates_changes_lists_and_deletes_a_blockout(world, api):
    response = api.post(
        url("blockouts"),
        {
            "space_id": world.room.pk,
            "starts_at": "2030-03-05 09:00:00",
            "ends_at": "2030-03-05 13:00:00",
            "reason": "maintenance",
            "note": "Paint",
        },
        format="json",
    )
    assert response.status_code == 201
    blockout = Blockout.objects.get(pk=response.json()["id"])
    assert (blockout.starts_at, blockout.ends_at) == (
        at("2030-03-05 09:00"),
        at("2030-03-05 13:00"),
    )
    listed = api.get(url(f"blockouts?space_id={world.room.pk}&from_date=2030-03-05")).json()
    assert [row["id"] for row in listed["results"]] == [blockout.pk]
    assert api.get(url("blockouts?from_date=2030-03-06")).json()["count"] == 0
    response = api.patch(
        url(f"blockouts/{blockout.pk}"), {"ends_at": "2030-03-05T14:00:00+01:00"}, format="json"
    )
    assert (response.status_code, response.json()["ends_at"]) == (200, "2030-03-05T13:00:00Z")
    response = api.put(
        url(f"blockouts/{blockout.pk}"),
        {
            "space_id": world.zone.pk,
            "starts_at": "2030-03-06 09:00:00",
            "ends_at": "2030-03-06 10:00:00",
            "reason": "private_use",
        },
        format="json",
    )
    assert (response.status_code, response.json()["space_id"]) == (200, world.zone.pk)
    assert api.delete(url(f"blockouts/{blockout.pk}")).status_code == 204
    assert not Blockout.objects.filter(pk=blockout.pk).exists()


def test_a_blockout_over_an_approved_booking_answers_with_a_warning(world, api):
    booking = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00", approve=True)
    response = api.post(
        url("blockouts"),
        {
            "space_id": world.room.pk,
            "starts_at": "2030-03-05 09:00:00",
            "ends_at": "2030-03-05 13:00:00",
        },
        format="json",
    )
    assert response.status_code == 201
    (warning,) = response.json()["warnings"]
    assert warning.startswith(f"{booking.reference} (approved) keeps {world.room.name}")
    assert Blockout.objects.filter(pk=response.json()["id"]).exists()


def test_a_blockout_of_another_organisations_space_is_refused(world, api):
    foreign = f.SpaceFactory()
    response = api.post(
        url("blockouts"),
        {
            "space_id": foreign.pk,
            "starts_at": "2030-03-05 09:00:00",
            "ends_at": "2030-03-05 13:00:00",
        },
        format="json",
    )
    assert first_error(response)[:2] == (400, "space_id")
    assert not Blockout.objects.exists()


def test_a_blockout_must_end_after_it_starts(world, api):
    response = api.post(
        url("blockouts"),
        {
            "space_id": world.room.pk,
            "starts_at": "2030-03-05 13:00:00",
            "ends_at": "2030-03-05 09:00:00",
        },
        format="json",
    )
    assert first_error(response)[:2] == (400, "ends_at")
    blockout = f.BlockoutFactory(space=world.room)
    response = api.patch(
        url(f"blockouts/{blockout.pk}"),
        {"starts_at": (blockout.ends_at + timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert first_error(response)[:2] == (400, "ends_at")


def test_a_read_key_cannot_create_a_blockout(world, reader):
    response = reader.post(
        url("blockouts"),
        {
            "space_id": world.room.pk,
            "starts_at": "2030-03-05 09:00:00",
            "ends_at": "2030-03-05 13:00:00",
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Blockout.objects.exists()


def test_unknown_fields_are_refused(world, api):
    response = api.post(
        url("blockouts"),
        {
            "space_id": world.room.pk,
            "starts_at": "2030-03-05 09:00:00",
            "ends_at": "2030-03-05 13:00:00",
            "colour": "red",
        },
        format="json",
    )
    assert first_error(response)[:2] == (400, "colour")


# -- events ------------------------------------------------------------------------------------


def test_events_list_with_prices_and_filters(world, reader):
    f.EventFactory(venue=world.venue, starts_at=at("2030-04-01 20:00"))
    body = reader.get(url("events?start_date=2030-03-08")).json()
    assert [event["id"] for event in body["results"]] == [world.event.pk]
    assert body["results"][0]["prices"][0]["amount_gross"] == "30.00"
    assert reader.get(url("events?from_start_date=2030-03-09")).json()["count"] == 1
    assert reader.get(url("events?status=canceled")).json()["count"] == 0
    assert reader.get(url(f"events/{world.event.pk}")).json()["status"] == "scheduled"


def test_a_write_key_creates_and_changes_an_event(world, api):
    response = api.post(
        url("events"),
        {
            "venue_id": world.venue.pk,
            "space_id": world.room.pk,
            "title": "Jazz night",
            "starts_at": "2030-05-01 21:00:00",
            "ends_at": "2030-05-01 23:30:00",
            "capacity": 80,
        },
        format="json",
    )
    assert response.status_code == 201
    event = Event.objects.get(pk=response.json()["id"])
    assert (event.organization, event.starts_at) == (world.organization, at("2030-05-01 21:00"))
    response = api.patch(url(f"events/{event.pk}"), {"capacity": 0}, format="json")
    assert (response.status_code, response.json()["capacity"]) == (200, 0)


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"capacity": -1}, "capacity"),
        ({"ends_at": "2030-05-01 20:00:00"}, "ends_at"),
        ({"status": "canceled"}, "status"),
        ({"venue_id": 0}, "venue_id"),
    ],
)
def test_a_bad_event_is_400_naming_the_field(world, api, change, attr):
    body = {
        "venue_id": world.venue.pk,
        "title": "Jazz night",
        "starts_at": "2030-05-01 21:00:00",
        "ends_at": "2030-05-01 23:30:00",
        **change,
    }
    response = api.post(url("events"), body, format="json")
    assert first_error(response)[:2] == (400, attr)


def test_an_events_capacity_below_the_tickets_held_is_400_and_unchanged(world, api):
    booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=4)],
        approve=True,
    )
    response = api.patch(url(f"events/{world.event.pk}"), {"capacity": 3}, format="json")
    assert first_error(response) == (400, "capacity", "invalid")
    assert Event.objects.get(pk=world.event.pk).capacity == 5


def test_an_event_with_bookings_cannot_move_venue(world, api):
    world.book()  # a space booking does not tie the event
    booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=1)],
    )
    other = f.VenueFactory(organization=world.organization)
    response = api.patch(url(f"events/{world.event.pk}"), {"venue_id": other.pk}, format="json")
    assert first_error(response)[:2] == (400, "venue_id")


def test_an_event_space_must_be_at_its_venue(world, api):
    elsewhere = f.SpaceFactory(venue=f.VenueFactory(organization=world.organization))
    response = api.patch(url(f"events/{world.event.pk}"), {"space_id": elsewhere.pk}, format="json")
    assert first_error(response)[:2] == (400, "space_id")


# -- products, prices, VAT rates, discounts, payment types, booking forms --------------------------


def test_inventory_products_list_search_and_venue(world, reader):
    local = f.InventoryProductFactory(
        organization=world.organization,
        venue=f.VenueFactory(organization=world.organization),
        name="Smoke machine",
    )
    assert reader.get(url("inventory-products")).json()["count"] == 2
    found = reader.get(url("inventory-products?search=smoke")).json()["results"]
    assert [product["id"] for product in found] == [local.pk]
    at_venue = reader.get(url(f"inventory-products?venue_id={world.venue.pk}")).json()["results"]
    assert [product["id"] for product in at_venue] == [world.product.pk]  # organisation-wide
    detail = reader.get(url(f"inventory-products/{world.product.pk}")).json()
    assert detail["units_total"] == 3


def test_prices_filter_by_event_and_product(world, reader):
    product_price = f.PriceFactory(
        event=None, product=world.product, organization=world.organization, name="Day"
    )
    by_event = reader.get(url(f"prices?event_id={world.event.pk}")).json()["results"]
    assert [price["id"] for price in by_event] == [world.ticket.pk]
    by_product = reader.get(url(f"prices?product_id={world.product.pk}")).json()["results"]
    assert [(price["id"], price["product_id"]) for price in by_product] == [
        (product_price.pk, world.product.pk)
    ]
    assert reader.get(url(f"prices/{world.ticket.pk}")).json()["name"] == "Adult"


def test_vat_rates_discounts_and_payment_types_are_listed(world, reader):
    f.DiscountFactory(organization=world.organization, code="SPRING", name="Spring")
    f.PaymentTypeFactory(organization=world.organization, name="Card")
    assert reader.get(url("vat-rates")).json()["results"][0]["percent"] == "21.00"
    discounts = reader.get(url("discounts?code=spring")).json()["results"]
    assert [(d["name"], d["code"], d["value"]) for d in discounts] == [
        ("Spring", "SPRING", "10.00")
    ]
    payment_types = reader.get(url("payment-types?kind=card")).json()["results"]
    assert [p["name"] for p in payment_types] == ["Card"]


def test_booking_forms_show_their_custom_fields_and_offers(world, reader):
    f.CustomFieldFactory(
        form=world.form,
        label="Diet",
        key="diet",
        field_type="choice",
        choices=["vegan", "none"],
        required=True,
        position=2,
    )
    f.CustomFieldFactory(form=world.form, label="PO number", key="po", regex="[0-9]+", position=1)
    body = reader.get(url(f"booking-forms/{world.form.pk}")).json()
    assert sorted(body["space_ids"]) == sorted([world.room.pk, world.zone.pk])
    assert body["product_ids"] == [world.product.pk]
    assert [(field["key"], field["order"]) for field in body["custom_fields"]] == [
        ("po", 1),
        ("diet", 2),
    ]
    diet = body["custom_fields"][1]
    assert (diet["type"], diet["required"], diet["choices"]) == ("choice", True, ["vegan", "none"])
    assert reader.get(url("booking-forms")).json()["count"] == 1


def test_the_catalogue_is_read_only_for_api_keys(world):
    every_scope = client_with(world.organization, "read", "write", "approve")
    assert every_scope.post(url("spaces"), {}, format="json").status_code == 405
    assert every_scope.delete(url(f"prices/{world.ticket.pk}")).status_code == 405
    assert every_scope.delete(url(f"events/{world.event.pk}")).status_code == 405
    assert every_scope.put(url(f"venues/{world.venue.pk}"), {}, format="json").status_code == 403
