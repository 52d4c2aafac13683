"""The front desk: a venue's bookings of the day, searched first, and one tap per move
(arrived with the number of guests, seated, released, no-show) through the services."""

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from bookings import services
from bookings.models import Booking, BookingStatus
from bookings.selectors import booking_summary_list, front_desk_list
from core.errors import BookingError, PermissionDenied, StaleBooking, TransitionNotAllowed
from core.permissions import Action, may
from core.times import year_in_range
from staff.views.common import changed_meanwhile, staff_page
from venues.selectors import venue_list

# The moves the front desk offers, in the order a row shows them: the status each leads to,
# its button, the service that makes it and what the message says once done.
MOVES = {
    "arrive": (BookingStatus.ARRIVED, services.booking_arrive),
    "seat": (BookingStatus.SEATED, services.booking_seat),
    "release": (BookingStatus.RELEASED, services.booking_release),
    "no-show": (BookingStatus.NO_SHOW, services.booking_mark_no_show),
}
MOVE_LABELS = {
    "arrive": _lazy("Arrived"),
    "seat": _lazy("Seat"),
    "release": _lazy("Release"),
    "no-show": _lazy("No-show"),
}
SEARCH_MAX_LENGTH = 100


def _status_words(status: str) -> str:
    return {
        BookingStatus.PENDING: _("Request, not confirmed"),
        BookingStatus.APPROVED: _("Expected"),
        BookingStatus.DENIED: _("Declined"),
        BookingStatus.CANCELED: _("Canceled"),
        BookingStatus.ARRIVED: _("Arrived"),
        BookingStatus.SEATED: _("Seated"),
        BookingStatus.RELEASED: _("Left"),
        BookingStatus.NO_SHOW: _("No-show"),
    }[status]


def _done_words(status: str) -> str:
    return {
        BookingStatus.ARRIVED: _("arrived"),
        BookingStatus.SEATED: _("seated"),
        BookingStatus.RELEASED: _("released, the place is free again"),
        BookingStatus.NO_SHOW: _("marked no-show"),
    }[status]


def _guest_name(booking: Booking) -> str:
    return booking.customer.display_name or booking.contact_name or booking.reference


def _venues(request):
    return venue_list(organizations=request.organizations).order_by("name", "pk")


@require_GET
@staff_page
def front_desk(request):
    """The member's venues to choose from, or straight to the only one."""
    venues = list(_venues(request).filter(is_active=True))
    if len(venues) == 1:
        return redirect("staff:front-desk-venue", venue_id=venues[0].pk)
    return render(request, "staff/front_desk_venues.html", {"venues": venues, "nav": "front_desk"})


def _day_asked(request, venue) -> tuple[date, str]:
    """The day in `?day=` (else the venue's today) and, if it was no date, why."""
    today = timezone.localdate(timezone=venue.tzinfo)
    text = request.GET.get("day", "").strip()
    if not text:
        return today, ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not year_in_range(day):
        return today, _("Day: “%(text)s” is not a date we can show (use YYYY-MM-DD).") % {
            "text": text[:20]
        }
    return day, ""


@require_GET
@staff_page
def front_desk_venue(request, venue_id: int):
    """The venue's bookings of the day in time order, found by name or reference, each
    with the moves the member may make now."""
    venue = get_object_or_404(_venues(request), pk=venue_id)
    day, day_error = _day_asked(request, venue)
    search = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    bookings = front_desk_list(
        organizations=request.organizations, venue=venue, day=day, search=search
    )
    may_move = may(request.actor, Action.FRONT_DESK, venue.organization)
    now = timezone.now()
    today = timezone.localdate(timezone=venue.tzinfo)
    for booking in bookings:
        _present(booking, venue=venue, day=day, now=now, may_move=may_move)

    # A move's result is shown in its row (the redirect scrolls there); the rest on top.
    shown = {booking.pk: booking for booking in bookings}
    page_messages = []
    for message in messages.get_messages(request):
        row = shown.get(_row_of(message))
        if row is not None:
            row.messages.append(message)
        else:
            page_messages.append(message)
    if day_error:
        page_messages.append(_PageMessage(day_error, "error"))

    context = {
        "nav": "front_desk",
        "venue": venue,
        "day": day,
        "today": today,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "search": search,
        "bookings": bookings,
        "may_move": may_move,
        "messages": page_messages,
        "expected_count": sum(b.status == BookingStatus.APPROVED for b in bookings),
        "here_count": sum(
            b.guests if b.guests is not None else b.places + b.tickets
            for b in bookings
            if b.status in (BookingStatus.ARRIVED, BookingStatus.SEATED)
        ),
        "places_count": sum(b.places for b in bookings if b.status not in _CLOSED_WITHOUT_GUESTS),
        "multiple_venues": _venues(request).filter(is_active=True).count() > 1,
    }
    return render(request, "staff/front_desk.html", context)


_CLOSED_WITHOUT_GUESTS = (
    BookingStatus.PENDING,
    BookingStatus.DENIED,
    BookingStatus.CANCELED,
    BookingStatus.NO_SHOW,
)


class _PageMessage:
    """A message made for this page only, shaped like django.contrib.messages' ones."""

    def __init__(self, text: str, tags: str) -> None:
        self.text, self.tags, self.level_tag = text, tags, tags

    def __str__(self) -> str:
        return self.text


def _row_of(message) -> int | None:
    for tag in message.extra_tags.split() if message.extra_tags else []:
        if tag.startswith("booking-") and tag[8:].isdigit():
            return int(tag[8:])
    return None


def _present(booking: Booking, *, venue, day: date, now: datetime, may_move: bool) -> None:
    """What a row shows beyond the booking's fields: its moves, its status in words, how
    late the guests are and whether it starts on another day than the one shown."""
    booking.messages = []
    booking.version = booking.updated_at.isoformat()
    booking.guest_name = _guest_name(booking)
    booking.status_words = _status_words(booking.status)
    booking.status_time = {
        BookingStatus.ARRIVED: booking.arrived_at,
        BookingStatus.SEATED: booking.seated_at,
        BookingStatus.RELEASED: booking.released_at,
    }.get(booking.status)
    late = now - booking.starts_at
    booking.late_minutes = (
        int(late.total_seconds() // 60)
        if booking.status == BookingStatus.APPROVED and late >= timedelta(minutes=1)
        else 0
    )
    hours, minutes = divmod(booking.late_minutes, 60)
    booking.late_words = (
        _("%(hours)d h %(minutes)02d min late") % {"hours": hours, "minutes": minutes}
        if hours
        else _("%(minutes)d min late") % {"minutes": minutes}
    )
    booking.start_day = timezone.localtime(booking.starts_at, venue.tzinfo).date()
    booking.starts_other_day = booking.start_day != day
    booking.end_day = timezone.localtime(booking.ends_at, venue.tzinfo).date()
    booking.ends_other_day = booking.end_day != day
    booking.balance_due = (
        booking.balance
        if booking.balance > 0 and booking.status not in _CLOSED_WITHOUT_GUESTS
        else None
    )
    allowed = set(booking.allowed_next_statuses()) if may_move else set()
    booking.moves = [name for name, (status, _service) in MOVES.items() if status in allowed]


class MoveForm(forms.Form):
    """What a move's button posts: the version of the booking the row showed, the guests who
    came (arriving), and the day and search to come back to."""

    updated_at = forms.DateTimeField(
        input_formats=["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"]
    )
    guests = forms.IntegerField(
        required=False, min_value=1, max_value=services.front_desk.MAX_ATTENDEES
    )
    day = forms.DateField(required=False)
    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH)


@require_POST
@staff_page
def front_desk_move(request, venue_id: int, booking_id: int, move: str):
    """One move of one booking through its service; the answer is a message in the booking's
    row of the list the member came from."""
    if move not in MOVES:
        raise Http404("No such move.")
    venue = get_object_or_404(_venues(request), pk=venue_id)
    booking = get_object_or_404(
        booking_summary_list(organizations=request.organizations).filter(venue=venue),
        pk=booking_id,
    )
    form = MoveForm(request.POST)
    valid = form.is_valid()
    back = _back_to_row(venue, booking, form.cleaned_data)
    row_tag = f"booking-{booking.pk}"
    name = _guest_name(booking)
    if not valid:
        if "guests" in form.errors:
            text = _(
                "%(name)s (%(reference)s): nothing changed. Guests: enter how many came, "
                "a whole number from 1."
            )
        else:
            text = _("%(name)s (%(reference)s): nothing changed; reload the list and try again.")
        messages.error(request, text % {"name": name, "reference": booking.reference}, row_tag)
        return redirect(back)

    service = MOVES[move][1]
    arguments = {"actor": request.actor, "booking": booking}
    arguments["client_updated_at"] = form.cleaned_data["updated_at"]
    if move == "arrive" and form.cleaned_data["guests"] is not None:
        arguments["actual_attendees"] = form.cleaned_data["guests"]
    try:
        moved = service(**arguments)
    except StaleBooking:
        booking.refresh_from_db()
        messages.error(
            request,
            changed_meanwhile(request, booking, venue, name=name)
            + " "
            + _("Nothing was changed: check the row and choose again."),
            row_tag,
        )
        return redirect(back)
    except TransitionNotAllowed as error:
        text = _("%(name)s (%(reference)s) is “%(status)s”, so “%(move)s” is not possible now.") % {
            "name": name,
            "reference": booking.reference,
            "status": _status_words(error.current),
            "move": MOVE_LABELS[move],
        }
        messages.error(request, text, row_tag)
        return redirect(back)
    except PermissionDenied:
        text = _(
            "You may not check guests in at %(venue)s: ask a manager for the front-desk role."
        ) % {"venue": venue.name}
        messages.error(request, text, row_tag)
        return redirect(back)
    except (BookingError, ValidationError) as error:
        text = _("%(name)s (%(reference)s): nothing changed. %(reason)s") % {
            "name": name,
            "reference": booking.reference,
            "reason": " ".join(getattr(error, "messages", [str(error)])),
        }
        messages.error(request, text, row_tag)
        return redirect(back)

    text = _("%(name)s (%(reference)s): %(done)s.") % {
        "name": name,
        "reference": moved.reference,
        "done": _done_words(moved.status),
    }
    if "actual_attendees" in arguments:
        text += " " + _("%(count)s guests came.") % {"count": arguments["actual_attendees"]}
    messages.success(request, text, row_tag)
    return redirect(back)


def _back_to_row(venue, booking: Booking, cleaned: dict) -> str:
    """The list the member came from (its day and search), scrolled to the booking's row."""
    query = {}
    if cleaned.get("day"):
        query["day"] = cleaned["day"].isoformat()
    if cleaned.get("q"):
        query["q"] = cleaned["q"]
    url = reverse("staff:front-desk-venue", kwargs={"venue_id": venue.pk})
    return f"{url}{'?' + urlencode(query) if query else ''}#booking-{booking.pk}"
