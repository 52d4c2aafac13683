"""The venue calendar and the phone booking in a real browser: a manager books an empty
slot by phone and finds the booking on the calendar; the calendar passes axe at desktop
and phone width."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatus
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world
at = booking_world.at

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def log_in(visit, username: str) -> None:
    visit.open("/staff/login/")
    page = visit.page
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/staff/"))


def test_a_manager_books_an_empty_slot_by_phone_and_sees_it_on_the_calendar(visit, world):
    world.book(start="2030-03-04 14:00", end="2030-03-04 16:00")  # a pending request
    log_in(visit, "manager")
    page = visit.page
    visit.open(f"/staff/calendar/?venue={world.venue.pk}&day=2030-03-04")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Calendar")
    expect(page.get_by_text("Times in Europe/Madrid")).to_be_visible()

    page.get_by_role("link", name=f"Book {world.room.name}, Mon 4 Mar 2030, 10:00–11:00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone booking")
    expect(page.get_by_label("Start")).to_have_value("10:00")
    expect(page.get_by_label("End", exact=True)).to_have_value("11:00")
    expect(page.get_by_text("Free on Monday 4 March 2030 and that night")).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)  # no list dimmed mid-refresh
    assert serious_accessibility_problems(page) == []

    page.get_by_label("Name, e-mail or phone").fill("ada@example")
    page.get_by_role("button", name="Search customers").click()
    page.get_by_label(re.compile(re.escape(world.customer.display_name))).check()
    page.get_by_label("Places (people)").fill("12")
    page.get_by_label("Approve at once").check()
    page.get_by_role("button", name="Create booking").click()

    booking = Booking.objects.get(status=BookingStatus.APPROVED)
    expect(page.get_by_role("status").first).to_contain_text(f"Booking {booking.reference}")
    expect(page.get_by_role("link", name=re.compile(booking.reference))).to_be_visible()
    line = booking.space_bookings.get()
    assert (line.starts_at, line.ends_at, line.places) == (
        at("2030-03-04 10:00"),
        at("2030-03-04 11:00"),
        12,
    )
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("view", ["day", "week"])
def test_the_calendar_passes_axe_at_desktop_and_phone_width(open_tab, world, width, view):
    world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    world.book(start="2030-03-04 13:00", end="2030-03-04 15:00")
    world.book(space=world.zone, start="2030-03-04 18:00", end="2030-03-04 20:00", places=3)
    visit = open_tab(width=width)
    log_in(visit, "manager")
    visit.open(f"/staff/calendar/?venue={world.venue.pk}&day=2030-03-04&view={view}")
    page = visit.page
    expect(page.get_by_text("pending").first).to_be_visible()
    assert serious_accessibility_problems(page) == []
    # The page itself never scrolls sideways; the calendar scrolls in its own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert visit.csp_violations() == []
