"""The domain errors services raise; each door (API, pages, admin) reports them its own way.

Field validation uses Django's ValidationError (with a dict naming the fields), which
forms and the API already understand.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext


class ErrorCode(models.TextChoices):
    """The stable machine codes of the domain errors (the API's `errors[].code`)."""

    BOOKING_ERROR = "booking_error", "A booking rule refused the change."
    PERMISSION_DENIED = "permission_denied", "Your role, key scope or link does not allow this."
    STALE_BOOKING = "stale_booking", "The booking changed after the version you saw."
    TRANSITION_NOT_ALLOWED = "transition_not_allowed", "The status cannot move there from here."
    CONFLICT = "conflict", "A line does not fit; `conflicts` says which and why."
    BOOKING_CLOSED = "booking_closed", "The booking no longer changes."
    CHANGE_REQUEST_CLOSED = "change_request_closed", "The change request was decided already."
    CONCURRENT_CHANGE = "concurrent_change", "The booking changed while the request ran."
    VENUE_IN_USE = "venue_in_use", "The venue has events, bookings or products."
    CUSTOMER_HAS_BOOKINGS = "customer_has_bookings", "The customer has bookings."


class ConflictReason(models.TextChoices):
    """Why a line does not fit (the API's `conflicts[].reason`)."""

    SPACE_TAKEN = "space_taken", "Another booking holds the space."
    CAPACITY = "capacity", "The space has too few places left."
    LAYOUT_CAPACITY = "layout_capacity", "The layout holds fewer people."
    BLOCKOUT = "blockout", "The space is blocked out."
    OPENING_HOURS = "opening_hours", "The venue is closed then."
    PRODUCT_UNITS = "product_units", "Too few units of the product are left."
    EVENT_CAPACITY = "event_capacity", "Too few tickets are left."
    EVENT_CANCELED = "event_canceled", "The event is canceled."


class BookingError(Exception):
    """Base of the domain errors; `code` is stable and machine-readable."""

    code = ErrorCode.BOOKING_ERROR


class PermissionDenied(BookingError):
    """The actor may not do this (role, API-key scope or manage token)."""

    code = ErrorCode.PERMISSION_DENIED


class StaleBooking(BookingError):
    """The caller saw an older version of the booking; nothing was changed."""

    code = ErrorCode.STALE_BOOKING

    def __init__(self, *, seen: datetime, current: datetime) -> None:
        super().__init__(
            f"The booking changed at {current.isoformat()}, after the version you saw "
            f"({seen.isoformat()}). Reload it and try again."
        )
        self.seen = seen
        self.current = current


class TransitionNotAllowed(BookingError):
    """The booking cannot move from its status to the one asked for."""

    code = ErrorCode.TRANSITION_NOT_ALLOWED

    def __init__(self, *, current: str, requested: str, allowed: list[str]) -> None:
        legal = ", ".join(allowed) or "none"
        article = "An" if current[:1] in "aeiou" else "A"
        super().__init__(
            f"{article} {current} booking cannot become {requested}. "
            f"Allowed next statuses: {legal}."
        )
        self.current = current
        self.requested = requested
        self.allowed = allowed


@dataclass(frozen=True)
class Conflict:
    """Why one line does not fit: which line, what is in the way, and when."""

    line: str  # e.g. "space line 1 (Auditorium)"
    reason: ConflictReason
    message: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    other_booking: str = ""  # reference of the booking in the way
    blockout_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "reason": self.reason,
            "message": self.message,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "other_booking": self.other_booking or None,
            "blockout_id": self.blockout_id,
        }


class BookingConflict(BookingError):
    """One or more lines do not fit; nothing was changed."""

    code = ErrorCode.CONFLICT

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__("; ".join(conflict.message for conflict in conflicts))
        self.conflicts = conflicts


class BookingClosed(BookingError):
    """The booking no longer changes (denied, canceled, finished)."""

    code = ErrorCode.BOOKING_CLOSED

    def __init__(self, status: str) -> None:
        super().__init__(
            gettext("A %(status)s booking can no longer be changed.")
            % {"status": status.replace("_", "-")}
        )
        self.status = status


class ChangeRequestClosed(BookingError):
    """The change request was decided or withdrawn already; nothing was changed."""

    code = ErrorCode.CHANGE_REQUEST_CLOSED

    def __init__(self, *, status: str, by: str = "", when: str = "") -> None:
        """`when` is the decision's time as the venue reads it, its zone named."""
        said = "".join([f" by {by}" if by else "", f" on {when}" if when else ""])
        super().__init__(f"This change request was {status}{said}; it can no longer be decided.")
        self.status = status


class InUse(BookingError):
    """The object is still referred to (a customer with bookings, a venue with events)."""

    def __init__(self, message: str, *, code: ErrorCode) -> None:
        super().__init__(message)
        self.code = code
