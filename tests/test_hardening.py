"""Hardening: the content security policy, no-store on personal data, the login lockout."""

from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import RequestFactory, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import STATUS_INFO
from core.api.throttling import SharedScopedRateThrottle
from tests import factories
from tests.bookings.test_api_bookings import client_with
from venues.models import Membership

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def policy_of(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header of `response` as {directive: sources}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def staff_member(role=Membership.Role.MANAGER, organization=None):
    user = factories.UserFactory(is_staff=True)
    factories.MembershipFactory(
        user=user, organization=organization or factories.OrganizationFactory(), role=role
    )
    return user


# -- content security policy ---------------------------------------------------------------


def test_the_policy_allows_nothing_inline_and_nothing_from_other_sites(client):
    assert policy_of(client.get("/admin/login/")) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("superuser", "/admin/", 200),
        ("superuser", "/admin/bookings/booking/", 200),
        ("api key", "/api/v1/bookings/", 200),
        ("api key", "/api/v1/bookings/0/", 404),
        ("nobody", "/api/v1/bookings/", 401),
        ("nobody", "/no-such-page/", 404),
        ("nobody", "/api/docs/", 200),
        ("nobody", "/api/docs/?script", 200),
        ("nobody", "/api/schema/", 200),
    ],
)
def test_every_kind_of_answer_carries_the_policy(client, admin_user, who, path, status):
    if who == "superuser":
        client.force_login(admin_user)
    elif who == "api key":
        client = client_with(factories.OrganizationFactory(), "read")
    response = client.get(path)
    assert response.status_code == status
    assert policy_of(response)["script-src"] == ["'self'"]
    assert policy_of(response)["default-src"] == ["'self'"]


class InlineCode(HTMLParser):
    """Collects what a strict policy blocks: inline script and style, handlers, javascript:."""

    DATA_SCRIPTS = {"application/json", "application/ld+json"}  # data, never run

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in attributes:
            self._in_script = attributes.get("type") not in self.DATA_SCRIPTS
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            if name in {"href", "src", "action"} and (value or "").startswith("javascript:"):
                self.found.append(f'<{tag} {name}="{value}">')

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")


def inline_code_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_no_page_we_serve_has_inline_script_or_style(client):
    booking = factories.BookingFactory()
    client.force_login(staff_member(organization=booking.organization))
    pages = [
        "/admin/",
        "/admin/bookings/booking/",
        f"/admin/bookings/booking/{booking.pk}/change/",
        f"/admin/bookings/booking/{booking.pk}/lines/space/add/",
        f"/admin/bookings/booking/{booking.pk}/payments/add/",
        "/admin/venues/venue/add/",
        "/api/docs/",
        "/api/v1/bookings/",
        f"/api/v1/bookings/{booking.pk}/",
        "/no-such-page/",
    ]
    found = {}
    for path in pages:
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code in {200, 404}, path
        found[path] = inline_code_in(response.content.decode())
    client.logout()
    found["/admin/login/"] = inline_code_in(client.get("/admin/login/").content.decode())
    assert found == {path: [] for path in found}


def test_the_api_docs_load_their_start_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


def test_the_status_badges_have_the_colours_of_the_statuses():
    stylesheet = (Path(django_settings.BASE_DIR) / "static/css/admin.css").read_text()
    for status, info in STATUS_INFO.items():
        assert f".status-{status} {{ background: {info.colour}; }}" in stylesheet


# -- no-store ------------------------------------------------------------------------------


def stored_nowhere(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_api_answers_with_personal_data_may_not_be_stored():
    booking = factories.BookingFactory()
    api = client_with(booking.organization, "read")
    answers = {
        "list": api.get("/api/v1/bookings/"),
        "detail": api.get(f"/api/v1/bookings/{booking.pk}/"),
        "customer": api.get(f"/api/v1/customers/{booking.customer.pk}/"),
        "not found": api.get("/api/v1/bookings/0/"),
        "no key": APIClient().get("/api/v1/bookings/"),
        "public door": APIClient().post("/api/v1/public/bookings", {}, format="json"),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "list": 200,
        "detail": 200,
        "customer": 200,
        "not found": 404,
        "no key": 401,
        "public door": 400,
    }
    assert {name for name, answer in answers.items() if not stored_nowhere(answer)} == set()


def test_the_customers_pages_may_not_be_stored_once_they_exist(client):
    # /book/ and /manage/ are reserved for the customer's pages; the rule already holds.
    assert stored_nowhere(client.get("/book/some-form/"))
    assert stored_nowhere(client.get("/manage/some-token/"))


def test_the_schema_and_the_docs_may_be_cached(client):
    assert not stored_nowhere(client.get("/api/schema/"))
    assert not stored_nowhere(client.get("/api/docs/"))


# -- login lockout -------------------------------------------------------------------------


def log_in(client, username, password, address="127.0.0.1", **headers):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_five_times(client, username, address="127.0.0.1"):
    return [log_in(client, username, "wrong", address).status_code for _ in range(5)]


def test_after_five_wrong_passwords_even_the_right_one_is_refused_with_an_explanation(client):
    staff = staff_member()
    assert fail_five_times(client, staff.username) == [200, 200, 200, 200, 429]

    response = log_in(client, staff.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = " ".join(response.content.decode().split())
    assert "<h1>Login locked for now</h1>" in page
    assert f"5 failed attempts in a row to log in as “{staff.username}”" in page
    assert "refused for 15 minutes, even with the right password" in page
    assert "Wait 15 minutes, then" in page
    assert "ask your Venuedesk administrator (a superuser) to clear the lock" in page
    assert "css/staff.css" in page  # the staff login's look
    assert 'Wait 15 minutes, then <a href="/admin/login/?next=%2Fadmin%2F">log in again</a>' in page
    assert policy_of(response)["script-src"] == ["'self'"]


def staff_log_in(client, username, password, next_="/staff/requests/"):
    return client.post("/staff/login/", {"username": username, "password": password, "next": next_})


def test_a_lockout_at_the_staff_login_looks_like_it_and_leads_back_to_it(client):
    staff = staff_member()
    statuses = [staff_log_in(client, staff.username, "wrong").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]

    response = staff_log_in(client, staff.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = " ".join(response.content.decode().split())
    assert "<title>Login locked for now · Venuedesk staff</title>" in page
    assert "<h1>Login locked for now</h1>" in page
    assert f"5 failed attempts in a row to log in as “{staff.username}”" in page
    assert "refused for 15 minutes, even with the right password" in page
    assert (
        'Wait 15 minutes, then <a href="/staff/login/?next=%2Fstaff%2Frequests%2F">log in again</a>'
        in page
    )
    assert "ask your Venuedesk administrator (a superuser) to clear the lock" in page
    assert "css/staff.css" in page
    assert "css/admin.css" not in page
    assert policy_of(response)["script-src"] == ["'self'"]


def test_the_lockout_page_does_not_lead_on_elsewhere_nor_echo_markup(client, db):
    for _ in range(5):  # an unknown username is locked out the same way
        response = staff_log_in(client, "<b>guess</b>", "wrong", next_="https://evil.example/")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'href="/staff/login/">log in again</a>' in page
    assert "evil.example" not in page
    assert "“&lt;b&gt;guess&lt;/b&gt;”" in page
    assert "<b>guess" not in page


def test_a_locked_username_does_not_lock_out_a_colleague_or_another_address(client):
    locked, colleague = staff_member(), staff_member()
    fail_five_times(client, locked.username, address="203.0.113.9")

    assert logged_in(log_in(client, colleague.username, PASSWORD, address="203.0.113.9"))
    client.logout()
    assert logged_in(log_in(client, locked.username, PASSWORD, address="198.51.100.7"))
    client.logout()
    assert log_in(client, locked.username, PASSWORD, address="203.0.113.9").status_code == 429


def test_the_lock_ends_fifteen_minutes_after_the_last_failure_however_often_one_retries(client):
    staff = staff_member()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_five_times(client, staff.username)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        # Trying during the lock does not make it longer.
        assert log_in(client, staff.username, "wrong").status_code == 429
        assert log_in(client, staff.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert logged_in(log_in(client, staff.username, PASSWORD))


def test_a_successful_login_starts_the_count_again(client):
    staff = staff_member()
    assert [log_in(client, staff.username, "wrong").status_code for _ in range(4)] == [200] * 4
    assert logged_in(log_in(client, staff.username, PASSWORD))
    client.logout()

    assert [log_in(client, staff.username, "wrong").status_code for _ in range(4)] == [200] * 4
    assert log_in(client, staff.username, "wrong").status_code == 429


def test_a_made_up_forwarded_for_header_does_not_dodge_the_lock(client):
    staff = staff_member()
    statuses = [
        log_in(
            client, staff.username, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}"
        ).status_code
        for attempt in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("trusted_proxies", "forwarded_for", "client"),
    [
        (0, "", "10.0.0.2"),
        (0, "203.0.113.9", "10.0.0.2"),  # nobody trusted adds the header: ignored
        (1, "", "10.0.0.2"),  # not through our proxy: the peer, never "no address"
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own entry is skipped
        (2, "203.0.113.9, 10.0.0.3", "203.0.113.9"),
        (2, "6.6.6.6, 7.7.7.7, 203.0.113.9, 10.0.0.3", "203.0.113.9"),
        (1, "2001:db8:1:2:aaaa::1", "2001:db8:1:2::"),  # one IPv6 subscriber: its /64
    ],
)
def test_the_lockout_counts_the_client_as_the_rate_limit_does(
    trusted_proxies, forwarded_for, client
):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.2", **headers)
    with override_settings(VENUEDESK_TRUSTED_PROXIES=trusted_proxies):
        assert get_client_ip_address(request) == client
        assert SharedScopedRateThrottle().get_ident(request) == client


@pytest.mark.parametrize("role", [Membership.Role.MANAGER, Membership.Role.VIEWER])
def test_staff_roles_do_not_see_the_login_records(client, role):
    client.force_login(staff_member(role))
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "axes" not in [app["app_label"] for app in index.context["app_list"]]
    for model in ("accessattempt", "accesslog", "accessfailurelog"):
        assert client.get(f"/admin/axes/{model}/").status_code == 403


def test_a_superuser_clears_a_lockout_in_the_admin(client, admin_client):
    staff = staff_member()
    fail_five_times(client, staff.username)
    attempt = AccessAttempt.objects.get(username=staff.username)
    assert "axes" in [app["app_label"] for app in admin_client.get("/admin/").context["app_list"]]
    assert admin_client.get("/admin/axes/accessattempt/").status_code == 200

    admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [attempt.pk], "post": "yes"},
    )

    assert not AccessAttempt.objects.filter(username=staff.username).exists()
    assert logged_in(log_in(client, staff.username, PASSWORD))


def test_a_client_cannot_claim_https_unless_a_trusted_proxy_says_it(settings, rf):
    request = rf.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert not request.is_secure()  # no trusted proxy: the header is the client's word


def test_deploy_checks_warn_when_mail_would_stay_on_the_machine(settings):
    from django.core.checks import run_checks

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    warned = [m.id for m in run_checks(include_deployment_checks=True)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    quiet = [m.id for m in run_checks(include_deployment_checks=True)]
    assert ("bookings.W001" in warned, "bookings.W001" in quiet) == (True, False)
