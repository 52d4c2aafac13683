"""Reads of bookings that serve a request: scoped to organisations, related rows joined.

Each list selector takes the organisations the caller may see (venues.selectors.
organization_list) and returns a queryset of their rows only, with what a list shows
already joined or prefetched, so that a page of 50 costs as many queries as a page of 1.
Another organisation's row is simply absent (a door answers 404, never 403). The
availability reads answer "what is free" for a space or product the caller already found
through a scoped selector.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from bookings.availability import (
    Interval,
    Load,
    free_windows,
    opening_periods,
    peak_load,
    preparation_minutes,
)
from bookings.models import (
    Booking,
    BookingStatus,
    ChangeRequest,
    Customer,
    EventBooking,
    InventoryBooking,
    LogEntry,
    Payment,
    SpaceBooking,
    hash_manage_token,
)
from core.times import local_day_bounds
from venues.models import (
    Blockout,
    BookingForm,
    CustomField,
    InventoryProduct,
    Organization,
    Space,
    SpaceLayout,
    Venue,
)

# -- customers and bookings ------------------------------------------------------------------


def customer_list(*, organizations: QuerySet[Organization]) -> QuerySet[Customer]:
    """Customers of `organizations`."""
    return Customer.objects.filter(organization__in=organizations).select_related("organization")


def booking_summary_list(*, organizations: QuerySet[Organization]) -> QuerySet[Booking]:
    """Bookings of `organizations` with customer, venue and event, but no lines (lookups)."""
    return (
        Booking.objects.filter(organization__in=organizations)
        .select_related("customer", "event", "organization", "venue")
        .order_by("-starts_at", "-id")
    )


def booking_list(*, organizations: QuerySet[Organization]) -> QuerySet[Booking]:
    """Bookings of `organizations`, latest first, with customer, event, lines and payments."""
    return booking_summary_list(organizations=organizations).prefetch_related(
        "space_bookings", "event_bookings", "inventory_bookings", "payments"
    )


def booking_detail_list(*, organizations: QuerySet[Organization]) -> QuerySet[Booking]:
    """Bookings of `organizations` as `booking_list`, plus their log with who acted."""
    return booking_list(organizations=organizations).prefetch_related(
        Prefetch("log_entries", queryset=LogEntry.objects.select_related("user", "api_key"))
    )


def booking_get(*, organizations: QuerySet[Organization], booking_id: int) -> Booking:
    """One booking of `organizations` with all `booking_detail_list` reads (or DoesNotExist)."""
    return booking_detail_list(organizations=organizations).get(pk=booking_id)


def payment_list(
    *, organizations: QuerySet[Organization], booking: Booking | None = None
) -> QuerySet[Payment]:
    """Payments of `organizations`' bookings (of `booking` only, when given), oldest first."""
    payments = Payment.objects.filter(booking__organization__in=organizations)
    if booking is not None:
        payments = payments.filter(booking=booking)
    return payments.select_related("payment_type")


def log_entry_list(
    *, organizations: QuerySet[Organization], booking: Booking | None = None
) -> QuerySet[LogEntry]:
    """Log entries of `organizations`' bookings (of `booking` only, when given), with actors."""
    entries = LogEntry.objects.filter(booking__organization__in=organizations)
    if booking is not None:
        entries = entries.filter(booking=booking)
    return entries.select_related("user", "api_key")


# -- lines and change requests ---------------------------------------------------------------


def event_booking_list(*, organizations: QuerySet[Organization]) -> QuerySet[EventBooking]:
    """Event-ticket lines of `organizations`' bookings, latest booking first."""
    return (
        EventBooking.objects.filter(booking__organization__in=organizations)
        .select_related("booking__organization", "event", "price")
        .order_by("-booking__starts_at", "-id")
    )


def inventory_booking_list(*, organizations: QuerySet[Organization]) -> QuerySet[InventoryBooking]:
    """Inventory-product lines of `organizations`' bookings, latest booking first."""
    return (
        InventoryBooking.objects.filter(booking__organization__in=organizations)
        .select_related("booking__organization", "product", "price")
        .order_by("-booking__starts_at", "-id")
    )


def change_request_list(*, organizations: QuerySet[Organization]) -> QuerySet[ChangeRequest]:
    """Change and cancellation requests of `organizations`' bookings, oldest first."""
    return (
        ChangeRequest.objects.filter(booking__organization__in=organizations)
        .select_related("booking__organization")
        .order_by("created_at", "id")
    )


# -- availability ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceAvailability:
    """Where a booking of `places` people could go in a space between `start` and `end`."""

    space: Space
    start: datetime
    end: datetime
    places: int
    granularity: int
    windows: list[Interval]
    blockouts: list[Blockout]  # those touching [start, end), in time order


def space_availability_get(
    *, space: Space, start: datetime, end: datetime, places: int = 1, granularity: int = 30
) -> SpaceAvailability:
    """The free windows of a space the caller may see, and the blockouts in the range."""
    return SpaceAvailability(
        space=space,
        start=start,
        end=end,
        places=places,
        granularity=granularity,
        windows=free_windows(space, start, end, places=places, granularity=granularity),
        blockouts=list(
            space.blockouts.filter(starts_at__lt=end, ends_at__gt=start).order_by("starts_at")
        ),
    )


@dataclass(frozen=True)
class ProductAvailability:
    """How many units of a product are held at the busiest moment of [start, end)."""

    product: InventoryProduct
    start: datetime
    end: datetime
    units_held: int
    peak_at: datetime  # when `units_held` is first reached

    @property
    def units_free(self) -> int:
        """Units free over the whole range."""
        return max(self.product.units_total - self.units_held, 0)


def product_availability_get(
    *, product: InventoryProduct, start: datetime, end: datetime
) -> ProductAvailability:
    """The peak units held of a product the caller may see between `start` and `end`."""
    holders = InventoryBooking.objects.filter(
        product=product, holds_capacity=True, occupied_from__lt=end, occupied_until__gt=start
    ).values_list("occupied_from", "occupied_until", "units")
    held, peak_at = peak_load([Load(*holder) for holder in holders], start, end)
    return ProductAvailability(
        product=product, start=start, end=end, units_held=held, peak_at=peak_at
    )


@dataclass(frozen=True)
class Slot:
    """A free start and end a customer may pick, in a space, on a form's steps (in UTC)."""

    space: Space
    starts_at: datetime
    ends_at: datetime


def form_slot_list(
    *,
    form: BookingForm,
    space: Space,
    day: date,
    minutes: int,
    places: int = 1,
    layout: SpaceLayout | None = None,
    now: datetime | None = None,
    ignoring: Booking | None = None,
) -> list[Slot]:
    """The slots of `minutes` starting on the venue-local `day` that the form would take now.

    What the availability engine says is free for `places` people (opening hours,
    blockouts, holders, the layout's or the space's setup and setdown), cut to the form's
    policy as `check_form_policy` applies it: starts on its steps, at least its notice from
    now and ends within its days ahead. Three queries whatever the number of slots.
    `ignoring`: the booking being changed, whose own hold does not block its new time.
    """
    now = now or timezone.now()
    day_start, day_end = local_day_bounds(day, form.venue.tzinfo)
    return list(
        _free_slots(form, space, day_start, day_end, minutes, places, layout, now, ignoring)
    )


def next_free_day(
    *,
    form: BookingForm,
    space: Space,
    after: date,
    minutes: int,
    places: int = 1,
    layout: SpaceLayout | None = None,
    now: datetime | None = None,
    ignoring: Booking | None = None,
    within_days: int = 31,
) -> date | None:
    """The first venue-local day after `after` (within `within_days`) with a slot the form
    would take now, or None. Three queries, however many days it looks at."""
    now = now or timezone.now()
    tz = form.venue.tzinfo
    start, _ = local_day_bounds(after + timedelta(days=1), tz)
    _, end = local_day_bounds(after + timedelta(days=within_days), tz)
    slots = _free_slots(form, space, start, end, minutes, places, layout, now, ignoring)
    first = next(slots, None)
    return timezone.localtime(first.starts_at, tz).date() if first else None


def _free_slots(form, space, start, end, minutes, places, layout, now, ignoring):
    """Free slots of `minutes` starting in [start, end), on the form's steps and policy."""
    step, length = timedelta(minutes=form.slot_minutes), timedelta(minutes=minutes)
    earliest = max(start, now + timedelta(hours=form.min_notice_hours))
    horizon = now + timedelta(days=form.max_days_ahead)
    if earliest >= end or start + length > horizon:
        return
    setup, setdown = preparation_minutes(space, layout)
    windows = free_windows(
        space,
        start,
        end + length,
        places=places,
        granularity=form.slot_minutes,
        setup_minutes=setup,
        setdown_minutes=setdown,
        ignoring=ignoring,
    )
    for left, right in windows:
        # Stepped in UTC: Python adds to a zoned time by the wall clock, which would make
        # up times that do not exist on a daylight-saving day (02:30 when clocks go 02→03).
        moment, last_end = left.astimezone(UTC), min(right, horizon)
        while moment < end and moment + length <= last_end:
            if moment >= earliest:
                yield Slot(space, moment, moment + length)
            moment += step


# -- the customer's own booking (manage link) ---------------------------------------------------

# What a customer reads in their booking's history: decisions and change requests, with the
# message staff wrote to them; never internal comments or staff bookkeeping.
CUSTOMER_HISTORY = (
    LogEntry.Action.CREATED,
    LogEntry.Action.APPROVED,
    LogEntry.Action.DENIED,
    LogEntry.Action.CANCELED,
    LogEntry.Action.CHANGE_REQUESTED,
    LogEntry.Action.CHANGE_APPLIED,
    LogEntry.Action.CHANGE_APPROVED,
    LogEntry.Action.CHANGE_DENIED,
    LogEntry.Action.CHANGE_WITHDRAWN,
)


def booking_by_manage_token(*, token: str) -> Booking | None:
    """The booking whose manage token this is, with what its manage page shows; None if none.

    Only the token's hash is stored: it is looked up by its hash, then compared in
    constant time. Beside its lines, payments and history, the booking carries its form's
    questions, `change_requests_by_id` (every request, for the history's words) and
    `open_change_request` (the one waiting for staff, or None), whose
    `spaces_by_id` / `layouts_by_id` name what it asks for: the same few queries
    however long the history and however many lines.
    """
    if not token or len(token) > 200:
        return None
    booking = (
        Booking.objects.filter(manage_token_hash=hash_manage_token(token))
        .select_related("organization", "venue", "customer", "booking_form", "event")
        .prefetch_related(
            Prefetch(
                "space_bookings",
                queryset=SpaceBooking.objects.select_related("space", "layout").order_by(
                    "starts_at", "pk"
                ),
            ),
            Prefetch(
                "event_bookings",
                queryset=EventBooking.objects.select_related("event", "price").order_by("pk"),
            ),
            Prefetch(
                "inventory_bookings",
                queryset=InventoryBooking.objects.select_related("product").order_by(
                    "starts_at", "pk"
                ),
            ),
            Prefetch("payments", queryset=Payment.objects.order_by("paid_at", "pk")),
            Prefetch(
                "log_entries",
                queryset=LogEntry.objects.filter(action__in=CUSTOMER_HISTORY).order_by(
                    "created_at", "pk"
                ),
                to_attr="customer_history",
            ),
            Prefetch(
                "booking_form__custom_fields",
                queryset=CustomField.objects.order_by("section", "position", "id"),
            ),
            Prefetch(
                "change_requests",
                queryset=ChangeRequest.objects.order_by("created_at", "pk"),
                to_attr="all_change_requests",
            ),
        )
        .first()
    )
    if booking is None or not booking.manage_token_matches(token):
        return None
    booking.change_requests_by_id = {request.pk: request for request in booking.all_change_requests}
    booking.open_change_request = next(
        (r for r in booking.all_change_requests if r.status == ChangeRequest.Status.PENDING), None
    )
    if booking.open_change_request is not None:
        _name_what_is_asked(booking.open_change_request)
    return booking


def _name_what_is_asked(change_request: ChangeRequest) -> None:
    """The spaces and layouts a request names by id, in one query each (none if it names none)."""
    asked = change_request.changes.get("space_lines", [])
    space_ids = {line["space_id"] for line in asked if line.get("space_id")}
    layout_ids = {line["layout_id"] for line in asked if line.get("layout_id")}
    change_request.spaces_by_id = Space.objects.in_bulk(space_ids) if space_ids else {}
    change_request.layouts_by_id = SpaceLayout.objects.in_bulk(layout_ids) if layout_ids else {}


# -- staff figures -------------------------------------------------------------------------------


def pending_request_count(*, organizations: QuerySet[Organization]) -> int:
    """How many booking requests of `organizations` wait for a decision (one query)."""
    return Booking.objects.filter(
        organization__in=organizations, status=BookingStatus.PENDING
    ).count()


# -- the venue calendar --------------------------------------------------------------------------

# What the calendar shows: requests and what holds (or held) the space; not what was turned
# down, canceled or never came.
CALENDAR_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.APPROVED,
    BookingStatus.ARRIVED,
    BookingStatus.SEATED,
    BookingStatus.RELEASED,
)


@dataclass(frozen=True)
class VenueCalendar:
    """A venue's spaces and what occupies them between `start` and `end` (aware, any zone)."""

    venue: Venue
    start: datetime
    end: datetime
    spaces: list[Space]  # active, in their calendar order
    space_bookings: list[SpaceBooking]  # with booking and customer, by occupied start
    blockouts: list[Blockout]  # by start
    opening_periods: list[Interval] | None  # None: the venue sets no hours (always open)


def calendar_get(
    *, organizations: QuerySet[Organization], venue: Venue, start: datetime, end: datetime
) -> VenueCalendar:
    """The calendar of a venue of `organizations` for [start, end): its active spaces, the
    space lines of requests and held bookings whose occupied time (setup and setdown
    included) touches the range, the blockouts and the opening periods. Four queries,
    however many bookings; a venue of another organisation has no spaces here."""
    spaces = list(
        Space.objects.filter(
            venue=venue, venue__organization__in=organizations, is_active=True
        ).order_by("position", "name", "pk")
    )
    space_ids = [space.pk for space in spaces]
    lines = (
        SpaceBooking.objects.filter(
            space_id__in=space_ids,
            booking__status__in=CALENDAR_STATUSES,
            occupied_from__lt=end,
        )
        # A released line's occupied time ends at the release; its booked time still shows.
        .filter(Q(occupied_until__gt=start) | Q(ends_at__gt=start))
        .select_related("booking__customer", "layout")
        .order_by("occupied_from", "pk")
    )
    blockouts = Blockout.objects.filter(
        space_id__in=space_ids, starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at", "pk")
    return VenueCalendar(
        venue=venue,
        start=start,
        end=end,
        spaces=spaces,
        space_bookings=list(lines) if space_ids else [],
        blockouts=list(blockouts) if space_ids else [],
        opening_periods=opening_periods(venue, start, end),
    )
