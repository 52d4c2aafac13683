"""A lost manage link: new links to an address's upcoming bookings, sent to that address."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from bookings import notifications
from bookings.models import (
    Booking,
    BookingStatus,
    EventBooking,
    InventoryBooking,
    LogEntry,
    SpaceBooking,
)
from bookings.services.common import manage_url, write_log
from core import ratelimit
from core.actors import Actor

# A booking still to come in one of these statuses gets its link sent again.
LINKED_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.APPROVED,
    BookingStatus.ARRIVED,
    BookingStatus.SEATED,
)


def manage_links_send(*, email: str) -> None:
    """Send `email` new private links to its bookings that are still to come: one e-mail per
    organisation, listing each booking with its link.

    Rules:
    - a booking is the address's when its contact e-mail or its customer's e-mail is the
      address (case-insensitively); it is listed while it ends in the future and is
      pending, approved, arrived or seated;
    - only a hash of a manage token is stored, so an old link cannot be sent again: each
      booking gets a new token, and the links sent before stop working (as a password
      reset does). The booking's `updated_at` does not move: nothing staff see changed;
    - the mail goes to the address as the booking holds it, whatever the booking's
      notification flags say: the customer asked for it;
    - at most VENUEDESK_LINKS_PER_ADDRESS_RATE of these requests per address are served,
      whoever makes them, so that no one can flood an inbox or keep someone's links
      turning over; the ones past it do nothing.
    Side effects: per booking a new manage token and a LINK_RESENT log entry (staff see it;
    the customer's history does not show it); per organisation one MANAGE_LINKS e-mail in
    the outbox, links sealed, sent after commit.

    Returns nothing, whether the address is known or not, so that no caller can tell.
    """
    address = email.strip()
    if not address or not _within_rate_for(address):
        return
    with transaction.atomic():
        bookings = _upcoming_bookings_of(address)
        by_organization: dict[int, list[tuple[Booking, str]]] = {}
        for booking in bookings:
            token = booking.issue_manage_token()
            booking.save(update_fields=["manage_token_hash"])
            by_organization.setdefault(booking.organization_id, []).append(
                (booking, manage_url(token))
            )
        for links in by_organization.values():
            first = links[0][0]
            notification = notifications.queue_manage_links(
                organization=first.organization,
                recipient=_stored_address(first, address),
                links=links,
            )
            for booking, _ in links:
                write_log(
                    booking,
                    LogEntry.Action.LINK_RESENT,
                    Actor.customer(),
                    data={"notification": notification.pk},
                )


def _upcoming_bookings_of(address: str) -> list[Booking]:
    """The address's bookings still to come, row-locked, soonest first (by organisation)."""
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .filter(Q(contact_email__iexact=address) | Q(customer__email__iexact=address))
        .filter(status__in=LINKED_STATUSES, ends_at__gt=timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Locked in primary-key order (as every lock here is taken), then read with what the
    # message shows.
    pks = list(locked)
    return list(
        Booking.objects.filter(pk__in=pks)
        .select_related("organization", "venue", "customer")
        .prefetch_related(
            Prefetch(
                "space_bookings",
                queryset=SpaceBooking.objects.select_related("space").order_by("starts_at", "pk"),
            ),
            Prefetch(
                "event_bookings",
                queryset=EventBooking.objects.select_related("event").order_by("pk"),
            ),
            Prefetch(
                "inventory_bookings",
                queryset=InventoryBooking.objects.select_related("product").order_by(
                    "starts_at", "pk"
                ),
            ),
        )
        .order_by("organization_id", "starts_at", "pk")
    )


def _stored_address(booking: Booking, address: str) -> str:
    """The address as the booking holds it (the one asked for matched it case-insensitively)."""
    for stored in (booking.contact_email, booking.customer.email):
        if stored and stored.lower() == address.lower():
            return stored
    return address


def _within_rate_for(address: str) -> bool:
    rate = settings.VENUEDESK_LINKS_PER_ADDRESS_RATE
    if not rate:
        return True
    limit, seconds = ratelimit.parse_rate(rate)
    # Counted by a digest: the cache need not hold the address itself.
    digest = hashlib.sha256(address.lower().encode()).hexdigest()
    return ratelimit.hit(f"manage_links_{digest}", limit=limit, seconds=seconds).allowed
