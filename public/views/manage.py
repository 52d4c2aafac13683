"""A booking's manage page, reached by its private link, and the booking as an .ics."""

from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from bookings.calendars import CONTENT_TYPE, booking_ics
from bookings.models import Booking, BookingStatus, ChangeRequest, LogEntry
from bookings.selectors import calendar_sequences
from core.actors import ActorKind
from core.templatetags.venue_time import span
from public.views.book import BOOKED_TAG
from public.views.change import CHANGED_TAG, may_change
from public.views.common import booking_of, link_not_found, private

# The status as the customer reads it: a heading and what it means for them.
STATUS_WORDS = {
    BookingStatus.PENDING: (
        _("Request received — not confirmed yet"),
        _(
            "The venue will look at your request and e-mail you their answer. "
            "The time is not held for you until they confirm it."
        ),
    ),
    BookingStatus.APPROVED: (_("Booking confirmed"), _("The venue expects you.")),
    BookingStatus.DENIED: (
        _("Request declined"),
        _("The venue could not take this booking."),
    ),
    BookingStatus.CANCELED: (_("Booking canceled"), _("This booking is canceled.")),
    BookingStatus.ARRIVED: (_("Checked in"), _("Welcome: you are checked in.")),
    BookingStatus.SEATED: (_("Checked in"), _("Welcome: you are checked in.")),
    BookingStatus.RELEASED: (_("Visit completed"), _("Thank you for your visit.")),
    BookingStatus.NO_SHOW: (
        _("Not attended"),
        _("The venue recorded that nobody came to this booking."),
    ),
}

OWING_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.APPROVED,
    BookingStatus.ARRIVED,
    BookingStatus.SEATED,
)

# What each history entry says to the customer.
HISTORY_WORDS = {
    LogEntry.Action.CREATED: _("Booking requested"),
    LogEntry.Action.APPROVED: _("Confirmed by the venue"),
    LogEntry.Action.DENIED: _("Declined by the venue"),
    LogEntry.Action.CANCELED: _("Canceled"),
    LogEntry.Action.CHANGE_REQUESTED: _("Change requested"),
    LogEntry.Action.CHANGE_APPLIED: _("Change made"),
    LogEntry.Action.CHANGE_APPROVED: _("Change accepted by the venue"),
    LogEntry.Action.CHANGE_DENIED: _("Change declined by the venue"),
    LogEntry.Action.CHANGE_WITHDRAWN: _("Change request withdrawn"),
}
# The same entries about a cancellation request.
CANCELLATION_WORDS = {
    LogEntry.Action.CHANGE_REQUESTED: _("Cancellation requested"),
    LogEntry.Action.CHANGE_APPROVED: _("Cancellation accepted by the venue"),
    LogEntry.Action.CHANGE_DENIED: _("Cancellation request declined by the venue"),
    LogEntry.Action.CHANGE_WITHDRAWN: _("Cancellation request withdrawn"),
}


def history_words(booking: Booking, entry: LogEntry) -> str | None:
    """What a history entry says to the customer; None for one that says nothing new."""
    change_request = booking.change_requests_by_id.get(entry.data.get("change_request"))
    cancellation = change_request is not None and change_request.is_cancellation
    if entry.action == LogEntry.Action.CHANGE_APPLIED and cancellation:
        return None  # a pending booking canceled by its customer: "Canceled" says it
    if entry.action == LogEntry.Action.CHANGE_WITHDRAWN:
        reason = entry.data.get("reason")
        if reason == "replaced":
            return _("Request replaced by your newer one")
        if reason:  # the booking was declined, canceled or ended with the request open
            return _("Open request closed with the booking")
    if cancellation and entry.action in CANCELLATION_WORDS:
        return CANCELLATION_WORDS[entry.action]
    if entry.action == LogEntry.Action.APPROVED and entry.actor_kind == ActorKind.CUSTOMER:
        return _("Confirmed at once")  # a form that confirms what fits, not a person
    if entry.action == LogEntry.Action.CANCELED and entry.actor_kind == ActorKind.CUSTOMER:
        return _("Canceled by you")
    return HISTORY_WORDS[entry.action]


def asked_in_words(booking: Booking, change_request: ChangeRequest) -> list[tuple[str, str]]:
    """What a request waiting for the venue asks, as (what, to what) pairs in the venue's time."""
    if change_request.is_cancellation:
        return [(_("Cancel"), _("the whole booking"))]
    venue, changes, asked = booking.venue, change_request.changes, []
    lines = {line.pk: line for line in booking.space_bookings.all()}
    for line_change in changes.get("space_lines", []):
        line = lines.get(line_change["id"])
        if line is None:
            continue
        if "starts_at" in line_change or "ends_at" in line_change:
            start = datetime.fromisoformat(
                line_change.get("starts_at") or line.starts_at.isoformat()
            )
            end = datetime.fromisoformat(line_change.get("ends_at") or line.ends_at.isoformat())
            asked.append((_("New time"), span(start, end, venue)))
        if "space_id" in line_change:
            space = change_request.spaces_by_id.get(line_change["space_id"])
            asked.append((_("Space"), space.name if space else "—"))
        if "layout_id" in line_change:
            layout = change_request.layouts_by_id.get(line_change["layout_id"])
            asked.append((_("Layout"), layout.name if layout else _("No preference")))
        if "places" in line_change:
            asked.append((_("Number of people"), str(line_change["places"])))
    contact_labels = {
        "contact_name": _("Name"),
        "contact_email": _("E-mail"),
        "contact_phone": _("Phone"),
    }
    for key, value in changes.get("contact", {}).items():
        asked.append((contact_labels[key], value or _("(none)")))
    questions = (
        {q.key: q.label for q in booking.booking_form.custom_fields.all()}
        if (booking.booking_form)
        else {}
    )
    for key, answer in changes.get("answers", {}).items():
        asked.append((questions.get(key, key), answer_text(answer)))
    return asked


def answer_text(answer) -> str:
    if answer is None:
        return _("(no answer)")
    if isinstance(answer, bool):
        return _("Yes") if answer else _("No")
    if isinstance(answer, list):
        return ", ".join(answer)
    return str(answer)


@require_GET
def manage_ics(request, token: str):
    """The booking as one calendar entry (bookings.calendars): a stable UID, and a
    SEQUENCE that grows with every change, so that calendar apps update the entry."""
    booking = booking_of(token)
    if booking is None or booking.starts_at is None:
        return link_not_found(request)
    sequence = calendar_sequences(booking_ids=[booking.pk]).get(booking.pk, 0)
    response = HttpResponse(booking_ics(booking, sequence=sequence), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return private(response)


@require_GET
def manage(request, token: str):
    """Status in words, what was booked in the venue's time, totals, payments, history."""
    booking = booking_of(token)
    if booking is None:
        return link_not_found(request)
    heading, meaning = STATUS_WORDS[booking.status]
    history = [
        {"entry": entry, "words": words}
        for entry in booking.customer_history
        if (words := history_words(booking, entry))
    ]
    asked = booking.status in (BookingStatus.PENDING, BookingStatus.DENIED)
    notices = list(messages.get_messages(request))
    # A booking just made through the form: the page is its confirmation too.
    just_booked = [notice.message for notice in notices if BOOKED_TAG in notice.tags]
    # What the customer just did here (a change, a cancellation, a request withdrawn).
    just_done = [notice.message for notice in notices if CHANGED_TAG in notice.tags]
    open_request = booking.open_change_request
    context = {
        "booking": booking,
        "currency": booking.organization.currency,
        "lines_heading": _("What you asked for") if asked else _("What you booked"),
        # A declined or canceled booking owes nothing, whatever its balance says.
        "owes": booking.status in OWING_STATUSES,
        "venue": booking.venue,
        "heading": heading,
        "meaning": meaning,
        "space_lines": list(booking.space_bookings.all()),
        "event_lines": list(booking.event_bookings.all()),
        "product_lines": list(booking.inventory_bookings.all()),
        "payments": list(booking.payments.all()),
        "history": history,
        "just_booked": just_booked,
        "just_done": just_done,
        "link": request.build_absolute_uri(),
        "token": token,
        "may_change": may_change(booking, token),
        "applies_at_once": booking.status == BookingStatus.PENDING,
        "open_request": open_request,
        "asked": asked_in_words(booking, open_request) if open_request else [],
    }
    return private(render(request, "public/manage.html", context))
