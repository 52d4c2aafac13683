"""The staff dashboard: per venue, the figures that need someone now, each a link to its list."""

import re
from datetime import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import ChangeRequest, Notification
from tests import factories as f
from tests.bookings import conftest as booking_world
from venues.models import Membership

world = booking_world.world
at = booking_world.at

pytestmark = pytest.mark.django_db


def _now(text: str):
    return time_machine.travel(at(text), tick=False)


def _figure(page: str, words: str) -> str:
    """The number shown before `words` on the page ('3' for '3 pending requests')."""
    figure = r'<span class="figure">(\d+)</span> <span class="words">'
    match = re.search(figure + re.escape(words), page)
    assert match, f"no figure for {words!r}"
    return match.group(1)


def _login(client, world, role="approver"):
    client.force_login(world.actors[role].user)


def test_the_dashboard_shows_each_figure_of_the_venue(client, world):
    with _now("2030-03-04 06:30"):
        world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")  # the oldest request
    with _now("2030-03-04 08:00"):
        world.book(start="2030-03-04 20:00", end="2030-03-04 22:00")  # pending, today: no arrival
        soon = world.book(start="2030-03-04 10:00", end="2030-03-04 11:00", approve=True)
        world.book(start="2030-03-04 18:00", end="2030-03-04 19:00", approve=True)
        world.book(start="2030-03-05 18:00", end="2030-03-05 19:00", approve=True)  # tomorrow
        f.ChangeRequestFactory(booking=soon)
        f.NotificationFactory(booking=soon, status=Notification.Status.FAILED)
        f.NotificationFactory(booking=soon, status=Notification.Status.PENDING)
        f.NotificationFactory(status=Notification.Status.FAILED)  # another organisation's
    with _now("2030-03-04 09:30"):
        _login(client, world)
        response = client.get("/staff/")

    assert response.status_code == 200
    page = response.content.decode()
    assert _figure(page, "pending requests") == "2"
    assert "oldest waiting 3 h" in page
    assert _figure(page, "open change request") == "1"
    assert _figure(page, "arrivals today") == "2"
    assert _figure(page, "booking starts within the hour") == "1"
    assert "1 notification failed" in page
    assert "Europe/Madrid" in page
    assert 'aria-current="page">Dashboard' in page


def test_each_figure_links_to_its_filtered_list(client, world):
    with _now("2030-03-04 08:00"):
        arriving = world.book(start="2030-03-04 18:00", end="2030-03-04 19:00", approve=True)
        world.book(start="2030-03-05 18:00", end="2030-03-05 19:00", approve=True)
        f.ChangeRequestFactory(booking=arriving)
        f.NotificationFactory(booking=arriving, status=Notification.Status.FAILED)
    with _now("2030-03-04 09:30"):
        client.force_login(world.actors["manager"].user)
        page = client.get("/staff/").content.decode()
    figure_link = r'<a href="([^"]+)"><span class="figure">\d+</span> <span class="words">([a-z ]+)'
    links = dict(re.findall(figure_link, page))
    links = {words.strip(): url.replace("&amp;", "&") for url, words in links.items()}

    assert f"venue={world.venue.pk}" in links["pending requests"] or (
        f"venue__id__exact={world.venue.pk}" in links["pending requests"]
    )
    with _now("2030-03-04 09:30"):
        arrivals = client.get(links["arrival today"])
        change_requests = client.get(links["open change request"])
    assert arrivals.status_code == 200
    assert arriving.reference in arrivals.content.decode()
    assert re.search(r"\b1 booking\b", arrivals.content.decode())
    assert change_requests.status_code == 200
    assert re.search(r"\b1 change request\b", change_requests.content.decode())
    failed = re.search(r'<a href="([^"]+)">1 notification failed', page).group(1)
    with _now("2030-03-04 09:30"):
        failed_list = client.get(failed.replace("&amp;", "&"))
    assert failed_list.status_code == 200
    assert re.search(r"\b1 notification\b", failed_list.content.decode())


def test_another_organisations_venues_are_not_shown(client, world):
    other_venue = f.VenueFactory(name="Elsewhere Hall")
    f.BookingFactory(venue=other_venue)
    _login(client, world)

    page = client.get("/staff/").content.decode()

    assert world.venue.name in page
    assert "Elsewhere Hall" not in page


def test_a_member_of_no_organisation_sees_the_page_that_says_so(client):
    client.force_login(f.UserFactory(username="nobody"))

    response = client.get("/staff/")

    assert response.status_code == 403
    assert "No venue to show" in response.content.decode()


def test_someone_signed_out_is_sent_to_the_login_page(client):
    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize("role", Membership.Role.values)
def test_every_role_sees_the_dashboard(client, world, role):
    _login(client, world, role)

    assert client.get("/staff/").status_code == 200


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_queries_for_1_and_30_bookings(client, world):
    second_venue = f.VenueFactory(organization=world.organization, timezone="America/New_York")
    f.SpaceFactory(venue=second_venue)
    _login(client, world)
    world.book(approve=True)
    with_one = _queries(client)

    for hour in range(29):
        booking = world.book(
            start=f"2030-03-{5 + hour // 10:02d} {8 + hour % 10:02d}:00",
            end=f"2030-03-{5 + hour // 10:02d} {9 + hour % 10:02d}:00",
            approve=hour % 2 == 0,
        )
        if hour % 3 == 0 and booking.status == "approved":
            f.ChangeRequestFactory(booking=booking)
            f.NotificationFactory(booking=booking, status=Notification.Status.FAILED)

    assert ChangeRequest.objects.count() > 1
    assert _queries(client) == with_one


def test_the_oldest_wait_is_read_from_the_request_time():
    from core.templatetags.waited import waited_text

    start = datetime(2030, 3, 4, 9, 0)
    assert waited_text(start, datetime(2030, 3, 4, 9, 0, 30)) == "under a minute"
    assert waited_text(start, datetime(2030, 3, 4, 9, 25)) == "25 min"
    assert waited_text(start, datetime(2030, 3, 4, 12, 0)) == "3 h"
    assert waited_text(start, datetime(2030, 3, 4, 12, 20)) == "3 h 20 min"
    assert waited_text(start, datetime(2030, 3, 5, 5, 0)) == "20 h"
    assert waited_text(start, datetime(2030, 3, 6, 13, 0)) == "2 d 4 h"
    assert waited_text(start, datetime(2030, 3, 13, 13, 0)) == "9 d"
