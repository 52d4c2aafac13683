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

from core.actors import Actor, ActorKind
from core.errors import ErrorCode, InUse
from core.permissions import Action, Role, require
from venues.models import (
    BookingForm,
    CalendarFeed,
    Discount,
    Membership,
    OpeningHours,
    Organization,
    OrganizationAPIKey,
    PaymentType,
    VatRate,
    Venue,
)

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


# -- organisations and their members -----------------------------------------------------

ORGANIZATION_FIELDS = ("name", "slug", "email", "phone", "website", "currency")
MEMBERSHIP_FIELDS = ("user", "role")


@transaction.atomic
def organization_save(
    *, actor: Actor, organization: Organization, changes: Mapping[str, Any]
) -> Organization:
    """Create (superusers and the system only: the policy gives no one a role in an
    organisation that does not exist yet) or change an organisation.

    Amounts are stored without a currency: once the organisation has bookings, its
    currency no longer changes.
    """
    require(actor, Action.MANAGE, organization)
    currency = changes.get("currency", organization.currency)
    if (
        organization.pk is not None
        and currency != organization.currency
        # The reverse relation of bookings.Booking, read without importing it.
        and organization.bookings.exists()
    ):
        raise ValidationError(
            {
                "currency": f"Its bookings are priced in {organization.currency}; the "
                "currency cannot change once there are bookings."
            }
        )
    apply_changes(organization, changes, ORGANIZATION_FIELDS)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def membership_save(
    *, actor: Actor, membership: Membership, changes: Mapping[str, Any]
) -> Membership:
    """Give someone a role in an organisation, or change it; an organisation keeps a manager."""
    if membership.pk is not None:
        _refuse_losing_the_last_manager(membership, changes.get("role", membership.role))
    return save_managed(actor=actor, row=membership, changes=changes, editable=MEMBERSHIP_FIELDS)


@transaction.atomic
def membership_delete(*, actor: Actor, membership: Membership) -> None:
    require(actor, Action.MANAGE, membership.organization)
    _refuse_losing_the_last_manager(membership, None)
    membership.delete()


def _refuse_losing_the_last_manager(membership: Membership, role: str | None) -> None:
    """Refuse to leave the organisation without a manager (nobody could run it then).

    The organisation's manager rows are locked, so two managers demoting each other at
    once cannot both succeed."""
    if membership.role != Role.MANAGER or role == Role.MANAGER:
        return
    managers = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.MANAGER)
        .values_list("pk", flat=True)
    )
    if managers == [membership.pk]:
        raise ValidationError(
            {"role": "An organisation keeps at least one manager; make someone else manager first."}
        )


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


# -- the rest of one organisation's catalogue ----------------------------------------------
#
# These rows protect no booking (bookings copy the prices, VAT and times they were made
# with), so the rules are the permission and the model's own checks: every door still
# writes them here, the same way.

OPENING_HOURS_FIELDS = ("weekday", "opens_at", "closes_at")
VAT_RATE_FIELDS = ("name", "percent", "is_active")
DISCOUNT_FIELDS = (
    "name",
    "kind",
    "value",
    "applies_to",
    "code",
    "valid_from",
    "valid_until",
    "is_active",
)
PAYMENT_TYPE_FIELDS = ("name", "kind", "is_active")
BOOKING_FORM_FIELDS = (
    "venue",
    "slug",
    "title",
    "intro",
    "spaces",
    "products",
    "requires_approval",
    "min_notice_hours",
    "max_days_ahead",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "accepts_discount_codes",
    "cancellation_deadline_hours",
    "no_show_after_minutes",
    "notify_emails",
    "payment_type",
    "confirmation_text",
    "is_active",
)


def save_managed(
    *, actor: Actor, row: models.Model, changes: Mapping[str, Any], editable: Collection[str]
) -> models.Model:
    """Save a catalogue row a manager of its organisation (before and after) may change."""
    if row.pk is not None:
        require(actor, Action.MANAGE, organization_of(row))
    apply_changes(row, changes, editable)
    require(actor, Action.MANAGE, organization_of(row))
    row.full_clean()
    row.save()
    return row


def delete_managed(*, actor: Actor, row: models.Model, in_use: str) -> None:
    """Delete a catalogue row nothing protects; `in_use` says why one that is used stays."""
    require(actor, Action.MANAGE, organization_of(row))
    try:
        with transaction.atomic():
            row.delete()
    except ProtectedError:
        raise ValidationError(in_use) from None


def organization_of(row: models.Model):
    """The organisation of a catalogue row: its own, or its venue's, space's or form's."""
    while getattr(row, "organization_id", None) is None:
        row = next(getattr(row, name) for name in ("venue", "space", "form") if hasattr(row, name))
    return row.organization


@transaction.atomic
def opening_hours_save(
    *, actor: Actor, period: OpeningHours, changes: Mapping[str, Any]
) -> OpeningHours:
    """Create (an unsaved `period` of its venue) or change a venue's opening period."""
    return save_managed(actor=actor, row=period, changes=changes, editable=OPENING_HOURS_FIELDS)


@transaction.atomic
def opening_hours_delete(*, actor: Actor, period: OpeningHours) -> None:
    require(actor, Action.MANAGE, period.venue.organization)
    period.delete()


@transaction.atomic
def vat_rate_save(*, actor: Actor, vat_rate: VatRate, changes: Mapping[str, Any]) -> VatRate:
    return save_managed(actor=actor, row=vat_rate, changes=changes, editable=VAT_RATE_FIELDS)


@transaction.atomic
def vat_rate_delete(*, actor: Actor, vat_rate: VatRate) -> None:
    """Delete a VAT rate nothing uses; booked lines and priced spaces keep theirs."""
    delete_managed(
        actor=actor,
        row=vat_rate,
        in_use="Spaces, prices or booked lines use this VAT rate; deactivate it instead.",
    )


@transaction.atomic
def discount_save(*, actor: Actor, discount: Discount, changes: Mapping[str, Any]) -> Discount:
    """Create or change a discount; its public code is free in the organisation (any case)."""
    return save_managed(actor=actor, row=discount, changes=changes, editable=DISCOUNT_FIELDS)


@transaction.atomic
def discount_delete(*, actor: Actor, discount: Discount) -> None:
    delete_managed(
        actor=actor,
        row=discount,
        in_use="Booked lines use this discount; deactivate it instead.",
    )


@transaction.atomic
def payment_type_save(
    *, actor: Actor, payment_type: PaymentType, changes: Mapping[str, Any]
) -> PaymentType:
    return save_managed(
        actor=actor, row=payment_type, changes=changes, editable=PAYMENT_TYPE_FIELDS
    )


@transaction.atomic
def booking_form_save(
    *, actor: Actor, form: BookingForm, changes: Mapping[str, Any]
) -> BookingForm:
    """Create (an unsaved `form` of its organisation) or change a public booking form.

    Rules: a manager of the organisation; the slug is free in the organisation; the
    spaces it offers are at its venue, the products at its venue or at every venue
    (a booking of the form is made at the form's venue).
    """
    offered = {name: changes[name] for name in ("spaces", "products") if name in changes}
    fields = {name: value for name, value in changes.items() if name not in offered}
    if form.pk is not None:
        require(actor, Action.MANAGE, form.organization)
    apply_changes(form, fields, BOOKING_FORM_FIELDS)
    require(actor, Action.MANAGE, form.organization)
    form.full_clean()
    _refuse_offers_elsewhere(form, **offered)
    form.save()
    for name, chosen in offered.items():
        getattr(form, name).set(chosen)
    return form


def _refuse_offers_elsewhere(form: BookingForm, spaces=None, products=None) -> None:
    if spaces is None and form.pk is not None:
        spaces = form.spaces.all()
    if products is None and form.pk is not None:
        products = form.products.all()
    elsewhere = sorted(space.name for space in spaces or () if space.venue_id != form.venue_id)
    if elsewhere:
        raise ValidationError({"spaces": f"Not at the form's venue: {', '.join(elsewhere)}."})
    elsewhere = sorted(
        product.name
        for product in products or ()
        if product.organization_id != form.organization_id
        or product.venue_id not in (None, form.venue_id)
    )
    if elsewhere:
        raise ValidationError({"products": f"Kept at another venue: {', '.join(elsewhere)}."})


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
    api_key.scopes = _checked_scopes(api_key.scopes)
    secret = OrganizationAPIKey.objects.assign_key(api_key)
    api_key.full_clean()
    api_key.save()
    return secret


API_KEY_FIELDS = ("name", "scopes", "expiry_date")


def _checked_scopes(scopes) -> list[str]:
    """Scopes drawn from read / write / approve, at least one, kept sorted and once each."""
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    return sorted(set(scopes))


@transaction.atomic
def api_key_update(
    *, actor: Actor, api_key: OrganizationAPIKey, changes: Mapping[str, Any]
) -> OrganizationAPIKey:
    """Rename a key, or change its scopes or expiry. Rules: a manager of its organisation;
    the scopes as on creation; a revoked key stays as it was, for the record."""
    require(actor, Action.MANAGE, api_key.organization)
    if api_key.revoked:
        raise ValidationError("This key is revoked; it stays as it was, for the record.")
    apply_changes(api_key, changes, API_KEY_FIELDS)
    if "scopes" in changes:
        api_key.scopes = _checked_scopes(api_key.scopes)
    api_key.full_clean()
    api_key.save()
    return api_key


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


# -- calendar feeds -------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, actor: Actor, feed: CalendarFeed) -> str:
    """Make the unsaved `feed` (its venue and name set); answer its token, which is never
    stored (only its hash) and so can be shown only this once. Rules: a manager of the
    venue's organisation, as for API keys: whoever holds the address reads every booking
    of the venue (customers' names included) without logging in."""
    require(actor, Action.MANAGE, feed.venue.organization)
    token = feed.issue_token()
    feed.created_by = actor.user if actor.kind == ActorKind.USER else None
    feed.full_clean()
    feed.save()
    return token


@transaction.atomic
def calendar_feed_revoke(*, actor: Actor, feed: CalendarFeed) -> bool:
    """Revoke a feed for good: its address answers 404 from the next request on (calendar
    apps may still show what they fetched before). Rules: a manager of the venue's
    organisation. False when it was revoked already (nothing changes)."""
    require(actor, Action.MANAGE, feed.venue.organization)
    now = timezone.now()
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if revoked:
        feed.revoked_at = now
    return revoked == 1
