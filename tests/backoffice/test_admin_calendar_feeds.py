"""Calendar feeds in the admin: made by managers with the address shown once, listed under
their venue, revoked for good (the address is then a 404); nobody else sees them."""

import re

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from core.actors import Actor
from tests import factories
from tests.backoffice.pages import admin_url, messages_of, staff_member_of
from venues import services
from venues.models import CalendarFeed, Membership

pytestmark = pytest.mark.django_db

ADDRESS = re.compile(r"https?://\S+(/calendars/[A-Za-z0-9_-]+\.ics)")


@pytest.fixture
def venue():
    return factories.VenueFactory(timezone="Europe/Madrid")


@pytest.fixture
def manager(client, venue):
    client.force_login(staff_member_of(venue.organization, Membership.Role.MANAGER))
    return client


def made_feed(venue, name="Front desk") -> tuple[CalendarFeed, str]:
    feed = CalendarFeed(venue=venue, name=name)
    return feed, services.calendar_feed_create(actor=Actor.system(), feed=feed)


def test_a_manager_makes_a_feed_whose_address_is_shown_once(manager, venue, client):
    add = manager.get(admin_url(CalendarFeed, "add")).content.decode()
    assert "shown <strong>once</strong>" in add

    response = manager.post(
        admin_url(CalendarFeed, "add"), {"venue": venue.pk, "name": "Front desk"}, follow=True
    )
    said = " ".join(messages_of(response))
    assert "shown only this once" in said
    (path,) = ADDRESS.findall(said)
    feed = CalendarFeed.objects.get()
    assert (feed.venue, feed.name, feed.created_by) == (
        venue,
        "Front desk",
        response.wsgi_request.user,
    )
    assert path.removeprefix("/calendars/").removesuffix(".ics") not in feed.token_hash
    assert client.get(path).status_code == 200
    # Never again: the feed's page, read later, does not show it.
    later = manager.get(admin_url(CalendarFeed, "change", quote(feed.pk))).content.decode()
    assert path not in later


def test_a_feed_revoked_on_its_page_answers_404_and_stays_on_record(manager, venue, client):
    feed, token = made_feed(venue)
    page = manager.get(admin_url(CalendarFeed, "change", quote(feed.pk))).content.decode()
    revoke_url = admin_url(CalendarFeed, "revoke", quote(feed.pk))
    assert revoke_url in page
    assert 'name="name"' not in page  # made, then never edited

    confirm = manager.get(revoke_url)
    assert "cannot be undone" in confirm.content.decode()
    assert client.get(f"/calendars/{token}.ics").status_code == 200  # asking is not doing
    response = manager.post(revoke_url, follow=True)
    assert "is revoked" in " ".join(messages_of(response))
    assert client.get(f"/calendars/{token}.ics").status_code == 404

    page = manager.get(admin_url(CalendarFeed, "change", quote(feed.pk))).content.decode()
    assert revoke_url not in page
    assert "This feed is revoked" in page


def test_the_bulk_action_revokes_the_chosen_feeds(manager, venue):
    (first, _), (second, _), (kept, _) = (made_feed(venue, name) for name in "ABC")
    response = manager.post(
        admin_url(CalendarFeed, "changelist"),
        {"action": "revoke", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "2 calendar feed(s) revoked." in messages_of(response)
    assert set(CalendarFeed.objects.filter(revoked_at__isnull=False)) == {first, second}


def test_the_venues_page_lists_its_feeds_for_managers(manager, venue):
    made_feed(venue, "Kitchen screen")
    page = manager.get(admin_url(type(venue), "change", quote(venue.pk))).content.decode()
    assert "Kitchen screen" in page


@pytest.mark.parametrize(
    "role", [Membership.Role.APPROVER, Membership.Role.FRONT_DESK, Membership.Role.VIEWER]
)
def test_only_managers_see_and_handle_feeds(client, venue, role):
    feed, token = made_feed(venue, "Kitchen screen")
    client.force_login(staff_member_of(venue.organization, role))

    assert client.get(admin_url(CalendarFeed, "changelist")).status_code == 403
    assert client.get(admin_url(CalendarFeed, "add")).status_code == 403
    assert client.post(admin_url(CalendarFeed, "revoke", quote(feed.pk))).status_code in (403, 404)
    assert "Calendar feeds" not in client.get(reverse("admin:index")).content.decode()
    venue_page = client.get(admin_url(type(venue), "change", quote(venue.pk))).content.decode()
    assert "Kitchen screen" not in venue_page
    assert client.get(f"/calendars/{token}.ics").status_code == 200


def test_a_manager_of_another_organisation_sees_no_feed_here(client, venue):
    feed, token = made_feed(venue, "Kitchen screen")
    client.force_login(staff_member_of(factories.OrganizationFactory()))
    assert (
        "Kitchen screen" not in client.get(admin_url(CalendarFeed, "changelist")).content.decode()
    )
    assert client.post(admin_url(CalendarFeed, "revoke", quote(feed.pk))).status_code in (403, 404)
    assert client.get(f"/calendars/{token}.ics").status_code == 200
