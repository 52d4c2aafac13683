"""Reads of the catalogue that serve a request: scoped to organisations, related rows joined.

`organization_list(actor=...)` says which organisations an actor may see; every other
selector takes those organisations and returns a queryset of their rows only, with what a
list shows already joined or prefetched, so that a page of 50 costs as many queries as a
page of 1. Another organisation's row is simply absent (a door answers 404, never 403).
"""

from django.db.models import Prefetch, QuerySet

from core.actors import Actor, ActorKind
from venues.models import (
    Blockout,
    BookingForm,
    CalendarFeed,
    CustomField,
    Discount,
    Event,
    InventoryProduct,
    Organization,
    PaymentType,
    Price,
    Space,
    VatRate,
    Venue,
    hash_feed_token,
)


def organization_list(*, actor: Actor) -> QuerySet[Organization]:
    """The organisations whose data `actor` may see (none for customers and the system)."""
    if actor.kind == ActorKind.API_KEY:
        key = actor.api_key
        if key.revoked or key.has_expired:
            return Organization.objects.none()
        return Organization.objects.filter(pk=key.organization_id)
    if actor.kind == ActorKind.USER:
        user = actor.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return Organization.objects.none()
        if user.is_superuser:
            return Organization.objects.all()
        return Organization.objects.filter(memberships__user=user)
    return Organization.objects.none()


def venue_list(*, organizations: QuerySet[Organization]) -> QuerySet[Venue]:
    """Venues of `organizations`."""
    return Venue.objects.filter(organization__in=organizations).select_related("organization")


def space_list(*, organizations: QuerySet[Organization]) -> QuerySet[Space]:
    """Spaces of `organizations`' venues, with their venue and layouts."""
    return (
        Space.objects.filter(venue__organization__in=organizations)
        .select_related("venue__organization")
        .prefetch_related("layouts")
    )


def space_get(*, organizations: QuerySet[Organization], space_id: int) -> Space | None:
    """One space of `organizations` with its venue (no layouts), or None."""
    return (
        Space.objects.filter(pk=space_id, venue__organization__in=organizations)
        .select_related("venue__organization")
        .first()
    )


def blockout_list(*, organizations: QuerySet[Organization]) -> QuerySet[Blockout]:
    """Blockouts of `organizations`' spaces, with the space and its venue."""
    return Blockout.objects.filter(space__venue__organization__in=organizations).select_related(
        "space__venue__organization"
    )


def event_list(*, organizations: QuerySet[Organization]) -> QuerySet[Event]:
    """Events of `organizations`, with their venue and prices."""
    return (
        Event.objects.filter(organization__in=organizations)
        .select_related("organization", "venue")
        .prefetch_related("prices")
    )


def product_list(*, organizations: QuerySet[Organization]) -> QuerySet[InventoryProduct]:
    """Inventory products of `organizations`, with their venue and prices."""
    return (
        InventoryProduct.objects.filter(organization__in=organizations)
        .select_related("organization", "venue")
        .prefetch_related("prices")
    )


def price_list(*, organizations: QuerySet[Organization]) -> QuerySet[Price]:
    """Named prices of `organizations`' events and products, oldest first."""
    return (
        Price.objects.filter(organization__in=organizations)
        .select_related("organization")
        .order_by("pk")
    )


def vat_rate_list(*, organizations: QuerySet[Organization]) -> QuerySet[VatRate]:
    """VAT rates of `organizations`."""
    return VatRate.objects.filter(organization__in=organizations).select_related("organization")


def discount_list(*, organizations: QuerySet[Organization]) -> QuerySet[Discount]:
    """Discounts of `organizations`."""
    return Discount.objects.filter(organization__in=organizations).select_related("organization")


def payment_type_list(*, organizations: QuerySet[Organization]) -> QuerySet[PaymentType]:
    """Payment types of `organizations`."""
    return PaymentType.objects.filter(organization__in=organizations).select_related("organization")


def booking_form_list(*, organizations: QuerySet[Organization]) -> QuerySet[BookingForm]:
    """Booking forms of `organizations`, with custom fields in order, spaces and products."""
    return (
        BookingForm.objects.filter(organization__in=organizations)
        .select_related("organization", "venue")
        .prefetch_related(
            Prefetch("custom_fields", queryset=CustomField.objects.order_by("position", "id")),
            Prefetch("spaces", queryset=Space.objects.order_by("pk")),
            Prefetch("products", queryset=InventoryProduct.objects.order_by("pk")),
        )
    )


def public_booking_form_get(*, organization_slug: str, form_slug: str) -> BookingForm | None:
    """An active booking form as the public sees it, by its address; None if there is none.

    With its venue, its active spaces (and their layouts) and products in order, and its
    questions in the order they are asked: the form page costs the same few queries
    whatever the form offers.
    """
    return _with_what_the_form_offers(
        BookingForm.objects.filter(
            organization__slug=organization_slug,
            slug=form_slug,
            is_active=True,
            venue__is_active=True,
        )
    ).first()


def booking_form_of_booking_get(*, booking_form_id: int) -> BookingForm | None:
    """The form a booking was made with, active or not, with what it offers (as
    `public_booking_form_get`): a change of the booking is asked as the form asks."""
    return _with_what_the_form_offers(BookingForm.objects.filter(pk=booking_form_id)).first()


def _with_what_the_form_offers(forms: QuerySet[BookingForm]) -> QuerySet[BookingForm]:
    return forms.select_related("organization", "venue").prefetch_related(
        Prefetch(
            "custom_fields",
            queryset=CustomField.objects.order_by("section", "position", "id"),
        ),
        Prefetch(
            "spaces",
            queryset=Space.objects.filter(is_active=True)
            .order_by("position", "name")
            .prefetch_related("layouts"),
        ),
        Prefetch(
            "products",
            queryset=InventoryProduct.objects.filter(is_active=True).order_by("name"),
        ),
    )


def calendar_feed_list(*, organizations: QuerySet[Organization]) -> QuerySet[CalendarFeed]:
    """Calendar feeds of `organizations`' venues, revoked ones included, with who made them."""
    return CalendarFeed.objects.filter(venue__organization__in=organizations).select_related(
        "venue__organization", "created_by"
    )


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """The unrevoked feed whose token this is, with its venue; None for any other token.

    One query by the token's hash whether the token is unknown or revoked, so the answer
    (and its time) tells the two apart no better than a guess."""
    if not token or len(token) > 200:
        return None
    return (
        CalendarFeed.objects.filter(token_hash=hash_feed_token(token), revoked_at__isnull=True)
        .select_related("venue")
        .first()
    )
