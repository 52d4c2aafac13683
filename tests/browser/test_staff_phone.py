"""The phone booking in a real browser, with its script: a new date brings that day's free
windows and a new end time the new estimate, in place, without leaving the page or losing
what was typed; the page passes axe at desktop and phone width."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import Booking
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems
from tests.browser.test_staff_calendar import log_in

world = booking_world.world


def phone_page(visit, world) -> str:
    log_in(visit, "manager")
    url = (
        f"/staff/bookings/new/?venue={world.venue.pk}&space={world.room.pk}"
        "&day=2030-03-04&start=10:00&end=12:00"
    )
    visit.open(url)
    return visit.page.url


def test_a_new_date_brings_its_free_windows_and_the_estimate_follows_in_place(visit, world):
    world.book(start="2030-03-05 10:00", end="2030-03-05 12:00", approve=True)
    address = phone_page(visit, world)
    page = visit.page
    windows = page.locator("#phone-windows")
    expect(windows).to_contain_text("Free on Monday 4 March 2030 and that night")
    expect(windows.get_by_role("listitem").first).to_have_text("00:00–Tue 08:00")
    page.get_by_label("Last name").fill("Typed before")  # must survive the refreshes

    page.get_by_label("Date").fill("2030-03-05")
    page.get_by_label("Date").dispatch_event("change")
    expect(windows).to_contain_text("Free on Tuesday 5 March 2030 and that night")
    expect(windows.get_by_role("listitem").first).to_have_text("00:00–10:00")
    expect(page.locator("#phone-windows-status")).to_have_text(
        "Free times updated: 2 free windows on Tuesday 5 March 2030."
    )
    estimate = page.locator("#phone-estimate")
    expect(estimate).to_contain_text("200.00")
    page.get_by_label("End", exact=True).fill("13:00")
    page.get_by_label("End", exact=True).dispatch_event("change")
    expect(estimate).to_contain_text("300.00")
    expect(page.locator("#phone-estimate-status")).to_have_text(
        "Estimate updated: 300.00, VAT included."
    )
    # A second ticket line adds to the estimate.
    page.get_by_label("Event tickets, line 2").select_option(str(world.ticket.pk))
    expect(estimate).to_contain_text("330.00")
    expect(page.locator("#phone-estimate-status")).to_have_text(
        "Estimate updated: 330.00, VAT included."
    )
    assert page.url == address  # no navigation
    expect(page.get_by_label("Last name")).to_have_value("Typed before")
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


def test_the_customer_search_answers_in_place_and_the_booking_is_made(visit, world):
    address = phone_page(visit, world)
    page = visit.page
    page.get_by_label("What it is for").fill("Team dinner")  # must survive the search
    page.get_by_label("Name, e-mail or phone").fill("ada@example")
    page.get_by_role("button", name="Search customers").click()
    expect(page.locator("#phone-found")).to_contain_text("One customer matches “ada@example”")
    choice = page.get_by_label(re.compile(re.escape(world.customer.display_name)))
    expect(choice).to_be_checked()
    assert page.url == address  # no navigation
    expect(page.get_by_label("What it is for")).to_have_value("Team dinner")
    page.get_by_role("button", name="Create booking").click()
    page.wait_for_url(re.compile(r"/staff/calendar/"))
    booking = Booking.objects.get()
    assert (booking.customer, booking.title) == (world.customer, "Team dinner")
    assert visit.page_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_the_phone_booking_passes_axe_at_desktop_and_phone_width(open_tab, world, width):
    visit = open_tab(width=width)
    phone_page(visit, world)
    page = visit.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone booking")
    page.get_by_label("Date").fill("2030-03-06")
    page.get_by_label("Date").dispatch_event("change")
    expect(page.locator("#phone-windows")).to_contain_text(re.compile("Wednesday 6 March"))
    # Every refresh the change set off has landed: a list still loading is dimmed on purpose.
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    assert serious_accessibility_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert visit.csp_violations() == []


def test_without_javascript_the_search_and_the_check_still_work(open_tab, world, tmp_path):
    visit = open_tab(javascript=False)
    phone_page(visit, world)
    page = visit.page
    page.get_by_label("Name, e-mail or phone").fill("ada@example")
    page.get_by_role("button", name="Search customers").click()
    page.wait_for_url(re.compile(r"q=ada"))
    expect(page.locator("#phone-found")).to_contain_text("One customer matches “ada@example”")
    page.get_by_label("Date").fill("2030-03-06")
    page.get_by_role("button", name="Check free times and price").click()
    expect(page.locator("#phone-windows")).to_contain_text("Wednesday 6 March 2030")
    page.screenshot(path=tmp_path / "phone-nojs.png", full_page=True)
