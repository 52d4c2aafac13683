"""The staff booking page and change request page in a real browser: two tabs on the same
booking, a change request approved side by side, and axe at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from bookings import services
from bookings.models import BookingStatus, ChangeRequest
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world

PASSWORD = "a long enough secret"

pytestmark = pytest.mark.django_db(transaction=True)


def member(world, role: str):
    user = world.actors[role].user
    user.is_staff = True
    user.first_name, user.last_name = "Pau", "Puig"
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(tab, user, next_path: str):
    tab.open(f"/staff/login/?next={next_path}")
    tab.page.get_by_label("Username").fill(user.username)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()
    tab.page.wait_for_url(f"**{next_path}")


def test_the_second_of_two_tabs_gets_the_stale_message(open_tab, world):
    booking = world.book()
    user = member(world, "approver")
    first, second = open_tab(), open_tab()
    path = f"/staff/bookings/{booking.pk}/"
    log_in(first, user, path)
    log_in(second, user, path)

    first.page.get_by_role("button", name="Approve", exact=True).click()
    expect(first.page.get_by_text(f"Approved {booking.reference}.")).to_be_visible()

    second.page.locator("summary", has_text="Deny").click()
    second.page.get_by_label("Message to the customer").first.fill("Sorry")
    second.page.get_by_role("button", name="Deny", exact=True).click()
    expect(
        second.page.get_by_text("Nothing was done: this booking changed after you opened it.")
    ).to_be_visible()
    expect(second.page.get_by_text("Approved by Pau Puig at")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    assert first.csp_violations() == second.csp_violations() == []


def test_a_change_request_is_approved_from_the_side_by_side_page(visit, world):
    booking = world.book(approve=True)
    line = booking.space_bookings.get()
    change = services.change_request_submit(
        actor=world.actors["manager"],
        booking=booking,
        changes={"space_lines": [{"id": line.pk, "places": 14}]},
    )
    user = member(world, "approver")
    log_in(visit, user, f"/staff/bookings/{booking.pk}/")
    visit.page.get_by_role("link", name="See it beside the booking").click()
    expect(visit.page.get_by_role("heading", level=1)).to_contain_text("Change request")
    row = visit.page.locator("tr.changed")
    expect(row).to_contain_text("10")
    expect(row).to_contain_text("14")
    visit.page.get_by_label("Message to the customer").fill("Done, see you")
    visit.page.get_by_role("button", name="Approve the change").click()
    expect(visit.page.get_by_text("Change request approved;")).to_be_visible()
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.APPROVED
    assert visit.csp_violations() == []
    assert visit.page_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_the_booking_page_passes_axe_and_fits_the_width(open_tab, world, width):
    booking = world.book()
    world.book(start="2030-03-04 11:00", end="2030-03-04 13:00")  # a competitor
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"internal_note": "VIP"}
    )
    user = member(world, "manager")
    tab = open_tab(width=width)
    log_in(tab, user, f"/staff/bookings/{booking.pk}/")
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_contain_text(booking.reference)
    expect(page.get_by_text("Europe/Madrid", exact=False).first).to_be_visible()
    page.screenshot(path=f"/tmp/staff-booking-test-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_accessibility_problems(page) == []
    assert tab.csp_violations() == []
    assert tab.outside_requests == []
