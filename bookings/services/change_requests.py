"""Change and cancellation requests: submit, approve, deny, withdraw.

A request is stored as plain JSON in the shape `normalize_changes()` returns:
    {"contact": {"contact_name": ..., "contact_email": ..., "contact_phone": ...},
     "answers": {key: value or None to clear},
     "space_lines": [{"id": 3, "starts_at": ISO, "ends_at": ISO, "places": 12,
                      "space_id": 4, "layout_id": 2, "name": ..., ...}]}
so staff can see what is asked beside what is booked. It is validated when it is
submitted as fully as when it is decided — types, lengths, formats, ids within the
booking's venue, the form's rules for a customer, what fits — and applied with the same
checks as any other change. Error names follow the request: "space_lines.0.places",
"contact.contact_email", "answers.company".
"""

from datetime import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from bookings.answers import clean_answers
from bookings.availability import preparation_minutes
from bookings.models import (
    MAX_PLACES,
    Booking,
    BookingStatus,
    ChangeRequest,
    EventProcedure,
    LogEntry,
    Notification,
    SpaceBooking,
)
from bookings.services.common import (
    OPEN_STATUSES,
    Lines,
    Notice,
    check_fields,
    check_fit,
    check_fresh,
    follow_with_event,
    lock_booking,
    notify_customer,
    price_lines,
    save_lines,
    validate_line,
    withdraw_open_change_request,
    write_log,
)
from bookings.services.decisions import cancel_booking, require_customer_may_cancel
from bookings.services.form_rules import check_form_policy
from core.actors import Actor, ActorKind
from core.errors import BookingClosed, ChangeRequestClosed
from core.permissions import Action, require
from core.sanitize import forbidden_character, sanitize_note
from core.times import MAX_ID, in_venue_time
from venues.models import SpaceLayout

CONTACT_KEYS = ("contact_name", "contact_email", "contact_phone")
# What a customer may ask to change on a space line; staff may also set attendee figures.
CUSTOMER_LINE_KEYS = frozenset(
    {"id", "starts_at", "ends_at", "places", "space_id", "layout_id", "name"}
)
STAFF_LINE_KEYS = CUSTOMER_LINE_KEYS | {"expected_attendees", "guaranteed_attendees"}
# A line's model field -> the key a request names it by.
LINE_KEY_OF = {"space": "space_id", "layout": "layout_id"}


def _may_ask(actor: Actor, booking: Booking) -> None:
    require(actor, Action.ASK_CHANGE, booking.organization, booking=booking)


# -- what is asked ----------------------------------------------------------------------------


def _invalid(field: str, message: str, code: str = "invalid", **params) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


def _text(value, field: str, *, max_length: int) -> str:
    """A string without NUL or lone surrogates, stripped, at most `max_length` characters."""
    if not isinstance(value, str):
        raise _invalid(field, "Enter text.")
    forbidden = forbidden_character(value)
    if forbidden is not None:
        raise ValidationError({field: forbidden})
    value = value.strip()
    if len(value) > max_length:
        raise _invalid(
            field,
            _("Keep this to %(max_length)d characters (it has %(length)d)."),
            "max_length",
            max_length=max_length,
            length=len(value),
        )
    return value


def _whole_number(value, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, "Give a whole number.")
    if not low <= value <= high:
        raise _invalid(
            field, _("Give a number from %(low)d to %(high)d."), "out_of_range", low=low, high=high
        )
    return value


def _id(value, field: str) -> int:
    return _whole_number(value, field, low=1, high=MAX_ID)


def normalize_changes(booking: Booking, changes: dict, *, actor: Actor) -> dict:
    """Check the shape and types of what is asked; return it as storable JSON.

    Raises ValidationError naming each field. What the values mean for the booking
    (limits of the form, availability, prices) is checked by `changed_booking()`.
    """
    if not isinstance(changes, dict):
        raise _invalid("changes", "Give the changes as an object.")
    unknown = set(changes) - {"contact", "answers", "space_lines"}
    if unknown:
        raise ValidationError(
            {str(key): "This cannot be changed by request." for key in sorted(map(str, unknown))}
        )
    normalized: dict = {}
    if changes.get("contact"):
        normalized["contact"] = _normalize_contact(changes["contact"])
    if changes.get("answers"):
        normalized["answers"] = _normalize_answers(booking, changes["answers"])
    if changes.get("space_lines"):
        normalized["space_lines"] = _normalize_space_lines(
            booking, changes["space_lines"], keys=_line_keys(actor)
        )
    if not normalized:
        raise _invalid("changes", _("Say what should change."))
    return normalized


def _line_keys(actor: Actor) -> frozenset[str]:
    return CUSTOMER_LINE_KEYS if actor.kind == ActorKind.CUSTOMER else STAFF_LINE_KEYS


def _normalize_contact(contact) -> dict:
    if not isinstance(contact, dict):
        raise _invalid("contact", "Give the contact details as an object.")
    unknown = sorted(map(str, set(contact) - set(CONTACT_KEYS)))
    if unknown:
        raise ValidationError({f"contact.{key}": "Unknown contact field." for key in unknown})
    normalized = {}
    for key, value in contact.items():
        max_length = Booking._meta.get_field(key).max_length
        normalized[key] = _text(value, f"contact.{key}", max_length=max_length)
    email = normalized.get("contact_email")
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationError({"contact.contact_email": error.error_list}) from None
    return normalized


def _normalize_answers(booking: Booking, answers) -> dict:
    if booking.booking_form is None:
        raise _invalid("answers", "This booking has no form questions.")
    return _clean_answers(booking, answers, partial=True)


def _clean_answers(booking: Booking, answers, *, partial: bool = False) -> dict:
    """clean_answers() with errors named as a request names them ("answers.company")."""
    try:
        return clean_answers(booking.booking_form, answers, partial=partial)
    except ValidationError as error:
        raise ValidationError(
            {
                (key if key == "answers" else f"answers.{key}"): messages
                for key, messages in error.error_dict.items()
            }
        ) from None


def _normalize_space_lines(booking: Booking, asked_lines, *, keys: frozenset[str]) -> list[dict]:
    if not isinstance(asked_lines, list):
        raise _invalid("space_lines", "Give a list of the space lines to change.")
    line_spaces = dict(booking.space_bookings.values_list("pk", "space_id"))
    seen: set[int] = set()
    normalized = []
    for number, asked in enumerate(asked_lines):
        prefix = f"space_lines.{number}"
        if not isinstance(asked, dict) or "id" not in asked:
            raise _invalid(prefix, "Name the line to change by its id.")
        unknown = sorted(map(str, set(asked) - keys))
        if unknown:
            raise ValidationError(
                {f"{prefix}.{key}": "This cannot be changed here." for key in unknown}
            )
        line_id = _id(asked["id"], f"{prefix}.id")
        if line_id not in line_spaces:
            raise _invalid(f"{prefix}.id", _("This booking has no such space line."))
        if line_id in seen:
            raise _invalid(f"{prefix}.id", "This line is asked for twice.")
        seen.add(line_id)
        normalized.append(
            _normalize_space_line(booking, prefix, asked, line_id, line_spaces[line_id])
        )
    return normalized


def _normalize_space_line(
    booking: Booking, prefix: str, asked: dict, line_id: int, current_space_id: int
) -> dict:
    line: dict = {"id": line_id}
    for name in ("starts_at", "ends_at"):
        if name in asked:
            value = asked[name]
            try:
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise _invalid(f"{prefix}.{name}", "Use an ISO 8601 date and time.") from None
            tz = booking.venue.tzinfo
            line[name] = in_venue_time(moment, tz, field=f"{prefix}.{name}").isoformat()
    if "places" in asked:
        line["places"] = _whole_number(asked["places"], f"{prefix}.places", low=1, high=MAX_PLACES)
    for name in ("expected_attendees", "guaranteed_attendees"):
        if name in asked and asked[name] is not None:
            line[name] = _whole_number(asked[name], f"{prefix}.{name}", low=0, high=MAX_PLACES)
        elif name in asked:
            line[name] = None
    if "name" in asked:
        max_length = SpaceBooking._meta.get_field("name").max_length
        line["name"] = _text(asked["name"], f"{prefix}.name", max_length=max_length)
    space_id = current_space_id
    if "space_id" in asked:
        space_id = _id(asked["space_id"], f"{prefix}.space_id")
        if not booking.venue.spaces.filter(pk=space_id, is_active=True).exists():
            raise _invalid(f"{prefix}.space_id", _("No such space at this venue."))
        line["space_id"] = space_id
    if asked.get("layout_id") is not None:
        layout_id = _id(asked["layout_id"], f"{prefix}.layout_id")
        if not SpaceLayout.objects.filter(pk=layout_id, space_id=space_id).exists():
            raise _invalid(f"{prefix}.layout_id", _("No such layout of this space."))
        line["layout_id"] = layout_id
    elif "layout_id" in asked:
        line["layout_id"] = None
    return line


# -- what the booking would become --------------------------------------------------------------


def changed_booking(booking: Booking, changes: dict, *, actor: Actor, lock: bool) -> Lines:
    """Apply normalised `changes` to `booking` and its lines in memory, with every check a new
    booking gets: the lines' own rules, the form's rules for a customer (on the lines
    whose times or space change), prices within bounds, and availability (under the
    resource locks with `lock`). Extras booked for exactly a moved space line's time move
    with it. Returns the lines; nothing is saved.
    """
    for key, value in changes.get("contact", {}).items():
        setattr(booking, key, value)
    if "answers" in changes:
        merged = {**booking.answers, **changes["answers"]}
        merged = {key: value for key, value in merged.items() if value is not None}
        booking.answers = _clean_answers(booking, merged)
    lines = Lines.of(booking)
    by_id = {line.pk: line for line in lines.spaces}
    changed: list[tuple[str, SpaceBooking]] = []
    moved: set[str] = set()
    for number, asked in enumerate(changes.get("space_lines", [])):
        prefix = f"space_lines.{number}"
        line = by_id.get(asked["id"])
        if line is None:
            raise _invalid(f"{prefix}.id", _("This booking has no such space line."))
        before = (line.starts_at, line.ends_at)
        _change_line(booking, line, asked, prefix)
        changed.append((prefix, line))
        if {"starts_at", "ends_at", "space_id"} & set(asked):
            moved.add(prefix)
        _move_extras_along(lines, before, line)
    try:
        check_fields(booking)
    except ValidationError as error:
        raise ValidationError(
            {
                (f"contact.{name}" if name in CONTACT_KEYS else name): messages
                for name, messages in error.error_dict.items()
            }
        ) from None
    if actor.kind == ActorKind.CUSTOMER and booking.booking_form is not None and changed:
        try:
            check_form_policy(booking.booking_form, changed, times_of=moved)
        except ValidationError as error:
            raise ValidationError(_named_as_asked(error.error_dict)) from None
    price_lines(booking, lines)
    check_fit(booking, lines, lock=lock)
    return lines


def _move_extras_along(lines: Lines, before: tuple[datetime, datetime], line: SpaceBooking):
    """Extras booked for exactly a space line's time (as the booking form books them) keep
    to it when it moves; their availability is checked with the rest."""
    if (line.starts_at, line.ends_at) == before:
        return
    for extra in lines.products:
        if (extra.starts_at, extra.ends_at) == before:
            extra.starts_at, extra.ends_at = line.starts_at, line.ends_at


def _change_line(booking: Booking, line: SpaceBooking, asked: dict, prefix: str) -> None:
    for name in ("starts_at", "ends_at"):
        if name in asked:
            setattr(line, name, datetime.fromisoformat(asked[name]))
    for name in ("places", "name", "expected_attendees", "guaranteed_attendees"):
        if name in asked:
            setattr(line, name, asked[name])
    space, layout = line.space, line.layout
    if "space_id" in asked and asked["space_id"] != line.space_id:
        line.space = booking.venue.spaces.filter(pk=asked["space_id"], is_active=True).first()
        if line.space is None:
            raise _invalid(f"{prefix}.space_id", _("No such space at this venue."))
        line.layout = None
    if asked.get("layout_id") is not None:
        line.layout = SpaceLayout.objects.filter(pk=asked["layout_id"], space=line.space).first()
        if line.layout is None:
            raise _invalid(f"{prefix}.layout_id", _("No such layout of this space."))
    elif "layout_id" in asked:
        line.layout = None
    if (line.space, line.layout) != (space, layout):
        # Another room or set-up needs its own time to prepare and clear.
        line.setup_minutes, line.setdown_minutes = preparation_minutes(line.space, line.layout)
    try:
        validate_line(line)
    except ValidationError as error:
        raise ValidationError(
            _named_as_asked({f"{prefix}.{name}": msgs for name, msgs in error.error_dict.items()})
        ) from None


def _named_as_asked(errors: dict) -> dict:
    """Line errors named as a request names them: "space_lines.0.space" -> "…space_id",
    and a line's own error ("space_lines.0.__all__") by the line."""
    named = {}
    for path, messages in errors.items():
        line, _, name = path.rpartition(".")
        if name == NON_FIELD_ERRORS:
            named[line] = messages
        else:
            named[f"{line}.{LINE_KEY_OF.get(name, name)}"] = messages
    return named


def _refuse_moves_into_the_past(lines: Lines, changes: dict) -> None:
    """A customer's new time that has passed while the request waited is not applied."""
    by_id = {line.pk: line for line in lines.spaces}
    now = timezone.now()
    for number, asked in enumerate(changes.get("space_lines", [])):
        moved = {"starts_at", "ends_at", "space_id"} & set(asked)
        if moved and by_id[asked["id"]].starts_at < now:
            raise _invalid(
                f"space_lines.{number}.starts_at",
                "This time has passed while the request waited; it can no longer be approved.",
            )


def _save_changed(booking: Booking, lines: Lines) -> None:
    save_lines(booking, lines)
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

    What is asked is checked in full now (see `changed_booking()`), whatever the
    booking's status. A pending booking is changed at once (the request is stored as
    approved for the record). An approved booking keeps its slot: the request waits
    beside it for staff, and a newer request withdraws an open one. Notifies the customer.
    """
    booking = lock_booking(booking)
    _may_ask(actor, booking)
    if booking.status not in OPEN_STATUSES:
        raise BookingClosed(booking.status)
    if is_cancellation and changes:
        raise _invalid("changes", "A cancellation request carries no changes; send them apart.")
    normalized = {} if is_cancellation else normalize_changes(booking, changes or {}, actor=actor)
    change_request = ChangeRequest(
        booking=booking,
        is_cancellation=is_cancellation,
        changes=normalized,
        request_note=sanitize_note(request_note),
        submitted_by_kind=actor.kind,
        submitted_by=actor.user,
    )
    if booking.status == BookingStatus.PENDING:
        # (A pending booking has no open request: its changes apply at once.)
        if is_cancellation:
            if actor.is_customer:
                require_customer_may_cancel(booking, actor)
            cancel_booking(booking, actor)
        else:
            _save_changed(booking, changed_booking(booking, normalized, actor=actor, lock=False))
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

    if not is_cancellation:
        # Checked on a copy: the approved booking keeps what it has until staff decide.
        preview = lock_booking(booking.pk)
        changed_booking(preview, normalized, actor=actor, lock=False)
    withdraw_open_change_request(booking, actor, reason="replaced")
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


def _require_undecided(transition, booking: Booking) -> None:
    """Refuse to decide a request that was decided or withdrawn already, saying by whom and
    when. `transition` is the request's bound FSM method (`change_request.approve`)."""
    if can_proceed(transition):
        return
    change_request = transition.__self__
    decider = change_request.decided_by
    when = ""
    if change_request.decided_at:
        tz = booking.venue.tzinfo
        when = f"{timezone.localtime(change_request.decided_at, tz):%Y-%m-%d %H:%M} ({tz.key})"
    raise ChangeRequestClosed(
        status=change_request.get_status_display().lower(),
        by=(decider.get_full_name() or decider.get_username()) if decider else "",
        when=when,
    )


def _record_decision(
    change_request: ChangeRequest,
    booking: Booking,
    actor: Actor,
    *,
    action: str,
    kind: str,
    notice: Notice,
) -> None:
    """Save who decided and why, log it and tell the customer (approve and deny alike)."""
    change_request.decided_by = actor.user
    change_request.decision_comment = notice.comment
    change_request.decision_message = notice.message
    change_request.save()
    write_log(
        booking,
        action,
        actor,
        comment=notice.comment,
        message=notice.message,
        data={"change_request": change_request.pk},
    )
    notify_customer(booking, kind, notice=notice, change_request=change_request)


@transaction.atomic
def change_request_approve(
    *,
    actor: Actor,
    change_request: ChangeRequest | int,
    client_updated_at: datetime | None = None,
    event_procedure: str = EventProcedure.CANCEL,
    notice: Notice = Notice(),
) -> ChangeRequest:
    """Apply a pending request to its booking under the locks, or cancel it for a
    cancellation request (`event_procedure` for its Event). The request is checked again
    in full; a conflict, an invalid change, a booking that is no longer open or that
    changed after `client_updated_at` (the version the decider saw beside the request)
    leaves both as they were. Notifies the customer."""
    change_request, booking = _lock_request(change_request)
    require(actor, Action.APPROVE, booking.organization)
    _require_undecided(change_request.approve, booking)
    check_fresh(booking, client_updated_at)
    if booking.status not in OPEN_STATUSES:
        raise BookingClosed(booking.status)
    if change_request.is_cancellation:
        cancel_booking(booking, actor, event_procedure=event_procedure)
        change_request.event_procedure = event_procedure
    else:
        # Checked again as staff decide: the booking or the venue may have changed since.
        changes = normalize_changes(booking, change_request.changes, actor=actor)
        lines = changed_booking(booking, changes, actor=actor, lock=booking.holds_capacity)
        if change_request.submitted_by_kind == ActorKind.CUSTOMER:
            _refuse_moves_into_the_past(lines, changes)
        _save_changed(booking, lines)
    change_request.approve()
    _record_decision(
        change_request,
        booking,
        actor,
        action=LogEntry.Action.CHANGE_APPROVED,
        kind=Notification.Kind.CHANGE_APPROVED,
        notice=notice,
    )
    return change_request


@transaction.atomic
def change_request_deny(
    *,
    actor: Actor,
    change_request: ChangeRequest | int,
    client_updated_at: datetime | None = None,
    notice: Notice = Notice(),
) -> ChangeRequest:
    """Refuse a pending request; the booking stays as it was. Refused, with nothing
    changed, when the booking changed after `client_updated_at`. Notifies the customer."""
    change_request, booking = _lock_request(change_request)
    require(actor, Action.APPROVE, booking.organization)
    _require_undecided(change_request.deny, booking)
    check_fresh(booking, client_updated_at)
    change_request.deny()
    _record_decision(
        change_request,
        booking,
        actor,
        action=LogEntry.Action.CHANGE_DENIED,
        kind=Notification.Kind.CHANGE_DENIED,
        notice=notice,
    )
    return change_request


@transaction.atomic
def change_request_withdraw(*, actor: Actor, change_request: ChangeRequest | int) -> ChangeRequest:
    """The requester (customer with the token, or staff) takes a pending request back."""
    change_request, booking = _lock_request(change_request)
    _may_ask(actor, booking)
    _require_undecided(change_request.withdraw, booking)
    change_request.withdraw()
    change_request.save()
    write_log(
        booking, LogEntry.Action.CHANGE_WITHDRAWN, actor, data={"change_request": change_request.pk}
    )
    return change_request
