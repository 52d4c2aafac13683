"""The customer's manage page in a real browser: readable at phone width, accessible, and
under the content security policy."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from bookings import services
from bookings.services import SpaceLineIn
from tests.bookings import conftest as booking_world

world = booking_world.world
at = booking_world.at


def serious_accessibility_problems(page) -> list[str]:
    """axe-core's violations of impact serious or critical, as 'rule: target' lines."""
    results = Axe().run(page)
    return [
        f"{violation['id']}: {node['target']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("width", [1280, 375, 320])
def test_a_customer_reads_their_declined_request_with_the_venues_message(visit, world, width):
    created = world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=8,
            )
        ]
    )
    services.booking_deny(
        actor=world.actors["approver"],
        booking=created.booking,
        notice=services.Notice(comment="internal only", message="We are full that day."),
    )
    visit.page.set_viewport_size({"width": width, "height": 800})

    visit.open(f"/manage/{created.manage_token}/")

    page = visit.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Request declined")
    expect(page.get_by_text("We are full that day.")).to_be_visible()
    expect(page.get_by_text("Europe/Madrid", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_accessibility_problems(page) == []
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []
