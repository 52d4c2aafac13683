"""Reads of bookings that serve a request: scoped to organisations, related rows joined.

Each list selector takes the organisations the caller may see (venues.selectors.
organization_list) and returns a queryset of their rows only, with what a list shows
already joined or prefetched, so that a page of 50 costs as many queries as a page of 1.
Another organisation's row is simply absent (a door answers 404, never 403). The
availability reads answer "what is free" for a space or product the caller already found
through a scoped selector.
"""

from copy import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    F,
    Field,
    IntegerField,
    Min,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    prefetch_related_objects,
)
from django.db.models.query import ModelIterable
from django.utils import timezone

from bookings.availability import (
    Interval,
    Load,
    check_event_line,
    check_product_line,
    check_space_line,
    free_windows,
    opening_periods,
    peak_load,
    preparation_minutes,
)
from bookings.calendars import ICS_CHANGES
from bookings.models import (
    Booking,
    BookingStatus,
    ChangeRequest,
    Customer,
    EventBooking,
    InventoryBooking,
    LogEntry,
    Notification,
    Payment,
    SpaceBooking,
    hash_manage_token,
)
from core.errors import Conflict
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


def lines_prefetched() -> list[Prefetch]:
    """A booking's space, event and product lines in time order, with what each books."""
    return [
        Prefetch(
            "space_bookings",
            queryset=SpaceBooking.objects.select_related("space__venue", "layout").order_by(
                "starts_at", "pk"
            ),
        ),
        Prefetch(
            "event_bookings",
            queryset=EventBooking.objects.select_related("event", "price").order_by("pk"),
        ),
        Prefetch(
            "inventory_bookings",
            queryset=InventoryBooking.objects.select_related("product").order_by("starts_at", "pk"),
        ),
    ]


# What booking_list reads with each page of bookings, in one query, and in which order each
# booking keeps them: {relation: (model, sort key)}.
LINES_AND_PAYMENTS = {
    "space_bookings": (SpaceBooking, lambda line: (line.starts_at, line.pk)),
    "event_bookings": (EventBooking, lambda line: line.pk),
    "inventory_bookings": (InventoryBooking, lambda line: (line.starts_at, line.pk)),
    "payments": (Payment, lambda payment: (payment.paid_at, payment.pk)),
}


class BookingsWithLines(QuerySet):
    """Bookings that come with their lines and payments (LINES_AND_PAYMENTS) read in one
    query for all of them, however many bookings and whatever their kinds of lines: each
    booking's `space_bookings.all()`, `event_bookings.all()`, `inventory_bookings.all()` and
    `payments.all()` are then answered from memory, in the order above, each line knowing
    its booking (as prefetch_related leaves them, at one query instead of four). Their own
    related rows (a line's space, a payment's type) are not joined. Model rows only: not for
    `.values()` or `.iterator()`."""

    def _fetch_all(self):
        if self._result_cache is None:
            self._result_cache = list(self._iterable_class(self))
            if self._iterable_class is ModelIterable:
                _attach_lines_and_payments(self._result_cache, self.db)
        if self._prefetch_related_lookups and not self._prefetch_done:
            self._prefetch_related_objects()


def _attach_lines_and_payments(bookings: list[Booking], using: str) -> None:
    if not bookings:
        return
    by_booking = {booking.pk: booking for booking in bookings}
    rows = rows_of_models(
        {
            relation: model.objects.filter(booking_id__in=list(by_booking))
            for relation, (model, _) in LINES_AND_PAYMENTS.items()
        },
        using=using,
    )
    for relation, (model, sort_key) in LINES_AND_PAYMENTS.items():
        grouped: dict[int, list] = {pk: [] for pk in by_booking}
        booking_field = model._meta.get_field("booking")
        for row in rows[relation]:
            booking_field.set_cached_value(row, by_booking[row.booking_id])
            grouped[row.booking_id].append(row)
        for pk, booking in by_booking.items():
            _keep(booking, relation, model, sorted(grouped[pk], key=sort_key))


def _keep(booking: Booking, relation: str, model, rows: list) -> None:
    """Keep `rows` as `booking`'s `relation` (a foreign key `booking` of `model`) the way
    prefetch_related stores it: its related manager's queryset (`booking` = the booking,
    lazily applied: a `.filter()` on it still reads only this booking's rows), already run
    with `rows`. Built without the related manager, which costs several times more and
    matters 200 times a page."""
    booking_field = model._meta.get_field("booking")
    related = model._default_manager.get_queryset()
    related._add_hints(instance=booking)
    related._deferred_filter = (False, (), {booking_field.name: booking})
    related._known_related_objects = {booking_field: {booking.pk: booking}}
    related._result_cache = rows
    related._prefetch_done = True
    booking.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = related


def _column_kind(field: Field) -> tuple:
    """What a column holds, as far as a UNION of several tables' columns cares: columns of
    one kind can share a place in it (a NULL stands in for a table without such a column)."""
    internal = field.get_internal_type()
    if field.is_relation:
        return _column_kind(field.target_field)
    if internal in {"AutoField", "BigAutoField", "BigIntegerField"}:
        return ("bigint",)
    if internal in {"IntegerField", "PositiveIntegerField", "SmallIntegerField"}:
        return ("integer",)
    if internal == "PositiveSmallIntegerField":
        return ("integer",)
    if internal == "DecimalField":
        return ("decimal", field.max_digits, field.decimal_places)
    if internal in {"CharField", "TextField", "EmailField", "SlugField", "URLField"}:
        return ("text",)
    if internal in {"DateTimeField", "BooleanField", "DateField"}:
        return (internal,)
    return ("own", field.model._meta.label, field.name)  # shares its place with nothing


def _null_of(kind: tuple, field: Field) -> Value:
    if kind[0] == "bigint":
        return Value(None, output_field=BigIntegerField())
    if kind[0] == "integer":
        return Value(None, output_field=IntegerField())
    if kind[0] == "decimal":
        return Value(None, output_field=DecimalField(max_digits=kind[1], decimal_places=kind[2]))
    if kind[0] == "text":
        return Value(None, output_field=TextField())
    return Value(None, output_field=field.__class__())


def rows_of_models(querysets: dict[str, QuerySet], *, using: str) -> dict[str, list]:
    """The rows of several models' querysets as model instances, read in ONE query (a
    UNION ALL whose columns each model fills in with its own, or a NULL): {name: rows}.
    Every concrete field is read (no deferred field left to fetch later); the order of
    rows is not kept."""
    columns: dict[tuple, Field] = {}  # (kind, nth of that kind) -> a field of that kind
    layouts = {}
    for name, queryset in querysets.items():
        counts: dict[tuple, int] = {}
        layout = {}
        for field in queryset.model._meta.concrete_fields:
            kind = _column_kind(field)
            slot = (kind, counts.get(kind, 0))
            counts[kind] = slot[1] + 1
            columns.setdefault(slot, field)
            layout[slot] = field
        layouts[name] = layout
    names = list(querysets)
    aliases = {slot: f"c{number}" for number, slot in enumerate(columns)}
    parts = []
    for index, name in enumerate(names):
        layout = layouts[name]
        selected = {"row_of": Value(index)}
        for slot, alias in aliases.items():
            field = layout.get(slot)
            selected[alias] = F(field.attname) if field else _null_of(slot[0], columns[slot])
        parts.append(querysets[name].order_by().values(**selected))
    union = parts[0].union(*parts[1:], all=True).using(using) if len(parts) > 1 else parts[0]
    result: dict[str, list] = {name: [] for name in names}
    readers = {}
    for index, name in enumerate(names):
        model = querysets[name].model
        layout = layouts[name]
        order = [aliases[slot] for slot in layout]
        attnames = [field.attname for field in layout.values()]
        readers[index] = (model, attnames, order, result[name])
    for row in union:
        model, attnames, order, rows = readers[row["row_of"]]
        rows.append(model.from_db(using, attnames, [row[alias] for alias in order]))
    return result


def booking_list(*, organizations: QuerySet[Organization]) -> QuerySet[Booking]:
    """Bookings of `organizations`, latest first, with customer and event, and their lines
    and payments (BookingsWithLines: one query for all of them, what they book not
    joined): what the API lists, a page of 50 in as many queries as a page of 1. The venue
    and organisation are not joined (a list shows their ids).

    The organisations' ids are read first (one small query): filtered by a list of ids,
    PostgreSQL counts the list's total from the organisation index in parallel, which it
    does not through a subquery (at a million bookings: 50 to 75 ms instead of 130)."""
    ids = list(organizations.values_list("pk", flat=True))
    return _with_lines_and_payments(
        Booking.objects.filter(organization_id__in=ids).select_related("customer", "event")
    )


def booking_detail_list(*, organizations: QuerySet[Organization]) -> QuerySet[Booking]:
    """Bookings of `organizations` as `booking_list` shows them, with their venue and
    organisation joined (as `booking_summary_list`), plus their log with who acted."""
    bookings = Booking.objects.filter(organization__in=organizations).select_related(
        "customer", "event", "organization", "venue"
    )
    return _with_lines_and_payments(bookings).prefetch_related(_log_with_actors())


def _with_lines_and_payments(bookings: QuerySet[Booking]) -> BookingsWithLines:
    bookings = bookings.order_by("-starts_at", "-id")
    return BookingsWithLines(model=Booking, query=bookings.query, using=bookings.db)


def _payments_and_log() -> list[Prefetch]:
    """A booking's payments (with type and recorder) and its log (with who acted)."""
    return [
        Prefetch(
            "payments",
            queryset=Payment.objects.select_related("payment_type", "recorded_by").order_by(
                "paid_at", "pk"
            ),
        ),
        _log_with_actors(),
    ]


def _log_with_actors() -> Prefetch:
    return Prefetch("log_entries", queryset=LogEntry.objects.select_related("user", "api_key"))


def booking_get(*, organizations: QuerySet[Organization], booking_id: int) -> Booking:
    """One booking of `organizations` for a page (or DoesNotExist): as `booking_detail_list`
    with what each line books (`lines_prefetched`) and each payment's type and recorder,
    plus its form's questions (`booking_form.custom_fields`, in the form's order) and its
    change requests (`all_change_requests`, oldest first, with who submitted and decided)."""
    return (
        booking_summary_list(organizations=organizations)
        .select_related("booking_form", "payment_type", "created_by")
        .prefetch_related(
            *lines_prefetched(),
            *_payments_and_log(),
            Prefetch(
                "booking_form__custom_fields",
                queryset=CustomField.objects.order_by("section", "position", "id"),
            ),
            Prefetch(
                "change_requests",
                queryset=ChangeRequest.objects.select_related(
                    "submitted_by", "decided_by"
                ).order_by("created_at", "pk"),
                to_attr="all_change_requests",
            ),
        )
        .get(pk=booking_id)
    )


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


@dataclass
class Competitor:
    """A pending request that wants what another booking wants: where and when they overlap."""

    booking: Booking
    lines: list[SpaceBooking]  # its lines that overlap


def competing_request_list(*, booking: Booking) -> list[Competitor]:
    """Other pending requests whose space lines overlap `booking`'s (same space, occupied
    times overlapping), oldest first: those that lose the slot if `booking` is approved.

    `booking` comes from `booking_get` (its space lines prefetched); one query.
    """
    overlaps = Q()
    for line in booking.space_bookings.all():
        start, end = line.interval_with_setup()
        overlaps |= Q(space_id=line.space_id, occupied_from__lt=end, occupied_until__gt=start)
    if not overlaps:
        return []
    lines = (
        SpaceBooking.objects.filter(overlaps, booking__status=BookingStatus.PENDING)
        .filter(booking__organization_id=booking.organization_id)
        .exclude(booking_id=booking.pk)
        .select_related("booking__customer", "booking__venue", "space")
        .order_by("booking__created_at", "booking_id", "starts_at")
    )
    competitors: dict[int, Competitor] = {}
    for line in lines:
        competitor = competitors.setdefault(line.booking_id, Competitor(line.booking, []))
        competitor.lines.append(line)
    return list(competitors.values())


def booking_conflict_list(*, booking: Booking) -> list[Conflict]:
    """Why `booking`'s lines would not fit now next to what holds capacity ([] if they fit):
    what approving it would run into, for a page to explain before anyone tries. No locks;
    the service checks again under them. `booking` comes from `booking_get`."""
    spaces = list(booking.space_bookings.all())
    events = list(booking.event_bookings.all())
    products = list(booking.inventory_bookings.all())
    conflicts = []
    for number, line in enumerate(spaces, 1):
        label = f"space line {number} ({line.space.name})"
        conflicts += check_space_line(line, label=label, siblings=spaces)
    for number, line in enumerate(events, 1):
        label = f"event line {number} ({line.event.title})"
        conflicts += check_event_line(line, label=label, siblings=events)
    for number, line in enumerate(products, 1):
        label = f"product line {number} ({line.product.name})"
        conflicts += check_product_line(line, label=label, siblings=products)
    return conflicts


def change_request_get(
    *, organizations: QuerySet[Organization], change_request_id: int
) -> ChangeRequest:
    """One change request of `organizations`' bookings (or DoesNotExist), with who submitted
    and decided it, and `spaces_by_id` / `layouts_by_id` naming what it asks for."""
    change_request = (
        ChangeRequest.objects.filter(booking__organization__in=organizations)
        .select_related("submitted_by", "decided_by")
        .get(pk=change_request_id)
    )
    _name_what_is_asked(change_request)
    return change_request


def change_request_conflict_list(
    *, booking: Booking, change_request: ChangeRequest
) -> list[Conflict]:
    """Why the slot a change request asks for would not fit next to what holds capacity
    now ([] if it fits), the booking's own hold left out. Nothing is saved or locked: the
    service checks again when staff decide. `booking` comes from `booking_get`,
    `change_request` from `change_request_get`."""
    asked_by_id = {line["id"]: line for line in change_request.changes.get("space_lines", [])}
    if not asked_by_id or change_request.is_cancellation:
        return []
    lines = []
    for stored in booking.space_bookings.all():
        line = copy(stored)  # its own state, so the stored line keeps its space and layout
        line._state = copy(stored._state)
        line._state.fields_cache = dict(stored._state.fields_cache)
        asked = asked_by_id.get(line.pk, {})
        for name in ("starts_at", "ends_at"):
            if name in asked:
                setattr(line, name, datetime.fromisoformat(asked[name]))
        if "places" in asked:
            line.places = asked["places"]
        space = change_request.spaces_by_id.get(asked.get("space_id"))
        layout = change_request.layouts_by_id.get(asked.get("layout_id"))
        if space is not None and space.pk != line.space_id:
            line.space, line.layout = space, None
        if layout is not None:
            line.layout = layout
        if (line.space_id, line.layout_id) != (stored.space_id, stored.layout_id):
            line.setup_minutes, line.setdown_minutes = preparation_minutes(line.space, line.layout)
        lines.append(line)
    conflicts = []
    for number, line in enumerate(lines, 1):
        if line.pk in asked_by_id:
            label = f"space line {number} ({line.space.name})"
            conflicts += check_space_line(line, label=label, siblings=lines)
    return conflicts


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
            *lines_prefetched(),
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
    change_request.spaces_by_id = (
        Space.objects.select_related("venue").in_bulk(space_ids) if space_ids else {}
    )
    change_request.layouts_by_id = SpaceLayout.objects.in_bulk(layout_ids) if layout_ids else {}


# -- staff figures -------------------------------------------------------------------------------


def pending_request_count(*, organizations: QuerySet[Organization]) -> int:
    """How many booking requests of `organizations` wait for a decision (one query)."""
    return Booking.objects.filter(
        organization__in=organizations, status=BookingStatus.PENDING
    ).count()


@dataclass(frozen=True)
class VenueFigures:
    """What a venue's staff look at first: the figures of the staff dashboard."""

    venue: Venue
    pending: int
    oldest_pending_at: datetime | None  # when the longest-waiting request came in
    open_change_requests: int
    arrivals_today: int  # approved bookings starting on the venue's local today
    starting_soon: int  # approved bookings starting within the next hour
    day_start: datetime  # the venue's local today, [day_start, day_end)
    day_end: datetime


def venue_figures_list(
    *, organizations: QuerySet[Organization], now: datetime | None = None
) -> list[VenueFigures]:
    """The dashboard's figures for every active venue of `organizations`, in venue order.

    Four queries however many venues and bookings: the venues, the pending requests and
    the approved bookings of today grouped by venue (each venue's "today" is its own local
    day), the open change requests. Each reads only its own rows through an index.
    """
    now = now or timezone.now()
    venues = list(
        Venue.objects.filter(organization__in=organizations, is_active=True).select_related(
            "organization"
        )
    )
    if not venues:
        return []
    days = {
        venue.pk: local_day_bounds(timezone.localtime(now, venue.tzinfo).date(), venue.tzinfo)
        for venue in venues
    }
    venue_ids = [venue.pk for venue in venues]
    pending = {
        venue: (count, oldest)
        for venue, count, oldest in Booking.objects.filter(
            venue__in=venue_ids, status=BookingStatus.PENDING
        )
        .values("venue")
        .annotate(count=Count("*"), oldest=Min("created_at"))  # from the index alone
        .values_list("venue", "count", "oldest")
        .order_by()
    }
    # Approved bookings only from the earliest "today" to the latest (or the next hour):
    # what the venue-and-time index finds without reading the rest of the history.
    today = Q()
    for venue_id, (start, end) in days.items():
        today |= Q(venue_id=venue_id, starts_at__gte=start, starts_at__lt=end)
    soon = Q(starts_at__gte=now, starts_at__lt=now + timedelta(hours=1))
    approved = {
        venue: (today_count, soon_count)
        for venue, today_count, soon_count in Booking.objects.filter(
            venue__in=venue_ids,
            status=BookingStatus.APPROVED,
            starts_at__gte=min([now, *(start for start, _ in days.values())]),
            starts_at__lt=max([now + timedelta(hours=1), *(end for _, end in days.values())]),
        )
        .values("venue")
        .annotate(today=Count("pk", filter=today), soon=Count("pk", filter=soon))
        .values_list("venue", "today", "soon")
        .order_by()
    }
    change_requests = dict(
        ChangeRequest.objects.filter(
            booking__venue__in=venue_ids,
            status=ChangeRequest.Status.PENDING,
        )
        .values("booking__venue")
        .annotate(open=Count("pk"))
        .order_by()
        .values_list("booking__venue", "open")
    )
    return [
        VenueFigures(
            venue=venue,
            pending=pending.get(venue.pk, (0, None))[0],
            oldest_pending_at=pending.get(venue.pk, (0, None))[1],
            open_change_requests=change_requests.get(venue.pk, 0),
            arrivals_today=approved.get(venue.pk, (0, 0))[0],
            starting_soon=approved.get(venue.pk, (0, 0))[1],
            day_start=days[venue.pk][0],
            day_end=days[venue.pk][1],
        )
        for venue in venues
    ]


def failed_notification_counts(*, organizations: QuerySet[Organization]) -> dict[int, int]:
    """How many notifications failed for good, by organisation id (one query)."""
    return dict(
        Notification.objects.filter(
            organization__in=organizations, status=Notification.Status.FAILED
        )
        .values("organization")
        .annotate(failed=Count("pk"))
        .order_by()
        .values_list("organization", "failed")
    )


# -- the approval queue --------------------------------------------------------------------------


def pending_request_list(
    *,
    organizations: QuerySet[Organization],
    venue: Venue | None = None,
    space: Space | None = None,
    day: date | None = None,
) -> QuerySet[Booking]:
    """Pending requests of `organizations`, oldest first, with customer, venue and space lines.

    `venue`, `space`: only those (of the caller's organisations); `day`: those starting
    on that local day of their own venue.
    """
    bookings = (
        Booking.objects.filter(organization__in=organizations, status=BookingStatus.PENDING)
        .select_related("customer", "venue", "organization")
        .prefetch_related(
            Prefetch(
                "space_bookings",
                queryset=SpaceBooking.objects.select_related("space").order_by("starts_at", "pk"),
            )
        )
        .order_by("created_at", "pk")
    )
    if venue is not None:
        bookings = bookings.filter(venue=venue)
    if space is not None:
        bookings = bookings.filter(space_bookings__space=space).distinct()
    if day is not None:
        on_day = Q(pk__in=[])
        venues = Venue.objects.filter(organization__in=organizations)
        if venue is not None:
            venues = venues.filter(pk=venue.pk)
        for zone in venues.values_list("timezone", flat=True).distinct():
            start, end = local_day_bounds(day, ZoneInfo(zone))
            on_day |= Q(venue__timezone=zone, starts_at__gte=start, starts_at__lt=end)
        bookings = bookings.filter(on_day)
    return bookings


@dataclass
class Contention:
    """What stands in the way of approving a pending request, found without locking."""

    conflicts: list[Booking]  # held bookings whose lines overlap it beyond what fits
    blockouts: list[Blockout]  # blockouts of its spaces over its time
    competitors: list[Booking]  # other pending requests it cannot be approved beside

    @property
    def is_clear(self) -> bool:
        return not (self.conflicts or self.blockouts or self.competitors)


def pending_conflicts(bookings: list[Booking]) -> dict[int, Contention]:
    """For each pending booking (with `space_bookings` prefetched, their spaces joined), the
    held bookings its space lines conflict with, the blockouts over them and the other
    pending requests it competes with, by booking id.

    An exclusive space conflicts with any overlapping holder (setup and setdown included)
    and competes with any overlapping request; a shared one only when the places would not
    fit (the holders' peak plus this request, plus the other request for competition).
    A read for the queue: nothing is locked, and the approval itself checks again under
    the locks. Product and event lines are not looked at here. Three queries whatever the
    number of bookings.
    """
    lines = [line for booking in bookings for line in booking.space_bookings.all()]
    result = {booking.pk: Contention([], [], []) for booking in bookings}
    if not lines:
        return result
    near = Q(pk__in=[])
    for line in lines:
        near |= Q(
            space_id=line.space_id,
            occupied_from__lt=line.occupied_until,
            occupied_until__gt=line.occupied_from,
        )
    others = list(
        SpaceBooking.objects.filter(near)
        .filter(Q(holds_capacity=True) | Q(booking__status=BookingStatus.PENDING))
        .select_related("booking")
        .order_by("booking__created_at", "booking_id", "pk")
    )
    blocked = Q(pk__in=[])
    for line in lines:
        blocked |= Q(space_id=line.space_id, starts_at__lt=line.ends_at, ends_at__gt=line.starts_at)
    blockouts = list(Blockout.objects.filter(blocked).order_by("starts_at", "pk"))

    for booking in bookings:
        contention = result[booking.pk]
        for line in booking.space_bookings.all():
            start, end = line.occupied_from, line.occupied_until
            overlapping = [
                other
                for other in others
                if other.booking_id != booking.pk
                and other.space_id == line.space_id
                and other.occupied_from < end
                and start < other.occupied_until
            ]
            holders = [other for other in overlapping if other.holds_capacity]
            rivals = [other for other in overlapping if not other.holds_capacity]
            if line.space.is_exclusive:
                clashing_holders, clashing_rivals = holders, rivals
            else:
                loads = [Load(h.occupied_from, h.occupied_until, h.places) for h in holders]
                taken, _ = peak_load(loads, start, end)
                capacity = line.space.capacity
                clashing_holders = holders if taken + line.places > capacity else []
                clashing_rivals = [
                    rival for rival in rivals if taken + line.places + rival.places > capacity
                ]
            _add_bookings(contention.conflicts, clashing_holders)
            _add_bookings(contention.competitors, clashing_rivals)
            for blockout in blockouts:
                if (
                    blockout.space_id == line.space_id
                    and blockout.starts_at < line.ends_at
                    and line.starts_at < blockout.ends_at
                    and blockout not in contention.blockouts
                ):
                    contention.blockouts.append(blockout)
    return result


def _add_bookings(into: list[Booking], lines: list[SpaceBooking]) -> None:
    for line in lines:
        if all(booking.pk != line.booking_id for booking in into):
            into.append(line.booking)


# -- the front desk ------------------------------------------------------------------------------

# What the front desk expects at the door; a search also finds the day's other bookings, so
# that a host can tell a guest that their booking was canceled or is still a request.
FRONT_DESK_STATUSES = (
    BookingStatus.APPROVED,
    BookingStatus.ARRIVED,
    BookingStatus.SEATED,
    BookingStatus.RELEASED,
    BookingStatus.NO_SHOW,
)


def front_desk_list(
    *,
    organizations: QuerySet[Organization],
    venue: Venue,
    day: date,
    search: str = "",
) -> list[Booking]:
    """The bookings of `venue` for the front desk on `day` (the venue's local day), in time
    order, with customer, space lines (spaces joined) and event lines (events joined): three
    queries however many.

    A day's bookings are those starting on it, and those that started before and are still
    open at its start (expected, arrived or seated: a club night past midnight). Without
    `search`, only bookings the door expects (FRONT_DESK_STATUSES); with it, every booking
    of the day whose reference, customer or contact name contains each word of `search`.
    Each booking gets `space_names`, `event_titles`, `places` (of its spaces), `tickets`
    (of its events) and `guests` (the actual attendees counted on arrival, or None).
    """
    start, end = local_day_bounds(day, venue.tzinfo)
    still_open = (BookingStatus.APPROVED, BookingStatus.ARRIVED, BookingStatus.SEATED)
    bookings = Booking.objects.filter(organization__in=organizations, venue=venue).filter(
        Q(starts_at__gte=start, starts_at__lt=end)
        | Q(starts_at__lt=start, ends_at__gt=start, status__in=still_open)
    )
    words = search.split()
    if not words:
        bookings = bookings.filter(status__in=FRONT_DESK_STATUSES)
    for word in words:
        bookings = bookings.filter(
            Q(reference__icontains=word)
            | Q(contact_name__icontains=word)
            | Q(customer__first_name__icontains=word)
            | Q(customer__last_name__icontains=word)
            | Q(customer__company__icontains=word)
        )
    bookings = list(
        bookings.select_related("customer", "organization", "venue")
        .prefetch_related(
            Prefetch("space_bookings", queryset=SpaceBooking.objects.select_related("space")),
            Prefetch("event_bookings", queryset=EventBooking.objects.select_related("event")),
        )
        .order_by("starts_at", "reference")
    )
    for booking in bookings:
        lines = list(booking.space_bookings.all())
        tickets = list(booking.event_bookings.all())
        booking.space_names = list(dict.fromkeys(line.space.name for line in lines))
        booking.event_titles = list(dict.fromkeys(line.event.title for line in tickets))
        booking.places = sum(line.places for line in lines)
        booking.tickets = sum(line.quantity for line in tickets)
        counted = [line.actual_attendees for line in lines if line.actual_attendees is not None]
        booking.guests = max(counted) if counted else None
    return bookings


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


# -- calendars (.ics) ----------------------------------------------------------------------------

# A venue's calendar feed: what staff look back on and ahead to, and at most how many
# entries (a calendar app fetches the whole feed every few minutes).
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365
FEED_MAX_LINES = 2000


def calendar_sequences(*, booking_ids: list[int]) -> dict[int, int]:
    """{booking id: the number of changes a calendar shows (bookings.calendars.ICS_CHANGES)
    in its history}, the SEQUENCE of its calendar entries; one query for any number."""
    counts = (
        LogEntry.objects.filter(booking_id__in=booking_ids, action__in=ICS_CHANGES)
        .values("booking_id")
        .annotate(changes=Count("pk"))
        .order_by()
    )
    return {row["booking_id"]: row["changes"] for row in counts}


def venue_feed_line_list(*, venue: Venue, now: datetime | None = None) -> list[SpaceBooking]:
    """The space lines a venue's calendar feed shows: those of requests and of held (or
    released) bookings (CALENDAR_STATUSES, as the staff calendar), starting from
    FEED_DAYS_BACK days ago to FEED_DAYS_AHEAD days ahead, the first FEED_MAX_LINES by
    start, with their booking, customer and space. One query, however many lines."""
    now = now or timezone.now()
    return list(
        SpaceBooking.objects.filter(
            space__venue=venue,
            booking__venue=venue,
            booking__status__in=CALENDAR_STATUSES,
            ends_at__gt=now - timedelta(days=FEED_DAYS_BACK),
            starts_at__lt=now + timedelta(days=FEED_DAYS_AHEAD),
        )
        .select_related("booking__customer", "space")
        .order_by("starts_at", "pk")[:FEED_MAX_LINES]
    )


def created_booking_detail(created) -> Booking:
    """A booking this request has just created (services' CreatedBooking), ready for the
    detail answer without reading it again: its lines as saved, no payments yet, and the
    log written with it, kept as booking_detail_list would have read them."""
    booking = created.booking
    written = {
        "space_bookings": created.lines.spaces,
        "event_bookings": created.lines.events,
        "inventory_bookings": created.lines.products,
        "payments": [],
    }
    for relation, (model, sort_key) in LINES_AND_PAYMENTS.items():
        _keep(booking, relation, model, sorted(written[relation], key=sort_key))
    _keep(booking, "log_entries", LogEntry, list(created.log))
    return booking


def booking_detail_of(booking: Booking) -> Booking:
    """`booking`, as a service just left it (read through a scoped selector and locked),
    with what booking_detail_list prefetches read onto it: the answer to a change."""
    prefetch_related_objects([booking], *lines_prefetched(), *_payments_and_log())
    return booking
