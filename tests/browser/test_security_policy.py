"""The pages staff use work under the content security policy, with nothing from elsewhere.

`visit.open` checks that each page came with the policy; the tests check that nothing
broke under it: no violation, no script error, no request leaving the live server.
"""

import re

from playwright.sync_api import expect

from tests import factories
from venues.models import Membership

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def test_the_api_docs_show_the_operations_and_try_one_out_offline(visit):
    visit.open("/api/docs/")
    bookings = visit.page.locator(".opblock-get").filter(has_text="/api/v1/bookings/statuses/")
    expect(bookings).to_be_visible()
    assert visit.page.locator(".opblock").count() > 50

    bookings.locator(".opblock-summary").click()
    visit.page.get_by_role("button", name="Try it out").click()
    visit.page.get_by_role("button", name="Execute").click()
    # The request went out from Swagger UI and its answer (no key: 401) came back.
    answers = visit.page.locator(".live-responses-table")
    expect(answers.get_by_role("cell", name="401", exact=True)).to_be_visible()

    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


def test_the_admin_login_page_renders_under_the_policy(visit):
    visit.open("/admin/login/")
    expect(visit.page.get_by_label("Username")).to_be_visible()
    expect(visit.page.get_by_role("button", name="Log in")).to_be_visible()
    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []


def test_a_manager_logs_in_and_opens_a_booking_in_the_admin_and_the_api(visit):
    booking = factories.BookingFactory()
    manager = factories.UserFactory(is_staff=True)
    factories.MembershipFactory(
        user=manager, organization=booking.organization, role=Membership.Role.MANAGER
    )

    visit.open("/admin/login/")
    visit.page.get_by_label("Username").fill(manager.username)
    visit.page.get_by_label("Password").fill(PASSWORD)
    visit.page.get_by_role("button", name="Log in").click()
    expect(visit.page.get_by_role("heading", name="Bookings and catalogue")).to_be_visible()

    visit.open("/admin/bookings/booking/")
    expect(visit.page.locator(".status-badge", has_text="Pending")).to_have_css(
        "background-color",
        "rgb(217, 119, 6)",  # STATUS_INFO's #d97706, from admin.css
    )
    visit.page.get_by_role("link", name=booking.reference).click()
    # A manager may change its details (booking_update), so the page is "Change booking".
    expect(visit.page).to_have_title(re.compile(f"^{booking.reference} \\| Change booking"))

    visit.open(f"/api/v1/bookings/{booking.pk}/")
    expect(visit.page.get_by_role("heading", name="Booking Instance")).to_be_visible()
    expect(visit.page.get_by_role("button", name="Extra Actions")).to_be_visible()

    assert visit.csp_violations() == []
    assert visit.outside_requests == []
    assert visit.page_errors == []
