"""What a customer does with their booking through its manage link: ask for a change, cancel
(or ask to), and withdraw a request that waits for the venue.

Every action goes through the change-request services as the customer holding the link
(`Actor.customer(token)`). While the booking is pending a change or cancellation applies
at once; once it is approved, the request waits beside the booking for staff and the
booking keeps what it has until they decide. Each page says which before the customer
sends, and the manage page greets them afterwards with what happened.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bookings import services
from bookings.models import Booking, BookingStatus, SpaceBooking
from bookings.services.decisions import cancellation_deadline
from core.actors import Actor
from core.errors import (
    BookingClosed,
    BookingConflict,
    BookingError,
    ChangeRequestClosed,
    ConflictReason,
)
from core.errors import PermissionDenied as NotAllowed
from core.permissions import Action, may
from public.forms import CancelForm, ChangeDetailsForm, ChangeSlotForm
from public.views.book import CONFLICT_WORDS
from public.views.common import (
    booking_of,
    error_summary,
    link_not_found,
    private,
    rate_limited,
)
from venues.models import BookingForm
from venues.selectors import booking_form_of_booking_get

CHANGED_TAG = "changed"  # the manage page shows what an action did
# A booking takes a customer's change or cancellation while it is in one of these.
CHANGEABLE_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED)


# -- what the customer may do -------------------------------------------------------------------


def may_change(booking: Booking, token: str) -> bool:
    """Whether the link's holder may still change or cancel the booking: it is pending or
    approved, and it has not ended yet."""
    return (
        booking.status in CHANGEABLE_STATUSES
        and (booking.ends_at is None or booking.ends_at > timezone.now())
        and may(Actor.customer(token), Action.ASK_CHANGE, booking.organization, booking=booking)
    )


def movable_line(
    booking: Booking, booking_form: BookingForm | None
) -> tuple[SpaceBooking | None, str]:
    """The one space line whose time, space, places and layout the customer may pick again as
    the booking form offers them, or None and the reason the venue does that instead."""
    lines = list(booking.space_bookings.all())
    if booking_form is None:
        return None, _("This booking was made with the venue directly.")
    if not booking_form.is_active:
        return None, _("The venue no longer takes bookings through its online form.")
    if len(lines) != 1:
        return None, _("This booking has more than one space or time.")
    line = lines[0]
    if any(
        (extra.starts_at, extra.ends_at) != (line.starts_at, line.ends_at)
        for extra in booking.inventory_bookings.all()
    ):
        # Only extras booked for the space's own time move with it (as the form books them).
        return None, _("Extras are booked for other times; the venue moves them together.")
    if lines[0].space_id not in {space.pk for space in booking_form.spaces.all()}:
        return None, _("Its space is not offered on the online form.")
    return lines[0], ""


def _closed(request, booking: Booking, token: str, status: int = 409):
    """The page a request for a booking that no longer changes gets, instead of a form."""
    context = {"booking": booking, "venue": booking.venue, "token": token}
    return private(render(request, "public/change_closed.html", context, status=status))


# -- a change -----------------------------------------------------------------------------------


class ChangePage:
    """The forms of the change page for one booking: the slot part (when the booking's time
    can be picked again online) and the details; with the booking's form and its policy."""

    def __init__(self, booking: Booking, token: str, data=None):
        self.booking, self.token = booking, token
        self.booking_form = (
            booking_form_of_booking_get(booking_form_id=booking.booking_form_id)
            if booking.booking_form_id
            else None
        )
        self.line, self.why_not_online = movable_line(booking, self.booking_form)
        self.when = ChangeSlotForm(self.booking_form, self.line, data) if self.line else None
        self.details = ChangeDetailsForm(booking, self.booking_form, data)

    def is_valid(self) -> bool:
        valid = self.details.is_valid()
        return (self.when.is_valid() if self.when else True) and valid

    def changes(self) -> dict:
        """What the customer asks for, in the services' shape: only what differs."""
        changes = {}
        asked_line = self.when.asked_line() if self.when else {}
        if asked_line:
            changes["space_lines"] = [asked_line]
        if contact := self.details.contact_changes():
            changes["contact"] = contact
        if answers := self.details.answer_changes():
            changes["answers"] = answers
        return changes

    def place_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.details.add_error(None, error.messages)
            return
        for name, errors in error.message_dict.items():
            form, field = self._field_of(name)
            for message in errors:
                form.add_error(field, message)

    def _field_of(self, name: str):
        """The form and field a service error's name points at (the summary when none)."""
        parts = name.split(".")
        if parts[0] == "space_lines" and self.when is not None:
            rest = parts[2] if len(parts) > 2 else ""
            field = {"space_id": "space", "places": "places", "layout_id": "layout"}.get(
                rest, "slot"
            )
            return self.when, field
        if parts[0] == "contact" and len(parts) > 1 and parts[1] in self.details.fields:
            return self.details, parts[1]
        if parts[0] == "answers" and len(parts) > 1:
            field = f"answer_{parts[1]}"
            if field in self.details.fields:
                return self.details, field
        if name == "request_note":
            return self.details, "request_note"
        return self.details, None

    def place_conflicts(self, conflict: BookingConflict, *, moved: bool) -> None:
        if not moved or self.when is None:
            # Only the details changed, yet the booking's own time no longer fits (another
            # booking was confirmed for it): the venue has to sort that out.
            self.details.add_error(
                None,
                _(
                    "Your booked time is no longer free, so this booking cannot be changed "
                    "online. Please contact the venue."
                ),
            )
            return
        for item in conflict.conflicts:
            words = CONFLICT_WORDS.get(item.reason, _("Sorry, this time is no longer free."))
            field = "places" if item.reason == ConflictReason.LAYOUT_CAPACITY else "slot"
            if not self.when.has_error(field):
                self.when.add_error(field, words)

    def render(self, request, status: int = 200):
        if self.when is not None:
            self.when.find_slots()
        booking = self.booking
        context = {
            "booking": booking,
            "venue": booking.venue,
            "token": self.token,
            "page": self,
            "form": self.when,
            "details": self.details,
            "errors": error_summary(self.when, self.details),
            "space_lines": list(booking.space_bookings.all()),
            "product_lines": list(booking.inventory_bookings.all()),
            "event_lines": list(booking.event_bookings.all()),
            "applies_at_once": booking.status == BookingStatus.PENDING,
            "open_request": booking.open_change_request,
        }
        return private(render(request, "public/change.html", context, status=status))


@require_http_methods(["GET", "POST"])
@rate_limited("public_pages", methods=("POST",))
def change(request, token: str):
    booking = booking_of(token)
    if booking is None:
        return link_not_found(request)
    if not may_change(booking, token):
        return _closed(request, booking, token, status=200 if request.method == "GET" else 409)
    if request.method == "GET":
        return ChangePage(booking, token).render(request)

    page = ChangePage(booking, token, request.POST)
    if request.POST.get("action") == "slots":
        page.details.errors.clear()
        if page.when is not None:
            page.when.errors.clear()  # only the slots were asked for: no errors yet
        return page.render(request)
    if not page.is_valid():
        return page.render(request, status=400)
    changes = page.changes()
    if not changes:
        page.details.add_error(
            None,
            _("Nothing has changed: choose another time, change a detail or an answer, then send."),
        )
        return page.render(request, status=400)
    try:
        services.change_request_submit(
            actor=Actor.customer(token),
            booking=booking,
            changes=changes,
            request_note=page.details.cleaned_data["request_note"],
        )
    except BookingClosed:
        return _closed(request, booking, token)
    except BookingConflict as conflict:
        page.place_conflicts(conflict, moved="space_lines" in changes)
        return page.render(request, status=409)
    except ValidationError as error:
        page.place_service_errors(error)
    except BookingError as error:
        page.details.add_error(None, str(error))
    else:
        if booking.status == BookingStatus.PENDING:
            notice = _("Your booking was changed.")
        else:
            notice = _(
                "Your change request was sent. Your booking keeps its current time until "
                "the venue decides; they will e-mail you their answer."
            )
        messages.success(request, notice, extra_tags=CHANGED_TAG)
        return private(redirect("public:manage", token=token))
    return page.render(request, status=400)


@require_GET
@rate_limited("public_slots", methods=("GET",))
def change_slots(request, token: str):
    """The change page's slot list alone, for its script to put in place."""
    booking = booking_of(token)
    if booking is None:
        return link_not_found(request)
    if not may_change(booking, token):
        return _closed(request, booking, token)
    page = ChangePage(booking, token, request.GET)
    if page.when is None:
        return _closed(request, booking, token)
    page.when.find_slots()
    return private(render(request, "public/_slots.html", {"form": page.when}))


# -- a cancellation -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@rate_limited("public_pages", methods=("POST",))
def cancel(request, token: str):
    booking = booking_of(token)
    if booking is None:
        return link_not_found(request)
    if not may_change(booking, token):
        return _closed(request, booking, token, status=200 if request.method == "GET" else 409)
    deadline = cancellation_deadline(booking)
    past_deadline = deadline is not None and timezone.now() > deadline
    pending = booking.status == BookingStatus.PENDING
    # A pending booking is canceled at once until the deadline, and not online after it; an
    # approved one is canceled by the venue on request, whenever it is asked.
    may_send = not (pending and past_deadline)
    form = CancelForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and not may_send:
        status = 403  # the page says why, and offers no button
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.change_request_submit(
                    actor=Actor.customer(token),
                    booking=booking,
                    is_cancellation=True,
                    request_note=form.cleaned_data["reason"],
                )
            except BookingClosed:
                return _closed(request, booking, token)
            except ValidationError as error:
                form.add_error(None, error.messages)
            except NotAllowed:
                # The deadline passed while the page was open.
                form.add_error(
                    None, _("The time to cancel online has passed. Please contact the venue.")
                )
            except BookingError as error:
                form.add_error(None, str(error))
            else:
                if pending:
                    notice = _("Your booking is canceled.")
                else:
                    notice = _(
                        "Your cancellation request was sent. Your booking stays confirmed "
                        "until the venue decides; they will e-mail you their answer."
                    )
                messages.success(request, notice, extra_tags=CHANGED_TAG)
                return private(redirect("public:manage", token=token))
    context = {
        "booking": booking,
        "venue": booking.venue,
        "token": token,
        "form": form,
        "errors": error_summary(form),
        "pending": pending,
        "deadline": deadline,
        "past_deadline": past_deadline,
        "may_send": may_send,
        "open_request": booking.open_change_request,
        "space_lines": list(booking.space_bookings.all()),
        "product_lines": list(booking.inventory_bookings.all()),
        "event_lines": list(booking.event_bookings.all()),
    }
    return private(render(request, "public/cancel.html", context, status=status))


# -- withdrawing a request ------------------------------------------------------------------------


@require_POST
@rate_limited("public_pages", methods=("POST",))
def withdraw(request, token: str, request_id: int):
    """Take back the request that waits for the venue; only the booking's own open one."""
    booking = booking_of(token)
    if booking is None:
        return link_not_found(request)
    asked = booking.change_requests_by_id.get(request_id)
    if asked is None:  # not a request of this booking
        return link_not_found(request)
    try:
        services.change_request_withdraw(actor=Actor.customer(token), change_request=asked)
    except ChangeRequestClosed:
        # An older page's button: the request was decided, replaced or withdrawn meanwhile.
        notice = _("This request is no longer open; the history below says what became of it.")
    else:
        if asked.is_cancellation:
            notice = _("Your cancellation request was withdrawn. Your booking stays as it is.")
        else:
            notice = _("Your change request was withdrawn. Your booking stays as it is.")
    messages.success(request, notice, extra_tags=CHANGED_TAG)
    return private(redirect("public:manage", token=token))
