"""A lost manage link: new links to an address's upcoming bookings, one e-mail per organisation."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import sealing, services
from bookings.models import Booking, LogEntry, Notification
from bookings.notifications import (
    MANAGE_LINK_PLACEHOLDER,
    deliver_due,
    manage_link_placeholder,
    queue,
)
from bookings.selectors import booking_by_manage_token
from bookings.services import ContactIn, SpaceLineIn
from core.actors import Actor
from tests import factories as f
from tests.bookings.conftest import at

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/manage/[A-Za-z0-9_-]+/)")
Kind = Notification.Kind


def links_rows():
    return Notification.objects.filter(kind=Kind.MANAGE_LINKS)


def paths_in(text: str) -> list[str]:
    return LINK.findall(text)


def send(email, django_capture_on_commit_callbacks, *, deliver=True):
    with django_capture_on_commit_callbacks(execute=deliver):
        services.manage_links_send(email=email)


def mails_to(mailoutbox, address):
    return [mail for mail in mailoutbox if mail.to == [address]]


@pytest.fixture
def ada(world, django_capture_on_commit_callbacks):
    """world.customer (ada@example.com): two upcoming bookings, and some that are not."""
    pending = world.book(start="2030-03-05 10:00", end="2030-03-05 12:00")
    approved = world.book(start="2030-03-04 18:00", end="2030-03-04 20:00", approve=True)
    denied = world.book(start="2030-03-06 10:00", end="2030-03-06 12:00")
    services.booking_deny(actor=world.actors["approver"], booking=denied)
    canceled = world.book(start="2030-03-07 10:00", end="2030-03-07 12:00")
    services.booking_cancel(actor=world.actors["approver"], booking=canceled)
    past = world.book(start="2030-03-08 10:00", end="2030-03-08 12:00")
    yesterday = timezone.now() - timedelta(days=1)
    Booking.objects.filter(pk=past.pk).update(
        starts_at=yesterday - timedelta(hours=2), ends_at=yesterday
    )
    Notification.objects.all().delete()  # the mails of the bookings themselves
    return {
        "listed": [approved, pending],  # soonest first
        "unlisted": [denied, canceled, past],
    }


def test_a_known_address_gets_one_mail_listing_every_upcoming_open_booking(
    world, ada, mailoutbox, django_capture_on_commit_callbacks
):
    send("ada@example.com", django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"]
    assert mail.subject == f"Your booking links — {world.organization.name}"
    listed = [booking.reference for booking in ada["listed"]]
    assert re.findall(r"VD-[A-Z0-9]+", mail.body) == listed
    for booking in ada["unlisted"]:
        assert booking.reference not in mail.body + mail.alternatives[0][0]
    assert "Links sent before stop working" in mail.body
    assert "Monday 4 March 2030, 18:00–20:00 (Europe/Madrid time)" in mail.body
    assert "Status: Confirmed" in mail.body
    assert "Status: Waiting for our confirmation" in mail.body
    assert len(paths_in(mail.body)) == 2
    assert list(dict.fromkeys(paths_in(mail.alternatives[0][0]))) == paths_in(mail.body)


def test_each_new_link_opens_its_booking_and_the_old_links_stop_working(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
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
    mailoutbox.clear()
    assert client.get(f"/manage/{created.manage_token}/").status_code == 200

    send("guest@example.com", django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    [path] = paths_in(mail.body)
    page = client.get(path)
    assert page.status_code == 200
    assert created.booking.reference in page.content.decode()
    assert client.get(f"/manage/{created.manage_token}/").status_code == 404
    assert booking_by_manage_token(token=created.manage_token) is None


def test_the_address_matches_whatever_its_case_and_the_mail_goes_to_the_address_as_stored(
    world, ada, mailoutbox, django_capture_on_commit_callbacks
):
    send("  ADA@Example.COM ", django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"]
    assert len(paths_in(mail.body)) == 2


def test_a_booking_whose_contact_has_the_address_is_listed_too(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    booking = world.book(contact=ContactIn(name="Bo", email="Bo@Example.com"))
    mailoutbox.clear()

    send("bo@example.com", django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    assert mail.to == ["Bo@Example.com"]
    assert booking.reference in mail.body


def test_each_organisation_sends_its_own_mail(
    world, ada, mailoutbox, django_capture_on_commit_callbacks
):
    other = f.OrganizationFactory(name="Lighthouse")
    space = f.SpaceFactory(venue=f.VenueFactory(organization=other, timezone="Europe/London"))
    elsewhere = services.booking_create(
        actor=Actor.system(),
        organization=other,
        venue=space.venue,
        customer=f.CustomerFactory(organization=other, email="ada@example.com"),
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=space,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 11:00"),
                places=2,
            )
        ],
    ).booking
    mailoutbox.clear()

    send("ada@example.com", django_capture_on_commit_callbacks)

    assert sorted(mail.subject for mail in mailoutbox) == [
        "Your booking link — Lighthouse",
        f"Your booking links — {world.organization.name}",
    ]
    [lighthouse] = [mail for mail in mailoutbox if "Lighthouse" in mail.subject]
    assert re.findall(r"VD-[A-Z0-9]+", lighthouse.body) == [elsewhere.reference]
    assert "09:00–10:00 (Europe/London time)" in lighthouse.body
    assert {row.organization_id for row in links_rows()} == {world.organization.pk, other.pk}


def test_an_unknown_address_gets_nothing_at_all(
    world, ada, mailoutbox, django_capture_on_commit_callbacks
):
    log_entries = LogEntry.objects.count()
    hashes = list(Booking.objects.order_by("pk").values_list("manage_token_hash", flat=True))

    assert services.manage_links_send(email="nobody@example.com") is None
    send("nobody@example.com", django_capture_on_commit_callbacks)

    assert Notification.objects.count() == 0
    assert mailoutbox == []
    assert LogEntry.objects.count() == log_entries
    assert list(Booking.objects.order_by("pk").values_list("manage_token_hash", flat=True)) == (
        hashes
    )


def test_an_address_with_only_closed_or_past_bookings_gets_nothing(
    world, ada, mailoutbox, django_capture_on_commit_callbacks
):
    Booking.objects.filter(pk__in=[booking.pk for booking in ada["listed"]]).delete()

    send("ada@example.com", django_capture_on_commit_callbacks)

    assert not links_rows().exists()
    assert mailoutbox == []


def test_each_booking_logs_the_new_link_which_its_customer_history_leaves_out(
    world, ada, django_capture_on_commit_callbacks
):
    updated = {booking.pk: booking.updated_at for booking in ada["listed"]}

    send("ada@example.com", django_capture_on_commit_callbacks)

    [row] = links_rows()
    entries = LogEntry.objects.filter(action=LogEntry.Action.LINK_RESENT)
    assert {entry.booking_id for entry in entries} == set(updated)
    assert all(entry.data == {"notification": row.pk} for entry in entries)
    assert all(entry.actor_kind == "customer" for entry in entries)
    for booking in Booking.objects.filter(pk__in=updated):
        assert booking.updated_at == updated[booking.pk]  # nothing staff see has changed
    unlisted = LogEntry.objects.filter(booking__in=ada["unlisted"], action="link_resent")
    assert not unlisted.exists()


def test_the_history_on_the_manage_page_does_not_show_the_new_link(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    world.book()
    mailoutbox.clear()
    send("ada@example.com", django_capture_on_commit_callbacks)
    [path] = paths_in(mailoutbox[0].body)

    page = client.get(path)

    assert [item["words"] for item in page.context["history"]] == ["Booking requested"]


def test_the_mail_reads_well_in_both_parts_and_says_whom_to_contact(
    world, ada, django_capture_on_commit_callbacks
):
    world.organization.phone = "+34 960 000 111"
    world.organization.save()

    send("ada@example.com", django_capture_on_commit_callbacks, deliver=False)

    [row] = links_rows()
    assert row.body_html.startswith("<!doctype html>")
    assert "<" not in row.body_text
    assert "\n\n\n" not in row.body_text
    for body in (row.body_text, row.body_html):
        assert "hello@harbour.example" in body
        assert "+34 960 000 111" in body
        assert "Europe/Madrid" in body
        assert "Links sent before stop working" in body


def test_the_per_booking_queue_refuses_the_kind_of_booking_links(world):
    with pytest.raises(ValueError, match="queue_manage_links"):
        queue(booking=world.book(), kind=Kind.MANAGE_LINKS)


# -- the outbox row: no link in clear, sealed, wiped once sent --------------------------------


def stored_text(row: Notification) -> str:
    return " ".join(str(getattr(row, field.attname)) for field in Notification._meta.fields)


def test_the_pending_row_holds_numbered_placeholders_and_only_sealed_links(
    world, ada, mailoutbox, django_capture_on_commit_callbacks
):
    send("ada@example.com", django_capture_on_commit_callbacks, deliver=False)

    [row] = links_rows()
    assert row.status == Notification.Status.PENDING
    assert "/manage/" not in stored_text(row)
    for part in (row.body_text, row.body_html):
        assert manage_link_placeholder(1) in part
        assert manage_link_placeholder(2) in part
        assert MANAGE_LINK_PLACEHOLDER not in part
    assert row.booking is None
    assert row.organization == world.organization
    links = sealing.unseal_json(row.sealed_manage_url, purpose=sealing.OUTBOX)
    assert len(links) == 2
    assert all("/manage/" in link for link in links)

    assert deliver_due() == (1, 0)

    row.refresh_from_db()
    assert (row.status, row.sealed_manage_url) == (Notification.Status.SENT, "")
    [mail] = mailoutbox
    html = mail.alternatives[0][0]
    assert links == re.findall(r"https?://\S+/manage/[\w-]+/", mail.body)
    for link in links:
        assert f'href="{link}"' in html
    assert "[private manage link" not in mail.body + html


def test_a_sent_row_keeps_no_link(world, ada, mailoutbox, django_capture_on_commit_callbacks):
    send("ada@example.com", django_capture_on_commit_callbacks)

    [row] = links_rows()
    assert (row.status, row.sealed_manage_url) == (Notification.Status.SENT, "")
    assert "/manage/" not in stored_text(row)
    assert len(paths_in(mailoutbox[0].body)) == 2


def test_a_links_row_given_up_for_good_loses_its_sealed_links(world, ada, settings):
    settings.EMAIL_BACKEND = "tests.bookings.test_notifications.FailingEmailBackend"
    settings.VENUEDESK_NOTIFICATION_MAX_ATTEMPTS = 1
    services.manage_links_send(email="ada@example.com")

    assert deliver_due() == (0, 1)

    [row] = links_rows()
    assert (row.status, row.sealed_manage_url) == (Notification.Status.FAILED, "")


# -- no one floods an inbox ---------------------------------------------------------------------


def test_an_address_gets_at_most_its_rate_of_link_mails_whoever_asks(
    world, ada, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.VENUEDESK_LINKS_PER_ADDRESS_RATE = "2/hour"

    for email in ("ada@example.com", "ADA@example.com", "ada@example.com"):
        send(email, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 2
    assert links_rows().count() == 2
