"""The venue calendar: spaces × time for a day (a timeline table) and for a week (a grid).

Everything is placed on the server: a day is a table of 15-minute columns (stepped in UTC
from the venue's local midnight, so a daylight-saving day has 92 or 100 of them), where a
booking's setup, booked time and setdown are cells spanning their columns; overlapping
bookings of a space take a lane (a table row) each. No inline style, no script.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from bookings.availability import Load, peak_load
from bookings.models import BookingStatus, SpaceBooking
from bookings.selectors import calendar_get
from core.permissions import Action, may
from core.times import local_day_bounds, year_in_range
from staff.views.common import staff_page
from venues.models import Blockout, Space, Venue
from venues.selectors import venue_list

STEP = timedelta(minutes=15)
STEPS_PER_HOUR = 4


# -- addresses -------------------------------------------------------------------------------


def booking_url(pk: int) -> str:
    """The staff booking page, or the admin's page of the booking until that page exists."""
    try:
        return reverse("staff:booking", args=[pk])
    except NoReverseMatch:
        return reverse("admin:bookings_booking_change", args=[pk])


def phone_booking_url(venue: Venue, space: Space, start: datetime, end: datetime) -> str:
    """The phone-booking form prefilled with a space and a time (venue-local), or ""."""
    try:
        base = reverse("staff:phone-booking")
    except NoReverseMatch:
        return ""
    tz = venue.tzinfo
    local_start, local_end = timezone.localtime(start, tz), timezone.localtime(end, tz)
    query = {
        "venue": venue.pk,
        "space": space.pk,
        "day": local_start.date().isoformat(),
        "start": f"{local_start:%H:%M}",
        "end": f"{local_end:%H:%M}",
    }
    return f"{base}?{urlencode(query)}"


def calendar_url(venue: Venue, day: date, view: str) -> str:
    query = {"venue": venue.pk, "day": day.isoformat(), "view": view}
    return f"{reverse('staff:calendar')}?{urlencode(query)}"


# -- the day: a timeline table ----------------------------------------------------------------


@dataclass
class Cell:
    """One table cell of a lane: empty (maybe a link to book), closed, part of a booking
    (setup, booked, setdown) or a blockout."""

    kind: str
    span: int
    start: datetime
    end: datetime
    line: SpaceBooking | None = None
    blockout: Blockout | None = None
    url: str = ""
    label: str = ""  # what a screen reader or the eye reads in the cell


@dataclass
class Item:
    first: int  # columns [first, last)
    last: int
    line: SpaceBooking | None = None
    blockout: Blockout | None = None


@dataclass
class SpaceRow:
    space: Space
    lanes: list[list[Cell]]
    load: list[Cell] = field(default_factory=list)  # shared spaces: places held, per hour
    peak_held: int = 0
    peak_asked: int = 0

    @property
    def rowspan(self) -> int:
        return len(self.lanes) + (1 if self.load else 0)


class Timeline:
    """Columns of STEP from `start` to `end` (aware; `start` on a local hour)."""

    def __init__(self, venue: Venue, start: datetime, end: datetime, periods):
        self.venue, self.start, self.end = venue, start.astimezone(UTC), end.astimezone(UTC)
        self.columns = int((self.end - self.start) / STEP)
        self.periods = periods
        self.open = [self._is_open(self.moment(col)) for col in range(self.columns)]

    def moment(self, col: int) -> datetime:
        return self.start + col * STEP

    def col(self, moment: datetime, *, up: bool) -> int:
        steps = (moment - self.start) / STEP
        whole = int(steps // 1)
        if up and steps > whole:
            whole += 1
        return max(0, min(self.columns, whole))

    def _is_open(self, moment: datetime) -> bool:
        if self.periods is None:
            return True
        return any(opens <= moment and moment + STEP <= closes for opens, closes in self.periods)


def day_rows(calendar, timeline: Timeline, *, may_book: bool) -> list[SpaceRow]:
    lines_of: dict[int, list[SpaceBooking]] = {}
    for line in calendar.space_bookings:
        lines_of.setdefault(line.space_id, []).append(line)
    blockouts_of: dict[int, list[Blockout]] = {}
    for blockout in calendar.blockouts:
        blockouts_of.setdefault(blockout.space_id, []).append(blockout)

    rows = []
    for space in calendar.spaces:
        items = []
        for line in lines_of.get(space.pk, []):
            first, last = line.interval_with_setup()
            items.append(
                Item(timeline.col(first, up=False), timeline.col(last, up=True), line=line)
            )
        for blockout in blockouts_of.get(space.pk, []):
            items.append(
                Item(
                    timeline.col(blockout.starts_at, up=False),
                    timeline.col(blockout.ends_at, up=True),
                    blockout=blockout,
                )
            )
        items = [item for item in items if item.last > item.first]
        lanes: list[list[Item]] = []
        for item in sorted(items, key=lambda i: (i.first, i.last)):
            lane = next((lane for lane in lanes if lane[-1].last <= item.first), None)
            if lane is None:
                lanes.append([item])
            else:
                lane.append(item)
        lanes = lanes or [[]]
        row = SpaceRow(
            space=space,
            lanes=[_lane_cells(lane, space, timeline, may_book=may_book) for lane in lanes],
        )
        if not space.is_exclusive:
            _add_load(row, lines_of.get(space.pk, []), timeline, may_book=may_book)
        rows.append(row)
    return rows


def _lane_cells(items: list[Item], space: Space, timeline: Timeline, *, may_book) -> list[Cell]:
    cells, position = [], 0
    for item in items:
        cells += _gap(position, item.first, space, timeline, may_book=may_book)
        cells += _item_cells(item, timeline)
        position = item.last
    cells += _gap(position, timeline.columns, space, timeline, may_book=may_book)
    return cells


def _gap(first: int, last: int, space, timeline: Timeline, *, may_book) -> list[Cell]:
    """Empty columns: closed runs in one cell; open ones cut at every hour, each a link to
    book the space then (exclusive spaces; a shared space is booked from its load row)."""
    cells = []
    col = first
    while col < last:
        is_open = timeline.open[col]
        end = col + 1
        while (
            end < last and timeline.open[end] == is_open and (not is_open or end % STEPS_PER_HOUR)
        ):
            end += 1
        start_at, end_at = timeline.moment(col), timeline.moment(end)
        if is_open:
            url = (
                phone_booking_url(timeline.venue, space, start_at, end_at)
                if may_book and space.is_exclusive
                else ""
            )
            cells.append(Cell("empty", end - col, start_at, end_at, url=url))
        else:
            cells.append(Cell("closed", end - col, start_at, end_at, label=_("Closed")))
        col = end
    return cells


def _item_cells(item: Item, timeline: Timeline) -> list[Cell]:
    if item.blockout is not None:
        blockout = item.blockout
        label = blockout.get_reason_display()
        if blockout.note:
            label = f"{label}: {blockout.note}"
        label = (
            f"{label}, {clock_span(blockout.starts_at, blockout.ends_at, timeline.venue.tzinfo)}"
        )
        return [
            Cell(
                "blockout",
                item.last - item.first,
                blockout.starts_at,
                blockout.ends_at,
                blockout=blockout,
                label=label,
            )
        ]
    line = item.line
    booked_first = max(item.first, min(item.last, timeline.col(line.starts_at, up=False)))
    booked_last = max(booked_first, min(item.last, timeline.col(line.ends_at, up=True)))
    if booked_last == booked_first:  # a booked time shorter than a column still shows
        if booked_last < item.last:
            booked_last += 1
        elif booked_first > item.first:
            booked_first -= 1
    url = booking_url(line.booking_id)
    setup_end = line.starts_at
    parts = [
        (
            "setup",
            item.first,
            booked_first,
            line.starts_at - _minutes(line.setup_minutes),
            setup_end,
        ),
        ("booked", booked_first, booked_last, line.starts_at, line.ends_at),
        (
            "setdown",
            booked_last,
            item.last,
            line.ends_at,
            line.ends_at + _minutes(line.setdown_minutes),
        ),
    ]
    tz = timeline.venue.tzinfo
    return [
        Cell(kind, last - first, start, end, line=line, url=url, label=clock_span(start, end, tz))
        for kind, first, last, start, end in parts
        if last > first
    ]


def _minutes(number: int) -> timedelta:
    return timedelta(minutes=number)


def _add_load(row: SpaceRow, lines: list[SpaceBooking], timeline: Timeline, *, may_book) -> None:
    """Per hour, the most places held at once (and asked for by pending requests)."""
    held = [Load(x.occupied_from, x.occupied_until, x.places) for x in lines if x.holds_capacity]
    asked = [
        Load(*line.interval_with_setup(), line.places)
        for line in lines
        if line.booking.status == BookingStatus.PENDING
    ]
    row.peak_held = peak_load(held, timeline.start, timeline.end)[0] if held else 0
    row.peak_asked = peak_load(asked, timeline.start, timeline.end)[0] if asked else 0
    for col in range(0, timeline.columns, STEPS_PER_HOUR):
        start, end = timeline.moment(col), timeline.moment(col + STEPS_PER_HOUR)
        places = peak_load(held, start, end)[0] if held else 0
        if not any(timeline.open[col : col + STEPS_PER_HOUR]):
            row.load.append(Cell("closed", STEPS_PER_HOUR, start, end, label=_("Closed")))
            continue
        url = phone_booking_url(timeline.venue, row.space, start, end) if may_book else ""
        kind = "load-full" if places >= row.space.capacity else "load"
        cell = Cell(kind, STEPS_PER_HOUR, start, end, url=url)
        cell.label = _("%(held)d/%(capacity)d places") % {
            "held": places,
            "capacity": row.space.capacity,
        }
        row.load.append(cell)


# How far past midnight a day's view may run: a night that opens on this day (a club's
# 19:00–04:00) is shown whole on this day, not split across two.
NIGHT = timedelta(hours=8)


def visible_range(calendar, day_start: datetime, day_end: datetime) -> tuple[datetime, datetime]:
    """The hours worth showing for a venue-local day: from an hour before its first open,
    booked or blocked moment to an hour after the last one.

    A period that opens on this day is shown to its close, past midnight; the tail of the
    previous night (and what started then) belongs to the previous day's view, unless
    nothing opens on this day. A venue without opening hours shows the whole day."""
    if calendar.opening_periods is None:
        return day_start, day_end
    own = [(o, c) for o, c in calendar.opening_periods if day_start <= o < day_end]
    carried = [(o, c) for o, c in calendar.opening_periods if o < day_start < c]
    limit = max([day_end, *(c for _o, c in own)])
    moments = []
    for opens, closes in own or carried:
        moments += [max(opens, day_start), min(closes, limit)]
    for line in calendar.space_bookings:
        first, last = line.interval_with_setup()
        if day_start <= first < day_end or (not own and first < day_end and last > day_start):
            moments += [max(first, day_start), min(last, day_end + NIGHT)]
    for blockout in calendar.blockouts:
        if blockout.starts_at < limit and blockout.ends_at > day_start:
            moments += [max(blockout.starts_at, day_start), min(blockout.ends_at, limit)]
    if not moments:
        return day_start, day_end
    hour = timedelta(hours=1)
    first = day_start + ((min(moments) - day_start) // hour) * hour - hour
    last_steps = -((day_start - max(moments)) // hour)  # hours, rounded up
    last = day_start + last_steps * hour + hour
    return max(day_start, first), min(day_end + NIGHT, max(last, first + hour))


def hour_headers(timeline: Timeline, now: datetime) -> list[dict]:
    tz = timeline.venue.tzinfo
    first_day = timezone.localtime(timeline.start, tz).date()
    headers = []
    dst_day = (
        len(
            {
                timezone.localtime(timeline.moment(c), tz).utcoffset()
                for c in (0, timeline.columns - 1)
            }
        )
        > 1
    )
    for col in range(0, timeline.columns, STEPS_PER_HOUR):
        start = timeline.moment(col)
        local = timezone.localtime(start, tz)
        label = f"{local:%H:%M}" + (f" {local:%Z}" if dst_day else "")
        if local.date() != first_day:
            label = f"{formats.date_format(local, 'D')} {label}"
        headers.append(
            {
                "label": label,
                "span": min(STEPS_PER_HOUR, timeline.columns - col),
                "now": start <= now < start + timedelta(hours=1),
            }
        )
    return headers


# -- the week: spaces × days --------------------------------------------------------------------


def week_rows(calendar, days: list[date], *, may_book: bool) -> list[dict]:
    tz = calendar.venue.tzinfo
    bounds = [local_day_bounds(day, tz) for day in days]
    rows = []
    for space in calendar.spaces:
        lines = [line for line in calendar.space_bookings if line.space_id == space.pk]
        blockouts = [b for b in calendar.blockouts if b.space_id == space.pk]
        cells = []
        for day, (start, end) in zip(days, bounds, strict=True):
            # A day lists the bookings that start on it, and those of earlier days still
            # running in its daytime (a conference over three days), not last night's.
            day_lines = [
                line
                for line in lines
                if start <= line.starts_at < end or (line.starts_at < start < line.ends_at - NIGHT)
            ]
            cell = {
                "day": day,
                "lines": [
                    (
                        line,
                        booking_url(line.booking_id),
                        clock_span(line.starts_at, line.ends_at, tz),
                    )
                    for line in day_lines
                ],
                "blockouts": [
                    (b, clock_span(b.starts_at, b.ends_at, tz))
                    for b in blockouts
                    if b.starts_at < end and b.ends_at > start
                ],
                "open": _opens_on(calendar.opening_periods, start, end),
                "url": "",
                "load": None,
            }
            if may_book and cell["open"]:
                cell["url"] = phone_booking_url(
                    calendar.venue, space, *_first_open_hour(calendar.opening_periods, start, end)
                )
            if not space.is_exclusive:
                held = [
                    Load(line.occupied_from, line.occupied_until, line.places)
                    for line in day_lines
                    if line.holds_capacity
                ]
                cell["load"] = peak_load(held, start, end + NIGHT)[0] if held else 0
            cells.append(cell)
        rows.append({"space": space, "cells": cells})
    return rows


def clock_span(start: datetime, end: datetime, tz) -> str:
    """'18:00–20:00' in the venue's zone, with the end's date when it is another day."""
    local_start, local_end = timezone.localtime(start, tz), timezone.localtime(end, tz)
    if local_end.date() == local_start.date():
        return f"{local_start:%H:%M}–{local_end:%H:%M}"
    return f"{local_start:%H:%M}–{local_end:%a %d %H:%M}"


def _opens_on(periods, start: datetime, end: datetime) -> bool:
    """Whether a period opens on the day (or runs through all of it)."""
    return periods is None or any(start <= o < end or (o < start and c >= end) for o, c in periods)


def _first_open_hour(periods, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if periods is None:
        opens = start + timedelta(hours=9)
    else:
        opens = max(start, min(o for o, c in periods if o < end and c > start))
    return opens, opens + timedelta(hours=1)


def opening_text(periods, start: datetime, end: datetime, tz, *, tails: bool = True) -> str:
    """'Open 19:00–04:00' for the periods opening on a day ('until 04:00' for the previous
    night's), 'Closed' or '' (no hours set)."""
    if periods is None:
        return ""

    def clock(moment):
        return f"{timezone.localtime(moment, tz):%H:%M}"

    own = [f"{clock(o)}–{clock(c)}" for o, c in periods if start <= o < end]
    carried = [c for o, c in periods if o < start < c]
    if carried and carried[0] >= end:
        return _("Open all day")
    spans = [_("until %(time)s") % {"time": clock(c)} for c in carried if tails] + own
    if own and not spans:
        spans = own
    if not own and not carried:
        return _("Closed")
    return _("Open %(hours)s") % {"hours": ", ".join(spans)}


# -- the page ------------------------------------------------------------------------------------


def _chosen_day(text: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return today
    return day if year_in_range(day) else today


@staff_page
def calendar(request):
    venues = list(venue_list(organizations=request.organizations).order_by("name", "pk"))
    if not venues:
        raise Http404("No venue")
    venue = venues[0]
    wanted = request.GET.get("venue")
    if wanted:
        venue = next((v for v in venues if str(v.pk) == wanted), None)
        if venue is None:
            raise Http404("No such venue")
    tz = venue.tzinfo
    now = timezone.now()
    today = timezone.localtime(now, tz).date()
    day = _chosen_day(request.GET.get("day"), today)
    view = "week" if request.GET.get("view") == "week" else "day"
    may_book = may(request.actor, Action.BOOK, venue.organization)
    context = {
        "nav": "calendar",
        "venues": venues,
        "venue": venue,
        "zone": tz.key,
        "day": day,
        "today": today,
        "view": view,
        "may_book": may_book,
        # Managers make the feeds that put this calendar in their calendar apps (admin).
        "may_manage_feeds": may(request.actor, Action.MANAGE, venue.organization),
        "day_url": calendar_url(venue, day, "day"),
        "week_url": calendar_url(venue, day, "week"),
        "today_url": calendar_url(venue, today, view),
    }
    if view == "day":
        # In UTC: Python subtracts and adds zoned times by the wall clock, which would
        # make every day 24 hours long.
        day_start, day_end = (moment.astimezone(UTC) for moment in local_day_bounds(day, tz))
        data = calendar_get(
            organizations=request.organizations, venue=venue, start=day_start, end=day_end + NIGHT
        )
        start, end = visible_range(data, day_start, day_end)
        timeline = Timeline(venue, start, end, data.opening_periods)
        context.update(
            calendar=data,
            hours=hour_headers(timeline, now),
            rows=day_rows(data, timeline, may_book=may_book),
            day_hours=round((day_end - day_start) / timedelta(hours=1)),
            opening=opening_text(data.opening_periods, day_start, day_end, tz),
            prev_url=calendar_url(venue, day - timedelta(days=1), view),
            next_url=calendar_url(venue, day + timedelta(days=1), view),
        )
    else:
        monday = day - timedelta(days=day.weekday())
        days = [monday + timedelta(days=n) for n in range(7)]
        week_start, _ignored = local_day_bounds(days[0], tz)
        _ignored, week_end = local_day_bounds(days[-1], tz)
        data = calendar_get(
            organizations=request.organizations, venue=venue, start=week_start, end=week_end
        )
        context.update(
            calendar=data,
            days=[
                {
                    "day": d,
                    "url": calendar_url(venue, d, "day"),
                    "today": d == today,
                    "opening": opening_text(
                        data.opening_periods, *local_day_bounds(d, tz), tz, tails=False
                    ),
                }
                for d in days
            ],
            rows=week_rows(data, days, may_book=may_book),
            prev_url=calendar_url(venue, day - timedelta(days=7), view),
            next_url=calendar_url(venue, day + timedelta(days=7), view),
        )
    return render(request, "staff/calendar.html", context)
