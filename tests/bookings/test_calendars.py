"""A booking's .ics (bookings.calendars) and its API endpoint: parsed back with icalendar,
in the venue's zone, with a SEQUENCE that grows with every change."""

import pytest
from icalendar import Calendar
from rest_framework.test import APIClient

from bookings import services
from bookings.calendars import booking_ics
from bookings.selectors import calendar_sequences
from bookings.services import SpaceLineIn
from tests import factories as f
from tests.bookings.conftest import at
from tests.bookings.test_api_bookings import client_with

pytestmark = pytest.mark.django_db


def parsed(body: bytes):
    calendar = Calendar.from_ical(body)
    [entry] = calendar.walk("VEVENT")
    return calendar, entry


def api_ics(client: APIClient, booking, **headers):
    return client.get(f"/api/v1/bookings/{booking.pk}/ics/", **headers)


def test_a_madrid_booking_at_two_is_at_two_madrid_time_with_its_time_zone(world):
    booking = world.book(start="2030-07-04 14:00", end="2030-07-04 16:30", approve=True)
    body = booking_ics(booking, sequence=1)
    calendar, entry = parsed(body)
    assert b"DTSTART;TZID=Europe/Madrid:20300704T140000" in body
    assert b"DTEND;TZID=Europe/Madrid:20300704T163000" in body
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    assert entry.decoded("DTSTART") == at("2030-07-04 14:00")
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert int(entry["SEQUENCE"]) == 1
    assert world.room.name in str(entry["LOCATION"])
    assert world.venue.name in str(entry["LOCATION"])


def test_a_winter_booking_keeps_its_local_time_across_the_clock_change(world):
    booking = world.book(start="2030-12-04 14:00", end="2030-12-04 15:00")
    body = booking_ics(booking, sequence=0)
    assert b"DTSTART;TZID=Europe/Madrid:20301204T140000" in body
    _, entry = parsed(body)
    assert entry.decoded("DTSTART").utcoffset().total_seconds() == 3600
    assert str(entry["STATUS"]) == "TENTATIVE"


def test_the_sequence_counts_only_changes_a_calendar_shows(world):
    booking = world.book()
    assert calendar_sequences(booking_ids=[booking.pk]) == {}
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"internal_note": "VIP"}
    )
    services.booking_approve(actor=world.actors["approver"], booking=booking)
    assert calendar_sequences(booking_ids=[booking.pk]) == {booking.pk: 2}


def test_the_api_answers_the_bookings_ics_in_the_venues_zone(world):
    booking = world.book(start="2030-07-04 14:00", end="2030-07-04 16:00")
    response = api_ics(client_with(world.organization, "read"), booking)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{booking.reference}.ics"'
    assert b"DTSTART;TZID=Europe/Madrid:20300704T140000" in response.content
    calendar, entry = parsed(response.content)
    assert calendar.walk("VTIMEZONE")
    assert str(entry["UID"]).startswith(booking.reference)
    assert str(entry["STATUS"]) == "TENTATIVE"


def test_the_api_ics_gets_a_higher_sequence_and_the_same_uid_with_every_change(world):
    api = client_with(world.organization, "read")
    booking = world.book()
    _, pending = parsed(api_ics(api, booking).content)
    services.booking_approve(actor=world.actors["approver"], booking=booking)
    _, approved = parsed(api_ics(api, booking).content)
    line = booking.space_bookings.get()
    services.space_line_save(
        actor=world.actors["manager"],
        booking=booking,
        line_id=line.pk,
        line=SpaceLineIn(
            space=world.room, starts_at=at("2030-03-04 15:00"), ends_at=at("2030-03-04 17:00")
        ),
    )
    _, moved = parsed(api_ics(api, booking).content)
    services.booking_cancel(actor=world.actors["approver"], booking=booking)
    _, canceled = parsed(api_ics(api, booking).content)

    assert len({str(entry["UID"]) for entry in (pending, approved, moved, canceled)}) == 1
    sequences = [int(entry["SEQUENCE"]) for entry in (pending, approved, moved, canceled)]
    assert sequences == sorted(set(sequences))
    assert [str(entry["STATUS"]) for entry in (pending, approved, moved, canceled)] == [
        "TENTATIVE",
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
    ]
    assert moved.decoded("DTSTART") == at("2030-03-04 15:00")


def test_the_api_ics_has_no_manage_link(world):
    created = world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room, starts_at=at("2030-03-04 10:00"), ends_at=at("2030-03-04 12:00")
            )
        ]
    )
    response = api_ics(client_with(world.organization, "read"), created.booking)
    assert created.manage_token not in response.content.decode()
    assert "/manage/" not in response.content.decode()


def test_another_organisations_booking_ics_is_a_404_in_the_apis_error_shape(world):
    booking = world.book()
    stranger = client_with(f.OrganizationFactory(), "read", "write", "approve")
    response = api_ics(stranger, booking)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_the_api_ics_needs_a_key(world):
    response = api_ics(APIClient(), world.book())
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_the_api_ics_answers_to_accept_text_calendar_and_refuses_json_only(world):
    api = client_with(world.organization, "read")
    booking = world.book()
    assert api_ics(api, booking, HTTP_ACCEPT="text/calendar").status_code == 200
    refused = api_ics(api, booking, HTTP_ACCEPT="application/json")
    assert refused.status_code == 406
    assert refused.json()["errors"][0]["code"] == "not_acceptable"


def test_a_staff_session_of_the_organisation_reads_the_ics_too(world, client):
    client.force_login(world.actors["viewer"].user)
    response = client.get(f"/api/v1/bookings/{world.book().pk}/ics/")
    assert response.status_code == 200
    assert Calendar.from_ical(response.content).walk("VEVENT")


def test_the_api_ics_answers_without_the_trailing_slash_too(world):
    api = client_with(world.organization, "read")
    response = api.get(f"/api/v1/bookings/{world.book().pk}/ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
