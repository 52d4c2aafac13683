"""The state machines of Booking, ChangeRequest and Event, in memory (no database)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from hypothesis import given
from hypothesis import strategies as st

from bookings.models import (
    CAPACITY_HOLDING_STATUSES,
    STATUS_ALIASES,
    STATUS_INFO,
    Booking,
    BookingStatus,
    ChangeRequest,
    resolve_status,
)
from venues.models import Event

S = BookingStatus

# The state machine, written out independently of the model: transition -> (sources, target).
TABLE = {
    "approve": ({S.PENDING}, S.APPROVED),
    "deny": ({S.PENDING}, S.DENIED),
    "cancel": ({S.PENDING, S.APPROVED}, S.CANCELED),
    "arrive": ({S.APPROVED}, S.ARRIVED),
    "seat": ({S.APPROVED, S.ARRIVED}, S.SEATED),
    "release": ({S.ARRIVED, S.SEATED}, S.RELEASED),
    "mark_no_show": ({S.APPROVED}, S.NO_SHOW),
}
PAIRS = [(state, name) for state in S for name in TABLE]


def booking_in(state: str, *, started: bool = True) -> Booking:
    start = timezone.now() + (timedelta(hours=-1) if started else timedelta(days=1))
    return Booking(status=state, starts_at=start, ends_at=start + timedelta(hours=2))


@pytest.mark.parametrize(("state", "name"), [p for p in PAIRS if p[0] in TABLE[p[1]][0]])
def test_allowed_transition_moves_to_its_target(state, name):
    booking = booking_in(state)
    getattr(booking, name)()
    assert booking.status == TABLE[name][1]


@pytest.mark.parametrize(("state", "name"), [p for p in PAIRS if p[0] not in TABLE[p[1]][0]])
def test_every_other_transition_raises_and_leaves_the_status(state, name):
    booking = booking_in(state)
    with pytest.raises(TransitionNotAllowed):
        getattr(booking, name)()
    assert booking.status == state


@pytest.mark.parametrize("state", list(S))
def test_allowed_next_statuses_match_the_table(state):
    expected = {target for sources, target in TABLE.values() if state in sources}
    assert set(booking_in(state).allowed_next_statuses()) == expected


def test_no_show_is_refused_before_the_booking_starts():
    booking = booking_in(S.APPROVED, started=False)
    with pytest.raises(TransitionNotAllowed):
        booking.mark_no_show()
    assert S.NO_SHOW not in booking.allowed_next_statuses()


def test_no_show_is_refused_for_a_booking_without_lines():
    booking = Booking(status=S.APPROVED)
    with pytest.raises(TransitionNotAllowed):
        booking.mark_no_show()


def test_status_cannot_be_assigned_directly():
    booking = booking_in(S.PENDING)
    with pytest.raises(AttributeError):
        booking.status = S.APPROVED
    assert booking.status == S.PENDING


@pytest.mark.parametrize(
    ("name", "stamp"),
    [
        ("approve", "approved_at"),
        ("cancel", "canceled_at"),
    ],
)
def test_transitions_from_pending_stamp_their_time(name, stamp):
    booking = booking_in(S.PENDING)
    before = timezone.now()
    getattr(booking, name)()
    assert getattr(booking, stamp) >= before


def test_front_desk_transitions_stamp_their_times():
    booking = booking_in(S.APPROVED)
    booking.arrive()
    booking.seat()
    booking.release()
    assert booking.arrived_at <= booking.seated_at <= booking.released_at


@given(st.lists(st.sampled_from(sorted(TABLE)), max_size=12))
def test_any_sequence_of_attempts_follows_the_table(attempts):
    booking = booking_in(S.PENDING)
    expected = S.PENDING
    for name in attempts:
        sources, target = TABLE[name]
        if expected in sources:
            getattr(booking, name)()
            expected = target
        else:
            with pytest.raises(TransitionNotAllowed):
                getattr(booking, name)()
        assert booking.status == expected


def test_capacity_is_held_by_exactly_the_documented_states():
    assert {S.APPROVED, S.ARRIVED, S.SEATED, S.RELEASED} == CAPACITY_HOLDING_STATUSES
    assert set(STATUS_INFO) == set(S)
    assert all(info.description and info.colour.startswith("#") for info in STATUS_INFO.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pending", S.PENDING),
        ("reserved", S.PENDING),
        ("accepted", S.APPROVED),
        ("booked", S.APPROVED),
        ("rejected", S.DENIED),
        ("declined", S.DENIED),
        ("unbooked", S.CANCELED),
        ("cancelled", S.CANCELED),
        ("arrival", S.ARRIVED),
        ("checked_in", S.ARRIVED),
        ("sitting", S.SEATED),
        ("completed", S.RELEASED),
        ("No-Show", S.NO_SHOW),
        (" Accepted ", S.APPROVED),
    ],
)
def test_status_names_and_aliases_resolve_to_the_canonical_state(name, expected):
    assert resolve_status(name) == expected


def test_every_alias_points_to_a_real_state_and_shadows_none():
    assert set(STATUS_ALIASES.values()) <= set(S)
    assert not set(STATUS_ALIASES) & set(S.values)


def test_an_unknown_status_name_is_refused():
    with pytest.raises(ValueError, match="bogus"):
        resolve_status("bogus")


CR = ChangeRequest.Status


@pytest.mark.parametrize(
    ("name", "target"), [("approve", CR.APPROVED), ("deny", CR.DENIED), ("withdraw", CR.WITHDRAWN)]
)
def test_change_request_is_decided_once(name, target):
    change_request = ChangeRequest()
    getattr(change_request, name)()
    assert change_request.status == target
    assert change_request.decided_at is not None
    for again in ("approve", "deny", "withdraw"):
        with pytest.raises(TransitionNotAllowed):
            getattr(change_request, again)()
    assert change_request.status == target


def test_change_request_status_cannot_be_assigned_directly():
    change_request = ChangeRequest()
    with pytest.raises(AttributeError):
        change_request.status = CR.APPROVED


def test_event_can_be_canceled_once():
    event = Event()
    assert event.status == Event.Status.SCHEDULED
    event.cancel()
    assert event.status == Event.Status.CANCELED
    with pytest.raises(TransitionNotAllowed):
        event.cancel()
