"""The front desk's moves: the guests arrive, are seated, leave; or nobody came."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from bookings.models import Booking, LogEntry
from bookings.services.common import (
    Notice,
    check_fresh,
    lock_booking,
    move,
    withdraw_open_change_request,
)
from core.actors import Actor
from core.permissions import Action, require

# More than any venue holds; keeps a mistyped count out of the database's integer range.
MAX_ATTENDEES = 100_000


def _locked(actor: Actor, booking: Booking | int, client_updated_at) -> Booking:
    booking = lock_booking(booking)
    require(actor, Action.FRONT_DESK, booking.organization)
    check_fresh(booking, client_updated_at)
    return booking


def _front_desk_move(
    booking: Booking, transition, action: str, actor: Actor, comment: str, data=None
):
    """Move with `transition` (bound to the locked booking) and log; closing a booking
    withdraws its open change request."""
    move(booking, transition, action, actor, notice=Notice(comment=comment), data=data)
    withdraw_open_change_request(booking, actor, reason=booking.status)
    return booking


@transaction.atomic
def booking_arrive(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
    actual_attendees: int | None = None,
) -> Booking:
    """The guests are at the venue (approved → arrived).

    `actual_attendees`, when given, is how many came (more or fewer than the places
    booked): it is stored on each of the booking's space lines (the party's head count at
    each of its sessions) and in the log entry's data.
    """
    if actual_attendees is not None and not (
        type(actual_attendees) is int and 1 <= actual_attendees <= MAX_ATTENDEES
    ):
        raise ValidationError(
            {
                "actual_attendees": "Enter how many guests came: a whole number from 1 to "
                f"{MAX_ATTENDEES}."
            }
        )
    booking = _locked(actor, booking, client_updated_at)
    data = {} if actual_attendees is None else {"actual_attendees": actual_attendees}
    _front_desk_move(booking, booking.arrive, LogEntry.Action.ARRIVED, actor, comment, data)
    if actual_attendees is not None:
        booking.space_bookings.update(actual_attendees=actual_attendees)
    return booking


@transaction.atomic
def booking_seat(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """The guests have their place (approved or arrived → seated)."""
    booking = _locked(actor, booking, client_updated_at)
    return _front_desk_move(booking, booking.seat, LogEntry.Action.SEATED, actor, comment)


@transaction.atomic
def booking_release(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """The guests left (arrived or seated → released): the place is free again from now."""
    booking = _locked(actor, booking, client_updated_at)
    return _front_desk_move(booking, booking.release, LogEntry.Action.RELEASED, actor, comment)


@transaction.atomic
def booking_mark_no_show(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """Nobody came (approved → no_show, only once the booking has started)."""
    booking = _locked(actor, booking, client_updated_at)
    return _front_desk_move(booking, booking.mark_no_show, LogEntry.Action.NO_SHOW, actor, comment)
