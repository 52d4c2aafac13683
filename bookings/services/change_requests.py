"""Change and cancellation requests (DESIGN §7): submit, approve, deny, withdraw.

A request is stored as plain JSON in the shape `normalize_changes()` returns:
    {"contact": {"contact_name": ..., "contact_email": ..., "contact_phone": ...},
     "answers": {key: value or None to clear},
     "space_lines": [{"id": 3, "starts_at": ISO, "ends_at": ISO, "places": 12,
                      "space_id": 4, "layout_id": 2, "expected_attendees": 10, ...}]}
so staff can see what is asked beside what is booked, and it is applied with the same
checks as any other change.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django_fsm import can_proceed

from bookings.actors import APPROVE, WRITE, Actor
from bookings.answers import clean_answers
from bookings.errors import BookingClosed, PermissionDenied, TransitionNotAllowed
from bookings.models import (
    ActorKind,
    Booking,
    BookingStatus,
    ChangeRequest,
    EventProcedure,
    LogEntry,
    Notification,
)
from bookings.sanitize import sanitize_note
from bookings.services.bookings import cancel_booking, require_customer_may_cancel
from bookings.services.common import (
    Lines,
    check_fit,
    follow_with_event,
    lock_booking,
    notify_customer,
    price_lines,
    validate_line,
    write_log,
)
from bookings.times import in_venue_time
from venues.models import SpaceLayout

CONTACT_KEYS = {"contact_name", "contact_email", "contact_phone"}
SPACE_LINE_KEYS = {
    "id",
    "starts_at",
    "ends_at",
    "places",
    "space_id",
    "layout_id",
    "name",
    "expected_attendees",
    "guaranteed_attendees",
}


def _may_ask(actor: Actor, booking: Booking) -> None:
    if actor.kind == ActorKind.CUSTOMER:
        if not actor.holds_token_of(booking):
            raise PermissionDenied("This link does not belong to this booking.")
    else:
        actor.require(WRITE, booking.organization)


def normalize_changes(booking: Booking, changes: dict) -> dict:
    """Validate what is asked and return it as storable JSON; ValidationError names the field."""
    if not isinstance(changes, dict):
        raise ValidationError({"changes": "Give the changes as an object."})
    unknown = set(changes) - {"contact", "answers", "space_lines"}
    if unknown:
        raise ValidationError({key: "This cannot be changed by request." for key in unknown})
    normalized: dict = {}
    contact = changes.get("contact") or {}
    if contact:
        bad = set(contact) - CONTACT_KEYS
        if bad:
            raise ValidationError({f"contact.{key}": "Unknown contact field." for key in bad})
        normalized["contact"] = {key: str(value).strip() for key, value in contact.items()}
    if changes.get("answers"):
        if booking.booking_form is None:
            raise ValidationError({"answers": "This booking has no form questions."})
        normalized["answers"] = clean_answers(
            booking.booking_form, changes["answers"], partial=True
        )
    space_lines = changes.get("space_lines") or []
    if space_lines:
        normalized["space_lines"] = [
            _normalize_space_line(booking, number, line) for number, line in enumerate(space_lines)
        ]
    if not normalized:
        raise ValidationError({"changes": "Say what should change."})
    return normalized


def _normalize_space_line(booking: Booking, number: int, asked: dict) -> dict:
    prefix = f"space_lines.{number}"
    if not isinstance(asked, dict) or "id" not in asked:
        raise ValidationError({prefix: "Name the line to change by its id."})
    bad = set(asked) - SPACE_LINE_KEYS
    if bad:
        raise ValidationError({f"{prefix}.{key}": "This cannot be changed here." for key in bad})
    if not booking.space_bookings.filter(pk=asked["id"]).exists():
        raise ValidationError({f"{prefix}.id": "This booking has no such space line."})
    line = dict(asked)
    tz = booking.venue.tzinfo
    for name in ("starts_at", "ends_at"):
        if name in line:
            value = line[name]
            try:
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise ValidationError(
                    {f"{prefix}.{name}": "Use an ISO 8601 date and time."}
                ) from None
            line[name] = in_venue_time(moment, tz, field=f"{prefix}.{name}").isoformat()
    for name in ("places", "expected_attendees", "guaranteed_attendees"):
        if name in line and (not isinstance(line[name], int) or line[name] < 0):
            raise ValidationError({f"{prefix}.{name}": "Give a whole number."})
    return line


def apply_changes(booking: Booking, changes: dict, *, lock: bool) -> None:
    """Apply normalised changes to the booking and its lines, with every check; not logged."""
    for key, value in changes.get("contact", {}).items():
        setattr(booking, key, value)
    if "answers" in changes:
        merged = {**booking.answers, **changes["answers"]}
        merged = {key: value for key, value in merged.items() if value is not None}
        booking.answers = clean_answers(booking.booking_form, merged)
    lines = Lines.of(booking)
    by_id = {line.pk: line for line in lines.spaces}
    for asked in changes.get("space_lines", []):
        line = by_id[asked["id"]]
        for name in ("starts_at", "ends_at"):
            if name in asked:
                setattr(line, name, datetime.fromisoformat(asked[name]))
        for name in ("places", "name", "expected_attendees", "guaranteed_attendees"):
            if name in asked:
                setattr(line, name, asked[name])
        if "space_id" in asked and asked["space_id"] != line.space_id:
            line.space = booking.venue.spaces.filter(pk=asked["space_id"]).first()
            if line.space is None:
                raise ValidationError({"space_lines.space_id": "No such space at this venue."})
            line.layout = None
        if asked.get("layout_id"):
            line.layout = SpaceLayout.objects.filter(
                pk=asked["layout_id"], space=line.space
            ).first()
            if line.layout is None:
                raise ValidationError({"space_lines.layout_id": "No such layout of this space."})
        validate_line(line)
    booking.full_clean()
    price_lines(booking, lines)
    check_fit(booking, lines, lock=lock)
    for line in lines.all():
        line.save()
    booking.compute_span()
    follow_with_event(booking, lines)
    booking.save()


@transaction.atomic
def change_request_submit(
    *,
    actor: Actor,
    booking: Booking | int,
    changes: dict | None = None,
    is_cancellation: bool = False,
    request_note: str = "",
) -> ChangeRequest:
    """Ask for a change or a cancellation, as the customer (manage token) or staff.

    A pending booking is changed at once (same checks; the request is stored as
    approved for the record). An approved booking keeps its slot: the request waits
    beside it for staff, and a newer request withdraws an open one. Notifies the customer.
    """
    booking = lock_booking(booking)
    _may_ask(actor, booking)
    if booking.status not in (BookingStatus.PENDING, BookingStatus.APPROVED):
        raise BookingClosed(booking.status)
    normalized = {} if is_cancellation else normalize_changes(booking, changes or {})
    change_request = ChangeRequest(
        booking=booking,
        is_cancellation=is_cancellation,
        changes=normalized,
        request_note=sanitize_note(request_note),
        submitted_by_kind=actor.kind,
        submitted_by=actor.user,
    )
    for previous in booking.change_requests.filter(status=ChangeRequest.Status.PENDING):
        previous.withdraw()
        previous.save()
        write_log(
            booking,
            LogEntry.Action.CHANGE_WITHDRAWN,
            actor,
            data={"change_request": previous.pk, "replaced": True},
        )

    if booking.status == BookingStatus.PENDING:
        if is_cancellation:
            if actor.kind == ActorKind.CUSTOMER:
                require_customer_may_cancel(booking, actor)
            cancel_booking(booking, actor)
        else:
            apply_changes(booking, normalized, lock=False)
        change_request.approve()
        change_request.save()
        write_log(
            booking,
            LogEntry.Action.CHANGE_APPLIED,
            actor,
            data={"change_request": change_request.pk, "changes": normalized},
        )
        notify_customer(booking, Notification.Kind.CHANGE_APPROVED, change_request=change_request)
        return change_request

    change_request.save()
    write_log(
        booking,
        LogEntry.Action.CHANGE_REQUESTED,
        actor,
        data={"change_request": change_request.pk, "cancellation": is_cancellation},
    )
    notify_customer(booking, Notification.Kind.CHANGE_RECEIVED, change_request=change_request)
    return change_request


def _lock_request(change_request: ChangeRequest | int) -> tuple[ChangeRequest, Booking]:
    pk = change_request.pk if isinstance(change_request, ChangeRequest) else change_request
    booking_id = ChangeRequest.objects.values_list("booking_id", flat=True).get(pk=pk)
    booking = lock_booking(booking_id)  # booking first, as every service
    return ChangeRequest.objects.select_for_update().get(pk=pk), booking


def _decided(change_request: ChangeRequest, name: str) -> None:
    if not can_proceed(getattr(change_request, name)):
        raise TransitionNotAllowed(current=change_request.status, requested=name, allowed=[])


def _record_decision(
    change_request, booking, actor, action, kind, comment, message, send_email, send_sms
) -> None:
    """Save who decided and why, log it and tell the customer (approve and deny alike)."""
    change_request.decided_by = actor.user
    change_request.decision_comment, change_request.decision_message = comment, message
    change_request.save()
    write_log(
        booking,
        action,
        actor,
        comment=comment,
        message=message,
        data={"change_request": change_request.pk},
    )
    notify_customer(
        booking,
        kind,
        message=message,
        change_request=change_request,
        send_email=send_email,
        send_sms=send_sms,
    )


@transaction.atomic
def change_request_approve(
    *,
    actor: Actor,
    change_request: ChangeRequest | int,
    event_procedure: str = EventProcedure.CANCEL,
    comment: str = "",
    message: str = "",
    send_email: bool | None = None,
    send_sms: bool | None = None,
) -> ChangeRequest:
    """Apply a pending request to its booking under the locks, or cancel it for a
    cancellation request (`event_procedure` for its Event). A conflict leaves both as
    they were. Notifies the customer."""
    change_request, booking = _lock_request(change_request)
    actor.require(APPROVE, booking.organization)
    _decided(change_request, "approve")
    if change_request.is_cancellation:
        cancel_booking(booking, actor, event_procedure=event_procedure)
        change_request.event_procedure = event_procedure
    else:
        apply_changes(booking, change_request.changes, lock=booking.holds_capacity)
    change_request.approve()
    _record_decision(
        change_request,
        booking,
        actor,
        LogEntry.Action.CHANGE_APPROVED,
        Notification.Kind.CHANGE_APPROVED,
        comment,
        message,
        send_email,
        send_sms,
    )
    return change_request


@transaction.atomic
def change_request_deny(
    *,
    actor: Actor,
    change_request: ChangeRequest | int,
    comment: str = "",
    message: str = "",
    send_email: bool | None = None,
    send_sms: bool | None = None,
) -> ChangeRequest:
    """Refuse a pending request; the booking stays as it was. Notifies the customer."""
    change_request, booking = _lock_request(change_request)
    actor.require(APPROVE, booking.organization)
    _decided(change_request, "deny")
    change_request.deny()
    _record_decision(
        change_request,
        booking,
        actor,
        LogEntry.Action.CHANGE_DENIED,
        Notification.Kind.CHANGE_DENIED,
        comment,
        message,
        send_email,
        send_sms,
    )
    return change_request


@transaction.atomic
def change_request_withdraw(*, actor: Actor, change_request: ChangeRequest | int) -> ChangeRequest:
    """The requester (customer with the token, or staff) takes a pending request back."""
    change_request, booking = _lock_request(change_request)
    _may_ask(actor, booking)
    _decided(change_request, "withdraw")
    change_request.withdraw()
    change_request.save()
    write_log(
        booking, LogEntry.Action.CHANGE_WITHDRAWN, actor, data={"change_request": change_request.pk}
    )
    return change_request
