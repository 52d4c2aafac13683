"""The front desk: a venue's bookings of the day, found by name or reference, and the moves
each role may make, each through its service."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import services
from bookings.models import Booking, LogEntry
from bookings.services import CustomerIn, SpaceLineIn
from tests import factories as f
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at
DAY = "2030-03-04"


def book(
    world,
    first="Gina",
    last="Guest",
    *,
    start="21:00",
    end="23:00",
    day=DAY,
    places=4,
    space=None,
    approve=True,
):
    """A staff booking for one customer of its own, approved unless told."""
    return services.booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=CustomerIn(
            first_name=first, last_name=last, email=f"{first}.{last}@example.com".lower()
        ),
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=space or world.room,
                starts_at=at(f"{day} {start}"),
                ends_at=at(f"{day} {end}") if end > start else at(f"{day} {end}") + timedelta(1),
                places=places,
            )
        ],
        approve=approve,
    ).booking


def desk_url(world, **query):
    url = f"/staff/front-desk/{world.venue.pk}/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def move_url(world, booking, move):
    return f"/staff/front-desk/{world.venue.pk}/bookings/{booking.pk}/{move}/"


def signed_in(client, world, role="front_desk"):
    client.force_login(world.actors[role].user)
    return client


def page_of(client, world, **query):
    response = client.get(desk_url(world, **({"day": DAY} | query)))
    assert response.status_code == 200
    return response.content.decode()


def post_move(client, world, booking, move, **data):
    booking.refresh_from_db()
    payload = {"updated_at": booking.updated_at.isoformat(), "day": DAY} | data
    return client.post(move_url(world, booking, move), payload)


# -- the list ---------------------------------------------------------------------------------


def test_the_days_bookings_are_listed_in_time_order_with_the_zone_named_once(client, world):
    book(world, "Late", "Dinner", start="21:00", end="23:00")
    book(world, "Early", "Breakfast", start="08:00", end="09:00")
    book(world, "Mid", "Lunch", start="13:00", end="14:30")
    page = page_of(signed_in(client, world), world)
    assert page.index("Early Breakfast") < page.index("Mid Lunch") < page.index("Late Dinner")
    assert page.count("Europe/Madrid") == 1
    assert "13:00" in page
    assert "14:30" in page


def test_a_row_shows_reference_places_space_status_and_the_balance_due(client, world):
    booking = book(world, places=6)
    page = page_of(signed_in(client, world), world)
    assert booking.reference in page
    assert "6 places" in page
    assert world.room.name in page
    assert "Expected" in page
    booking.refresh_from_db()
    assert booking.balance > 0
    assert f"{booking.balance:.2f} EUR due" in page.replace(",", "")


@pytest.mark.parametrize(
    ("role", "sees_buttons"),
    [("viewer", False), ("front_desk", True), ("approver", True), ("manager", True)],
)
def test_only_members_who_may_check_guests_in_see_the_moves(client, world, role, sees_buttons):
    booking = book(world)
    page = page_of(signed_in(client, world, role), world)
    assert "Gina Guest" in page
    assert (move_url(world, booking, "arrive") in page) is sees_buttons
    assert (move_url(world, booking, "seat") in page) is sees_buttons
    assert ("needs the front-desk role" in page) is not sees_buttons


def test_only_the_moves_the_status_allows_now_are_offered(client, world):
    expected = book(world, "Ex", "Pected", start="10:00", end="11:00")
    here = book(world, "Al", "Ready", start="12:00", end="13:00")
    services.booking_arrive(actor=world.actors["front_desk"], booking=here)
    with mock.patch("django.utils.timezone.now", return_value=at(f"{DAY} 10:30")):
        page = page_of(signed_in(client, world), world)  # a session of that time
    offered = {
        (booking.pk, move)
        for booking in (expected, here)
        for move in ("arrive", "seat", "release", "no-show")
        if move_url(world, booking, move) in page
    }
    assert offered == {
        (expected.pk, "arrive"),
        (expected.pk, "seat"),
        (expected.pk, "no-show"),  # it has started
        (here.pk, "seat"),
        (here.pk, "release"),
    }
    assert "30 min late" in page


def test_no_show_is_not_offered_before_the_start(client, world):
    booking = book(world, start="21:00", end="23:00")
    with mock.patch("django.utils.timezone.now", return_value=at(f"{DAY} 20:00")):
        page = page_of(signed_in(client, world), world)
    assert move_url(world, booking, "arrive") in page
    assert move_url(world, booking, "no-show") not in page


def test_the_arrive_form_offers_the_booked_places_as_the_guest_count(client, world):
    booking = book(world, places=7)
    page = page_of(signed_in(client, world), world)
    assert f'id="guests-{booking.pk}" name="guests" value="7"' in page


# -- the moves, through the services ----------------------------------------------------------


def test_arriving_with_the_number_of_guests_is_logged_and_shown_in_the_row(client, world):
    booking = book(world, places=4)
    signed_in(client, world)
    response = post_move(client, world, booking, "arrive", guests="6")
    assert response.status_code == 302
    assert response["Location"] == f"{desk_url(world, day=DAY)}#booking-{booking.pk}"
    booking.refresh_from_db()
    assert booking.status == "arrived"
    assert [line.actual_attendees for line in booking.space_bookings.all()] == [6]
    entry = booking.log_entries.latest("created_at")
    assert entry.action == LogEntry.Action.ARRIVED
    assert entry.user == world.actors["front_desk"].user
    assert entry.data == {"actual_attendees": 6}

    page = client.get(response["Location"]).content.decode()
    row = page[page.index(f'id="booking-{booking.pk}"') :]
    assert f"Gina Guest ({booking.reference}): arrived. 6 guests came." in row
    assert "6 came" in row


@pytest.mark.parametrize(
    ("before", "move", "after", "action", "words"),
    [
        ("approved", "seat", "seated", LogEntry.Action.SEATED, "seated"),
        ("arrived", "seat", "seated", LogEntry.Action.SEATED, "seated"),
        ("arrived", "release", "released", LogEntry.Action.RELEASED, "released"),
        ("seated", "release", "released", LogEntry.Action.RELEASED, "released"),
        ("approved", "no-show", "no_show", LogEntry.Action.NO_SHOW, "marked no-show"),
    ],
)
def test_each_move_goes_through_its_service_and_says_so(
    client, world, before, move, after, action, words
):
    booking = book(world, start="10:00", end="12:00")
    desk = world.actors["front_desk"]
    if before in ("arrived", "seated"):
        services.booking_arrive(actor=desk, booking=booking)
    if before == "seated":
        services.booking_seat(actor=desk, booking=booking)
    with mock.patch("django.utils.timezone.now", return_value=at(f"{DAY} 10:20")):
        signed_in(client, world)  # a session of that time
        response = post_move(client, world, booking, move)
        page = client.get(response["Location"]).content.decode()
    booking.refresh_from_db()
    assert booking.status == after
    entry = booking.log_entries.latest("created_at")
    assert (entry.action, entry.to_status, entry.user) == (action, after, desk.user)
    assert f"Gina Guest ({booking.reference}): {words}" in page


def test_a_stale_move_is_refused_with_who_did_what_and_when(client, world):
    booking = book(world)
    booking.refresh_from_db()
    seen = booking.updated_at.isoformat()
    colleague = f.UserFactory(username="marta", first_name="Marta", last_name="Mas")
    f.MembershipFactory(user=colleague, organization=world.organization, role="front_desk")
    services.booking_seat(actor=services_actor(colleague), booking=booking)

    signed_in(client, world)
    response = client.post(move_url(world, booking, "arrive"), {"updated_at": seen, "day": DAY})
    page = client.get(response["Location"]).content.decode()
    booking.refresh_from_db()
    assert booking.status == "seated"
    assert not booking.log_entries.filter(action=LogEntry.Action.ARRIVED).exists()
    seated_at = timezone.localtime(booking.seated_at, world.venue.tzinfo)
    assert (
        f"Gina Guest ({booking.reference}) was already seated by Marta Mas at {seated_at:%H:%M}."
        in page
    )
    assert "Nothing was changed" in page
    row = page[page.index(f'id="booking-{booking.pk}"') :]
    assert row.index('class="desk-result message-result-error"') < row.index("already seated")


def services_actor(user):
    from core.actors import Actor

    return Actor.staff(user)


def test_a_move_the_status_does_not_allow_is_explained(client, world):
    booking = book(world)
    signed_in(client, world)
    response = post_move(client, world, booking, "release")
    page = client.get(response["Location"]).content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "approved"
    assert "is “Expected”, so “Release” is not possible now." in page


def test_a_viewer_who_posts_a_move_is_told_why_and_nothing_changes(client, world):
    booking = book(world)
    signed_in(client, world, "viewer")
    response = post_move(client, world, booking, "arrive", guests="2")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "approved"
    assert "You may not check guests in at" in page


@pytest.mark.parametrize("guests", ["0", "-3", "many", "100001"])
def test_a_bad_guest_count_names_the_field_and_changes_nothing(client, world, guests):
    booking = book(world)
    signed_in(client, world)
    response = post_move(client, world, booking, "arrive", guests=guests)
    page = client.get(response["Location"]).content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "approved"
    assert "Guests: enter how many came" in page


def test_the_service_refuses_a_guest_count_below_one(world):
    from django.core.exceptions import ValidationError

    booking = book(world)
    with pytest.raises(ValidationError) as error:
        services.booking_arrive(
            actor=world.actors["front_desk"], booking=booking, actual_attendees=0
        )
    assert "actual_attendees" in error.value.message_dict
    assert Booking.objects.get(pk=booking.pk).status == "approved"


def test_a_move_keeps_the_search_and_the_day(client, world):
    booking = book(world)
    signed_in(client, world)
    response = post_move(client, world, booking, "seat", q="gina")
    assert response["Location"] == f"{desk_url(world, day=DAY, q='gina')}#booking-{booking.pk}"


def test_an_unknown_move_or_a_get_changes_nothing(client, world):
    booking = book(world)
    signed_in(client, world)
    assert post_move(client, world, booking, "approve").status_code == 404
    assert client.get(move_url(world, booking, "seat")).status_code == 405
    assert Booking.objects.get(pk=booking.pk).status == "approved"


# -- search -----------------------------------------------------------------------------------


def test_search_finds_by_name_or_reference_on_the_server(client, world):
    gina = book(world, "Gina", "Guest", start="10:00", end="11:00")
    book(world, "Pau", "Puig", start="12:00", end="13:00")
    signed_in(client, world)
    by_name = page_of(client, world, q="puig")
    assert "Pau Puig" in by_name
    assert "Gina Guest" not in by_name
    by_reference = page_of(client, world, q=gina.reference[3:].lower())
    assert "Gina Guest" in by_reference
    assert "Pau Puig" not in by_reference
    both_words = page_of(client, world, q="gina+guest")
    assert "Gina Guest" in both_words
    assert "1 booking matches" in both_words
    assert "No booking on" in page_of(client, world, q="nobody")


def test_search_also_finds_the_days_canceled_bookings_the_list_leaves_out(client, world):
    booking = book(world, "Carla", "Cancel")
    services.booking_cancel(actor=world.actors["approver"], booking=booking)
    signed_in(client, world)
    assert "Carla Cancel" not in page_of(client, world)
    found = page_of(client, world, q="carla")
    assert "Carla Cancel" in found
    assert "Canceled" in found
    assert move_url(world, booking, "arrive") not in found


# -- days -------------------------------------------------------------------------------------


def test_days_are_the_venues_local_days(client, world):
    # 00:30 in Madrid on 5 March is 23:30 UTC on 4 March.
    book(world, "After", "Midnight", start="00:30", end="02:00", day="2030-03-05")
    book(world, "Before", "Midnight", start="23:00", end="23:45", day="2030-03-04")
    signed_in(client, world)
    fourth = page_of(client, world, day="2030-03-04")
    fifth = page_of(client, world, day="2030-03-05")
    assert "Before Midnight" in fourth
    assert "After Midnight" not in fourth
    assert "After Midnight" in fifth
    assert "Before Midnight" not in fifth


def test_a_night_past_midnight_stays_on_the_next_day_while_it_is_open(client, world):
    open_night = book(world, "Open", "Night", start="22:00", end="03:00")
    done_night = book(world, "Done", "Night", start="20:00", end="02:00", space=world.zone)
    desk = world.actors["front_desk"]
    services.booking_seat(actor=desk, booking=open_night)
    services.booking_arrive(actor=desk, booking=done_night)
    services.booking_release(actor=desk, booking=done_night)
    signed_in(client, world)
    next_day = page_of(client, world, day="2030-03-05")
    assert "Open Night" in next_day
    assert "Done Night" not in next_day
    assert "Mon 22:00" in next_day  # the start's day is named


def test_without_a_day_the_page_shows_the_venues_today(client, world):
    with mock.patch("django.utils.timezone.now", return_value=at("2030-03-05 00:30")):
        signed_in(client, world)
        response = client.get(desk_url(world))
    assert "Tuesday 5 March 2030" in response.content.decode()
    assert "(today)" in response.content.decode()


@pytest.mark.parametrize("day", ["tomorrow", "2030-02-30", "0001-01-01"])
def test_a_day_that_is_no_date_is_explained_and_today_shown(client, world, day):
    signed_in(client, world)
    response = client.get(desk_url(world, day=day))
    assert response.status_code == 200
    assert "is not a date we can show" in response.content.decode()


# -- reads, scope -----------------------------------------------------------------------------


def queries_for(client, world) -> int:
    with CaptureQueriesContext(connection) as queries:
        page_of(client, world)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_bookings(client, world):
    signed_in(client, world)
    book(world, "Guest", "Zero", start="08:00", end="08:20")
    one = queries_for(client, world)
    # The session, the user, the member's right, the venue; the day's bookings, their space
    # and event lines; the member's role, the number of venues, the count for the menu.
    assert one == 10
    for number in range(1, 30):
        minutes = 8 * 60 + number * 30
        start = f"{minutes // 60:02d}:{minutes % 60:02d}"
        end = f"{minutes // 60:02d}:{minutes % 60 + 20:02d}"
        booking = book(world, "Guest", f"N{number}", start=start, end=end)
        if number % 3 == 0:
            services.booking_arrive(
                actor=world.actors["front_desk"], booking=booking, actual_attendees=2
            )
    page = page_of(client, world)
    assert page.count('class="desk-row') == 30
    assert queries_for(client, world) == one


def test_another_organisations_venue_and_booking_are_not_found(client, world):
    booking = book(world)
    stranger = world.actors["stranger"].user
    client.force_login(stranger)
    assert client.get(desk_url(world, day=DAY)).status_code == 404
    response = client.post(
        move_url(world, booking, "seat"), {"updated_at": booking.updated_at.isoformat()}
    )
    assert response.status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "approved"


def test_the_front_desk_goes_straight_to_the_only_venue(client, world):
    signed_in(client, world)
    response = client.get("/staff/front-desk/")
    assert response.status_code == 302
    assert response["Location"] == desk_url(world)


def test_with_several_venues_the_front_desk_lets_the_member_choose(client, world):
    other = f.VenueFactory(organization=world.organization, name="Second Hall")
    signed_in(client, world)
    response = client.get("/staff/front-desk/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/staff/front-desk/{other.pk}/"' in page
    assert f'href="/staff/front-desk/{world.venue.pk}/"' in page


def test_signed_out_visitors_are_sent_to_the_login(client, world):
    response = client.get(desk_url(world))
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
