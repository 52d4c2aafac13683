"""The one permission policy, as a table: every kind of caller against every action."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor
from core.errors import PermissionDenied
from core.permissions import Action, may, require
from tests import factories as f
from venues.models import Membership, OrganizationAPIKey

pytestmark = pytest.mark.django_db

V, B, W, C, D, A, M = (
    Action.VIEW,
    Action.BOOK,
    Action.WRITE,
    Action.ASK_CHANGE,
    Action.FRONT_DESK,
    Action.APPROVE,
    Action.MANAGE,
)
ALL = set(Action)

# Who may do what in the organisation that owns the booking. Written out by hand on
# purpose: a change to the policy must change this table too.
TABLE = {
    "manager": ALL,
    "approver": {V, B, W, C, D, A},
    "front_desk": {V, B, W, C, D},
    "viewer": {V},
    "superuser": ALL,
    "inactive manager": set(),
    "manager of another organisation": set(),
    "staff without membership": set(),
    "key:read": {V},
    "key:write": {B, W, C, D},
    "key:approve": {A},
    "key:read+write+approve": {V, B, W, C, D, A},
    "revoked key with every scope": set(),
    "expired key with every scope": set(),
    "key of another organisation": set(),
    "customer without a token": {B},
    "customer with the booking's token": {B, V, C},
    "customer with another booking's token": {B},
    "system": ALL,
}


@pytest.fixture
def cast():
    """The organisation, one of its bookings, and an Actor for each row of TABLE."""
    organization = f.OrganizationFactory()
    other = f.OrganizationFactory()
    booking = f.BookingFactory(venue__organization=organization)
    token = booking.issue_manage_token()
    booking.save()
    other_booking = f.BookingFactory(venue__organization=organization)
    other_token = other_booking.issue_manage_token()
    other_booking.save()

    def member(role, *, organization=organization, **user):
        person = f.UserFactory(**user)
        f.MembershipFactory(user=person, organization=organization, role=role)
        return Actor.staff(person)

    def key(*scopes, organization=organization, **extra):
        api_key, _ = OrganizationAPIKey.objects.create_key(
            name="key", organization=organization, scopes=list(scopes), **extra
        )
        return Actor.api(api_key)

    actors = {role: member(role) for role in Membership.Role.values}
    actors |= {
        "superuser": Actor.staff(f.UserFactory(is_superuser=True)),
        "inactive manager": member("manager", is_active=False),
        "manager of another organisation": member("manager", organization=other),
        "staff without membership": Actor.staff(f.UserFactory()),
        "key:read": key("read"),
        "key:write": key("write"),
        "key:approve": key("approve"),
        "key:read+write+approve": key("read", "write", "approve"),
        "revoked key with every scope": key("read", "write", "approve", revoked=True),
        "expired key with every scope": key(
            "read", "write", "approve", expiry_date=timezone.now() - timedelta(days=1)
        ),
        "key of another organisation": key("read", "write", "approve", organization=other),
        "customer without a token": Actor.customer(),
        "customer with the booking's token": Actor.customer(token),
        "customer with another booking's token": Actor.customer(other_token),
        "system": Actor.system(),
    }
    return organization, booking, actors


def test_the_table_covers_every_kind_of_caller_and_every_action(cast):
    _, _, actors = cast
    assert set(actors) == set(TABLE)
    assert set(Membership.Role.values) <= set(TABLE)


@pytest.mark.parametrize("who", TABLE)
def test_each_caller_may_do_exactly_what_the_table_says(cast, who):
    organization, booking, actors = cast
    allowed = {
        action for action in Action if may(actors[who], action, organization, booking=booking)
    }
    assert allowed == TABLE[who]


@pytest.mark.parametrize("who", TABLE)
def test_require_refuses_with_a_reason_exactly_where_may_says_no(cast, who):
    organization, booking, actors = cast
    for action in Action:
        if action in TABLE[who]:
            require(actors[who], action, organization, booking=booking)
        else:
            with pytest.raises(PermissionDenied) as refusal:
                require(actors[who], action, organization, booking=booking)
            assert str(refusal.value)


def test_a_manage_token_is_worth_nothing_for_the_booking_of_another_organisation(cast):
    _, booking, actors = cast
    elsewhere = f.OrganizationFactory()
    customer = actors["customer with the booking's token"]
    assert not may(customer, Action.VIEW, elsewhere, booking=booking)


def test_a_customer_token_without_a_booking_to_match_gives_no_booking_rights(cast):
    organization, _, actors = cast
    customer = actors["customer with the booking's token"]
    assert not may(customer, Action.ASK_CHANGE, organization)
