"""A venue's calendar feed for staff calendar apps (/calendars/<token>.ics): parsed back
with icalendar, the venue's bookings only, in its zone; a revoked or unknown token is a
404; the same few queries however many bookings."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from bookings import services
from bookings.services import SpaceLineIn
from tests import factories as f
from tests.bookings import conftest as booking_world
from venues.models import CalendarFeed
from venues.services import calendar_feed_create, calendar_feed_revoke

pytestmark = pytest.mark.django_db

world = booking_world.world
MADRID = booking_world.MADRID


def day(days_ahead: int) -> str:
    """The Madrid date `days_ahead` days from today, as world.book() takes it."""
    return (timezone.now().astimezone(MADRID) + timedelta(days=days_ahead)).date().isoformat()


def book(world, days_ahead=10, start="14:00", end="16:00", **extra):
    when = day(days_ahead)
    return world.book(start=f"{when} {start}", end=f"{when} {end}", **extra)


@pytest.fixture
def feed(world):
    """(the feed, its token) of the world's venue."""
    feed = CalendarFeed(venue=world.venue, name="Front desk")
    return feed, calendar_feed_create(actor=world.actors["manager"], feed=feed)


def fetch(client, token):
    return client.get(f"/calendars/{token}.ics")


def entries_of(response) -> list:
    assert response.status_code == 200
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_the_feed_shows_the_venues_bookings_at_local_time_in_its_zone(client, world, feed):
    booking = book(world, approve=True)
    response = fetch(client, feed[1])

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    local = day(10).replace("-", "")
    assert f"DTSTART;TZID=Europe/Madrid:{local}T140000".encode() in response.content
    assert f"DTEND;TZID=Europe/Madrid:{local}T160000".encode() in response.content
    calendar = Calendar.from_ical(response.content)
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    assert str(calendar["X-WR-CALNAME"]) == f"{world.venue.name} — Front desk"
    [entry] = calendar.walk("VEVENT")
    assert entry.decoded("DTSTART").hour == 14
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert str(entry["UID"]).startswith(f"{booking.reference}-")
    assert world.room.name in str(entry["SUMMARY"])
    assert str(entry["URL"]).endswith(f"/staff/bookings/{booking.pk}/")


def test_requests_are_tentative_and_say_so_canceled_and_denied_ones_are_left_out(
    client, world, feed
):
    book(world, days_ahead=3)
    canceled = book(world, days_ahead=4, approve=True)
    services.booking_cancel(actor=world.actors["approver"], booking=canceled)
    denied = book(world, days_ahead=5)
    services.booking_deny(actor=world.actors["approver"], booking=denied)

    [request] = entries_of(fetch(client, feed[1]))
    assert str(request["STATUS"]) == "TENTATIVE"
    assert str(request["SUMMARY"]).startswith("Request: ")


def test_a_booking_with_two_spaces_is_one_entry_per_space_at_its_own_time(client, world, feed):
    booking = book(world, start="10:00", end="12:00")
    services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line=SpaceLineIn(
            space=world.zone,
            starts_at=booking_world.at(f"{day(10)} 13:00"),
            ends_at=booking_world.at(f"{day(10)} 15:00"),
            places=4,
        ),
    )
    entries = entries_of(fetch(client, feed[1]))
    assert [(e.decoded("DTSTART").hour, str(e["LOCATION"]).split(",")[0]) for e in entries] == [
        (10, world.room.name),
        (13, world.zone.name),
    ]
    assert len({str(entry["UID"]) for entry in entries}) == 2


def test_the_feed_has_only_its_own_venues_bookings(client, world, feed):
    ours = book(world)
    soon = timezone.now() + timedelta(days=10)
    other_venue = f.VenueFactory(organization=world.organization, timezone="Europe/Madrid")
    f.SpaceBookingFactory(booking__venue=other_venue, starts_at=soon)
    f.SpaceBookingFactory(starts_at=soon)  # a venue of another organisation

    entries = entries_of(fetch(client, feed[1]))
    assert [str(entry["UID"]).split("-")[:2] for entry in entries] == [ours.reference.split("-")]


def test_the_feed_looks_a_year_ahead_at_most(client, world, feed):
    book(world, days_ahead=400)
    assert entries_of(fetch(client, feed[1])) == []


def test_a_revoked_and_an_unknown_token_get_the_same_404(client, world, feed):
    book(world)
    feed_row, token = feed
    assert fetch(client, token).status_code == 200
    calendar_feed_revoke(actor=world.actors["manager"], feed=feed_row)

    revoked = fetch(client, token)
    unknown = fetch(client, "A" * len(token))
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert world.venue.name.encode() not in revoked.content


def test_the_feed_costs_the_same_queries_for_one_booking_as_for_twenty(client, world, feed):
    book(world, days_ahead=1)
    with CaptureQueriesContext(connection) as one:
        assert len(entries_of(fetch(client, feed[1]))) == 1
    for days_ahead in range(2, 21):
        booking = book(world, days_ahead=days_ahead)
        services.booking_update(
            actor=world.actors["manager"], booking=booking, changes={"title": "Board"}
        )
    with CaptureQueriesContext(connection) as twenty:
        assert len(entries_of(fetch(client, feed[1]))) == 20
    assert len(twenty) == len(one) <= 3


def test_the_feed_is_rate_limited_per_client(client, world, feed, settings):
    settings.VENUEDESK_PAGE_RATES = {**settings.VENUEDESK_PAGE_RATES, "calendar_feeds": "2/minute"}
    assert [fetch(client, feed[1]).status_code for _ in range(3)] == [200, 200, 429]


def test_the_feed_answers_only_get(client, feed):
    assert client.post(f"/calendars/{feed[1]}.ics").status_code == 405


def test_the_staff_calendar_leads_managers_to_the_venues_feeds(client, world, feed):
    feeds_link = re.compile(r'href="([^"]*/calendarfeed/\?venue__id__exact=(\d+))"')
    client.force_login(world.actors["manager"].user)
    page = client.get(f"/staff/calendar/?venue={world.venue.pk}").content.decode()
    [(address, venue_id)] = feeds_link.findall(page)
    assert int(venue_id) == world.venue.pk
    listed = client.get(address.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [feed[0]]

    client.force_login(world.actors["approver"].user)
    page = client.get(f"/staff/calendar/?venue={world.venue.pk}").content.decode()
    assert feeds_link.findall(page) == []
