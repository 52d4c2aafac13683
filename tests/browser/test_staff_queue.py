"""The dashboard and the approval queue in a real browser: an approver approves two clear
requests together by keyboard; both pages pass axe at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatus
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def _log_in(tab, username):
    tab.open("/staff/login/")
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def _busy_evening(world):
    """Two clear requests, one over a held booking, two competing for one slot."""
    first = world.book(start="2030-03-04 08:00", end="2030-03-04 09:00")
    second = world.book(start="2030-03-05 08:00", end="2030-03-05 09:00")
    world.book(start="2030-03-06 11:00", end="2030-03-06 13:00")
    world.book(start="2030-03-06 10:00", end="2030-03-06 12:00", approve=True)
    world.book(start="2030-03-07 10:00", end="2030-03-07 12:00")
    world.book(start="2030-03-07 11:00", end="2030-03-07 12:00")
    return first, second


def test_an_approver_approves_two_clear_requests_together_by_keyboard(open_tab, world):
    first, second = _busy_evening(world)
    tab = open_tab(width=1280)
    page = tab.page
    _log_in(tab, "approver")

    nav = page.get_by_role("navigation", name="Staff pages")
    requests_link = nav.get_by_role("link", name="Requests")
    expect(requests_link).to_contain_text("5")
    requests_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests waiting for a decision")
    expect(page.locator("tr.queue-blocked")).to_have_count(3)
    page.get_by_label(f"Approve {first.reference}").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # on to the next row, by keyboard only
    page.get_by_label(f"Approve {second.reference}").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label(f"Approve {second.reference}")).to_be_checked()
    page.get_by_role("button", name="Approve selected").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text(f"{first.reference} approved.")).to_be_visible()
    expect(page.get_by_text(f"{second.reference} approved.")).to_be_visible()
    expect(nav.get_by_role("link", name="Requests")).to_contain_text("3")
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == BookingStatus.APPROVED
    assert list(Booking.objects.values_list("status", flat=True)).count("pending") == 3
    assert tab.page_errors == []
    assert tab.csp_violations() == []


@pytest.mark.parametrize("width", [1280, 375])
def test_the_dashboard_and_the_queue_pass_axe(open_tab, world, width):
    _busy_evening(world)
    tab = open_tab(width=width)
    _log_in(tab, "approver")

    for path in ("/staff/", "/staff/requests/"):
        tab.open(path)
        assert serious_accessibility_problems(tab.page) == [], path
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= width, path
    tab.page.screenshot(path=f"/tmp/staff-queue-test-{width}.png", full_page=True)
    assert tab.outside_requests == []
    assert tab.page_errors == []
