"""Calendar feeds change through venues.services: a manager makes one and reads its token
once (only its hash is kept), and revokes it for good."""

import pytest

from core.actors import Actor
from core.errors import PermissionDenied
from tests.bookings import conftest as booking_world
from venues.models import CalendarFeed, hash_feed_token
from venues.selectors import calendar_feed_by_token
from venues.services import calendar_feed_create, calendar_feed_revoke

world = booking_world.world


def test_a_manager_makes_a_feed_and_reads_its_token_once(world):
    feed = CalendarFeed(venue=world.venue, name="Front desk tablet")
    token = calendar_feed_create(actor=world.actors["manager"], feed=feed)

    stored = CalendarFeed.objects.get()
    assert len(token) >= 43  # 256 bits
    assert stored.token_hash == hash_feed_token(token)
    assert token not in {stored.token_hash, stored.name}
    assert stored.created_by == world.actors["manager"].user
    assert calendar_feed_by_token(token=token) == stored


@pytest.mark.parametrize("who", ["approver", "front_desk", "viewer", "key:approve", "stranger"])
def test_no_one_but_a_manager_of_the_venue_makes_a_feed(world, who):
    # The address reads every booking of the venue without a login, like an API key.
    with pytest.raises(PermissionDenied):
        calendar_feed_create(
            actor=world.actors[who], feed=CalendarFeed(venue=world.venue, name="x")
        )
    assert not CalendarFeed.objects.exists()


def test_a_revoked_feed_is_no_feed_and_stays_revoked(world):
    manager = world.actors["manager"]
    feed = CalendarFeed(venue=world.venue, name="Kitchen")
    token = calendar_feed_create(actor=manager, feed=feed)

    assert calendar_feed_revoke(actor=manager, feed=feed) is True
    first_revoked_at = CalendarFeed.objects.get().revoked_at
    assert calendar_feed_revoke(actor=manager, feed=feed) is False

    assert calendar_feed_by_token(token=token) is None
    assert CalendarFeed.objects.get().revoked_at == first_revoked_at is not None


def test_only_a_manager_revokes_a_feed(world):
    feed = CalendarFeed(venue=world.venue, name="Kitchen")
    token = calendar_feed_create(actor=world.actors["manager"], feed=feed)
    with pytest.raises(PermissionDenied):
        calendar_feed_revoke(actor=world.actors["approver"], feed=feed)
    assert calendar_feed_by_token(token=token) == feed


def test_the_system_makes_feeds_without_a_creator(world):
    feed = CalendarFeed(venue=world.venue, name="Wall screen")
    calendar_feed_create(actor=Actor.system(), feed=feed)
    assert CalendarFeed.objects.get().created_by is None


@pytest.mark.parametrize("token", ["", "x" * 201, "not-a-token"])
def test_an_empty_long_or_unknown_token_opens_no_feed(world, token):
    feed = CalendarFeed(venue=world.venue, name="x")
    calendar_feed_create(actor=world.actors["manager"], feed=feed)
    assert calendar_feed_by_token(token=token) is None
