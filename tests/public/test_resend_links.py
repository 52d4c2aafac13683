"""The "resend my booking links" page: one answer for every address, a honeypot, a rate limit."""

import re
from datetime import UTC, datetime

import pytest
from django import forms
from django.urls import reverse

from bookings.models import Booking, Notification
from core import ratelimit
from public.honeypot import HoneypotMixin
from tests.bookings import conftest as booking_world

pytestmark = pytest.mark.django_db

world = booking_world.world
FORM = "/manage/resend/"
SENT = "/manage/resend/sent/"


def post(client, email="ada@example.com", *, website="", **meta):
    return client.post(FORM, {"email": email, "website": website}, **meta)


def hashes() -> list[str]:
    return list(Booking.objects.order_by("pk").values_list("manage_token_hash", flat=True))


@pytest.fixture
def booked(world, mailoutbox):
    """ada@example.com (world.customer) has one upcoming booking; its own mail is cleared."""
    booking = world.book()
    mailoutbox.clear()
    return booking


def test_the_form_asks_for_a_labelled_e_mail_address_and_is_private(client):
    response = client.get(FORM)

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("public:resend-links") == FORM
    assert "<title>Get your booking links sent again · Venuedesk</title>" in page
    assert '<label for="id_email">Your e-mail address</label>' in page
    [field] = re.findall(r"<input[^>]*name=\"email\"[^>]*>", page)
    assert 'type="email"' in field
    assert 'autocomplete="email"' in field
    assert 'aria-describedby="id_email_helptext"' in field
    assert 'id="id_email_helptext"' in page
    assert "Links sent before stop working" in page
    assert "There is a problem" not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_form_carries_a_honeypot_no_person_sees_or_reaches(client):
    page = client.get(FORM).content.decode()

    [wrapper] = re.findall(r'<div class="off-screen" aria-hidden="true">.*?</div>', page, re.S)
    assert '<label for="id_website">Leave this empty</label>' in wrapper
    [field] = re.findall(r"<input[^>]*name=\"website\"[^>]*>", wrapper)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "required" not in field


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "Enter an e-mail address in the right form, like name@example.com."),
        ("", "Enter your e-mail address."),
        (f"{'a' * 250}@example.com", "An e-mail address is at most 254 characters long."),
    ],
)
def test_a_bad_address_is_named_in_an_error_summary_and_kept(
    client, booked, mailoutbox, email, message
):
    response = post(client, email)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Get your booking links sent again · Venuedesk</title>" in page
    [summary] = re.findall(r'<div class="error-summary".*?</div>', page, re.S)
    assert 'tabindex="-1"' in summary
    assert "autofocus" in summary
    assert '<h2 id="error-summary-title">There is a problem</h2>' in summary
    assert f'<a href="#id_email">{message}</a>' in summary
    [field] = re.findall(r"<input[^>]*name=\"email\"[^>]*>", page)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_email_helptext id_email_error"' in field
    assert f'id="id_email_error"><span class="visually-hidden">Error:</span> {message}' in page
    if email:
        assert f'value="{email}"' in field
    assert mailoutbox == []


def test_known_and_unknown_addresses_get_the_same_answer(
    client, booked, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = post(client, "ada@example.com")
    unknown = post(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == SENT
    known_page, unknown_page = client.get(known["Location"]), client.get(unknown["Location"])
    assert known_page.status_code == unknown_page.status_code == 200
    assert known_page.content == unknown_page.content
    assert "If we have upcoming bookings for that address, we have sent" in (
        known_page.content.decode()
    )
    assert known_page["X-Robots-Tag"] == "noindex, nofollow"
    [mail] = mailoutbox  # and only the known address got one
    assert mail.to == ["ada@example.com"]
    assert booked.reference in mail.body


def test_a_filled_honeypot_gets_the_same_answer_and_nothing_is_done(
    client, booked, mailoutbox, django_capture_on_commit_callbacks
):
    before = hashes()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "ada@example.com", website="https://spam.example")

    assert (response.status_code, response["Location"]) == (302, SENT)
    assert mailoutbox == []
    assert not Notification.objects.filter(kind=Notification.Kind.MANAGE_LINKS).exists()
    assert hashes() == before
    # Even with an address no person would type: a robot learns nothing from the answer.
    assert post(client, "junk", website="x")["Location"] == SENT


@pytest.fixture
def mid_minute(monkeypatch):
    """core.ratelimit's clock, stopped half a minute into a window."""
    stopped = datetime(2030, 3, 4, 10, 20, 30, tzinfo=UTC).timestamp()
    monkeypatch.setattr(ratelimit, "now", lambda: stopped)


def test_the_twenty_first_post_in_a_minute_is_refused_with_a_page_that_says_how_long_to_wait(
    client, settings, booked, mailoutbox, mid_minute, django_capture_on_commit_callbacks
):
    settings.VENUEDESK_PAGE_RATES = {"public_pages": "20/minute"}
    for _ in range(20):
        assert post(client, "nobody@example.com").status_code == 302
    assert client.get(FORM).status_code == 200  # reading the form is not counted

    with django_capture_on_commit_callbacks(execute=True):
        refused = post(client, "ada@example.com")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    page = refused.content.decode()
    assert "Too many tries" in page
    assert "Please wait 30 seconds and try again." in page
    assert "Nothing was sent or changed" in page
    assert f'href="{FORM}"' in page
    assert refused["X-Robots-Tag"] == "noindex, nofollow"
    assert mailoutbox == []  # the refused request did nothing


def test_another_client_is_not_held_back_by_the_first(client, settings, mid_minute):
    settings.VENUEDESK_PAGE_RATES = {"public_pages": "1/minute"}
    assert post(client, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert post(client, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert post(client, REMOTE_ADDR="198.51.100.8").status_code == 302


def test_the_link_not_found_page_leads_to_the_form(client):
    response = client.get("/manage/not-a-token/")

    assert response.status_code == 404
    assert f'<a href="{FORM}">Lost your link? Get it sent again</a>' in response.content.decode()


def test_other_methods_are_not_allowed(client):
    assert client.put(FORM).status_code == 405
    assert client.post(SENT).status_code == 405


def test_the_honeypot_mixes_into_any_form_after_its_own_fields():
    class Question(HoneypotMixin, forms.Form):
        question = forms.CharField()

    assert list(Question().fields) == ["question", "website"]
    assert not Question().caught_in_honeypot
    assert not Question({"question": "?", "website": "  "}).caught_in_honeypot
    assert Question({"question": "?", "website": "https://spam.example"}).caught_in_honeypot
