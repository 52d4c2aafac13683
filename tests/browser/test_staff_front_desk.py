"""The front desk in a real browser: a host on a phone finds a guest, checks the party in
with the number who came, seats them and lets them go; the buttons never cover the name."""

import re

import pytest
from playwright.sync_api import expect

from bookings import services
from bookings.models import Booking
from bookings.services import CustomerIn, SpaceLineIn
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world
at = booking_world.at
DAY = "2030-03-04"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def book(world, first, last, start, end, places):
    return services.booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=CustomerIn(
            first_name=first, last_name=last, email=f"{first.lower()}@guests.example"
        ),
        source="staff",
        title="Dinner",
        space_lines=[
            SpaceLineIn(
                space=world.zone,
                starts_at=at(f"{DAY} {start}"),
                ends_at=at(f"{DAY} {end}"),
                places=places,
            )
        ],
        approve=True,
    ).booking


def log_in(tab, username):
    tab.open("/staff/login/")
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()


def overlaps(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def check_the_row_reads_on_a_phone(row, name):
    """No button or field of the row covers the guest's name; each is at least 44 px."""
    # Measured once the page has its styles: after a move the row's new text is in the
    # page before the stylesheet has been applied to it.
    row.page.wait_for_load_state("load")
    name_box = row.get_by_role("heading", name=name).bounding_box()
    controls = row.locator("button, input[type=number]")
    assert controls.count() > 0
    for index in range(controls.count()):
        box = controls.nth(index).bounding_box()
        assert not overlaps(name_box, box), f"{name}: control {index} covers the name"
        assert box["height"] >= 44, f"{name}: control {index} is {box['height']} px high"


def test_a_host_on_a_phone_finds_a_guest_checks_them_in_seats_and_releases_them(open_tab, world):
    book(world, "Pere", "Roca", "20:00", "23:00", 4)
    gina = book(world, "Gina", "Fernández-Villaverde de la Peña", "21:00", "23:30", 6)
    tab = open_tab(width=375, height=800)
    page = tab.page
    log_in(tab, "front_desk")
    tab.open(f"/staff/front-desk/{world.venue.pk}/?day={DAY}")
    name = "Gina Fernández-Villaverde de la Peña"
    row = page.locator(f"#booking-{gina.pk}")
    check_the_row_reads_on_a_phone(row, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_label("Find a guest").fill("villaverde")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 booking matches “villaverde”.")).to_be_visible()
    expect(page.get_by_role("heading", name="Pere Roca")).to_have_count(0)

    guests = page.get_by_label(f"Guests arriving for {name}")
    expect(guests).to_have_value("6")
    guests.fill("5")
    page.get_by_role("button", name=f"Arrived {name}").click()
    expect(page).to_have_url(re.compile(rf"q=villaverde.*#booking-{gina.pk}$"))
    expect(row.get_by_role("status")).to_have_text(
        f"{name} ({gina.reference}): arrived. 5 guests came."
    )
    expect(row.get_by_text("5 came")).to_be_visible()
    check_the_row_reads_on_a_phone(row, name)

    page.get_by_role("button", name=f"Seat {name}").click()
    expect(row.get_by_role("status")).to_have_text(f"{name} ({gina.reference}): seated.")
    page.get_by_role("button", name=f"Release {name}").click()
    expect(row.get_by_role("status")).to_have_text(
        f"{name} ({gina.reference}): released, the place is free again."
    )
    expect(row.get_by_role("button")).to_have_count(0)

    gina.refresh_from_db()
    assert gina.status == "released"
    assert [entry.action for entry in gina.log_entries.all()][-3:] == [
        "arrived",
        "seated",
        "released",
    ]
    assert gina.space_bookings.get().actual_attendees == 5
    assert tab.csp_violations() == []
    assert tab.outside_requests == []
    assert tab.page_errors == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_front_desk_has_no_serious_accessibility_problems(open_tab, world, width):
    arrived = book(world, "Ada", "Arrived", "19:00", "22:00", 2)
    services.booking_arrive(actor=world.actors["front_desk"], booking=arrived, actual_attendees=3)
    book(world, "Bea", "Expected", "21:00", "23:00", 4)
    tab = open_tab(width=width, height=900)
    log_in(tab, "front_desk")
    tab.open(f"/staff/front-desk/{world.venue.pk}/?day={DAY}")
    tab.page.get_by_role("button", name="Seat Ada Arrived").click()
    expect(tab.page.get_by_role("status")).to_be_visible()  # a result in its row
    assert serious_accessibility_problems(tab.page) == []
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
    assert Booking.objects.get(pk=arrived.pk).status == "seated"
    assert tab.csp_violations() == []
