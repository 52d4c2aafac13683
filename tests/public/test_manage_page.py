"""The customer's manage page, reached by the private link of the e-mails."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from bookings import services
from bookings.services import SpaceLineIn
from core.actors import Actor
from tests.bookings import conftest as booking_world

pytestmark = pytest.mark.django_db

world = booking_world.world
at = booking_world.at
MANAGE_PATH = re.compile(r"https?://[^/\s]+(/manage/[A-Za-z0-9_-]+/)")


def request_the_room(world, start="2030-03-04 10:00", end="2030-03-04 12:00"):
    return world.book_as_customer(
        space_lines=[SpaceLineIn(space=world.room, starts_at=at(start), ends_at=at(end), places=8)]
    )


def page_of(client, created):
    return client.get(f"/manage/{created.manage_token}/")


def test_the_link_in_the_customers_email_opens_their_booking(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # mail goes out after commit
        created = request_the_room(world)
    [mail] = [m for m in mailoutbox if "guest@example.com" in m.to]
    [path] = set(MANAGE_PATH.findall(mail.body))

    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert created.booking.reference in page
    assert "Request received — not confirmed yet" in page
    assert "not held for you" in page


def test_times_are_shown_in_the_venues_zone_and_the_zone_is_named(client, world):
    created = request_the_room(world)  # 10:00–12:00 in Madrid, 09:00–11:00 UTC
    page = page_of(client, created).content.decode()
    assert "Mon 4 Mar 2030, 10:00–12:00" in page
    assert "Europe/Madrid" in page
    assert "09:00" not in page


def test_the_status_is_said_in_words_after_staff_decide(client, world):
    created = request_the_room(world)
    services.booking_approve(actor=world.actors["approver"], booking=created.booking)
    page = page_of(client, created).content.decode()
    assert "<h1>Booking confirmed</h1>" in page
    assert "Confirmed by the venue" in page


def test_the_customer_reads_the_message_to_them_and_never_the_internal_comment(client, world):
    created = request_the_room(world)
    services.booking_deny(
        actor=world.actors["approver"],
        booking=created.booking,
        notice=services.Notice(comment="Known time-waster", message="We are full that day."),
    )
    page = page_of(client, created).content.decode()
    assert "Request declined" in page
    assert "We are full that day." in page
    assert "Known time-waster" not in page
    assert "Still to pay" not in page  # a declined request owes nothing


def test_totals_and_payments_are_shown(client, world):
    created = request_the_room(world)
    services.payment_record(actor=world.actors["manager"], booking=created.booking, amount="50.00")
    booking = created.booking
    booking.refresh_from_db()
    page = page_of(client, created).content.decode()
    assert booking.total_gross > 50
    for amount in (booking.total_gross, booking.total_vat, booking.amount_paid, booking.balance):
        assert str(amount) in page
    assert f"Total ({world.organization.currency})" in page


def test_an_unknown_or_altered_link_is_a_plain_not_found_page(client, world):
    created = request_the_room(world)
    for token in ("nothing-here", created.manage_token[:-1] + "x"):
        response = client.get(f"/manage/{token}/")
        assert response.status_code == 404
        page = response.content.decode()
        assert "Booking link not found" in page
        assert created.booking.reference not in page


def test_the_page_is_never_indexed_cached_or_given_away_as_a_referrer(client, world):
    for response in (page_of(client, request_the_room(world)), client.get("/manage/unknown/")):
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"]
        assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_the_page_takes_the_same_queries_however_long_the_history(client, world):
    def queries_for(created) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert page_of(client, created).status_code == 200
        return len(queries)

    short = request_the_room(world)
    long = request_the_room(world, "2030-03-05 10:00", "2030-03-05 12:00")
    for hour in ("13:00", "14:00", "15:00"):
        services.change_request_submit(
            actor=Actor.customer(long.manage_token),
            booking=long.booking,
            changes={
                "space_lines": [
                    {"id": long.booking.space_bookings.get().pk, "ends_at": f"2030-03-05 {hour}"}
                ]
            },
        )
    services.payment_record(actor=world.actors["manager"], booking=long.booking, amount="10")
    services.payment_record(actor=world.actors["manager"], booking=long.booking, amount="10")
    assert long.booking.log_entries.count() > short.booking.log_entries.count() + 3
    assert queries_for(long) == queries_for(short)


# -- the calendar entry ---------------------------------------------------------------------


def calendar_entry(client, created):
    response = client.get(f"/manage/{created.manage_token}/booking.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Referrer-Policy"] == "same-origin"
    [entry] = Calendar.from_ical(response.content).walk("VEVENT")
    return entry


def test_the_calendar_entry_is_tentative_then_confirmed_with_the_same_uid_and_a_higher_sequence(
    client, world
):
    created = request_the_room(world)
    pending = calendar_entry(client, created)
    assert str(pending["STATUS"]) == "TENTATIVE"
    assert pending.decoded("DTSTART") == at("2030-03-04 10:00")
    assert pending.decoded("DTEND") == at("2030-03-04 12:00")
    assert created.manage_token not in pending.to_ical().decode()

    services.booking_approve(actor=world.actors["approver"], booking=created.booking)
    approved = calendar_entry(client, created)
    assert str(approved["STATUS"]) == "CONFIRMED"
    assert str(approved["UID"]) == str(pending["UID"])
    assert int(approved["SEQUENCE"]) > int(pending["SEQUENCE"])

    services.booking_cancel(actor=world.actors["approver"], booking=created.booking)
    canceled = calendar_entry(client, created)
    assert str(canceled["STATUS"]) == "CANCELLED"
    assert int(canceled["SEQUENCE"]) > int(approved["SEQUENCE"])


def test_the_calendar_entry_is_at_the_venues_local_time_with_its_time_zone(client, world):
    created = request_the_room(world, start="2030-07-04 14:00", end="2030-07-04 16:00")
    response = client.get(f"/manage/{created.manage_token}/booking.ics")
    assert b"DTSTART;TZID=Europe/Madrid:20300704T140000" in response.content
    assert b"DTEND;TZID=Europe/Madrid:20300704T160000" in response.content
    timezones = Calendar.from_ical(response.content).walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in timezones] == ["Europe/Madrid"]


def test_the_manage_page_links_to_the_calendar_entry(client, world):
    page = page_of(client, request_the_room(world)).content.decode()
    assert 'href="booking.ics"' in page


def test_no_calendar_entry_without_the_right_link(client, world):
    request_the_room(world)
    response = client.get("/manage/unknown/booking.ics")
    assert response.status_code == 404
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "Booking link not found" in response.content.decode()
