"""The approval queue: pending requests oldest first, what stands in each one's way, and the
clear ones approved together with a result for each."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.models import Booking, BookingStatus
from tests import factories as f
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at

pytestmark = pytest.mark.django_db


def _login(client, world, role="approver"):
    client.force_login(world.actors[role].user)


def _row(page: str, booking) -> str:
    """The queue's table row of `booking`."""
    match = re.search(rf'<tr id="request-{booking.pk}".*?</tr>', page, re.S)
    assert match, f"{booking.reference} is not listed"
    return match.group(0)


def _seen(booking) -> str:
    return booking.updated_at.isoformat()


def test_pending_requests_are_listed_oldest_first_with_their_wait(client, world):
    with time_machine.travel(at("2030-03-01 06:00"), tick=False):
        older = world.book(start="2030-03-06 10:00", end="2030-03-06 12:00")
    with time_machine.travel(at("2030-03-01 08:30"), tick=False):
        newer = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    world.book(start="2030-03-07 10:00", end="2030-03-07 12:00", approve=True)  # not pending
    with time_machine.travel(at("2030-03-01 09:00"), tick=False):
        _login(client, world)
        page = client.get("/staff/requests/").content.decode()

    assert page.index(older.reference) < page.index(newer.reference)
    assert "waiting 3 h" in _row(page, older)
    assert "waiting 30 min" in _row(page, newer)
    assert "Wed 6 Mar 2030, 10:00–12:00" in _row(page, older)
    assert "Europe/Madrid" in _row(page, older)
    assert "2 requests waiting" in page
    assert 'aria-current="page">Requests <span class="badge">2' in page


def test_another_organisations_requests_are_never_listed(client, world):
    theirs = f.SpaceBookingFactory().booking
    mine = world.book()
    _login(client, world)

    page = client.get("/staff/requests/").content.decode()

    assert mine.reference in page
    assert theirs.reference not in page


def test_a_viewer_sees_the_queue_without_approve_controls(client, world):
    world.book()
    _login(client, world, "viewer")

    page = client.get("/staff/requests/").content.decode()

    assert "1 request waiting" in page
    assert 'type="checkbox"' not in page
    assert "Approve selected" not in page


def test_an_approver_may_tick_the_clear_requests(client, world):
    booking = world.book()
    _login(client, world, "approver")

    page = client.get("/staff/requests/").content.decode()

    assert f'id="approve-{booking.pk}"' in page
    assert f"Approve {booking.reference}" in page
    assert "Approve selected" in page
    assert '<span class="tag tag-clear">Clear</span>' in _row(page, booking)


def test_filters_by_venue_space_and_local_date(client, world):
    other_venue = f.VenueFactory(organization=world.organization, timezone="America/New_York")
    other_space = f.SpaceFactory(venue=other_venue, capacity=50)
    in_room = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00")
    in_zone = world.book(start="2030-03-05 00:30", end="2030-03-05 02:00", space=world.zone)
    elsewhere = services.booking_create(  # 17:30 on the 4th in New York
        actor=world.actors["manager"],
        organization=world.organization,
        venue=other_venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            services.SpaceLineIn(
                space=other_space, starts_at=at("2030-03-04 23:30"), ends_at=at("2030-03-05 01:00")
            )
        ],
    ).booking
    _login(client, world)

    def listed(query):
        page = client.get("/staff/requests/" + query).content.decode()
        return {b.reference for b in (in_room, in_zone, elsewhere) if b.reference in page}

    assert listed(f"?venue={world.venue.pk}") == {in_room.reference, in_zone.reference}
    assert listed(f"?space={world.zone.pk}") == {in_zone.reference}
    assert listed("?date=2030-03-04") == {in_room.reference, elsewhere.reference}
    assert listed(f"?date=2030-03-05&venue={world.venue.pk}") == {in_zone.reference}


def test_a_bad_filter_is_named_in_an_error_summary_and_left_out(client, world):
    booking = world.book()
    _login(client, world)

    response = client.get("/staff/requests/?date=tomorrowish&venue=999999")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Requests waiting" in page
    assert 'href="#id_date">Date: Enter a valid date.' in page
    assert 'href="#id_venue">Venue:' in page
    assert 'aria-invalid="true" aria-describedby="date-error"' in page
    assert booking.reference in page


def test_a_request_over_a_held_booking_shows_the_conflict_naming_it(client, world):
    request = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00")
    held = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    _login(client, world)

    page = client.get("/staff/requests/").content.decode()

    row = _row(page, request)
    assert "Conflicts" in row
    assert f">{held.reference}</a>" in row
    assert (
        f"/admin/bookings/booking/{held.pk}/change/" in row or f"/staff/bookings/{held.pk}/" in row
    )
    assert 'type="checkbox"' not in row


def test_requests_for_the_same_slot_compete_naming_each_other(client, world):
    first = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00")
    second = world.book(start="2030-03-04 11:00", end="2030-03-04 12:00")
    apart = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00")
    _login(client, world)

    page = client.get("/staff/requests/").content.decode()

    assert "Competes" in _row(page, first)
    assert f">{second.reference}</a>" in _row(page, first)
    assert f">{first.reference}</a>" in _row(page, second)
    assert "Clear" in _row(page, apart)
    assert 'type="checkbox"' not in _row(page, first)


def test_shared_space_requests_compete_only_when_their_places_do_not_fit(client, world):
    small = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", space=world.zone, places=3)
    other_small = world.book(
        start="2030-03-04 10:00", end="2030-03-04 12:00", space=world.zone, places=4
    )
    big = world.book(start="2030-03-04 11:00", end="2030-03-04 13:00", space=world.zone, places=8)
    _login(client, world)

    page = client.get("/staff/requests/").content.decode()

    assert f">{other_small.reference}</a>" not in _row(page, small)
    assert f">{big.reference}</a>" in _row(page, small)
    assert f">{small.reference}</a>" in _row(page, big)
    assert f">{other_small.reference}</a>" in _row(page, big)


def test_approve_selected_gives_each_booking_its_result_and_leaves_the_refused_untouched(
    client, world
):
    clear = world.book(start="2030-03-04 08:00", end="2030-03-04 09:00")
    also_clear = world.book(start="2030-03-05 08:00", end="2030-03-05 09:00")
    stale = world.book(start="2030-03-06 08:00", end="2030-03-06 09:00")
    conflicting = world.book(start="2030-03-07 10:00", end="2030-03-07 12:00")
    seen = {b.pk: _seen(b) for b in (clear, also_clear, stale, conflicting)}
    # Meanwhile: a manager edits one request, and another booking takes the other's slot.
    services.booking_update(
        actor=world.actors["manager"], booking=stale, changes={"internal_note": "VIP"}
    )
    taker = world.book(start="2030-03-07 11:00", end="2030-03-07 13:00", approve=True)
    _login(client, world)

    response = client.post(
        "/staff/requests/?venue=" + str(world.venue.pk),
        {"booking": list(seen), **{f"seen_{pk}": value for pk, value in seen.items()}},
        follow=True,
    )

    assert response.redirect_chain[0] == (f"/staff/requests/?venue={world.venue.pk}", 302)
    said = [str(message) for message in response.context["messages"]]
    assert f"{clear.reference} approved." in said
    assert f"{also_clear.reference} approved." in said
    stale_said = next(m for m in said if m.startswith(stale.reference))
    assert "changed after you opened the page" in stale_said
    assert "by manager at" in stale_said
    assert "Europe/Madrid" in stale_said
    conflict_said = next(m for m in said if m.startswith(conflicting.reference))
    assert "was not approved" in conflict_said
    assert taker.reference in conflict_said
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses[clear.pk] == statuses[also_clear.pk] == BookingStatus.APPROVED
    assert statuses[stale.pk] == statuses[conflicting.pk] == BookingStatus.PENDING
    assert Booking.objects.get(pk=clear.pk).event is not None
    assert Booking.objects.get(pk=stale.pk).event is None
    assert not Booking.objects.get(pk=conflicting.pk).log_entries.filter(action="approved")


def test_a_viewer_who_posts_an_approval_is_told_why_not(client, world):
    booking = world.book()
    _login(client, world, "viewer")

    response = client.post(
        "/staff/requests/",
        {"booking": [booking.pk], f"seen_{booking.pk}": _seen(booking)},
        follow=True,
    )

    said = [str(message) for message in response.context["messages"]]
    assert said == [
        f"{booking.reference} was not approved: You may not approve, deny or cancel bookings "
        "here. Ask an approver or a manager."
    ]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_another_organisations_booking_cannot_be_approved_from_the_queue(client, world):
    theirs = f.SpaceBookingFactory().booking
    _login(client, world, "manager")

    response = client.post(
        "/staff/requests/",
        {"booking": [theirs.pk], f"seen_{theirs.pk}": _seen(theirs)},
        follow=True,
    )

    said = [str(message) for message in response.context["messages"]]
    assert any("not found among your venues" in m for m in said)
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.PENDING


def test_approving_nothing_says_to_select_something(client, world):
    _login(client, world)

    response = client.post("/staff/requests/", {}, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Select at least one request to approve, then press Approve."
    ]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/requests/").status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_1_and_30_requests(client, world):
    world.book(start="2030-03-04 11:00", end="2030-03-04 12:00")
    world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    _login(client, world)
    with_one = _queries(client)
    # The session, the user, the member's right; the count and page of requests, their space
    # lines, the lines they overlap and the blockouts; the organisations and the member's
    # role there, the count of held bookings, the venues and spaces to filter by.
    assert with_one == 13

    for day in range(29):
        world.book(
            start=f"2030-04-{1 + day % 10:02d} 10:00",
            end=f"2030-04-{1 + day % 10:02d} 12:00",
            space=world.room if day % 2 else world.zone,
            places=6,
        )
    f.BlockoutFactory(
        space=world.room, starts_at=at("2030-04-02 09:00"), ends_at=at("2030-04-02 11:00")
    )
    page = client.get("/staff/requests/").content.decode()
    assert "30 requests waiting" in page
    assert "Competes" in page
    assert "Blocked" in page
    assert _queries(client) == with_one
