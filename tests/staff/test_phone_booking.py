"""Phone booking: staff take a booking through the same service and checks as every door."""

import re

import pytest

from bookings.models import Booking, BookingStatus, Customer
from tests import factories as f
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at

pytestmark = pytest.mark.django_db

URL = "/staff/bookings/new/"


def login(client, world, role="manager"):
    client.force_login(world.actors[role].user)


def post(client, world, role="manager", query="", **fields):
    login(client, world, role)
    data = {
        "venue": world.venue.pk,
        "customer": world.customer.pk,
        "space": world.room.pk,
        "day": "2030-03-04",
        "start": "10:00",
        "end": "12:00",
        "places": "8",
        "notify_email": "on",
        "action": "create",
        **fields,
    }
    return client.post(f"{URL}?venue={world.venue.pk}{query}", data)


def test_the_form_is_prefilled_from_a_calendar_cell_with_free_times_and_an_estimate(client, world):
    f.BlockoutFactory(
        space=world.room, starts_at=at("2030-03-04 14:00"), ends_at=at("2030-03-04 16:00")
    )
    login(client, world)
    response = client.get(
        URL,
        {
            "venue": world.venue.pk,
            "space": world.room.pk,
            "day": "2030-03-04",
            "start": "10:00",
            "end": "12:00",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{world.room.pk}" selected>' in html
    assert 'value="2030-03-04"' in html
    assert 'name="start" value="10:00"' in html
    assert 'name="end" value="12:00"' in html
    assert "Free on Monday 4 March 2030 and that night" in html
    assert "<li>00:00–14:00</li>" in html
    assert "<li>16:00–Tue 08:00</li>" in html
    assert "Estimated price" in html
    assert "200.00" in html  # 2 h × 100.00
    assert "Times in Europe/Madrid" in html


def test_customers_are_found_by_name_email_or_phone(client, world):
    f.CustomerFactory(organization=world.organization, first_name="Zoe", email="zoe@x.example")
    f.CustomerFactory(first_name="Zoe", email="zoe@other.example")  # another organisation
    login(client, world)
    html = client.get(URL, {"venue": world.venue.pk, "q": "zoe"}).content.decode()
    assert "zoe@x.example" in html
    assert "zoe@other.example" not in html
    assert "One customer matches" in html
    html = client.get(URL, {"venue": world.venue.pk, "q": "ada@example"}).content.decode()
    assert world.customer.display_name in html


def test_a_manager_takes_a_pending_booking_for_a_known_customer(client, world):
    response = post(client, world)
    assert response.status_code == 302
    assert (
        response["Location"] == f"/staff/calendar/?venue={world.venue.pk}&day=2030-03-04&view=day"
    )
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.PENDING
    assert booking.source == "staff"
    assert booking.customer == world.customer
    line = booking.space_bookings.get()
    assert line.starts_at == at("2030-03-04 10:00")
    assert line.places == 8
    page = client.get(response["Location"]).content.decode()
    assert f"Booking {booking.reference} for {world.customer.display_name} is waiting" in page
    assert booking.reference in page  # on the calendar


def test_a_manager_approves_at_once_a_booking_for_a_new_customer_with_tickets(client, world):
    response = post(
        client,
        world,
        customer="new",
        first_name="Nia",
        last_name="New",
        email="nia@example.com",
        approve="on",
        ticket_1=world.ticket.pk,
        ticket_quantity_1="2",
        end="01:00",  # past midnight
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.APPROVED
    assert booking.customer.email == "nia@example.com"
    assert booking.space_bookings.get().ends_at == at("2030-03-05 01:00")
    assert booking.event_bookings.get().quantity == 2


def test_front_desk_takes_requests_but_cannot_approve(client, world):
    login(client, world, "front_desk")
    html = client.get(URL).content.decode()
    assert "Approve at once" not in html
    assert "your role does not approve bookings" in html
    response = post(client, world, "front_desk", approve="on")
    assert response.status_code == 200
    assert "You may not approve, deny or cancel bookings here." in response.content.decode()
    assert not Booking.objects.exists()
    assert post(client, world, "front_desk").status_code == 302
    assert Booking.objects.get().status == BookingStatus.PENDING


def test_a_viewer_is_told_they_cannot_take_bookings(client, world):
    login(client, world, "viewer")
    response = client.get(URL)
    assert response.status_code == 403
    assert "Your role lets you see bookings but not take them" in response.content.decode()
    assert post(client, world, "viewer").status_code == 403
    assert not Booking.objects.exists()


def test_a_conflict_names_the_booking_in_the_way_on_the_start_field(client, world):
    other = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00", approve=True)
    response = post(client, world, approve="on")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Phone booking" in html
    assert re.search(rf'id="id_start_error".*is taken by {other.reference}', html)
    assert 'href="#id_start"' in html
    assert Booking.objects.count() == 1


def test_a_pending_request_over_a_held_slot_is_refused_too(client, world):
    other = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00", approve=True)
    html = post(client, world).content.decode()
    assert f"is taken by {other.reference}" in html
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field_id", "words"),
    [
        ({"end": ""}, "id_end", "This field is required."),
        ({"places": "0"}, "id_places", "greater than or equal to 1"),
        ({"places": "400"}, "id_places", "holds 40 people"),
        ({"day": "2030-03-31", "start": "02:30", "end": "04:00"}, "id_start", "does not exist"),
        ({"customer": "new"}, "id_last_name", "Give the new customer&#x27;s name or company."),
        ({"customer": "new", "last_name": "X", "email": "nope"}, "id_email", "valid email"),
        ({"space": "999999"}, "id_space", "Select a valid choice"),
        ({"day": "30/02/2030"}, "id_day", "Enter a valid date."),
        ({"customer": "999999"}, "id_customer", "Select a valid choice"),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_written(
    client, world, fields, field_id, words
):
    response = post(client, world, **fields)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="#{field_id}' in html
    assert words in html
    assert not Booking.objects.exists()


def test_another_organisations_space_and_customer_are_not_offered(client, world):
    stranger_space = f.SpaceFactory()
    stranger = f.CustomerFactory()
    html = post(client, world, space=stranger_space.pk).content.decode()
    assert "Select a valid choice" in html
    html = post(client, world, customer=stranger.pk).content.decode()
    assert "Select a valid choice" in html
    assert not Booking.objects.exists()
    assert Customer.objects.filter(organization=world.organization).count() == 1


def test_checking_shows_free_times_without_booking(client, world):
    response = post(client, world, action="check", places="8")
    assert response.status_code == 200
    assert "Free on Monday 4 March 2030 and that night" in response.content.decode()
    assert not Booking.objects.exists()


def test_empty_calendar_cells_link_to_the_prefilled_form_for_those_who_may_book(client, world):
    login(client, world, "front_desk")
    html = client.get(
        "/staff/calendar/", {"venue": world.venue.pk, "day": "2030-03-04"}
    ).content.decode()
    link = (
        f"/staff/bookings/new/?venue={world.venue.pk}&amp;space={world.room.pk}"
        "&amp;day=2030-03-04&amp;start=10%3A00&amp;end=11%3A00"
    )
    assert f'href="{link}"' in html
    login(client, world, "viewer")
    html = client.get(
        "/staff/calendar/", {"venue": world.venue.pk, "day": "2030-03-04"}
    ).content.decode()
    assert "/staff/bookings/new/" not in html


# -- the parts the page's script fetches ---------------------------------------------------------

WINDOWS = f"{URL}free/"
ESTIMATE = f"{URL}estimate/"


def test_the_free_windows_come_alone_from_the_same_template_part(
    client, world, django_assert_max_num_queries
):
    f.BlockoutFactory(
        space=world.room, starts_at=at("2030-03-04 14:00"), ends_at=at("2030-03-04 16:00")
    )
    login(client, world)
    query = {"venue": world.venue.pk, "space": world.room.pk, "day": "2030-03-04", "places": "8"}
    with django_assert_max_num_queries(16):
        response = client.get(WINDOWS, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div class="phone-feedback" id="phone-windows"')
    assert "<html" not in html
    assert "Free on Monday 4 March 2030 and that night (Europe/Madrid)" in html
    assert "<li>00:00–14:00</li>" in html
    assert "<li>16:00–Tue 08:00</li>" in html
    assert 'data-status="Free times updated: 2 free windows on Monday 4 March 2030."' in html
    # Another day, another answer; a booking in the way shows.
    world.book(start="2030-03-05 10:00", end="2030-03-05 12:00", approve=True)
    html = client.get(WINDOWS, {**query, "day": "2030-03-05"}).content.decode()
    assert "Tuesday 5 March 2030" in html
    assert "<li>00:00–10:00</li>" in html
    # Not chosen well enough yet: words, not an error.
    html = client.get(WINDOWS, {**query, "day": "31/02/2030"}).content.decode()
    assert "Choose a space and a date to see what is free." in html


def test_the_estimate_comes_alone_with_the_space_tickets_and_extras(client, world):
    login(client, world)
    query = {
        "venue": world.venue.pk,
        "space": world.room.pk,
        "day": "2030-03-04",
        "start": "10:00",
        "end": "12:00",
        "places": "8",
        "ticket_1": world.ticket.pk,
        "ticket_quantity_1": "2",
        "product_3": world.product.pk,
        "units_3": "3",
    }
    response = client.get(ESTIMATE, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div class="phone-feedback" id="phone-estimate"')
    assert "Estimated price" in html
    assert "Estimate, VAT included" in html
    assert '<td class="amount">200.00</td>' in html  # 2 h × 100.00
    assert '<td class="amount">60.00</td>' in html  # 2 × 30.00
    assert '<td class="amount">75.00</td>' in html  # 3 × 25.00
    assert '<td class="amount">335.00</td>' in html
    assert "An estimate without discounts" in html
    html = client.get(ESTIMATE, {**query, "end": ""}).content.decode()
    assert "No estimate yet" in html
    assert "<table" not in html


@pytest.mark.parametrize("fragment", [WINDOWS, ESTIMATE])
def test_the_fragments_are_scoped_to_the_members_organisations(client, world, fragment):
    stranger_space = f.SpaceFactory()
    login(client, world)
    base = {"venue": world.venue.pk, "day": "2030-03-04", "start": "10:00", "end": "11:00"}
    assert client.get(fragment, {**base, "space": world.room.pk}).status_code == 200
    assert client.get(fragment, {**base, "space": stranger_space.pk}).status_code == 404
    assert client.get(fragment, {**base, "space": "x"}).status_code == 404
    other_venue = {**base, "venue": stranger_space.venue_id, "space": stranger_space.pk}
    assert client.get(fragment, other_venue).status_code == 404
    assert client.get(fragment, {**base, "venue": ""}).status_code == 404
    login(client, world, "viewer")  # sees bookings but takes none
    assert client.get(fragment, {**base, "space": world.room.pk}).status_code == 404
    client.logout()
    assert client.get(fragment, {**base, "space": world.room.pk}).status_code == 302


def test_the_customer_search_answers_alone_with_the_choices(client, world):
    f.CustomerFactory(organization=world.organization, first_name="Zoe", email="zoe@x.example")
    f.CustomerFactory(first_name="Zoe", email="zoe@other.example")  # another organisation
    login(client, world)
    response = client.get(f"{URL}customers/", {"venue": world.venue.pk, "q": "zoe"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="phone-customer-choices"' in html
    assert "One customer matches “zoe”: choose them below." in html
    assert "zoe@x.example" in html
    assert "zoe@other.example" not in html
    assert re.search(r'value="\d+"[^>]* checked', html)  # the one match is chosen
    html = client.get(f"{URL}customers/", {"venue": world.venue.pk, "q": "nobody"}).content
    html = html.decode()
    assert "No customer matches “nobody”: fill in a new one below." in html
    assert "customers match" not in html
    assert 'value="new"' in html
    stranger = f.CustomerFactory(first_name="Zoe")
    other_venue = f.VenueFactory(organization=stranger.organization)
    assert client.get(f"{URL}customers/", {"venue": other_venue.pk, "q": "zoe"}).status_code == 404


# -- several ticket and extra lines --------------------------------------------------------------


def test_several_ticket_and_extra_lines_are_booked_skipping_the_empty_ones(client, world):
    child = f.PriceFactory(
        event=world.event, name="Child", amount_gross="10.00", vat_rate=world.ticket.vat_rate
    )
    chairs = f.InventoryProductFactory(
        organization=world.organization, name="Chairs", vat_rate=world.ticket.vat_rate
    )
    response = post(
        client,
        world,
        ticket_1=world.ticket.pk,
        ticket_quantity_1="2",
        ticket_3=child.pk,
        ticket_quantity_3="1",
        product_2=world.product.pk,
        units_2="1",
        product_3=chairs.pk,
        units_3="4",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    booking = Booking.objects.get()
    assert sorted((line.price.name, line.quantity) for line in booking.event_bookings.all()) == [
        ("Adult", 2),
        ("Child", 1),
    ]
    assert sorted(
        (line.product.name, line.units) for line in booking.inventory_bookings.all()
    ) == sorted([(world.product.name, 1), ("Chairs", 4)])
    assert booking.space_bookings.count() == 1


def test_the_page_offers_three_ticket_and_three_extra_lines(client, world):
    login(client, world)
    html = client.get(URL, {"venue": world.venue.pk}).content.decode()
    for n in (1, 2, 3):
        assert f'<label for="id_ticket_{n}">Event tickets, line {n}' in html
        assert f'<label for="id_units_{n}">Units, line {n}' in html
    assert 'id="id_ticket_4"' not in html


def test_a_refused_line_is_named_on_its_own_line(client, world):
    # The event has 5 places and the product 3 units; only the form's lines 2 are filled in.
    response = post(
        client,
        world,
        ticket_2=world.ticket.pk,
        ticket_quantity_2="6",
        product_2=world.product.pk,
        units_2="4",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_ticket_quantity_2"' in html
    assert 'href="#id_units_2"' in html
    assert 'id="id_ticket_quantity_2_error"' in html
    assert 'id="id_units_2_error"' in html
    assert "Number of tickets, line 2:" in html
    assert 'href="#id_ticket_quantity_1"' not in html
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field_id"),
    [
        ({"ticket_3": "999999"}, "id_ticket_3"),
        ({"ticket_2": "1", "ticket_quantity_2": "0"}, "id_ticket_quantity_2"),
        ({"product_3": "x"}, "id_product_3"),
        ({"units_1": "-1"}, "id_units_1"),
    ],
)
def test_bad_input_on_a_line_is_named_on_that_line(client, world, fields, field_id):
    response = post(client, world, **fields)
    assert response.status_code == 200
    assert f'href="#{field_id}"' in response.content.decode()
    assert not Booking.objects.exists()


def test_a_services_error_on_the_nth_line_sent_lands_on_that_form_line():
    from staff.views.phone import _field_of

    numbers = {"event_lines": [2, 3], "product_lines": [3]}
    assert _field_of("event_lines.1.quantity", numbers) == "ticket_quantity_3"
    assert _field_of("event_lines.0.price", numbers) == "ticket_2"
    assert _field_of("product_lines.0.units", numbers) == "units_3"
    assert _field_of("product_lines.0.starts_at", numbers) == "product_3"
    assert _field_of("product_lines.4.units", numbers) is None
    assert _field_of("space_lines.0.places", numbers) == "places"
