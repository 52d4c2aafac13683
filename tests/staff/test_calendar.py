"""The venue calendar: spaces × time for a day and a week, placed in the venue's zone."""

import re
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.services import SpaceLineIn
from tests import factories as f
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at

pytestmark = pytest.mark.django_db

MONDAY = "2030-03-04"


def page(client, world, role="manager", **params):
    client.force_login(world.actors[role].user)
    query = {"venue": world.venue.pk, "day": MONDAY, **params}
    response = client.get("/staff/calendar/", query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def cell_of(html: str, reference: str) -> str:
    """The booked cell (its opening tag) that holds a booking's reference."""
    match = re.search(
        r'<td colspan="(\d+)" class="cal-booked status-(\w+)"><a href="[^"]+">'
        rf'<span class="cal-ref">{reference}</span>',
        html,
    )
    assert match, f"{reference} is not on the calendar"
    return match.group(0)


def test_a_booking_is_placed_by_its_time_with_setup_and_setdown_shaded(client, world):
    world.room.setup_minutes, world.room.setdown_minutes = 30, 15
    world.room.save()
    booking = world.book(start=f"{MONDAY} 10:00", end=f"{MONDAY} 12:00", approve=True)
    html = page(client, world)
    # Two hours of 15-minute columns, with half an hour of setup before and 15 minutes after.
    assert 'colspan="8" class="cal-booked status-approved"' in cell_of(html, booking.reference)
    assert re.search(
        rf'colspan="2" class="cal-setup cal-setup"><span class="visually-hidden">'
        rf"Setup {booking.reference}, 09:30–10:00",
        html,
    )
    assert re.search(
        rf'colspan="1" class="cal-setup cal-setdown"><span class="visually-hidden">'
        rf"Setdown {booking.reference}, 12:00–12:15",
        html,
    )
    assert world.customer.display_name in html
    assert "10 places" in html
    assert "10:00–12:00" in html
    assert "Times in Europe/Madrid" in html
    assert f'href="/admin/bookings/booking/{booking.pk}/change/"' in html or (
        f'href="/staff/bookings/{booking.pk}/"' in html
    )


def test_a_pending_request_is_hatched_and_says_pending(client, world):
    booking = world.book(start=f"{MONDAY} 10:00", end=f"{MONDAY} 12:00")
    html = page(client, world)
    assert "status-pending" in cell_of(html, booking.reference)
    assert '<span class="cal-status">pending</span>' in html


def test_denied_and_canceled_bookings_are_left_off(client, world):
    booking = world.book(start=f"{MONDAY} 10:00", end=f"{MONDAY} 12:00")
    services.booking_deny(actor=world.actors["approver"], booking=booking)
    assert booking.reference not in page(client, world)


def test_blockouts_are_shown_with_their_reason_and_time(client, world):
    f.BlockoutFactory(
        space=world.room,
        starts_at=at(f"{MONDAY} 14:00"),
        ends_at=at(f"{MONDAY} 16:00"),
        reason="maintenance",
        note="Projector repair",
    )
    html = page(client, world)
    assert re.search(
        r'colspan="8" class="cal-blockout">.*Blocked</strong> Maintenance: '
        r"Projector repair, 14:00–16:00",
        html,
    )


def test_closed_hours_are_visible_and_the_day_shows_its_opening_hours(client, world):
    f.OpeningHoursFactory(venue=world.venue, weekday=0, opens_at=time(9), closes_at=time(18))
    html = page(client, world)
    assert "Open 09:00–18:00" in html
    # From an hour before opening to an hour after closing, the edges closed.
    hours = re.findall(r'class="cal-hour[^"]*">(\d\d:\d\d)', html)
    assert hours[0] == "08:00"
    assert hours[-1] == "18:00"
    assert (
        html.count('class="cal-closed"><span class="cal-closed-word">Closed') == 2 * 2
    )  # 2 spaces


def test_a_day_the_venue_is_closed_says_so_in_the_week(client, world):
    f.OpeningHoursFactory(venue=world.venue, weekday=0, opens_at=time(9), closes_at=time(18))
    html = page(client, world, view="week")
    assert "Open 09:00–18:00" in html
    assert html.count('<span class="cal-closed-word">Closed</span>') == 6 * 2  # Tue–Sun


def test_a_shared_space_shows_its_load(client, world):
    world.book(
        space=world.zone, start=f"{MONDAY} 18:00", end=f"{MONDAY} 20:00", places=3, approve=True
    )
    world.book(
        space=world.zone, start=f"{MONDAY} 19:00", end=f"{MONDAY} 21:00", places=4, approve=True
    )
    world.book(space=world.zone, start=f"{MONDAY} 19:00", end=f"{MONDAY} 20:00", places=2)
    html = page(client, world)
    assert "7/10 places" in html  # 19:00–20:00: both held bookings
    assert "3/10 places" in html  # 18:00–19:00
    assert "at most 7/10 places held, 2 asked" in html
    week = page(client, world, view="week")
    assert "7/10 places" in week


def test_another_organisations_venue_is_not_found(client, world):
    other = f.VenueFactory()
    client.force_login(world.actors["manager"].user)
    assert client.get("/staff/calendar/", {"venue": other.pk}).status_code == 404
    assert client.get("/staff/calendar/", {"venue": "nonsense"}).status_code == 404


def test_the_calendar_asks_for_a_login(client, world):
    response = client.get("/staff/calendar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_days_and_weeks_move_with_plain_links(client, world):
    html = page(client, world)
    venue = world.venue.pk
    assert (
        f'href="/staff/calendar/?venue={venue}&amp;day=2030-03-03&amp;view=day" rel="prev"' in html
    )
    assert (
        f'href="/staff/calendar/?venue={venue}&amp;day=2030-03-05&amp;view=day" rel="next"' in html
    )
    assert "Monday 4 March 2030" in html
    week = page(client, world, view="week", day="2030-03-06")
    assert "Week of 4 Mar to 10 Mar 2030" in week
    assert 'day=2030-02-27&amp;view=week" rel="prev"' in week
    assert 'day=2030-03-13&amp;view=week" rel="next"' in week
    assert 'aria-current="date"' not in week


def test_today_is_marked_and_is_the_default(client, world):
    client.force_login(world.actors["viewer"].user)
    html = client.get("/staff/calendar/").content.decode()
    assert 'aria-current="date"' in html
    assert '<span class="cal-today">Today</span>' in html
    assert "cal-now" in html
    week = client.get("/staff/calendar/", {"view": "week"}).content.decode()
    assert '<span class="cal-today">Today</span>' in week


def test_a_bad_day_falls_back_to_today(client, world):
    client.force_login(world.actors["viewer"].user)
    response = client.get("/staff/calendar/", {"day": "2030-02-31"})
    assert response.status_code == 200
    assert '<span class="cal-today">Today</span>' in response.content.decode()


def test_the_day_the_clocks_go_forward_has_23_hours_and_places_times_right(client, world):
    booking = world.book(start="2030-03-31 01:00", end="2030-03-31 04:00", approve=True)
    html = page(client, world, day="2030-03-31")
    assert "this day has 23 hours" in html
    # 01:00 CET to 04:00 CEST is two real hours: 8 columns.
    assert 'colspan="8"' in cell_of(html, booking.reference)
    hours = re.findall(r'class="cal-hour[^"]*">([^<]+)<', html)
    assert "01:00 CET" in hours
    assert "03:00 CEST" in hours
    assert not any(label.startswith("02:00") for label in hours)


def test_the_day_the_clocks_go_back_has_25_hours(client, world):
    booking = world.book(start="2030-10-27 01:00", end="2030-10-27 04:00", approve=True)
    html = page(client, world, day="2030-10-27")
    assert "this day has 25 hours" in html
    assert 'colspan="16"' in cell_of(html, booking.reference)  # four real hours
    hours = re.findall(r'class="cal-hour[^"]*">([^<]+)<', html)
    assert "02:00 CEST" in hours
    assert "02:00 CET" in hours


def _queries(client, world, **params) -> int:
    client.force_login(world.actors["manager"].user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            "/staff/calendar/", {"venue": world.venue.pk, "day": MONDAY, **params}
        )
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("view", ["day", "week"])
def test_the_query_count_does_not_grow_with_the_bookings(client, world, view):
    world.book(start=f"{MONDAY} 08:00", end=f"{MONDAY} 08:30", approve=True)
    one = _queries(client, world, view=view)
    for number in range(29):
        customer = f.CustomerFactory(organization=world.organization)
        services.booking_create(
            actor=world.actors["manager"],
            organization=world.organization,
            venue=world.venue,
            customer=customer,
            source="staff",
            space_lines=[
                SpaceLineIn(
                    space=world.zone,
                    starts_at=at(f"{MONDAY} 09:00").replace(minute=0, hour=9 + number % 12),
                    ends_at=at(f"{MONDAY} 10:00").replace(hour=10 + number % 12),
                    places=1,
                )
            ],
            approve=number % 2 == 0,
        )
    thirty = _queries(client, world, view=view)
    assert one == thirty


def test_a_night_that_opens_on_a_day_is_shown_whole_on_that_day(client, world):
    for weekday in (6, 0):  # Sunday and Monday nights, 19:00–04:00
        f.OpeningHoursFactory(
            venue=world.venue, weekday=weekday, opens_at=time(19), closes_at=time(4)
        )
    sunday = world.book(start="2030-03-03 22:00", end="2030-03-04 02:00", approve=True)
    monday = world.book(start=f"{MONDAY} 23:00", end="2030-03-05 02:00", approve=True)
    html = page(client, world)
    assert "Open until 04:00, 19:00–04:00" in html
    hours = re.findall(r'class="cal-hour[^"]*">([^<]+)<', html)
    assert hours[0] == "18:00"
    assert hours[-1] == "Tue 04:00"
    assert 'colspan="12"' in cell_of(html, monday.reference)
    assert sunday.reference not in html  # it belongs to Sunday night
    assert sunday.reference in page(client, world, day="2030-03-03")


def test_the_week_lists_a_night_on_the_day_it_starts_only(client, world):
    monday = world.book(start=f"{MONDAY} 23:00", end="2030-03-05 02:00", approve=True)
    conference = world.book(
        space=world.zone, start="2030-03-05 09:00", end="2030-03-07 18:00", approve=True
    )
    html = page(client, world, view="week")
    assert html.count(monday.reference) == 1
    assert html.count(conference.reference) == 3  # Tuesday to Thursday


def test_calendar_get_reads_a_venue_in_four_queries_and_nothing_of_another_organisation(
    world, django_assert_num_queries
):
    from bookings.selectors import calendar_get
    from venues.models import Organization

    for hour in (9, 12, 15):
        world.book(start=f"{MONDAY} {hour:02}:00", end=f"{MONDAY} {hour + 2:02}:00", approve=True)
    mine = Organization.objects.filter(pk=world.organization.pk)
    start, end = at(f"{MONDAY} 00:00"), at("2030-03-05 00:00")
    with django_assert_num_queries(4):
        calendar = calendar_get(organizations=mine, venue=world.venue, start=start, end=end)
        assert [line.booking.customer for line in calendar.space_bookings] == [world.customer] * 3
    others = Organization.objects.exclude(pk=world.organization.pk)
    stranger = calendar_get(organizations=others, venue=world.venue, start=start, end=end)
    assert stranger.spaces == []
    assert stranger.space_bookings == []
