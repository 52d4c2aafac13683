"""The domain errors services raise; each door (API, pages, admin) reports them its own way.

Field validation uses Django's ValidationError (with a dict naming the fields), which
forms and the API already understand.
"""

from dataclasses import dataclass
from datetime import datetime


class BookingError(Exception):
    """Base of the domain errors; `code` is stable and machine-readable."""

    code = "booking_error"


class PermissionDenied(BookingError):
    """The actor may not do this (role, API-key scope or manage token)."""

    code = "permission_denied"


class StaleBooking(BookingError):
    """The caller saw an older version of the booking; nothing was changed."""

    code = "stale_booking"

    def __init__(self, *, seen: datetime, current: datetime) -> None:
        super().__init__(
            f"The booking changed at {current.isoformat()}, after the version you saw "
            f"({seen.isoformat()}). Reload it and try again."
        )
        self.seen = seen
        self.current = current


class TransitionNotAllowed(BookingError):
    """The booking cannot move from its status to the one asked for."""

    code = "transition_not_allowed"

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
    reason: str  # space_taken | capacity | layout_capacity | blockout | opening_hours |
    # product_units | event_capacity | event_canceled | inactive
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

    code = "conflict"

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__("; ".join(conflict.message for conflict in conflicts))
        self.conflicts = conflicts


class BookingClosed(BookingError):
    """The booking no longer changes (denied, canceled, finished)."""

    code = "booking_closed"

    def __init__(self, status: str) -> None:
        super().__init__(f"A {status.replace('_', '-')} booking can no longer be changed.")
        self.status = status


class ChangeRequestClosed(BookingError):
    """The change request was decided or withdrawn already; nothing was changed."""

    code = "change_request_closed"

    def __init__(self, *, status: str, by: str = "", when: str = "") -> None:
        """`when` is the decision's time as the venue reads it, its zone named."""
        said = "".join([f" by {by}" if by else "", f" on {when}" if when else ""])
        super().__init__(f"This change request was {status}{said}; it can no longer be decided.")
        self.status = status


class InUse(BookingError):
    """The object is still referred to (a customer with bookings, a venue with events)."""

    code = "in_use"

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
