"""No form of the admin writes a booking's lines or payments around the services (issue 9's
reproductions, each posted by a manager as the page would).

The booking's own form saves its details through booking_update; rows posted beside it for
its line and payment tables are ignored, and the line and payment admins stay read-only.
Lines and payments change through the booking page's forms (test_admin_lines.py).
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking, LogEntry, Payment, SpaceBooking
from bookings.services import payment_record
from tests.backoffice.pages import admin_url, form_data, when, with_new_row
from tests.bookings import conftest as booking_world
from tests.factories import SpaceBookingFactory

world = booking_world.world
at = booking_world.at


@pytest.fixture
def manager(client, world):
    client.force_login(world.actors["manager"].user)
    return client


def stored(booking: Booking) -> tuple:
    """What a write around the services would change: the lines, money, log and times."""
    booking.refresh_from_db()
    lines = list(
        SpaceBooking.objects.filter(booking=booking)
        .order_by("pk")
        .values_list("space_id", "starts_at", "ends_at", "places", "unit_price_gross", "gross")
    )
    return (
        lines,
        booking.total_gross,
        booking.amount_paid,
        booking.balance,
        booking.starts_at,
        booking.ends_at,
        booking.event_id,
        booking.log_entries.count(),
    )


def test_a_line_overlapping_another_approved_booking_cannot_be_added_inline(manager, world):
    world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    booking = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00", approve=True)
    url = admin_url(Booking, "change", booking.pk)
    overlapping = {
        "booking": booking.pk,
        "space": world.room.pk,
        **when("starts_at", at("2030-03-04 10:30")),
        **when("ends_at", at("2030-03-04 11:30")),
        "setup_minutes": "0",
        "setdown_minutes": "0",
        "places": "10",
        "unit_price_gross": "0.00",
    }
    before = stored(booking)

    # On main this saved on SQLite (gross 0.00, no log) and was a 500 on PostgreSQL.
    response = manager.post(
        url, with_new_row(form_data(manager.get(url)), "space_bookings", overlapping)
    )

    assert response.status_code == 302  # the booking's details, unchanged: nothing saved
    assert stored(booking) == before
    assert SpaceBooking.objects.filter(space=world.room).count() == 2


def test_the_places_of_an_approved_line_cannot_be_changed_in_the_admin(manager, world):
    booking = world.book(space=world.zone, places=5, approve=True)
    line = booking.space_bookings.get()
    before = stored(booking)

    inline_url = admin_url(Booking, "change", booking.pk)
    inline = manager.post(
        inline_url, form_data(manager.get(inline_url)) | {"space_bookings-0-places": "50"}
    )
    line_url = admin_url(SpaceBooking, "change", line.pk)
    alone = manager.post(line_url, form_data(manager.get(line_url)) | {"places": "50"})

    assert (inline.status_code, alone.status_code) == (302, 403)
    assert stored(booking) == before
    line.refresh_from_db()
    assert line.places == 5


def test_the_unit_price_of_a_line_cannot_be_changed_in_the_admin(manager, world):
    booking = world.book(approve=True)  # the room, 2 hours at 100.00
    line = booking.space_bookings.get()
    before = stored(booking)
    assert booking.total_gross == Decimal("200.00")

    inline_url = admin_url(Booking, "change", booking.pk)
    inline = manager.post(
        inline_url,
        form_data(manager.get(inline_url)) | {"space_bookings-0-unit_price_gross": "999.00"},
    )
    line_url = admin_url(SpaceBooking, "change", line.pk)
    alone = manager.post(line_url, form_data(manager.get(line_url)) | {"unit_price_gross": "9"})

    assert (inline.status_code, alone.status_code) == (302, 403)
    assert stored(booking) == before


def test_a_payment_cannot_be_added_in_the_admin(manager, world):
    booking = world.book(approve=True)
    before = stored(booking)
    payment = {"booking": booking.pk, "amount": "50.00", **when("paid_at", at("2030-03-01 09:00"))}

    inline_url = admin_url(Booking, "change", booking.pk)
    inline = manager.post(
        inline_url, with_new_row(form_data(manager.get(inline_url)), "payments", payment)
    )
    alone = manager.post(admin_url(Payment, "add"), payment)

    assert (inline.status_code, alone.status_code) == (302, 403)
    assert not Payment.objects.exists()
    assert stored(booking) == before
    assert not booking.log_entries.filter(action=LogEntry.Action.PAYMENT_RECORDED).exists()


def test_a_bookings_status_and_totals_cannot_be_posted_and_it_cannot_be_added(manager, world):
    booking = world.book()
    url = admin_url(Booking, "change", booking.pk)
    before = stored(booking)

    response = manager.post(
        url,
        form_data(manager.get(url))
        | {"status": "approved", "total_gross": "1.00", "amount_paid": "999.00"},
    )

    assert response.status_code == 302
    assert stored(booking) == before
    assert booking.status == "pending"
    assert manager.get(admin_url(Booking, "add")).status_code == 403
    assert manager.get(admin_url(Booking, "delete", booking.pk)).status_code == 403


@pytest.mark.parametrize("view", ["add", "delete"])
@pytest.mark.parametrize("model", [SpaceBooking, Payment], ids=lambda model: model.__name__)
def test_lines_and_payments_cannot_be_added_or_deleted_in_the_admin(manager, world, model, view):
    booking = world.book(approve=True)
    payment_record(actor=world.actors["manager"], booking=booking, amount=Decimal("20"))
    obj = model.objects.get(booking=booking)
    args = () if view == "add" else (obj.pk,)

    assert manager.get(admin_url(model, view, *args)).status_code == 403
    assert manager.post(admin_url(model, view, *args), {"post": "yes"}).status_code == 403
    assert model.objects.filter(booking=booking).count() == 1


def test_the_booking_page_shows_lines_payments_and_log_without_inputs_for_them(manager, world):
    booking = world.book(approve=True)
    payment_record(
        actor=world.actors["manager"], booking=booking, amount=Decimal("50"), reference="T-1"
    )

    page = manager.get(admin_url(Booking, "change", booking.pk))

    assert page.status_code == 200
    content = page.content.decode()
    for shown in (booking.reference, world.room.name, "165.29", "200.00", "T-1", "Approved"):
        assert shown in content
    rows = {
        inline.formset.prefix: len(inline.formset.forms)
        for inline in page.context["inline_admin_formsets"]
    }
    assert (rows["space_bookings"], rows["payments"], rows["log_entries"]) == (1, 1, 3)
    for editable in ("space_bookings-0-places", "payments-0-amount", "status", "total_gross"):
        assert f'name="{editable}"' not in content


def test_the_booking_page_queries_do_not_grow_with_lines_payments_and_log(manager, world):
    booking = world.book(approve=True)
    url = admin_url(Booking, "change", booking.pk)
    manager.get(url)  # warm caches (session, content types) outside the count

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get(url).status_code == 200
        return len(captured)

    few = queries()
    for hour in (13, 15, 17):
        SpaceBookingFactory(
            booking=booking, space=world.zone, starts_at=at(f"2030-03-04 {hour}:00")
        )
        payment_record(actor=world.actors["manager"], booking=booking, amount=Decimal("5"))
    assert queries() == few


def test_the_booking_page_is_rendered_in_the_venues_zone(manager, world):
    # 14:00 in Madrid in March is 13:00 UTC; the page is a TemplateResponse, rendered late.
    booking = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00")

    html = manager.get(admin_url(Booking, "change", booking.pk)).content.decode()

    assert "Mon 4 Mar 2030, 14:00 CET" in html
    assert "4 Mar 2030, 13:00" not in html
    line = f"{world.room.name} 2030-03-04 14:00–16:00 CET"  # the links' words for a reader
    assert f'Remove<span class="visually-hidden"> {line}' in html
