"""The lost-link page in a real browser: the keyboard alone gets through it, its error takes
focus, its answer is the same for every address, and axe finds nothing serious."""

import pytest
from playwright.sync_api import expect

from tests.bookings import conftest as booking_world
from tests.browser.test_manage_page import serious_accessibility_problems

world = booking_world.world


@pytest.mark.parametrize("width", [1280, 375])
def test_a_customer_gets_their_links_sent_again_with_the_keyboard(visit, world, mailoutbox, width):
    booking = world.book()  # for ada@example.com
    mailoutbox.clear()
    page = visit.page
    page.set_viewport_size({"width": width, "height": 800})
    visit.open("/manage/nope/")
    page.get_by_role("link", name="Lost your link? Get it sent again").click()

    # A mistyped address: the summary says so, takes focus and leads to the field.
    email = page.get_by_label("Your e-mail address")
    email.focus()
    page.keyboard.type("ada.example.com")
    page.keyboard.press("Enter")
    expect(page).to_have_title("Error: Get your booking links sent again · Venuedesk")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(email).to_have_value("ada.example.com")
    expect(email).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_accessibility_problems(page) == []
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the summary's link to the field
    expect(email).to_be_focused()

    email.fill("ada@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert page.url.endswith("/manage/resend/sent/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_accessibility_problems(page) == []

    [mail] = mailoutbox
    assert booking.reference in mail.body
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []
