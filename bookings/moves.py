"""The moves of a booking's state machine, and which of them an actor may make now.

A door that offers buttons (the admin, a page, an app) asks `booking_move_list`: the moves
the booking's status and the transitions' conditions allow now (django-fsm's available
transitions) that the permission policy lets the actor make. The service of each move
still decides when it is asked: the booking may have changed since the buttons were shown.
"""

from dataclasses import dataclass

from bookings.models import Booking
from core.actors import Actor
from core.permissions import Action, may


@dataclass(frozen=True)
class Move:
    """One transition as staff see it: its name on the model, its words, the right it needs."""

    name: str  # the transition method: "approve", "mark_no_show"
    label: str  # the button: "Approve", "No-show"
    action: Action  # what the permission policy is asked


MOVES = (
    Move("approve", "Approve", Action.APPROVE),
    Move("deny", "Deny", Action.APPROVE),
    Move("cancel", "Cancel booking", Action.APPROVE),
    Move("arrive", "Arrived", Action.FRONT_DESK),
    Move("seat", "Seat", Action.FRONT_DESK),
    Move("release", "Release", Action.FRONT_DESK),
    Move("mark_no_show", "No-show", Action.FRONT_DESK),
)
MOVES_BY_NAME = {move.name: move for move in MOVES}


def booking_move_list(*, actor: Actor, booking: Booking) -> list[Move]:
    """The moves `actor` may make on `booking` now, in MOVES order (the policy is asked once
    per right, not once per move)."""
    available = {transition.name for transition in booking.get_available_status_transitions()}
    candidates = [move for move in MOVES if move.name in available]
    rights = {
        action: may(actor, action, booking.organization, booking=booking)
        for action in {move.action for move in candidates}
    }
    return [move for move in candidates if rights[move.action]]
