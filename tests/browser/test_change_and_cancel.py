"""A customer changes, cancels and withdraws in a real browser: by keyboard, at phone width,
accessible, and under the content security policy (the forms post with their CSRF token)."""

import re

import pytest
from playwright.sync_api import expect

from bookings import services
from bookings.models import BookingStatus, ChangeRequest
from bookings.services import SpaceLineIn
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world
at = booking_world.at


def request_the_room(world):
    return world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=8,
            )
        ]
    )


def tab_to(page, target, *, most=80) -> None:
    """Press Tab until `target` (a locator) has the focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reachable with Tab")


def nothing_went_wrong(visit) -> None:
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


def test_a_customer_requests_a_change_with_the_keyboard_sees_it_waiting_and_withdraws_it(
    visit, world
):
    created = request_the_room(world)
    services.booking_approve(actor=world.actors["approver"], booking=created.booking)
    page = visit.page
    visit.open(f"/manage/{created.manage_token}/")

    tab_to(page, page.get_by_role("link", name="Request a change"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a change")
    expect(page.get_by_text("keeps its current time until the venue decides")).to_be_visible()

    # The time booked now is ticked; the arrow key moves to the next free one (10:30, which
    # overlaps the booking's own time: its own hold does not block it).
    booked_now = page.get_by_role("radio", name=re.compile(r"10:00–12:00"))
    expect(booked_now).to_be_checked()
    tab_to(page, booked_now)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name=re.compile(r"10:30–12:30"))).to_be_checked()
    tab_to(page, page.get_by_label("Note to the venue"))
    page.keyboard.type("We start half an hour later.")
    tab_to(page, page.get_by_role("button", name="Send change request"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your change request was sent.")
    expect(page.get_by_role("heading", name="Your change request")).to_be_visible()
    expect(page.get_by_text("Mon 4 Mar 2030, 10:30–12:30")).to_be_visible()
    expect(page.get_by_text("Mon 4 Mar 2030, 10:00–12:00")).to_be_visible()  # still booked
    [change] = created.booking.change_requests.all()
    assert change.status == ChangeRequest.Status.PENDING

    tab_to(page, page.get_by_role("button", name="Withdraw change request"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your change request was withdrawn.")
    expect(page.get_by_role("button", name="Withdraw change request")).to_have_count(0)
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.WITHDRAWN
    nothing_went_wrong(visit)


def test_a_customer_cancels_a_pending_booking(visit, world):
    created = request_the_room(world)
    page = visit.page
    visit.open(f"/manage/{created.manage_token}/")

    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_text("You can cancel online until Sat 2 Mar 2030, 10:00")).to_be_visible()
    page.get_by_label("Why are you canceling?").fill("Plans changed")
    page.get_by_role("button", name="Cancel booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Booking canceled")
    expect(page.get_by_role("status")).to_contain_text("Your booking is canceled.")
    expect(page.get_by_role("link", name="Change booking")).to_have_count(0)
    created.booking.refresh_from_db()
    assert created.booking.status == BookingStatus.CANCELED
    nothing_went_wrong(visit)


def test_choosing_another_day_lists_its_free_times_in_place(visit, world):
    created = request_the_room(world)
    page = visit.page
    visit.open(f"/manage/{created.manage_token}/change/")

    page.get_by_label("Date").fill("2030-03-06")

    expect(page.get_by_role("group", name="Free times on Wednesday 6 March 2030")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile(r"Wed 6 March, 10:00–12:00"))).to_be_visible()
    expect(page.get_by_text("booked now", exact=True)).to_have_count(0)
    nothing_went_wrong(visit)


@pytest.mark.parametrize("width", [1280, 375])
def test_the_change_and_cancel_pages_are_accessible_and_fit_the_width(visit, world, width):
    created = request_the_room(world)
    page = visit.page
    page.set_viewport_size({"width": width, "height": 800})

    visit.open(f"/manage/{created.manage_token}/change/")
    assert serious_accessibility_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_label("E-mail", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Change booking").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        "Enter an e-mail address like name@example.com."
    )
    expect(page.get_by_label("E-mail", exact=True)).to_have_attribute("aria-invalid", "true")
    assert serious_accessibility_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    visit.open(f"/manage/{created.manage_token}/cancel/")
    assert serious_accessibility_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    services.booking_approve(actor=world.actors["approver"], booking=created.booking)
    page.goto(visit.base_url + f"/manage/{created.manage_token}/cancel/")
    page.get_by_role("button", name="Request cancellation").click()
    expect(page.get_by_role("heading", name="Your cancellation request")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    nothing_went_wrong(visit)
