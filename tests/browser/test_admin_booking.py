"""The admin's booking pages in a real browser (issue 12): a manager finds a pending booking
of a Madrid venue in the list at its local time, approves it through the move's own page,
adds a space line typed in the venue's time, and is refused a line that overlaps another
booking; every page visited passes axe and fits 1366 px."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from bookings.models import BookingStatus, LogEntry, Notification, SpaceBooking
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world
at = booking_world.at

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
WIDTH = 1366

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(tab, username: str) -> None:
    """Through the admin's own login page, with a password, as a person would."""
    tab.open("/admin/login/?next=/admin/bookings/booking/")
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()
    tab.page.wait_for_url("**/admin/bookings/booking/")


def checked(tab, what: str, *, fits: bool = False) -> None:
    """The page as loaded keeps to the content security policy, passes axe (serious and
    critical) and fits the width if asked. The policy is checked first: axe's own run adds
    an inline style that the policy blocks, and the page would be blamed for it."""
    page = tab.page
    page.wait_for_load_state("load")
    page.screenshot(path=f"/tmp/admin-booking-test-{what.replace(' ', '-')}.png", full_page=True)
    assert tab.csp_violations() == [], what
    assert serious_accessibility_problems(page) == [], what
    if fits:
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, what


def fill_space_line(page, space, day: str, start: str, end: str) -> None:
    """The add-a-space form as a person fills it: each time a group of a date and a time."""
    page.get_by_label("Space:", exact=True).select_option(str(space.pk))
    for name, time in (("Starts", start), ("Ends", end)):
        group = page.get_by_role("group", name=name)
        group.get_by_label("Date").fill(day)
        group.get_by_label("Time").fill(time)
    page.get_by_label("Places").fill("10")


def test_a_manager_approves_a_booking_and_adds_a_space_at_the_venues_time(open_tab, world):
    # Mon 4 Mar 2030 in Madrid is CET: 14:00 there is 13:00 UTC.
    booking = world.book(start="2030-03-04 14:00", end="2030-03-04 16:00")
    other = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00", approve=True)
    assert booking.starts_at.astimezone(UTC).hour == 13
    tab = open_tab(width=WIDTH)
    page = tab.page
    log_in(tab, "manager")

    # The list, filtered to pending requests, shows the booking at the venue's time.
    page.locator("#changelist-filter").get_by_role("link", name="Pending").click()
    row = page.locator("#result_list tbody tr", has_text=booking.reference)
    expect(row).to_have_count(1)
    expect(page.locator("#result_list tbody tr", has_text=other.reference)).to_have_count(0)
    when = row.locator("td.field-when")
    expect(when).to_contain_text("Mon 4 Mar 2030")
    expect(when).to_contain_text("14:00–16:00 CET")
    expect(when).not_to_contain_text("13:00")
    expect(when.locator("time")).to_have_attribute("title", "Europe/Madrid")
    checked(tab, "the booking list", fits=True)

    # The booking's page, then the approve page: a comment, and confirmed.
    row.get_by_role("link", name=booking.reference).click()
    expect(page.get_by_role("heading", level=2, name=booking.reference)).to_be_visible()
    starts = page.locator(".fieldBox.field-starts_at .readonly")
    expect(starts).to_have_text("Mon 4 Mar 2030, 14:00 CET")
    expect(page.locator("#space_bookings-group tbody")).to_contain_text("14:00–16:00 CET")
    checked(tab, "the booking page", fits=True)
    page.locator(".object-tools").get_by_role("link", name="Approve", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Approve: {booking.reference}")
    expect(page.locator(".booking-move-summary")).to_contain_text("14:00 CET (Europe/Madrid)")
    checked(tab, "the approve page")
    page.get_by_label("Internal comment").fill("Regulars, approved by phone")
    page.get_by_role("button", name=f"Approve {booking.reference}").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Approved {booking.reference}.")
    expect(page.locator(".field-status .readonly")).to_have_text("Approved")
    assert tab.csp_violations() == []
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    entry = LogEntry.objects.get(booking=booking, to_status=BookingStatus.APPROVED)
    assert entry.comment == "Regulars, approved by phone"
    assert entry.user.username == "manager"
    assert Notification.objects.filter(booking=booking, kind=Notification.Kind.APPROVED).exists()
    total_before = booking.total_gross

    # A space line, typed in Madrid's time.
    page.get_by_role("link", name="Add a space").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a space")
    expect(page.locator(".time-zone-note")).to_contain_text("Europe/Madrid")
    checked(tab, "the add-a-space page")
    fill_space_line(page, world.room, "2030-03-04", "17:00", "19:00")
    page.get_by_role("button", name="Save line").click()

    expect(page.locator(".messagelist")).to_contain_text(
        f"Space line added: {world.room.name} 2030-03-04 17:00–19:00 CET."
    )
    spaces = page.locator("#space_bookings-group tbody")
    expect(spaces.locator("tr")).to_have_count(2)
    expect(spaces).to_contain_text("Mon 4 Mar 2030, 17:00–19:00 CET")
    expect(spaces).not_to_contain_text("16:00–18:00")
    line = SpaceBooking.objects.get(booking=booking, starts_at__gt=at("2030-03-04 16:00"))
    assert line.starts_at == at("2030-03-04 17:00")
    assert line.starts_at == datetime(2030, 3, 4, 16, 0, tzinfo=UTC)
    assert line.ends_at == at("2030-03-04 19:00")
    booking.refresh_from_db()
    assert line.gross > 0
    assert booking.total_gross == total_before + line.gross
    checked(tab, "the booking page with two lines", fits=True)

    # A line over the other booking's approved slot: refused, the other booking named.
    page.get_by_role("link", name="Add a space").click()
    fill_space_line(page, world.room, "2030-03-05", "11:00", "13:00")
    page.get_by_role("button", name="Save line").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Nothing was changed.")
    expect(summary).to_contain_text(other.reference)
    expect(page.locator("#id_starts_at_1")).to_have_value("11:00")
    checked(tab, "the add-a-space page with its refusal")
    assert SpaceBooking.objects.filter(booking=booking).count() == 2
    booking.refresh_from_db()
    assert booking.total_gross == total_before + line.gross

    assert tab.outside_requests == []
    assert tab.page_errors == []
