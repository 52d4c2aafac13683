"""Catalogue writes that touch no booking (venues): who may, the rules, save.

Catalogue changes that could hurt bookings (a blockout, an event's capacity, a space's
mode) are in bookings.services.catalogue, which knows the bookings.

Each function takes the object (unsaved to create it) and the `changes` to its editable
fields, runs the rules and the model's own checks, and saves in one transaction.
Errors name model fields (`space`, `capacity`); the API renames relations to its `_id`
inputs.
"""

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from core.actors import Actor
from core.errors import ErrorCode, InUse
from core.permissions import Action, require
from venues.models import OrganizationAPIKey, Venue

VENUE_FIELDS = (  # in the order the API shows them
    "name",
    "slug",
    "description",
    "address",
    "postal_code",
    "city",
    "country",
    "phone",
    "email",
    "timezone",
    "is_active",
)


def apply_changes(
    instance: models.Model, changes: Mapping[str, Any], editable: Collection[str]
) -> None:
    """Set the changed fields; a field outside `editable` is a programming error."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise TypeError(f"{type(instance).__name__} fields not editable here: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(instance, name, value)


def require_after(starts_at, ends_at) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "Must be after starts_at."})


# -- venues ---------------------------------------------------------------------------------


@transaction.atomic
def venue_save(*, actor: Actor, venue: Venue, changes: Mapping[str, Any]) -> Venue:
    """Create (an unsaved `venue` of its organisation) or change a venue.

    Rules: a manager of the organisation; the slug is free in the organisation; a real
    time zone. Bookings keep their instants when the zone changes; only how they read does.
    """
    require(actor, Action.MANAGE, venue.organization)
    apply_changes(venue, changes, VENUE_FIELDS)
    taken = Venue.objects.filter(organization_id=venue.organization_id, slug=venue.slug)
    if venue.slug and taken.exclude(pk=venue.pk).exists():
        raise ValidationError({"slug": "Another venue already has this slug."})
    venue.full_clean()
    venue.save()
    return venue


@transaction.atomic
def venue_delete(*, actor: Actor, venue: Venue) -> None:
    """Delete a venue nobody refers to; one with events, bookings or products stays."""
    require(actor, Action.MANAGE, venue.organization)
    try:
        with transaction.atomic():
            venue.delete()
    except ProtectedError:
        raise InUse(
            "The venue has events, bookings or products; deactivate it instead.",
            code=ErrorCode.VENUE_IN_USE,
        ) from None


# -- API keys -------------------------------------------------------------------------------

# How stale a key's `last_used_at` may get: the API writes it at most this often.
KEY_USE_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def api_key_create(*, actor: Actor, api_key: OrganizationAPIKey) -> str:
    """Make the unsaved `api_key` (its organisation, name, scopes and expiry set); answer
    its secret, which is never stored (only its hash) and so can be shown only this once.
    Rules: a manager of the organisation; scopes drawn from read / write / approve, at
    least one (kept sorted, once each)."""
    require(actor, Action.MANAGE, api_key.organization)
    if not api_key.scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    api_key.scopes = sorted(set(api_key.scopes))
    secret = OrganizationAPIKey.objects.assign_key(api_key)
    api_key.full_clean()
    api_key.save()
    return secret


@transaction.atomic
def api_key_revoke(*, actor: Actor, api_key: OrganizationAPIKey) -> bool:
    """Revoke a key for good: the API refuses it from the next request on. Rules: a manager
    of its organisation. False when it was revoked already (nothing changes)."""
    require(actor, Action.MANAGE, api_key.organization)
    revoked = OrganizationAPIKey.objects.filter(pk=api_key.pk, revoked=False).update(revoked=True)
    api_key.revoked = True
    return revoked == 1


def api_key_used(api_key: OrganizationAPIKey) -> None:
    """Note that the API accepted `api_key` now, to the minute: no query at all while the
    loaded `last_used_at` is recent, and a conditional UPDATE otherwise, so that requests
    racing each other write it once."""
    now = timezone.now()
    since = now - KEY_USE_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at >= since:
        return
    OrganizationAPIKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=since)
    ).update(last_used_at=now)
    api_key.last_used_at = now
