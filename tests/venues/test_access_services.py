"""Organisations and their members change through venues.services: an organisation keeps a
manager, and its currency once it has bookings."""

import pytest
from django.core.exceptions import ValidationError

from core.actors import Actor
from core.errors import PermissionDenied
from tests import factories as f
from tests.bookings import conftest as booking_world
from venues.models import Membership, Organization
from venues.services import membership_delete, membership_save, organization_save

world = booking_world.world
Role = Membership.Role


def membership_of(world, role) -> Membership:
    return Membership.objects.get(user=world.actors[role].user, organization=world.organization)


def test_the_last_manager_is_neither_demoted_nor_removed(world):
    manager = world.actors["manager"]
    own = membership_of(world, Role.MANAGER)

    with pytest.raises(ValidationError) as demoted:
        membership_save(actor=manager, membership=own, changes={"role": Role.VIEWER})
    with pytest.raises(ValidationError):
        membership_delete(actor=manager, membership=own)

    assert "at least one manager" in demoted.value.message_dict["role"][0]
    own.refresh_from_db()
    assert own.role == Role.MANAGER


def test_with_a_second_manager_the_first_may_step_down(world):
    manager = world.actors["manager"]
    membership_save(
        actor=manager, membership=membership_of(world, Role.APPROVER), changes={"role": "manager"}
    )

    membership_save(
        actor=manager, membership=membership_of(world, Role.MANAGER), changes={"role": "viewer"}
    )

    assert membership_of(world, Role.MANAGER).role == Role.VIEWER


def test_only_managers_give_roles(world):
    with pytest.raises(PermissionDenied):
        membership_save(
            actor=world.actors["approver"],
            membership=membership_of(world, Role.VIEWER),
            changes={"role": Role.MANAGER},
        )
    assert membership_of(world, Role.VIEWER).role == Role.VIEWER


def test_the_currency_stays_once_there_are_bookings(world):
    manager = world.actors["manager"]
    fresh = f.OrganizationFactory()
    organization_save(actor=Actor.system(), organization=fresh, changes={"currency": "GBP"})
    world.book(start="2030-03-04 10:00", end="2030-03-04 12:00")

    with pytest.raises(ValidationError) as refused:
        organization_save(
            actor=manager, organization=world.organization, changes={"currency": "GBP"}
        )

    assert "cannot change once there are bookings" in refused.value.message_dict["currency"][0]
    world.organization.refresh_from_db()
    assert world.organization.currency == "EUR"
    assert Organization.objects.get(pk=fresh.pk).currency == "GBP"


def test_only_superusers_open_an_organisation(world):
    with pytest.raises(PermissionDenied):
        organization_save(
            actor=world.actors["manager"],
            organization=Organization(),
            changes={"name": "Elsewhere", "slug": "elsewhere"},
        )
    assert not Organization.objects.filter(slug="elsewhere").exists()
