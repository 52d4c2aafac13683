"""The customer's manage link is not readable at rest in the outbox, nor by staff who may not act
for the customer: bodies hold a placeholder, the link is sealed until it is sent."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bookings import sealing
from bookings.models import Notification
from bookings.notifications import MANAGE_LINK_PLACEHOLDER, deliver_due
from tests import factories as f
from tests.bookings.test_api_bookings import url
from tests.bookings.test_api_public import submission
from venues.models import Membership

pytestmark = pytest.mark.django_db

Status = Notification.Status
FAILING_BACKEND = "tests.bookings.test_notifications.FailingEmailBackend"


def book_in_public(world, django_capture_on_commit_callbacks, *, send: bool) -> dict:
    """A public booking through the API; its mail is sent after commit when `send`."""
    with django_capture_on_commit_callbacks(execute=send):
        response = APIClient().post(url("public/bookings"), submission(world), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def stored_values(row: Notification) -> dict[str, str]:
    """Every column of the row as the database holds it, as text."""
    return {
        field.attname: str(getattr(row, field.attname))
        for field in Notification._meta.concrete_fields
    }


def customer_row(reference: str) -> Notification:
    return Notification.objects.get(
        booking__reference=reference, kind=Notification.Kind.REQUEST_RECEIVED
    )


def test_a_sent_notification_keeps_no_manage_token_in_any_field(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    created = book_in_public(world, django_capture_on_commit_callbacks, send=True)

    row = customer_row(created["reference"])
    assert row.status == Status.SENT
    leaks = {name for name, value in stored_values(row).items() if created["manage_token"] in value}
    assert leaks == set()
    assert row.sealed_manage_url == ""  # wiped once sent
    assert MANAGE_LINK_PLACEHOLDER in row.body_text
    [email] = [email for email in mailoutbox if email.to == ["pia@example.com"]]
    assert created["manage_url"] in email.body


def test_a_pending_notification_keeps_no_manage_token_but_the_mail_sent_carries_a_working_link(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    created = book_in_public(world, django_capture_on_commit_callbacks, send=False)

    row = customer_row(created["reference"])
    assert row.status == Status.PENDING
    leaks = {name for name, value in stored_values(row).items() if created["manage_token"] in value}
    assert leaks == set()
    assert row.sealed_manage_url  # kept, sealed, for the attempt that sends it

    assert deliver_due() == (2, 0)
    [email] = [email for email in mailoutbox if email.to == ["pia@example.com"]]
    [link] = set(re.findall(r"https?://\S+/manage/[\w-]+/", email.body))
    assert link == created["manage_url"]
    assert f'href="{link}"' in email.alternatives[0][0]
    assert MANAGE_LINK_PLACEHOLDER not in email.body + email.alternatives[0][0]
    token = link.rstrip("/").rsplit("/", 1)[1]
    asked = APIClient().post(
        url("public/change-requests"),
        {"manage_token": token, "cancellation": True},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    row.refresh_from_db()
    assert (row.status, row.sealed_manage_url) == ("sent", "")


def test_a_message_given_up_for_good_loses_its_sealed_link(world, settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    settings.VENUEDESK_NOTIFICATION_MAX_ATTEMPTS = 1
    created = world.book()
    row = Notification.objects.get(booking=created, kind=Notification.Kind.REQUEST_RECEIVED)
    assert row.sealed_manage_url

    assert deliver_due() == (0, 1)

    row.refresh_from_db()
    assert (row.status, row.sealed_manage_url) == ("failed", "")


def test_a_link_sealed_under_a_retired_secret_key_is_never_sent_as_a_placeholder(
    world, settings, mailoutbox
):
    booking = world.book()
    settings.SECRET_KEY = "a-new-key-after-a-rotation-that-dropped-the-old-one"

    assert deliver_due() == (0, 1)

    row = Notification.objects.get(booking=booking, kind=Notification.Kind.REQUEST_RECEIVED)
    assert (row.status, row.sealed_manage_url) == ("failed", "")
    assert "Unsealable" in row.last_error
    assert mailoutbox == []


def test_a_link_sealed_under_a_fallback_secret_key_is_still_sent(world, settings, mailoutbox):
    world.book()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-after-a-rotation"
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert deliver_due() == (1, 0)

    [email] = mailoutbox
    assert "/manage/" in email.body


def test_sms_rows_carry_no_sealed_link_when_their_text_shows_none(world):
    world.customer.phone = "+34 600 000 001"
    world.customer.save()

    booking = world.book(notify_sms=True)

    rows = Notification.objects.filter(booking=booking, kind=Notification.Kind.REQUEST_RECEIVED)
    sealed = {row.channel: bool(row.sealed_manage_url) for row in rows}
    assert sealed == {"email": True, "sms": False}


def test_the_sealed_link_opens_only_with_the_outbox_purpose(world):
    row = Notification.objects.get(booking=world.book(), kind=Notification.Kind.REQUEST_RECEIVED)

    assert "/manage/" in sealing.unseal(row.sealed_manage_url, purpose=sealing.OUTBOX)
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(row.sealed_manage_url, purpose=sealing.IDEMPOTENCY)


# -- the admin: bodies only for roles that may act for the customer -----------------------------


def admin_page_of(client, world, role: str, row: Notification) -> str:
    user = f.UserFactory(username=f"{role}-admin", is_staff=True)
    f.MembershipFactory(user=user, organization=world.organization, role=role)
    client.force_login(user)
    response = client.get(reverse("admin:bookings_notification_change", args=[row.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def pending_customer_message(world, django_capture_on_commit_callbacks):
    created = book_in_public(world, django_capture_on_commit_callbacks, send=False)
    return customer_row(created["reference"]), created["manage_token"]


BODY_WORDS = "Keep this link to yourself"  # in the text and HTML parts, not in the subject


def test_a_viewer_sees_a_messages_metadata_but_not_its_body(
    client, world, pending_customer_message
):
    row, token = pending_customer_message

    page = admin_page_of(client, world, Membership.Role.VIEWER, row)

    assert row.recipient in page
    assert row.subject in page
    assert BODY_WORDS not in page
    assert token not in page
    assert MANAGE_LINK_PLACEHOLDER not in page


def test_front_desk_sees_the_body_with_the_link_as_a_placeholder(
    client, world, pending_customer_message
):
    row, token = pending_customer_message

    page = admin_page_of(client, world, Membership.Role.FRONT_DESK, row)

    assert BODY_WORDS in page
    assert MANAGE_LINK_PLACEHOLDER in page
    assert token not in page
    assert "/manage/" not in page


def test_a_manage_link_left_in_a_body_is_masked_in_the_admin(client, world):
    row = f.NotificationFactory(
        booking=world.book(),
        body_text="Your link: https://book.example/manage/Zm9vYmFyLXNlY3JldA/ keep it.",
        body_html='<a href="https://book.example/manage/Zm9vYmFyLXNlY3JldA/">link</a>',
    )

    page = admin_page_of(client, world, Membership.Role.MANAGER, row)

    assert "Zm9vYmFyLXNlY3JldA" not in page
    assert f"Your link: {MANAGE_LINK_PLACEHOLDER} keep it." in page
