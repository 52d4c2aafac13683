"""The booking page's forms change lines, payments and details through the services: each
change writes what the service writes (log, prices, times, Event), and each refusal
(conflict, stale page, closed booking, no right) is shown with nothing changed."""

from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Booking, LogEntry, Notification, Payment, SpaceBooking
from bookings.services import booking_cancel, payment_record
from tests import factories as f
from tests.backoffice.pages import admin_url, field_data, form_data, messages_of
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at
MADRID = booking_world.MADRID


@pytest.fixture
def manager(client, world):
    client.force_login(world.actors["manager"].user)
    return client


def lines_url(booking, kind, line=None, view=None) -> str:
    parts = [admin_url(Booking, "change", booking.pk).removesuffix("change/"), "lines/", kind]
    parts.append(f"/{line.pk}/" if line else "/add/")
    return "".join(parts) + (f"{view}/" if view else "")


def payment_url(booking) -> str:
    return admin_url(Booking, "change", booking.pk).removesuffix("change/") + "payments/add/"


def local(name: str, text: str) -> dict:
    """A Madrid wall-clock time as the split date and time inputs post it."""
    day, time = text.split()
    return {f"{name}_0": day, f"{name}_1": time}


def page_data(page) -> dict:
    """What the form page posts back as shown (its times read in the venue's zone)."""
    form = page.context["form"]
    with timezone.override(MADRID):
        return {key: value for name in form.fields for key, value in field_data(form[name]).items()}


def post_form(client, url, **changes):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, page_data(page) | changes)


def snapshot(booking: Booking) -> tuple:
    """Everything a refused line or payment form must leave as it was."""
    booking.refresh_from_db()
    lines = sorted(
        (line.__class__.__name__, line.pk, str(line), line.gross)
        for line in [
            *booking.space_bookings.all(),
            *booking.event_bookings.all(),
            *booking.inventory_bookings.all(),
        ]
    )
    event = booking.event
    return (
        lines,
        booking.total_gross,
        booking.amount_paid,
        booking.balance,
        booking.starts_at,
        booking.ends_at,
        booking.updated_at,
        (event.starts_at, event.ends_at) if event else None,
        booking.log_entries.count(),
        Notification.objects.filter(booking=booking).count(),
        Payment.objects.filter(booking=booking).count(),
    )


def last_log(booking) -> LogEntry:
    return booking.log_entries.order_by("-created_at", "-pk").first()


def form_errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


# -- space lines -----------------------------------------------------------------------------


def test_adding_a_space_line_reprices_moves_times_and_event_and_logs(manager, world):
    booking = world.book(approve=True)  # the room 10:00-12:00, 200.00
    outbox = Notification.objects.filter(booking=booking).count()

    response = post_form(
        manager,
        lines_url(booking, "space"),
        space=world.room.pk,
        places="10",
        **local("starts_at", "2030-03-04 14:00"),
        **local("ends_at", "2030-03-04 16:00"),
    )

    assert response.status_code == 302
    assert response.url == admin_url(Booking, "change", booking.pk)
    booking.refresh_from_db()
    assert booking.space_bookings.count() == 2
    assert booking.total_gross == Decimal("400.00")
    assert booking.balance == Decimal("400.00")
    assert booking.ends_at == at("2030-03-04 16:00")
    assert booking.event.ends_at == at("2030-03-04 16:00")
    entry = last_log(booking)
    assert entry.action == LogEntry.Action.LINE_ADDED
    assert entry.data["kind"] == "space"
    assert entry.user == world.actors["manager"].user
    assert Notification.objects.filter(booking=booking).count() == outbox  # the service sends none
    assert "Space line added" in " ".join(messages_of(manager.get(response.url)))


def test_changing_a_space_line_reads_times_in_the_venues_zone_and_moves_the_event(manager, world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    url = lines_url(booking, "space", line)
    page = manager.get(url)
    assert "Europe/Madrid" in page.content.decode()
    assert str(page_data(page)["starts_at_1"]).startswith("10:00")  # shown in Madrid time

    response = manager.post(
        url,
        page_data(page)
        | local("starts_at", "2030-03-04 09:00")
        | local("ends_at", "2030-03-04 13:00"),
    )

    assert response.status_code == 302
    line.refresh_from_db()
    booking.refresh_from_db()
    assert (line.starts_at, line.ends_at) == (at("2030-03-04 09:00"), at("2030-03-04 13:00"))
    assert (booking.starts_at, booking.ends_at) == (line.starts_at, line.ends_at)
    assert (booking.event.starts_at, booking.event.ends_at) == (line.starts_at, line.ends_at)
    assert booking.total_gross == Decimal("400.00")
    entry = last_log(booking)
    assert entry.action == LogEntry.Action.LINE_UPDATED
    assert set(entry.data["changes"]) >= {"starts_at", "ends_at"}


def test_the_services_warnings_are_shown_as_warnings(manager, world):
    booking = world.book()
    competitor = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00")

    response = post_form(
        manager,
        lines_url(booking, "space"),
        space=world.room.pk,
        **local("starts_at", "2030-03-04 14:00"),
        **local("ends_at", "2030-03-04 16:00"),
    )

    assert response.status_code == 302
    page = manager.get(response.url)
    warnings = [str(m) for m in page.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert competitor.reference in warnings[0]


def test_staff_set_a_manual_price_and_a_discount_on_a_line(manager, world):
    booking = world.book()
    line = booking.space_bookings.get()
    vat = world.room.vat_rate

    response = post_form(
        manager,
        lines_url(booking, "space", line),
        use_manual_price="on",
        manual_price_gross="150.00",
        manual_price_vat_rate=vat.pk,
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.total_gross == Decimal("150.00")


def test_a_conflicting_space_line_names_the_other_booking_and_changes_nothing(manager, world):
    other = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00", approve=True)
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    before = snapshot(booking)

    response = post_form(
        manager,
        lines_url(booking, "space", line),
        **local("starts_at", "2030-03-04 13:00"),
        **local("ends_at", "2030-03-04 15:00"),
    )

    assert response.status_code == 200
    assert other.reference in form_errors(response)
    assert 'id="error-summary"' in response.content.decode()
    assert snapshot(booking) == before


def test_a_stale_line_form_is_refused_naming_who_changed_the_booking(manager, world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    url = lines_url(booking, "space", line)
    page = manager.get(url)
    payment_record(actor=world.actors["approver"], booking=booking, amount=Decimal("10"))
    before = snapshot(booking)

    response = manager.post(url, page_data(page) | {"places": "12"})

    assert response.status_code == 200
    errors = form_errors(response)
    assert "changed after you opened this page" in errors
    assert "approver" in errors
    assert "Europe/Madrid" in errors
    assert snapshot(booking) == before


def test_a_line_of_a_canceled_booking_is_not_offered_and_is_refused(manager, world):
    booking = world.book(approve=True)
    booking_cancel(actor=world.actors["manager"], booking=booking)
    line = booking.space_bookings.get()
    page = manager.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert lines_url(booking, "space", line) not in page
    assert "Add a space" not in page
    before = snapshot(booking)

    response = post_form(manager, lines_url(booking, "space", line), places="12")

    assert response.status_code == 200
    assert "canceled booking can no longer be changed" in form_errors(response)
    assert snapshot(booking) == before


def test_another_organisations_space_is_not_a_choice(manager, world):
    booking = world.book()
    line = booking.space_bookings.get()
    foreign = f.SpaceFactory()
    before = snapshot(booking)

    response = post_form(manager, lines_url(booking, "space", line), space=foreign.pk)

    assert response.status_code == 200
    assert "space" in response.context["form"].errors
    assert snapshot(booking) == before


def test_removing_a_line_asks_first_then_reprices_and_logs(manager, world):
    booking = world.book(approve=True)
    post_form(
        manager,
        lines_url(booking, "space"),
        space=world.room.pk,
        **local("starts_at", "2030-03-04 14:00"),
        **local("ends_at", "2030-03-04 16:00"),
    )
    late = booking.space_bookings.get(starts_at=at("2030-03-04 14:00"))
    url = lines_url(booking, "space", late, "remove")
    before = snapshot(booking)

    confirm = manager.get(url)
    assert confirm.status_code == 200
    assert "Yes, remove it" in confirm.content.decode()
    assert snapshot(booking) == before

    response = manager.post(url, page_data(confirm))

    assert response.status_code == 302
    booking.refresh_from_db()
    assert not SpaceBooking.objects.filter(pk=late.pk).exists()
    assert booking.total_gross == Decimal("200.00")
    assert booking.ends_at == booking.event.ends_at == at("2030-03-04 12:00")
    entry = last_log(booking)
    assert (entry.action, entry.data) == (
        LogEntry.Action.LINE_REMOVED,
        {"kind": "space", "line": late.pk},
    )


def test_the_last_line_cannot_be_removed(manager, world):
    booking = world.book()
    line = booking.space_bookings.get()
    url = lines_url(booking, "space", line, "remove")
    before = snapshot(booking)

    response = manager.post(url, page_data(manager.get(url)))

    assert response.status_code == 200
    assert "at least one line" in form_errors(response)
    assert snapshot(booking) == before


# -- event and product lines ------------------------------------------------------------------


def test_tickets_are_added_changed_and_removed_through_the_services(manager, world):
    booking = world.book()  # 200.00

    added = post_form(
        manager,
        lines_url(booking, "event"),
        event=world.event.pk,
        price=world.ticket.pk,
        quantity="2",
    )
    assert added.status_code == 302
    booking.refresh_from_db()
    assert booking.total_gross == Decimal("260.00")
    line = booking.event_bookings.get()
    assert last_log(booking).action == LogEntry.Action.LINE_ADDED

    changed = post_form(manager, lines_url(booking, "event", line), quantity="3")
    assert changed.status_code == 302
    booking.refresh_from_db()
    assert booking.total_gross == Decimal("290.00")
    assert last_log(booking).action == LogEntry.Action.LINE_UPDATED

    url = lines_url(booking, "event", line, "remove")
    removed = manager.post(url, page_data(manager.get(url)))
    assert removed.status_code == 302
    booking.refresh_from_db()
    assert booking.total_gross == Decimal("200.00")
    assert last_log(booking).action == LogEntry.Action.LINE_REMOVED


def test_more_tickets_than_the_event_has_are_refused(manager, world):
    booking = world.book(approve=True)
    before = snapshot(booking)

    response = post_form(
        manager,
        lines_url(booking, "event"),
        event=world.event.pk,
        price=world.ticket.pk,
        quantity="6",
    )

    assert response.status_code == 200
    assert form_errors(response)
    assert snapshot(booking) == before


def test_a_product_is_added_and_changed_through_the_services(manager, world):
    booking = world.book()  # 200.00; the product costs 25.00 a unit

    added = post_form(
        manager,
        lines_url(booking, "product"),
        product=world.product.pk,
        units="2",
        **local("starts_at", "2030-03-04 10:00"),
        **local("ends_at", "2030-03-04 12:00"),
    )
    assert added.status_code == 302
    booking.refresh_from_db()
    line = booking.inventory_bookings.get()
    assert line.starts_at == at("2030-03-04 10:00")
    assert booking.total_gross == Decimal("250.00")

    changed = post_form(manager, lines_url(booking, "product", line), units="3")
    assert changed.status_code == 302
    booking.refresh_from_db()
    assert booking.total_gross == Decimal("275.00")
    assert last_log(booking).action == LogEntry.Action.LINE_UPDATED


def test_more_units_than_in_stock_are_refused(manager, world):
    booking = world.book(approve=True)
    before = snapshot(booking)

    response = post_form(
        manager,
        lines_url(booking, "product"),
        product=world.product.pk,
        units="4",
        **local("starts_at", "2030-03-04 10:00"),
        **local("ends_at", "2030-03-04 12:00"),
    )

    assert response.status_code == 200
    assert world.product.name in form_errors(response)
    assert snapshot(booking) == before


# -- payments ---------------------------------------------------------------------------------


def test_a_payment_moves_amount_paid_and_balance_and_is_logged(manager, world):
    booking = world.book(approve=True)  # 200.00
    card = f.PaymentTypeFactory(organization=world.organization, name="Card")

    response = post_form(
        manager,
        payment_url(booking),
        amount="50.00",
        payment_type=card.pk,
        reference="T-1",
        **local("paid_at", "2030-03-01 09:30"),
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.amount_paid, booking.balance) == (Decimal("50.00"), Decimal("150.00"))
    payment = booking.payments.get()
    assert (payment.payment_type, payment.reference) == (card, "T-1")
    assert payment.paid_at == at("2030-03-01 09:30")
    assert payment.recorded_by == world.actors["manager"].user
    assert last_log(booking).action == LogEntry.Action.PAYMENT_RECORDED


def test_a_payment_form_sent_twice_records_one_payment(manager, world):
    booking = world.book(approve=True)
    url = payment_url(booking)
    data = page_data(manager.get(url)) | {"amount": "50.00"}

    assert manager.post(url, data).status_code == 302
    again = manager.post(url, data)

    assert again.status_code == 200
    assert "changed after you opened this page" in form_errors(again)
    booking.refresh_from_db()
    assert booking.amount_paid == Decimal("50.00")
    assert booking.payments.count() == 1


def test_a_refund_larger_than_what_was_paid_is_refused_on_the_amount(manager, world):
    booking = world.book(approve=True)
    before = snapshot(booking)

    response = post_form(manager, payment_url(booking), amount="-10.00")

    assert response.status_code == 200
    assert "refund cannot exceed" in " ".join(response.context["form"].errors["amount"])
    assert snapshot(booking) == before


# -- details ------------------------------------------------------------------------------------


def test_booking_details_are_saved_through_the_service_and_logged(manager, world):
    booking = world.book()
    url = admin_url(Booking, "change", booking.pk)

    response = manager.post(
        url,
        form_data(manager.get(url))
        | {"title": "Annual dinner", "contact_phone": "+34 600 2", "internal_note": "VIP"},
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.title, booking.contact_phone, booking.internal_note) == (
        "Annual dinner",
        "+34 600 2",
        "VIP",
    )
    entry = last_log(booking)
    assert entry.action == LogEntry.Action.DETAILS_UPDATED
    assert entry.data["fields"] == ["contact_phone", "internal_note", "title"]


def test_stale_booking_details_are_refused_with_nothing_changed(manager, world):
    booking = world.book()
    url = admin_url(Booking, "change", booking.pk)
    data = form_data(manager.get(url)) | {"title": "Annual dinner"}
    payment_record(actor=world.actors["approver"], booking=booking, amount=Decimal("10"))
    before = snapshot(booking)

    response = manager.post(url, data)

    assert response.status_code == 200
    assert "changed after you opened this page" in str(response.context["adminform"].form.errors)
    assert snapshot(booking) == before
    assert booking.title == "Team meeting"


# -- who may ------------------------------------------------------------------------------------


def test_writers_see_links_to_the_forms_and_viewers_do_not(client, world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    shown = ("Add a space", "Add tickets", "Add a product", "Record a payment")

    client.force_login(world.actors["front_desk"].user)
    page = client.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert all(text in page for text in shown)
    assert lines_url(booking, "space", line) in page
    assert lines_url(booking, "space", line, "remove") in page

    client.force_login(world.actors["viewer"].user)
    page = client.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert not any(text in page for text in shown)
    assert lines_url(booking, "space", line) not in page
    assert 'name="title"' not in page


def test_a_viewer_gets_403_on_every_form_and_changes_nothing(client, world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    client.force_login(world.actors["viewer"].user)
    before = snapshot(booking)
    urls = [
        lines_url(booking, "space"),
        lines_url(booking, "space", line),
        lines_url(booking, "space", line, "remove"),
        lines_url(booking, "event"),
        lines_url(booking, "product"),
        payment_url(booking),
    ]

    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, {"places": "12", "amount": "5"}).status_code == 403
    details = client.post(admin_url(Booking, "change", booking.pk), {"title": "Mine now"})
    assert details.status_code == 403
    assert snapshot(booking) == before


def test_another_organisations_booking_is_404(client, world):
    booking = world.book()
    line = booking.space_bookings.get()
    client.force_login(world.actors["stranger"].user)

    assert client.get(lines_url(booking, "space", line)).status_code == 404
    assert client.post(payment_url(booking), {"amount": "5"}).status_code == 404


def test_the_customer_is_changed_to_one_of_the_organisation_only(manager, world):
    booking = world.book()
    url = admin_url(Booking, "change", booking.pk)
    regular = f.CustomerFactory(organization=world.organization)
    foreign = f.CustomerFactory()

    refused = manager.post(url, form_data(manager.get(url)) | {"customer": foreign.pk})
    booking.refresh_from_db()
    assert refused.status_code == 200
    assert booking.customer == world.customer

    changed = manager.post(url, form_data(manager.get(url)) | {"customer": regular.pk})
    booking.refresh_from_db()
    assert changed.status_code == 302
    assert booking.customer == regular
    assert last_log(booking).data["fields"] == ["customer_id"]


def test_the_error_summary_links_a_time_to_its_date_input(manager, world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()

    response = post_form(
        manager, lines_url(booking, "space", line), starts_at_0="", starts_at_1="", ends_at_0=""
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_starts_at_0"' in html
    assert 'id="id_starts_at_0"' in html
    assert 'href="#"' not in html.split('id="error-summary"')[1].split("</div>")[0]
