"""Does a line fit, and what is free? Capacity maths and the locking protocol.

A line *holds* capacity when its booking does (approved, arrived, seated, released until
the release time). Intervals are half-open, [start, end): back-to-back bookings fit.

Locking: a service that makes lines hold capacity first calls `lock_resources()`
inside its transaction, which takes row locks on the Space, InventoryProduct and Event
rows involved, always in that table order and by primary key, so two bookings never
wait on each other in a circle. Only then does it check and write. (On SQLite the
transaction itself is the lock: BEGIN IMMEDIATE lets one writer in at a time.)
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from bookings.models import Booking, EventBooking, InventoryBooking, SpaceBooking
from core.errors import Conflict, ConflictReason
from venues.models import (
    Blockout,
    Event,
    InventoryProduct,
    OpeningHours,
    Space,
    SpaceLayout,
    Venue,
)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Load:
    """An amount (places, units) held over [starts_at, ends_at) by a booking."""

    starts_at: datetime
    ends_at: datetime
    amount: int
    reference: str = ""


def lock_resources(
    *,
    spaces: Iterable[Space] = (),
    products: Iterable[InventoryProduct] = (),
    events: Iterable[Event] = (),
) -> None:
    """Row-lock the resources, table by table (space, product, event), each by primary key."""
    for model, objects in ((Space, spaces), (InventoryProduct, products), (Event, events)):
        ids = sorted({obj.pk for obj in objects})
        if ids:
            list(
                model.objects.select_for_update()
                .filter(pk__in=ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )


def peak_load(loads: Sequence[Load], start: datetime, end: datetime) -> tuple[int, datetime]:
    """The highest sum of amounts held at one moment of [start, end), and that moment."""
    moments = sorted({start} | {load.starts_at for load in loads if start < load.starts_at < end})
    best, best_at = 0, start
    for moment in moments:
        level = sum(load.amount for load in loads if load.starts_at <= moment < load.ends_at)
        if level > best:
            best, best_at = level, moment
    return best, best_at


# -- space lines -----------------------------------------------------------------------------


def check_space_line(
    line: SpaceBooking,
    *,
    label: str,
    siblings: Sequence[SpaceBooking] = (),
    check_opening_hours: bool = True,
) -> list[Conflict]:
    """Why `line` does not fit its space, or [] if it does.

    `siblings` are the booking's other space lines as they will be (they are checked
    against each other; its stored lines are left out of the database query).
    """
    space = line.space
    tz = space.venue.tzinfo
    start, end = line.interval_with_setup()
    conflicts = []

    if line.places > space.capacity:
        conflicts.append(
            Conflict(
                label,
                ConflictReason.CAPACITY,
                f"{space.name} holds {space.capacity} people; {line.places} asked for.",
                line.starts_at,
                line.ends_at,
            )
        )
    if line.layout is not None and line.places > line.layout.capacity:
        conflicts.append(
            Conflict(
                label,
                ConflictReason.LAYOUT_CAPACITY,
                f"The {line.layout.name} layout of {space.name} holds {line.layout.capacity} "
                f"people; {line.places} asked for.",
                line.starts_at,
                line.ends_at,
            )
        )
    for blockout in Blockout.objects.filter(space=space, starts_at__lt=end, ends_at__gt=start):
        conflicts.append(
            Conflict(
                label,
                ConflictReason.BLOCKOUT,
                f"{space.name} is blocked ({blockout.get_reason_display().lower()}) "
                f"{span_text(blockout.starts_at, blockout.ends_at, tz)}.",
                blockout.starts_at,
                blockout.ends_at,
                blockout_id=blockout.pk,
            )
        )
    if (
        check_opening_hours
        and not line.overrides_opening_hours
        and not is_open(space.venue, line.starts_at, line.ends_at)
    ):
        conflicts.append(
            Conflict(
                label,
                ConflictReason.OPENING_HOURS,
                f"{space.venue.name} is not open all of "
                f"{span_text(line.starts_at, line.ends_at, tz)}.",
                line.starts_at,
                line.ends_at,
            )
        )

    holders = SpaceBooking.objects.filter(
        space=space, holds_capacity=True, occupied_from__lt=end, occupied_until__gt=start
    ).select_related("booking")
    if line.booking_id is not None:
        holders = holders.exclude(booking_id=line.booking_id)
    loads = [
        Load(other.occupied_from, other.occupied_until, other.places, other.booking.reference)
        for other in holders
    ]
    for sibling in siblings:
        if sibling is not line and sibling.space_id == space.pk:
            sibling_start, sibling_end = sibling.interval_with_setup()
            if sibling_start < end and start < sibling_end:
                loads.append(Load(sibling_start, sibling_end, sibling.places, "this booking"))

    if space.is_exclusive:
        for load in loads:
            conflicts.append(
                Conflict(
                    label,
                    ConflictReason.SPACE_TAKEN,
                    f"{space.name} is taken by {load.reference} "
                    f"{span_text(load.starts_at, load.ends_at, tz)} (setup and setdown included).",
                    load.starts_at,
                    load.ends_at,
                    other_booking="" if load.reference == "this booking" else load.reference,
                )
            )
    else:
        taken, at = peak_load(loads, start, end)
        if taken + line.places > space.capacity:
            conflicts.append(
                Conflict(
                    label,
                    ConflictReason.CAPACITY,
                    f"{space.name} has {space.capacity - taken} of {space.capacity} places free "
                    f"at {timezone.localtime(at, tz):%Y-%m-%d %H:%M}; {line.places} asked for.",
                    line.starts_at,
                    line.ends_at,
                )
            )
    return conflicts


# -- product and event lines -----------------------------------------------------------------


def check_product_line(
    line: InventoryBooking, *, label: str, siblings: Sequence[InventoryBooking] = ()
) -> list[Conflict]:
    """Whether the product has `units` free over the whole of the line's time (peak, not sum)."""
    product = line.product
    holders = InventoryBooking.objects.filter(
        product=product,
        holds_capacity=True,
        occupied_from__lt=line.ends_at,
        occupied_until__gt=line.starts_at,
    ).select_related("booking")
    if line.booking_id is not None:
        holders = holders.exclude(booking_id=line.booking_id)
    loads = [
        Load(other.occupied_from, other.occupied_until, other.units, other.booking.reference)
        for other in holders
    ]
    loads += [
        Load(sibling.starts_at, sibling.ends_at, sibling.units)
        for sibling in siblings
        if sibling is not line
        and sibling.product_id == product.pk
        and sibling.starts_at < line.ends_at
        and line.starts_at < sibling.ends_at
    ]
    taken, at = peak_load(loads, line.starts_at, line.ends_at)
    if taken + line.units <= product.units_total:
        return []
    tz = line.booking.venue.tzinfo
    return [
        Conflict(
            label,
            ConflictReason.PRODUCT_UNITS,
            f"{product.name}: {product.units_total - taken} of {product.units_total} free at "
            f"{timezone.localtime(at, tz):%Y-%m-%d %H:%M}; {line.units} asked for.",
            line.starts_at,
            line.ends_at,
        )
    ]


def check_event_line(
    line: EventBooking, *, label: str, siblings: Sequence[EventBooking] = ()
) -> list[Conflict]:
    """Whether the event takes place and has tickets left."""
    event = line.event
    if event.status == Event.Status.CANCELED:
        return [
            Conflict(
                label,
                ConflictReason.EVENT_CANCELED,
                f"{event.title} is canceled.",
                event.starts_at,
                event.ends_at,
            )
        ]
    if event.capacity is None:
        return []
    holders = EventBooking.objects.filter(event=event, holds_capacity=True)
    if line.booking_id is not None:
        holders = holders.exclude(booking_id=line.booking_id)
    sold = sum(holders.values_list("quantity", flat=True))
    sold += sum(s.quantity for s in siblings if s is not line and s.event_id == event.pk)
    if sold + line.quantity <= event.capacity:
        return []
    return [
        Conflict(
            label,
            ConflictReason.EVENT_CAPACITY,
            f"{event.title}: {max(event.capacity - sold, 0)} of {event.capacity} tickets left; "
            f"{line.quantity} asked for.",
            event.starts_at,
            event.ends_at,
        )
    ]


# -- opening hours and free windows ----------------------------------------------------------


def opening_periods(venue: Venue, start: datetime, end: datetime) -> list[Interval] | None:
    """The venue's open periods touching [start, end), merged; None if it sets no hours."""
    hours = list(OpeningHours.objects.filter(venue=venue).select_related("venue"))
    if not hours:
        return None
    tz = venue.tzinfo
    first = timezone.localtime(start, tz).date() - timedelta(
        days=1
    )  # a period may run past midnight
    last = timezone.localtime(end, tz).date()
    periods = []
    day = first
    while day <= last:
        periods += [period.period_on(day) for period in hours if period.weekday == day.weekday()]
        day += timedelta(days=1)
    return _merge(periods)


def is_open(venue: Venue, start: datetime, end: datetime) -> bool:
    periods = opening_periods(venue, start, end)
    return periods is None or any(open_ <= start and end <= close for open_, close in periods)


def preparation_minutes(space: Space, layout: SpaceLayout | None) -> tuple[int, int]:
    """Setup and setdown minutes by default: the layout's where it has them, else the space's."""

    def minutes(name: str) -> int:
        own = getattr(layout, name) if layout is not None else None
        return getattr(space, name) if own is None else own

    return minutes("setup_minutes"), minutes("setdown_minutes")


def free_windows(
    space: Space,
    start: datetime,
    end: datetime,
    *,
    places: int = 1,
    granularity: int = 30,
    setup_minutes: int | None = None,
    setdown_minutes: int | None = None,
    ignoring: Booking | None = None,
) -> list[Interval]:
    """Where a new booking of `places` people could go in [start, end).

    Inside opening hours, outside blockouts, and where the holders leave room (an
    exclusive space: nobody; a shared one: `places` free). The setup and setdown (the
    space's defaults unless given, e.g. a layout's) must fit inside a free stretch too.
    Window edges are on the form's granularity (minutes past local midnight).

    `ignoring`: a booking whose own lines do not count, as for a change of that booking
    (`check_space_line` leaves a line's own booking out the same way): moving an
    approved booking by half an hour must not collide with its current time.
    """
    setup = timedelta(minutes=space.setup_minutes if setup_minutes is None else setup_minutes)
    setdown = timedelta(
        minutes=space.setdown_minutes if setdown_minutes is None else setdown_minutes
    )
    holders = SpaceBooking.objects.filter(
        space=space,
        holds_capacity=True,
        occupied_from__lt=end + setdown,
        occupied_until__gt=start - setup,
    )
    if ignoring is not None:
        holders = holders.exclude(booking_id=ignoring.pk)
    loads = [
        Load(*held)
        for held in holders.order_by().values_list("occupied_from", "occupied_until", "places")
    ]
    edges = sorted(
        {start - setup, end + setdown} | {t for h in loads for t in (h.starts_at, h.ends_at)}
    )
    full = []
    for left, right in zip(edges, edges[1:], strict=False):
        level = sum(load.amount for load in loads if load.starts_at <= left < load.ends_at)
        if (space.is_exclusive and level > 0) or level + places > space.capacity:
            full.append((left, right))
    full += [
        (b.starts_at, b.ends_at)
        for b in Blockout.objects.filter(space=space).filter(
            starts_at__lt=end + setdown, ends_at__gt=start - setup
        )
    ]
    stretches = _subtract([(start - setup, end + setdown)], _merge(full))
    periods = opening_periods(space.venue, start, end)
    if periods is not None:
        stretches = _intersect(stretches, periods)
    tz = space.venue.tzinfo
    windows = []
    for left, right in stretches:
        left, right = max(left + setup, start), min(right - setdown, end)
        left, right = _round(left, granularity, tz, up=True), _round(right, granularity, tz)
        if left < right:
            windows.append((left, right))
    return windows


# -- small helpers ---------------------------------------------------------------------------


def span_text(start: datetime, end: datetime, tz) -> str:
    """A range in the venue's time: 'from 2026-05-01 09:00 to 12:00 (Europe/Amsterdam)'."""
    start, end = timezone.localtime(start, tz), timezone.localtime(end, tz)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"from {start:%Y-%m-%d %H:%M} to {end_text} ({tz.key})"


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for left, right in sorted(intervals):
        if merged and left <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], right))
        else:
            merged.append((left, right))
    return merged


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = []
    for left, right in intervals:
        for hole_left, hole_right in holes:
            if hole_right <= left or right <= hole_left:
                continue
            if left < hole_left:
                result.append((left, hole_left))
            left = max(left, hole_right)
            if left >= right:
                break
        if left < right:
            result.append((left, right))
    return result


def _intersect(intervals: list[Interval], others: list[Interval]) -> list[Interval]:
    """Where two sorted lists of disjoint intervals overlap, in one pass over both."""
    result, i, j = [], 0, 0
    while i < len(intervals) and j < len(others):
        left = max(intervals[i][0], others[j][0])
        right = min(intervals[i][1], others[j][1])
        if left < right:
            result.append((left, right))
        if intervals[i][1] < others[j][1]:
            i += 1
        else:
            j += 1
    return result


def _round(moment: datetime, minutes: int, tz, *, up: bool = False) -> datetime:
    local = timezone.localtime(moment, tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (local - midnight) // timedelta(minutes=1)
    steps, remainder = divmod(elapsed, minutes)
    if up and (remainder or local.second or local.microsecond):
        steps += 1
    return midnight + timedelta(minutes=steps * minutes)
