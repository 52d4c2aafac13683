"""A customer's whole journey in a real browser, with staff deciding in between: book, follow
the e-mailed link, add the booking to a calendar, be confirmed, ask for another time, and
see it once the venue accepts — the calendar entry updated in place at each step (the same
UID, a higher SEQUENCE). Walked at desktop width with JavaScript and on a phone without it.
"""

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from bookings import services
from bookings.models import Booking, BookingStatus
from tests.browser import test_booking_form as booking_form_tests
from tests.browser.test_booking_form import (
    CONFIRMED,
    REQUEST_RECEIVED,
    fill_the_details,
    free_times_settled,
    space_radio,
)
from tests.browser.test_manage_page import serious_accessibility_problems

door = booking_form_tests.door  # the venue, its forms and a day a week ahead

CHANGE_WAITS = "keeps its current time until the venue decides"


def calendar_entry(page, manage_link: str):
    answer = page.request.get(manage_link + "booking.ics")
    assert answer.ok, answer.status
    [entry] = Calendar.from_ical(answer.body()).walk("VEVENT")
    return entry


def choose_time(page, door, clock: str, *, javascript: bool) -> None:
    """The hall on the door's day for two hours, at `clock`: the list refreshes in place
    with JavaScript, and comes with "Show free times" without it."""
    space_radio(page, door.hall).check()
    page.get_by_label("Date", exact=True).fill(door.day.isoformat())
    page.get_by_label("How long").select_option("120")
    if javascript:
        free_times_settled(page)
    else:
        with page.expect_navigation():
            page.get_by_role("button", name="Show free times").click()
    page.get_by_role("radio", name=door.slot_name(clock, 120, door.hall)).check()


def no_accessibility_problem(page, *, javascript: bool) -> None:
    """axe-core runs as a script in the page: in a tab without JavaScript it cannot (the
    pages' check at phone width with JavaScript is in the other browser tests)."""
    if javascript:
        assert serious_accessibility_problems(page) == [], page.url


@pytest.mark.parametrize(
    ("width", "javascript"), [(1280, True), (375, False)], ids=["desktop-js", "phone-no-js"]
)
def test_book_be_confirmed_change_and_see_the_new_time_with_the_calendar_in_step(
    open_tab, door, mailoutbox, settings, live_server, width, javascript, tmp_path
):
    settings.VENUEDESK_SITE_URL = live_server.url  # the e-mailed link leads to this server
    visit = open_tab(width=width, javascript=javascript)
    page = visit.page

    # 1. The customer books through the form: a request, not yet confirmed.
    visit.open(door.events_path)
    no_accessibility_problem(page, javascript=javascript)
    choose_time(page, door, "14:00", javascript=javascript)
    fill_the_details(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    expect(page.get_by_text("not held for you")).to_be_visible()
    no_accessibility_problem(page, javascript=javascript)
    page.screenshot(path=tmp_path / "1-request-received.png", full_page=True)
    booking = Booking.objects.get(booking_form=door.events_form)

    # 2. The e-mail's link opens the manage page; the calendar entry is tentative.
    [mail] = [m for m in mailoutbox if m.to == ["gina@example.com"]]
    [link] = set(re.findall(re.escape(live_server.url) + r"/manage/[A-Za-z0-9_-]+/", mail.body))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(REQUEST_RECEIVED)
    requested = calendar_entry(page, link)
    assert str(requested["STATUS"]) == "TENTATIVE"
    assert requested.decoded("DTSTART") == door.at("14:00")

    # 3. Staff approve: the page says confirmed, the entry is confirmed and newer.
    services.booking_approve(actor=door.manager, booking=booking)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(CONFIRMED)
    confirmed = calendar_entry(page, link)
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert confirmed["UID"] == requested["UID"]
    assert confirmed["SEQUENCE"] > requested["SEQUENCE"]

    # 4. The customer asks for 17:00 instead: it waits for the venue, the booking keeps 14:00.
    page.get_by_role("link", name="Request a change").click()
    expect(page.get_by_text(CHANGE_WAITS)).to_be_visible()
    no_accessibility_problem(page, javascript=javascript)
    page.get_by_role("radio", name=re.compile(r"17:00–19:00")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send change request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CONFIRMED)
    expect(page.get_by_role("button", name="Withdraw change request")).to_be_visible()
    no_accessibility_problem(page, javascript=javascript)
    page.screenshot(path=tmp_path / "4-change-waiting.png", full_page=True)
    assert calendar_entry(page, link).decoded("DTSTART") == door.at("14:00")

    # 5. Staff accept the change: the page shows the new time, and so does the calendar.
    services.change_request_approve(
        actor=door.manager, change_request=booking.change_requests.get(status="pending")
    )
    page.reload()
    when = f"{door.day:%a} {door.day.day} {door.day:%b %Y}, 17:00–19:00"
    expect(page.get_by_role("listitem").filter(has_text="Main Hall").first).to_contain_text(when)
    expect(page.get_by_role("button", name="Withdraw change request")).to_have_count(0)
    moved = calendar_entry(page, link)
    assert moved.decoded("DTSTART") == door.at("17:00")
    assert str(moved["STATUS"]) == "CONFIRMED"
    assert moved["UID"] == requested["UID"]
    assert moved["SEQUENCE"] > confirmed["SEQUENCE"]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    page.screenshot(path=tmp_path / "5-new-time.png", full_page=True)

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []
