"""Staff decisions on a booking: approve, deny, cancel, and a status set by name.

Each opens one transaction, locks the booking, asks the permission policy, checks the
caller's `updated_at`, moves the booking with its transition (bookings.services.common.
move: save, lines in step, log) and queues the customer's notice after commit.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import notifications
from bookings.models import (
    Booking,
    BookingStatus,
    EventProcedure,
    LogEntry,
    Notification,
    SpaceBooking,
    resolve_status,
)
from bookings.services.common import (
    Lines,
    Notice,
    check_fields,
    check_fit,
    check_fresh,
    customer_messages,
    lock_booking,
    log_entry,
    move,
    notify_customer,
    require_transition,
    sync_lines,
    withdraw_open_change_request,
    write_log,
)
from bookings.services.front_desk import (
    booking_arrive,
    booking_mark_no_show,
    booking_release,
    booking_seat,
)
from core.actors import Actor
from core.errors import PermissionDenied, TransitionNotAllowed
from core.permissions import Action, require
from core.times import in_venue_time
from venues.models import Event

# What staff may set on the Event an approval creates.
EVENT_OVERRIDE_FIELDS = frozenset(
    {"title", "description", "notes", "starts_at", "ends_at", "is_public", "capacity"}
)


def approve_new(booking: Booking, lines: Lines) -> Event | None:
    """Approve a booking not saved yet (created approved): the move, and its Event unsaved
    (the creation saves it, with the booking, once the lines are checked)."""
    require_transition(booking.approve)
    booking.approve()
    if lines.spaces:
        booking.event = _new_event(booking, lines.spaces, {})
    return booking.event


def approval_log_entry(booking: Booking, actor: Actor) -> LogEntry:
    """The log entry of a booking approved at its creation (approve_new)."""
    return log_entry(
        booking,
        LogEntry.Action.APPROVED,
        actor,
        from_status=BookingStatus.PENDING,
        data=_approval_data(booking),
    )


def _approval_data(booking: Booking) -> dict:
    return {"event": booking.event_id} if booking.event_id else {}


def _new_event(booking: Booking, space_lines: list[SpaceBooking], fields: dict) -> Event:
    """The Event of an approved booking, from its space lines' times (not saved)."""
    unknown = set(fields) - EVENT_OVERRIDE_FIELDS
    if unknown:
        raise ValidationError({"event": f"Unknown event fields: {', '.join(sorted(unknown))}."})
    spaces = {line.space_id for line in space_lines}
    values = {
        "title": booking.title or f"Booking {booking.reference}",
        "description": "",
        "notes": f"Created from booking {booking.reference}.",
        "starts_at": min(line.starts_at for line in space_lines),
        "ends_at": max(line.ends_at for line in space_lines),
        **fields,
    }
    tz = booking.venue.tzinfo
    for name in ("starts_at", "ends_at"):
        if not isinstance(values[name], datetime):
            raise ValidationError({f"event.{name}": "Give a date and time."})
        values[name] = in_venue_time(values[name], tz, field=f"event.{name}")
    if values["ends_at"] <= values["starts_at"]:
        raise ValidationError({"event.ends_at": "Must be after starts_at."})
    event = Event(
        organization=booking.organization,
        venue=booking.venue,
        space=space_lines[0].space if len(spaces) == 1 else None,
        **values,
    )
    try:
        check_fields(event)
    except ValidationError as error:
        raise ValidationError(
            {f"event.{name}": messages for name, messages in error.message_dict.items()}
        ) from None
    return event


@transaction.atomic
def booking_approve(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    event_fields: Mapping[str, Any] | None = None,
    notice: Notice = Notice(),
) -> Booking:
    """Approve a pending booking: capacity is checked under the locks; the Event is created.

    Everything but the check and the writes (the Event's fields, the customer's message)
    is worked out before the resource locks are taken. `event_fields` override the
    Event's title, description, notes, times, is_public or capacity. Notifies the
    customer (flags default to the booking's).
    """
    booking = lock_booking(booking)
    require(actor, Action.APPROVE, booking.organization)
    check_fresh(booking, client_updated_at)
    lines = Lines.of(booking)
    require_transition(booking.approve)
    booking.approve()  # saved below, once the lines are checked
    event = _new_event(booking, lines.spaces, event_fields or {}) if lines.spaces else None
    messages = customer_messages(booking, Notification.Kind.APPROVED, notice=notice, lines=lines)

    # Under the resource locks: only the check and the writes.
    check_fit(booking, lines, lock=True)
    if event is not None:
        event.save()
        booking.event = event
    booking.save()
    sync_lines(booking, lines)
    write_log(
        booking,
        LogEntry.Action.APPROVED,
        actor,
        from_status=BookingStatus.PENDING,
        comment=notice.comment,
        message=notice.message,
        data=_approval_data(booking),
    )
    notifications.save(messages)
    return booking


@transaction.atomic
def booking_deny(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    notice: Notice = Notice(),
) -> Booking:
    """Deny a pending booking; the comment is logged, the message is sent to the customer."""
    booking = lock_booking(booking)
    require(actor, Action.APPROVE, booking.organization)
    check_fresh(booking, client_updated_at)
    move(booking, booking.deny, LogEntry.Action.DENIED, actor, notice=notice)
    withdraw_open_change_request(booking, actor, reason="denied")
    notify_customer(booking, Notification.Kind.DENIED, notice=notice)
    return booking


@transaction.atomic
def booking_cancel(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    event_procedure: str = EventProcedure.CANCEL,
    notice: Notice = Notice(),
) -> Booking:
    """Cancel a pending or approved booking; the row stays, the places are free again.

    Staff and API need the approve right. A customer with the manage token may cancel
    a pending booking until the form's cancellation deadline (an approved one needs a
    cancellation request). `event_procedure` marks the linked Event canceled or deletes it.
    """
    booking = lock_booking(booking)
    if actor.is_customer:
        require_customer_may_cancel(booking, actor)
    else:
        require(actor, Action.APPROVE, booking.organization)
    check_fresh(booking, client_updated_at)
    cancel_booking(booking, actor, event_procedure=event_procedure, notice=notice)
    withdraw_open_change_request(booking, actor, reason="canceled")
    notify_customer(booking, Notification.Kind.CANCELED, notice=notice)
    return booking


def cancel_booking(
    booking: Booking,
    actor: Actor,
    *,
    event_procedure: str = EventProcedure.CANCEL,
    notice: Notice = Notice(),
) -> None:
    """The cancel step every cancelling service shares (the booking is locked, the actor
    checked): the move, the Event procedure, the log entry. No notification."""
    if event_procedure not in EventProcedure.values:
        raise ValidationError(
            {"event_procedure": f"Choose one of {', '.join(EventProcedure.values)}."}
        )
    move(
        booking,
        booking.cancel,
        LogEntry.Action.CANCELED,
        actor,
        notice=notice,
        data={"event_procedure": event_procedure},
        before_save=lambda booking: apply_event_procedure(booking, event_procedure),
    )


def apply_event_procedure(booking: Booking, event_procedure: str) -> None:
    event = booking.event
    if event is None:
        return
    if event_procedure == EventProcedure.DELETE:
        booking.event = None
        event.delete()
    elif event.status == Event.Status.SCHEDULED:
        event.cancel()
        event.save()


def cancellation_deadline(booking: Booking) -> datetime | None:
    """Until when a customer may cancel a pending booking themselves: its form's deadline
    before the start (the start itself without a form); None for a booking with no time."""
    if booking.starts_at is None:
        return None
    hours = booking.booking_form.cancellation_deadline_hours if booking.booking_form else 0
    return booking.starts_at - timedelta(hours=hours)


def require_customer_may_cancel(booking: Booking, actor: Actor) -> None:
    require(actor, Action.ASK_CHANGE, booking.organization, booking=booking)
    if booking.status != BookingStatus.PENDING:
        raise PermissionDenied(
            _("A confirmed booking is canceled by request: send a cancellation request.")
        )
    deadline = cancellation_deadline(booking)
    if deadline is not None and timezone.now() > deadline:
        deadline_hours = (
            booking.booking_form.cancellation_deadline_hours if booking.booking_form else 0
        )
        raise PermissionDenied(
            _("Bookings can be canceled online until %(hours)d hours before the start.")
            % {"hours": deadline_hours}
        )


# -- status by name ----------------------------------------------------------------------

DECISIONS = {
    BookingStatus.APPROVED: booking_approve,
    BookingStatus.DENIED: booking_deny,
    BookingStatus.CANCELED: booking_cancel,
}
FRONT_DESK_MOVES = {
    BookingStatus.ARRIVED: booking_arrive,
    BookingStatus.SEATED: booking_seat,
    BookingStatus.RELEASED: booking_release,
    BookingStatus.NO_SHOW: booking_mark_no_show,
}


def booking_set_status(
    *,
    actor: Actor,
    booking: Booking | int,
    status: str,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """Move a booking to a status named canonically or by an alias ("accepted", "sitting").

    Asking for the status it already has changes nothing. An illegal move raises
    TransitionNotAllowed listing the legal ones.
    """
    try:
        target = resolve_status(status)
    except ValueError:
        choices = ", ".join(BookingStatus.values)
        raise ValidationError(
            {"status": f"Unknown status {status!r}. Use one of {choices}."}
        ) from None
    booking = booking if isinstance(booking, Booking) else Booking.objects.get(pk=booking)
    if booking.status == target:
        require(actor, Action.WRITE, booking.organization)
        return booking
    moved = {"actor": actor, "booking": booking, "client_updated_at": client_updated_at}
    if target in DECISIONS:
        return DECISIONS[target](**moved, notice=Notice(comment=comment))
    if target in FRONT_DESK_MOVES:
        return FRONT_DESK_MOVES[target](**moved, comment=comment)
    raise TransitionNotAllowed(
        current=booking.status, requested=target, allowed=booking.allowed_next_statuses()
    )
