"""Catalogue writes that protect bookings: blockouts, events, a space's mode, a product's stock.

They live here, beside the bookings they protect, and every door that changes the
catalogue calls them (API, admin, commands): a blockout warns about the bookings it
overlaps, an event's capacity never drops below the tickets held, a space becomes
exclusive only when its held bookings do not overlap, a product's stock never drops
below the units held.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone

from bookings.availability import Load, lock_resources, peak_load, span_text
from bookings.models import (
    Booking,
    BookingStatus,
    ChangeRequest,
    EventBooking,
    InventoryBooking,
    SpaceBooking,
)
from bookings.services.inputs import MAX_PREPARATION_MINUTES
from core.actors import Actor
from core.permissions import Action, require
from venues.models import (
    Blockout,
    BookingForm,
    CustomField,
    Event,
    InventoryProduct,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
)
from venues.services import apply_changes, delete_managed, require_after

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
        require(actor, Action.WRITE, blockout.space.venue.organization)
    apply_changes(blockout, changes, BLOCKOUT_FIELDS)
    space = blockout.space
    require(actor, Action.WRITE, space.venue.organization)
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
    require(actor, Action.WRITE, blockout.space.venue.organization)
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
        require(actor, Action.WRITE, event.organization)
        event = Event.objects.select_for_update().get(pk=event.pk)
        moved = "venue" in changes and changes["venue"].pk != event.venue_id
        if moved and event.event_bookings.exists():
            raise ValidationError(
                {"venue": "The event has bookings; it cannot move to another venue."}
            )
    apply_changes(event, changes, EVENT_FIELDS)
    event.organization = event.venue.organization
    require(actor, Action.WRITE, event.organization)
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


# -- spaces ---------------------------------------------------------------------------------

SPACE_FIELDS = (
    "venue",
    "name",
    "slug",
    "kind",
    "description",
    "capacity",
    "mode",
    "setup_minutes",
    "setdown_minutes",
    "hourly_price",
    "vat_rate",
    "position",
    "is_active",
)


@transaction.atomic
def space_save(*, actor: Actor, space: Space, changes: Mapping[str, Any]) -> Space:
    """Create or change a space (managers may).

    Booking lines copy their space's mode for the database's exclusion constraint;
    they are brought in step here, under the space's lock. A space becomes exclusive
    only when the bookings holding it do not overlap; otherwise the change is refused
    naming them, and nothing changes.
    """
    if space.pk is not None:
        require(actor, Action.MANAGE, space.venue.organization)
        lock_resources(spaces=[space])
    apply_changes(space, changes, SPACE_FIELDS)
    require(actor, Action.MANAGE, space.venue.organization)
    _check_preparation(space)
    space.full_clean()
    if space.pk is not None and space.is_exclusive:
        _refuse_overlapping_holders(space)
    space.save()
    try:
        with transaction.atomic():
            space.space_bookings.exclude(exclusive_space=space.is_exclusive).update(
                exclusive_space=space.is_exclusive
            )
    except IntegrityError:  # a holder written meanwhile by code that skipped the lock
        raise ValidationError({"mode": "Bookings holding this space overlap."}) from None
    return space


def _refuse_overlapping_holders(space: Space) -> None:
    holders = (
        SpaceBooking.objects.filter(space=space, holds_capacity=True)
        .select_related("booking")
        .order_by("occupied_from", "pk")
    )
    latest = None  # the holder that ends last among those seen so far
    for line in holders:
        if latest is not None and line.occupied_from < latest.occupied_until:
            tz = space.venue.tzinfo
            raise ValidationError(
                {
                    "mode": f"{latest.booking.reference} and {line.booking.reference} hold "
                    f"{space.name} at the same time "
                    f"({span_text(line.occupied_from, latest.occupied_until, tz)}); "
                    "it cannot become exclusive."
                }
            )
        if latest is None or line.occupied_until > latest.occupied_until:
            latest = line


# -- products -------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "venue",
    "name",
    "description",
    "units_total",
    "unit_price",
    "vat_rate",
    "is_active",
)


@transaction.atomic
def product_save(
    *, actor: Actor, product: InventoryProduct, changes: Mapping[str, Any]
) -> InventoryProduct:
    """Create (an unsaved `product` of its organisation) or change a product (managers may).

    Its stock never drops below the units that bookings hold at one moment from now on;
    the product row is locked first, so a booking approved meanwhile is counted.
    """
    if product.pk is not None:
        require(actor, Action.MANAGE, product.organization)
        lock_resources(products=[product])
    apply_changes(product, changes, PRODUCT_FIELDS)
    require(actor, Action.MANAGE, product.organization)
    product.full_clean()
    if product.pk is not None:
        _refuse_stock_below_held(product)
    product.save()
    return product


def _refuse_stock_below_held(product: InventoryProduct) -> None:
    now = timezone.now()
    holders = list(
        InventoryBooking.objects.filter(
            product=product, holds_capacity=True, occupied_until__gt=now
        ).select_related("booking__venue")
    )
    if not holders:
        return
    loads = [Load(line.occupied_from, line.occupied_until, line.units) for line in holders]
    held, at = peak_load(loads, now, max(line.occupied_until for line in holders))
    if held > product.units_total:
        # A product kept at no venue is read in the zone of a booking holding it then.
        venue = product.venue or next(
            line.booking.venue for line in holders if line.occupied_from <= at
        )
        tz = venue.tzinfo
        raise ValidationError(
            {
                "units_total": f"{held} units are held by approved bookings at "
                f"{timezone.localtime(at, tz):%Y-%m-%d %H:%M} ({tz.key}); "
                "the stock cannot be lower."
            }
        )


# -- layouts --------------------------------------------------------------------------------

LAYOUT_FIELDS = ("space", "name", "capacity", "setup_minutes", "setdown_minutes", "position")


@transaction.atomic
def layout_save(*, actor: Actor, layout: SpaceLayout, changes: Mapping[str, Any]) -> SpaceLayout:
    """Create (an unsaved `layout` of its space) or change a space's layout (managers may).

    Booked lines copied the layout's setup and setdown times, so changing those moves no
    booking. A layout that lines use stays with its space, and its capacity never drops
    below the places a booking holds with it from now on. The space is locked first, as
    an approval checking the layout's capacity locks it.
    """
    if layout.pk is not None:
        require(actor, Action.MANAGE, layout.space.venue.organization)
        lock_resources(spaces=[layout.space])
        used = SpaceBooking.objects.filter(layout=layout)
        if "space" in changes and changes["space"].pk != layout.space_id and used.exists():
            raise ValidationError({"space": "Bookings use this layout; it stays with its space."})
    apply_changes(layout, changes, LAYOUT_FIELDS)
    require(actor, Action.MANAGE, layout.space.venue.organization)
    _check_preparation(layout)
    layout.full_clean()
    if layout.pk is not None:
        _refuse_layout_capacity_below_held(layout)
    layout.save()
    return layout


def _check_preparation(row: Space | SpaceLayout) -> None:
    """Setup and setdown take at most a day, as on a booked line (its times would overflow)."""
    errors = {
        name: f"Enter a whole number of minutes from 0 to {MAX_PREPARATION_MINUTES}."
        for name in ("setup_minutes", "setdown_minutes")
        if (value := getattr(row, name)) is not None
        and not (type(value) is int and 0 <= value <= MAX_PREPARATION_MINUTES)
    }
    if errors:
        raise ValidationError(errors)


def _refuse_layout_capacity_below_held(layout: SpaceLayout) -> None:
    fullest = (
        SpaceBooking.objects.filter(
            layout=layout,
            holds_capacity=True,
            occupied_until__gt=timezone.now(),
            places__gt=layout.capacity,
        )
        .select_related("booking", "space__venue")
        .order_by("-places", "starts_at", "pk")
        .first()
    )
    if fullest is not None:
        when = span_text(fullest.starts_at, fullest.ends_at, layout.space.venue.tzinfo)
        raise ValidationError(
            {
                "capacity": f"{fullest.booking.reference} holds {fullest.places} places with "
                f"this layout {when}; the capacity cannot be lower."
            }
        )


@transaction.atomic
def layout_delete(*, actor: Actor, layout: SpaceLayout) -> None:
    delete_managed(
        actor=actor, row=layout, in_use="Booked lines use this layout; it cannot be deleted."
    )


# -- prices ---------------------------------------------------------------------------------

PRICE_FIELDS = ("event", "product", "name", "amount_gross", "vat_rate", "position", "is_active")


@transaction.atomic
def price_save(*, actor: Actor, price: Price, changes: Mapping[str, Any]) -> Price:
    """Create or change a named price of an event or a product (managers may).

    Its organisation is its event's or product's. Booked lines copied the amount and VAT
    they were sold at, so a new amount applies to new sales only; a price that lines use
    stays with its event or product.
    """
    if price.pk is not None:
        require(actor, Action.MANAGE, price.organization)
        moved = any(
            name in changes and getattr(changes[name], "pk", None) != getattr(price, f"{name}_id")
            for name in ("event", "product")
        )
        if moved and _price_used(price):
            raise ValidationError(
                {"event": "Bookings use this price; it stays with its event or product."}
            )
    apply_changes(price, changes, PRICE_FIELDS)
    parent = price.event or price.product
    if parent is None:
        raise ValidationError("A price belongs to an event or a product.")
    price.organization = parent.organization
    require(actor, Action.MANAGE, price.organization)
    price.full_clean()
    price.save()
    return price


def _price_used(price: Price) -> bool:
    return price.event_bookings.exists() or price.inventory_bookings.exists()


@transaction.atomic
def price_delete(*, actor: Actor, price: Price) -> None:
    delete_managed(
        actor=actor,
        row=price,
        in_use="Booked lines use this price; deactivate it instead.",
    )


# -- payment types --------------------------------------------------------------------------


@transaction.atomic
def payment_type_delete(*, actor: Actor, payment_type: PaymentType) -> None:
    """Delete a payment type no booking or payment names (bookings would lose theirs)."""
    require(actor, Action.MANAGE, payment_type.organization)
    if Booking.objects.filter(payment_type=payment_type).exists():
        raise ValidationError("Bookings use this payment type; deactivate it instead.")
    delete_managed(
        actor=actor,
        row=payment_type,
        in_use="Payments use this payment type; deactivate it instead.",
    )


# -- custom fields of booking forms ---------------------------------------------------------

CUSTOM_FIELD_FIELDS = (
    "form",
    "label",
    "key",
    "field_type",
    "section",
    "help_text",
    "required",
    "required_message",
    "max_length",
    "regex",
    "regex_message",
    "choices",
    "default",
    "position",
)


@transaction.atomic
def custom_field_save(
    *, actor: Actor, field: CustomField, changes: Mapping[str, Any]
) -> CustomField:
    """Create (an unsaved `field` of its form) or change a booking form's question.

    Rules: a manager of the form's organisation; the key is free in the form; the options
    of a choice field are texts, none blank, none twice. Bookings store answers by key, so
    a key that bookings answered keeps its name (add a new question instead).
    """
    if field.pk is not None:
        require(actor, Action.MANAGE, field.form.organization)
        renamed = "key" in changes and changes["key"] != field.key
        if renamed and _answered(field):
            raise ValidationError(
                {
                    "key": f"Bookings hold answers under {field.key!r}; the key cannot change. "
                    "Add a new question instead."
                }
            )
    apply_changes(field, changes, CUSTOM_FIELD_FIELDS)
    require(actor, Action.MANAGE, field.form.organization)
    taken = CustomField.objects.filter(form_id=field.form_id, key=field.key).exclude(pk=field.pk)
    if field.key and taken.exists():
        raise ValidationError({"key": "Another question of this form has this key."})
    _refuse_bad_choices(field)
    field.full_clean()
    field.save()
    return field


def _answered(field: CustomField) -> bool:
    """Whether a booking of the field's form, or a change asked for one, answers it."""
    bookings = Booking.objects.filter(booking_form_id=field.form_id)
    return (
        bookings.filter(answers__has_key=field.key).exists()
        or ChangeRequest.objects.filter(
            booking__in=bookings, changes__answers__has_key=field.key
        ).exists()
    )


def _refuse_bad_choices(field: CustomField) -> None:
    choices = field.choices
    if field.field_type in CustomField.CHOICE_TYPES and choices in ([], "", None):
        raise ValidationError({"choices": "A choice question needs its options."})
    if not isinstance(choices, list):
        return  # the model's check names the shape
    texts = [choice.strip() for choice in choices if isinstance(choice, str)]
    if "" in texts:
        raise ValidationError({"choices": "An option is blank."})
    twice = sorted({text for text in texts if texts.count(text) > 1})
    if twice:
        raise ValidationError({"choices": f"Options given twice: {', '.join(twice)}."})


@transaction.atomic
def custom_field_delete(*, actor: Actor, field: CustomField) -> None:
    """Delete a question; answers already given stay in their bookings' data."""
    require(actor, Action.MANAGE, field.form.organization)
    field.delete()


@transaction.atomic
def booking_form_delete(*, actor: Actor, form: BookingForm) -> None:
    """Delete a form no booking came through: its bookings keep their questions and their
    cancellation deadline from it."""
    require(actor, Action.MANAGE, form.organization)
    if Booking.objects.filter(booking_form=form).exists():
        raise ValidationError("Bookings came through this form; deactivate it instead.")
    form.delete()
