"""Two requests want one slot: in a real browser an approver finds them in the queue, approves
the oldest and denies its competitor in the same step, with one message to its customer."""

import pytest
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatus, Notification
from bookings.services import SpaceLineIn
from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world
at = booking_world.at

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
MESSAGE = "Sorry, the room went to a group that asked first. Try the 5th?"


def press(locator, key="Enter"):
    """Reach a control by focus and use it from the keyboard."""
    locator.focus()
    locator.press(key)


def test_an_approver_approves_the_oldest_and_denies_its_competitor_in_one_step(open_tab, world):
    oldest = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00")
    competitor = world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=at("2030-03-04 11:00"),
                ends_at=at("2030-03-04 13:00"),
                places=8,
            )
        ]
    ).booking
    assert competitor.customer_id != oldest.customer_id
    tab = open_tab(width=1280)
    page = tab.page

    tab.open("/staff/login/")
    page.get_by_label("Username").fill("approver")
    page.get_by_label("Password").fill(PASSWORD)
    press(page.get_by_role("button", name="Log in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    # The queue: oldest first, marked as competing with the other request.
    nav = page.get_by_role("navigation", name="Staff pages")
    press(nav.get_by_role("link", name="Requests"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests waiting for a decision")
    rows = page.locator(".queue-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_id(f"request-{oldest.pk}")
    standing = rows.first.locator(".queue-standing")
    expect(standing).to_contain_text("Competes")
    expect(standing.get_by_role("link", name=competitor.reference)).to_be_visible()
    # Competing requests are decided on their own page, not ticked together.
    expect(page.get_by_label(f"Approve {oldest.reference}")).to_have_count(0)

    press(rows.first.locator(".reference").get_by_role("link", name=oldest.reference))
    page.wait_for_url(f"**/staff/bookings/{oldest.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(oldest.reference)
    decide = page.locator("section.decisions")
    expect(decide).to_contain_text("1 other request wants this time:")
    expect(decide.get_by_role("link", name=competitor.reference)).to_be_visible()
    press(decide.get_by_role("button", name="Approve", exact=True))

    # The confirm step: the competitor listed and chosen, one message for its customer.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Approve {oldest.reference}?")
    expect(page.get_by_role("heading", level=2)).to_have_text("1 other request wants the same time")
    chosen = page.get_by_role("checkbox", name=competitor.reference)
    expect(chosen).to_be_checked()
    expect(page.get_by_label("Send by e-mail")).to_be_checked()
    page.get_by_label("Message to the customer").fill(MESSAGE)
    assert serious_accessibility_problems(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    press(page.get_by_role("button", name="Approve and deny the chosen ones"))

    page.wait_for_url(f"**/staff/bookings/{oldest.pk}/#top")
    expect(page.get_by_text(f"Approved {oldest.reference}.")).to_be_visible()
    expect(
        page.get_by_text(f"Denied {competitor.reference}; their customers were told.")
    ).to_be_visible()
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses[oldest.pk] == BookingStatus.APPROVED
    assert statuses[competitor.pk] == BookingStatus.DENIED

    # The competitor's timeline names the booking that got the slot, and shows the message.
    tab.open(f"/staff/bookings/{competitor.pk}/")
    denial = page.locator("ol.timeline li", has_text="Status Pending → Denied")
    expect(denial).to_contain_text(f"The slot went to {oldest.reference}.")
    expect(denial.locator("blockquote.sent-message")).to_contain_text(MESSAGE)

    told = Notification.objects.filter(booking=competitor, kind=Notification.Kind.DENIED)
    assert [(n.recipient, MESSAGE in n.body_text) for n in told] == [("guest@example.com", True)]
    assert not Notification.objects.filter(booking=oldest, kind=Notification.Kind.DENIED).exists()
    assert tab.csp_violations() == []
    assert tab.outside_requests == []
    assert tab.page_errors == []
