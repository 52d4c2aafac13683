"""The public booking form: free slots, the customer's details, errors, and booking."""

import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking, BookingStatus, LogEntry
from bookings.selectors import form_slot_list, next_free_day
from core import ratelimit
from tests import factories as f
from tests.bookings import conftest as booking_world

pytestmark = pytest.mark.django_db

world = booking_world.world
at = booking_world.at
DAY = "2030-03-04"  # a Monday


def form_path(world, form=None) -> str:
    form = form or world.form
    return f"/book/{world.organization.slug}/{form.slug}/"


def slot(text: str) -> str:
    """A slot's value as the page sends it: its start in the venue's zone."""
    return at(text).isoformat()


def booking_data(world, **changes) -> dict:
    data = {
        "action": "book",
        "space": world.room.pk,
        "day": DAY,
        "minutes": "120",
        "places": "8",
        "slot": slot(f"{DAY} 10:00"),
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "+34 600 000 000",
        "company": "",
        "title": "Compiler club",
        "request_note": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def slot_values(html: str) -> list[str]:
    return re.findall(r'name="slot" id="id_slot_\d+" value="([^"]+)"', html)


def question(world, **fields):
    return f.CustomFieldFactory(form=world.form, **fields)


# -- the page and its slots -------------------------------------------------------------------


def test_the_form_lists_its_spaces_and_the_free_slots_in_the_venues_zone(client, world):
    response = client.get(form_path(world))

    assert response.status_code == 200
    page = response.content.decode()
    assert world.form.title in page
    assert world.room.name in page
    assert world.zone.name in page
    assert "Europe/Madrid" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert 'id="id_slot_0"' in page  # the first space and the first bookable day


def test_showing_the_slots_of_a_day_keeps_what_was_typed_and_reports_no_error(client, world):
    world.book(start=f"{DAY} 10:00", end=f"{DAY} 12:00", approve=True)
    data = booking_data(world, action="slots", slot=None, last_name="", email="")
    data["first_name"] = "Grace"

    response = client.post(form_path(world), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" not in page
    assert 'value="Grace"' in page
    values = slot_values(page)
    assert slot(f"{DAY} 08:00") in values
    assert slot(f"{DAY} 09:00") not in values  # 2 hours from 09:00 would overlap 10:00–12:00
    assert slot(f"{DAY} 11:00") not in values
    assert slot(f"{DAY} 12:00") in values
    assert "Free times on Monday 4 March 2030" in page


def test_each_slot_is_named_with_its_day_time_and_space(client, world):
    page = client.get(
        form_path(world) + "slots/",
        {"space": world.room.pk, "day": DAY, "minutes": 120, "places": 2},
    ).content.decode()
    # Read out whole ("Mon 4 March, 10:00–12:00, Room 1"); seen as the time alone.
    assert (
        f'<span class="visually-hidden">Mon 4 March, 10:00–12:00, {world.room.name}</span>'
        '<span aria-hidden="true">10:00–12:00</span>'
    ) in page


def test_the_slot_list_alone_follows_the_same_rules(client, world):
    f.BlockoutFactory(space=world.room, starts_at=at(f"{DAY} 00:00"), ends_at=at(f"{DAY} 09:00"))

    response = client.get(
        form_path(world) + "slots/",
        {"space": world.room.pk, "day": DAY, "minutes": 60, "places": 2},
    )

    assert response.status_code == 200
    values = slot_values(response.content.decode())
    assert values[0] == slot(f"{DAY} 09:00")
    assert "<form" not in response.content.decode()


def test_a_day_without_free_slots_says_so(client, world):
    f.BlockoutFactory(
        space=world.room, starts_at=at(f"{DAY} 00:00"), ends_at=at("2030-03-05 06:00")
    )
    page = client.get(
        form_path(world) + "slots/", {"space": world.room.pk, "day": DAY, "minutes": 60}
    ).content.decode()
    assert slot_values(page) == []
    assert "No free times on this day" in page


@pytest.mark.parametrize(
    "path",
    ["/book/nobody/form/", "/book/{org}/nothing/", "/book/{org}/nothing/slots/"],
)
def test_an_unknown_form_is_a_plain_not_found_page(client, world, path):
    response = client.get(path.format(org=world.organization.slug))
    assert response.status_code == 404
    assert "This booking form is not available" in response.content.decode()


def test_an_inactive_form_takes_no_bookings(client, world):
    world.form.is_active = False
    world.form.save()
    assert client.get(form_path(world)).status_code == 404
    assert client.post(form_path(world), booking_data(world)).status_code == 404
    assert not Booking.objects.exists()


def test_the_page_costs_the_same_queries_however_much_the_form_offers(client, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(form_path(world)).status_code == 200
        return len(captured)

    small = queries()
    for number in range(4):
        space = f.SpaceFactory(venue=world.venue, capacity=20)
        f.SpaceLayoutFactory(space=space, name="Theatre", capacity=20)
        world.form.spaces.add(space)
        world.form.products.add(f.InventoryProductFactory(organization=world.organization))
        question(world, field_type="choice", choices=["A", "B"], key=f"choice_{number}")
        question(world, field_type="text", key=f"text_{number}")
    world.form.slot_minutes = 15  # twice the slots
    world.form.save()
    assert queries() == small


# -- booking ----------------------------------------------------------------------------------


def test_a_customer_books_and_lands_on_the_manage_page_that_confirms_the_request(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_path(world), booking_data(world))

    assert response.status_code == 302
    assert response["Location"].startswith("/manage/")
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.PENDING
    assert booking.source == "public_form"
    assert booking.title == "Compiler club"
    assert booking.customer.email == "grace@example.com"
    line = booking.space_bookings.get()
    assert (line.space, line.starts_at, line.ends_at, line.places) == (
        world.room,
        at(f"{DAY} 10:00"),
        at(f"{DAY} 12:00"),
        8,
    )
    assert booking.log_entries.filter(action=LogEntry.Action.CREATED).exists()
    [mail] = [m for m in mailoutbox if "grace@example.com" in m.to]
    assert response["Location"] in mail.body

    page = client.get(response["Location"]).content.decode()
    assert "Request received — not confirmed yet" in page
    assert "We have sent the link to this page to grace@example.com" in page
    assert "Mon 4 Mar 2030, 10:00–12:00" in page
    assert "200.00" in page  # 2 hours at 100.00
    # The greeting is for the first visit only.
    assert "We have sent the link" not in client.get(response["Location"]).content.decode()


def test_a_form_that_confirms_at_once_says_booking_confirmed(client, world):
    world.form.requires_approval = False
    world.form.confirmation_text = "See you soon!"
    world.form.save()

    response = client.post(form_path(world), booking_data(world), follow=True)

    assert Booking.objects.get().status == BookingStatus.APPROVED
    page = response.content.decode()
    assert "<h1>Booking confirmed</h1>" in page
    assert "See you soon!" in page
    assert "Confirmed at once" in page  # by the form, not by a person
    assert "Confirmed by the venue" not in page


def test_extras_are_booked_for_the_same_time(client, world):
    data = booking_data(world, **{f"extra_{world.product.pk}": "2"})
    assert client.post(form_path(world), data).status_code == 302
    line = Booking.objects.get().inventory_bookings.get()
    assert (line.product, line.units, line.starts_at, line.ends_at) == (
        world.product,
        2,
        at(f"{DAY} 10:00"),
        at(f"{DAY} 12:00"),
    )


def test_answers_are_stored_by_type(client, world):
    question(world, key="theme", field_type="text")
    question(world, key="guests", field_type="number")
    question(world, key="meals", field_type="multi_choice", choices=["Lunch", "Dinner"])
    question(world, key="terms", field_type="checkbox", required=True)
    data = booking_data(
        world,
        answer_theme="Jazz",
        answer_guests="12",
        answer_meals=["Dinner", "Lunch"],
        answer_terms="on",
    )
    assert client.post(form_path(world), data).status_code == 302
    assert Booking.objects.get().answers == {
        "theme": "Jazz",
        "guests": 12,
        "meals": ["Lunch", "Dinner"],
        "terms": True,
    }


def test_what_a_customer_may_not_choose_is_not_taken_from_the_post(client, world):
    data = booking_data(
        world,
        manual_price_gross="1.00",
        use_manual_price="on",
        internal_note="VIP",
        setup_minutes="0",
    )
    assert client.post(form_path(world), data).status_code == 302
    booking = Booking.objects.get()
    assert booking.total_gross == 200  # priced by the service
    assert booking.internal_note == ""


# -- errors -----------------------------------------------------------------------------------


def test_every_problem_is_summarised_at_once_and_named_on_its_field(client, world):
    question(world, key="po", label="PO number", regex=r"PO-\d+", regex_message="Write PO-123.")
    question(world, key="size", label="Size", field_type="number", required=True)
    question(
        world,
        key="terms",
        label="Terms",
        field_type="checkbox",
        required=True,
        required_message="Please accept the terms.",
    )
    data = booking_data(world, slot=None, last_name="", email="not-an-address", answer_po="123")

    response = client.post(form_path(world), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r"<title>Error: ", page)
    summary = page[
        page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))
    ]
    expected = [
        ("#id_slot_0", "Choose a time."),
        ("#id_answer_po", "Write PO-123."),  # its own message says enough
        ("#id_answer_size", "Size: This field is required."),  # a generic one is named
        ("#id_answer_terms", "Please accept the terms."),
        ("#id_last_name", "Enter your last name."),
        ("#id_email", "Enter an e-mail address like name@example.com."),
    ]
    # In the order of the page: the time, the event's questions, then the details.
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary) == expected
    assert re.search(
        r'<input type="text" name="answer_po" value="123"[^>]*aria-invalid="true"'
        r'[^>]*aria-describedby="id_answer_po_error"',
        page,
    )
    assert 'id="id_answer_po_error"' in page
    assert 'value="Grace"' in page
    assert 'value="not-an-address"' in page
    assert not Booking.objects.exists()


def test_the_service_refusals_land_on_the_field_they_concern(client, world):
    world.form.min_notice_hours = 24 * 365 * 10  # nothing is far enough ahead
    world.form.save()
    response = client.post(form_path(world), booking_data(world))
    assert response.status_code == 409
    page = response.content.decode()
    assert '<a href="#id_day">Book at least' in page  # no time is free: the date
    assert not Booking.objects.exists()


def test_too_many_people_for_the_space_is_an_error_on_places(client, world):
    response = client.post(form_path(world), booking_data(world, places="41"))
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#id_places">' in page
    assert not Booking.objects.exists()


def test_a_slot_taken_while_the_customer_typed_gets_a_clear_message_and_fresh_slots(client, world):
    world.book(start=f"{DAY} 11:00", end=f"{DAY} 13:00", approve=True)  # taken meanwhile

    response = client.post(form_path(world), booking_data(world))

    assert response.status_code == 409
    page = response.content.decode()
    assert "this time was just taken" in page
    values = slot_values(page)
    assert slot(f"{DAY} 10:00") not in values
    assert slot(f"{DAY} 13:00") in values
    assert 'value="Hopper"' in page
    assert "Compiler club" in page
    assert Booking.objects.count() == 1  # only the one that took the slot


def test_a_slot_that_is_not_a_date_is_an_error_not_a_crash(client, world):
    response = client.post(form_path(world), booking_data(world, slot="tomorrow-ish"))
    assert response.status_code == 400
    assert "Choose one of the times offered." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("day", "2030-02-30"), ("minutes", "7"), ("places", "-1"), ("space", "999999")],
)
def test_nonsense_in_the_choices_is_an_error_naming_the_field(client, world, field, value):
    response = client.post(form_path(world), booking_data(world, **{field: value}))
    assert response.status_code == 400
    assert f'href="#id_{field}' in response.content.decode()
    assert not Booking.objects.exists()


# -- the slot selector ------------------------------------------------------------------------


def test_slots_keep_the_forms_notice_steps_and_days_ahead(world):
    form = world.form
    form.min_notice_hours, form.max_days_ahead, form.slot_minutes = 2, 1, 30
    now = at(f"{DAY} 09:10")

    slots = form_slot_list(form=form, space=world.room, day=date(2030, 3, 4), minutes=60, now=now)

    assert slots[0].starts_at == at(f"{DAY} 11:30")  # 2 hours' notice, on the half hour
    assert {s.starts_at.minute for s in slots} == {0, 30}
    assert (
        form_slot_list(form=form, space=world.room, day=date(2030, 3, 6), minutes=60, now=now) == []
    )


def test_slots_keep_the_layouts_setup_time_free(world):
    layout = f.SpaceLayoutFactory(space=world.room, capacity=40, setup_minutes=60)
    world.book(start=f"{DAY} 08:00", end=f"{DAY} 09:00", approve=True)
    kwargs = {"form": world.form, "space": world.room, "day": date(2030, 3, 4), "minutes": 60}

    someday = datetime(2026, 1, 1, tzinfo=booking_world.MADRID)
    plain = [s.starts_at for s in form_slot_list(**kwargs, now=someday)]
    with_layout = [s.starts_at for s in form_slot_list(**kwargs, layout=layout, now=someday)]

    assert at(f"{DAY} 09:00") in plain
    assert at(f"{DAY} 09:00") not in with_layout  # its hour of setup would overlap 08:00–09:00
    assert at(f"{DAY} 10:00") in with_layout


def test_slots_stay_on_the_wall_clock_across_a_daylight_saving_change(world):
    # Europe/Madrid springs forward on Sunday 31 March 2030 at 02:00.
    slots = form_slot_list(
        form=world.form,
        space=world.room,
        day=date(2030, 3, 31),
        minutes=60,
        now=datetime(2026, 1, 1, tzinfo=booking_world.MADRID),
    )
    local = [s.starts_at.astimezone(booking_world.MADRID).strftime("%H:%M") for s in slots]
    assert "01:30" in local
    assert "03:00" in local
    assert "02:00" not in local
    assert "02:30" not in local
    assert all(minute in ("00", "30") for minute in (t[-2:] for t in local))


def test_a_slot_across_the_clock_change_books_one_real_hour(client, world):
    data = booking_data(world, day="2030-03-31", minutes="60", slot=slot("2030-03-31 01:30"))
    assert client.post(form_path(world), data).status_code == 302
    line = Booking.objects.get().space_bookings.get()
    assert (line.ends_at - line.starts_at).total_seconds() == 3600
    assert line.ends_at.astimezone(booking_world.MADRID).strftime("%H:%M") == "03:30"


def test_a_full_day_points_to_the_next_day_with_free_times(client, world):
    f.BlockoutFactory(
        space=world.room, starts_at=at(f"{DAY} 00:00"), ends_at=at("2030-03-06 09:00")
    )
    data = booking_data(world, action="slots", slot=None)

    page = client.post(form_path(world), data).content.decode()

    assert slot_values(page) == []
    assert "The next day with free times is Wednesday 6 March 2030." in page
    assert 'name="next_day" formaction="#slots" value="2030-03-06"' in page
    # Without JavaScript, that button shows the day's slots with everything kept.
    data["next_day"] = "2030-03-06"
    page = client.post(form_path(world), data).content.decode()
    assert slot_values(page)[0] == slot("2030-03-06 09:00")
    assert 'value="Hopper"' in page


def test_next_free_day_looks_a_month_ahead_in_three_queries(world, django_assert_num_queries):
    f.BlockoutFactory(
        space=world.room, starts_at=at(f"{DAY} 00:00"), ends_at=at("2030-03-20 00:00")
    )
    someday = datetime(2026, 1, 1, tzinfo=booking_world.MADRID)
    choice = {"form": world.form, "space": world.room, "minutes": 60, "now": someday}
    with django_assert_num_queries(3):
        assert next_free_day(after=date(2030, 3, 3), **choice) == date(2030, 3, 20)
    assert next_free_day(after=date(2030, 3, 3), within_days=10, **choice) is None


# -- robots and floods ------------------------------------------------------------------------


def test_a_filled_honeypot_books_nothing(client, world):
    response = client.post(form_path(world), booking_data(world, website="http://spam.example"))
    assert response.status_code == 400
    assert "Leave this empty" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_honeypot_is_out_of_sight_and_out_of_the_tab_order(client, world):
    page = client.get(form_path(world)).content.decode()
    assert re.search(r'<div class="off-screen" aria-hidden="true">\s*<label for="id_website"', page)
    assert re.search(r'<input type="text" name="website"[^>]*tabindex="-1"', page)


@pytest.fixture
def mid_minute(monkeypatch):
    """The rate limit's clock, stopped half a minute into a window (no window ends mid-test)."""
    stopped = datetime(2030, 3, 4, 10, 20, 30, tzinfo=UTC).timestamp()
    monkeypatch.setattr(ratelimit, "now", lambda: stopped)


def test_too_many_posts_get_the_wait_page_and_book_nothing(client, world, settings, mid_minute):
    settings.VENUEDESK_PAGE_RATES = {"public_pages": "2/minute", "public_slots": "2/minute"}
    data = booking_data(world, action="slots")
    assert client.post(form_path(world), data).status_code == 200
    assert client.post(form_path(world), data).status_code == 200

    refused = client.post(form_path(world), booking_data(world))

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "Too many tries" in refused.content.decode()
    assert not Booking.objects.exists()
    assert client.get(form_path(world)).status_code == 200  # reading is not counted


def test_the_slot_list_has_a_looser_limit_of_its_own(client, world, settings, mid_minute):
    settings.VENUEDESK_PAGE_RATES = {"public_pages": "1/minute", "public_slots": "3/minute"}
    query = {"space": world.room.pk, "day": DAY, "minutes": 60}
    statuses = [client.get(form_path(world) + "slots/", query).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
