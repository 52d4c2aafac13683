"""Catalogue writes (venues, blockouts, events): who may, the rules that protect bookings, save.

Each function takes the object (unsaved to create it) and the `changes` to its editable
fields, runs the rules and the model's own checks, and saves in one transaction.
Errors name model fields (`space`, `capacity`); the API renames relations to its `_id`
inputs.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, Sum

from bookings.actors import MANAGE, WRITE, Actor
from bookings.availability import lock_resources, span_text
from bookings.errors import InUse
from bookings.models import BookingStatus, EventBooking, SpaceBooking
from venues.models import Blockout, Event, Venue

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
BLOCKOUT_FIELDS = ("space", "starts_at", "ends_at", "reason", "note")
EVENT_FIELDS = (
    "venue",
    "space",
    "title",
    "description",
    "notes",
    "starts_at",
    "ends_at",
    "capacity",
    "is_public",
)


@dataclass
class SavedBlockout:
    blockout: Blockout
    warnings: list[str]


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
    actor.require(MANAGE, venue.organization)
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
    actor.require(MANAGE, venue.organization)
    try:
        with transaction.atomic():
            venue.delete()
    except ProtectedError:
        raise InUse(
            "The venue has events, bookings or products; deactivate it instead.",
            code="venue_in_use",
        ) from None


# -- blockouts ------------------------------------------------------------------------------


@transaction.atomic
def blockout_save(*, actor: Actor, blockout: Blockout, changes: Mapping[str, Any]) -> SavedBlockout:
    """Create or change a blockout (front-desk staff or a `write` key may).

    Bookings already approved in the space keep their time: the blockout only stops new
    ones. The answer warns about each approved booking it overlaps and about pending
    requests that will no longer fit. The space is locked first, so an approval running
    at the same moment either sees the blockout or is listed in the warnings.
    """
    if blockout.pk is not None:
        actor.require(WRITE, blockout.space.venue.organization)
    apply_changes(blockout, changes, BLOCKOUT_FIELDS)
    space = blockout.space
    actor.require(WRITE, space.venue.organization)
    require_after(blockout.starts_at, blockout.ends_at)
    blockout.full_clean()
    lock_resources(spaces=[space])
    blockout.save()
    return SavedBlockout(blockout=blockout, warnings=_blockout_warnings(blockout))


def _blockout_warnings(blockout: Blockout) -> list[str]:
    space, tz = blockout.space, blockout.space.venue.tzinfo
    lines = (
        SpaceBooking.objects.filter(
            space=space, occupied_from__lt=blockout.ends_at, occupied_until__gt=blockout.starts_at
        )
        .filter(models.Q(holds_capacity=True) | models.Q(booking__status=BookingStatus.PENDING))
        .select_related("booking")
        .order_by("starts_at", "pk")
    )
    warnings, pending = [], []
    for line in lines:
        if line.holds_capacity:
            warnings.append(
                f"{line.booking.reference} ({line.booking.status}) keeps {space.name} "
                f"{span_text(line.starts_at, line.ends_at, tz)}, inside this blockout."
            )
        elif line.booking.reference not in pending:
            pending.append(line.booking.reference)
    if pending:
        warnings.append(
            f"Pending requests for {space.name} then will no longer fit: {', '.join(pending)}."
        )
    return warnings


@transaction.atomic
def blockout_delete(*, actor: Actor, blockout: Blockout) -> None:
    actor.require(WRITE, blockout.space.venue.organization)
    blockout.delete()


# -- events ---------------------------------------------------------------------------------


@transaction.atomic
def event_save(*, actor: Actor, event: Event, changes: Mapping[str, Any]) -> Event:
    """Create or change an event (front-desk staff or a `write` key may).

    Rules: the organisation is the venue's; an event with bookings stays at its venue;
    its space is at its venue; it ends after it starts; its capacity is not below the
    tickets held. The event row is locked first, so a booking sold meanwhile is counted.
    The status changes only by cancelling (bookings), never here.
    """
    if event.pk is not None:
        actor.require(WRITE, event.organization)
        event = Event.objects.select_for_update().get(pk=event.pk)
        moved = "venue" in changes and changes["venue"].pk != event.venue_id
        if moved and event.event_bookings.exists():
            raise ValidationError(
                {"venue": "The event has bookings; it cannot move to another venue."}
            )
    apply_changes(event, changes, EVENT_FIELDS)
    event.organization = event.venue.organization
    actor.require(WRITE, event.organization)
    require_after(event.starts_at, event.ends_at)
    if event.pk is not None and event.capacity is not None:
        held = EventBooking.objects.filter(event=event, holds_capacity=True).aggregate(
            tickets=Sum("quantity")
        )["tickets"]
        if held and event.capacity < held:
            raise ValidationError(
                {
                    "capacity": f"{held} tickets are held by approved bookings; "
                    "the capacity cannot be lower."
                }
            )
    event.full_clean(exclude=["status"])
    event.save()
    return event
