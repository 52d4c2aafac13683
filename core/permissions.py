"""The one permission policy: may this actor do this to that organisation's bookings?

Every door asks here, through the services (which call `require`) or directly to decide
what to offer (the API's permission class, the admin, the pages). Changing who may do
what is an edit to the two tables below and nothing else.

- Staff users act by their role in the organisation; each role includes the ones
  below it (manager > approver > front desk > viewer). Active superusers may do all.
- API keys act by their scopes (read, write, approve); a key never manages the catalogue.
- A customer may send a booking request through a public form, and may see and ask to
  change (or cancel) the one booking whose manage token they hold.
- The system (commands, workers) may do all.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy

from core.actors import Actor, ActorKind
from core.errors import PermissionDenied


class Action(StrEnum):
    VIEW = "view"  # read bookings, customers and the catalogue
    BOOK = "book"  # send a booking request (public form) or take a booking (staff)
    WRITE = "write"  # change bookings, lines, payments, customers, events and blockouts
    ASK_CHANGE = "ask_change"  # ask for a change or a cancellation of a booking
    FRONT_DESK = "front_desk"  # arrive, seat, release, no-show
    APPROVE = "approve"  # approve, deny, cancel; decide change requests
    MANAGE = "manage"  # the catalogue: venues, spaces, forms, prices, members, keys


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    APPROVER = "approver", "Approver"
    FRONT_DESK = "front_desk", "Front desk"
    VIEWER = "viewer", "Viewer"


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    APPROVE = "approve", "Approve"


RANK = {Role.VIEWER: 0, Role.FRONT_DESK: 1, Role.APPROVER: 2, Role.MANAGER: 3}

# The least role an action needs.
ROLE_FOR = {
    Action.VIEW: Role.VIEWER,
    Action.BOOK: Role.FRONT_DESK,  # a booking taken on the phone
    Action.WRITE: Role.FRONT_DESK,
    Action.ASK_CHANGE: Role.FRONT_DESK,
    Action.FRONT_DESK: Role.FRONT_DESK,
    Action.APPROVE: Role.APPROVER,
    Action.MANAGE: Role.MANAGER,
}
# The scope an action needs; an action missing here is not for API keys.
SCOPE_FOR = {
    Action.VIEW: Scope.READ,
    Action.BOOK: Scope.WRITE,
    Action.WRITE: Scope.WRITE,
    Action.ASK_CHANGE: Scope.WRITE,
    Action.FRONT_DESK: Scope.WRITE,  # door-staff apps check guests in
    Action.APPROVE: Scope.APPROVE,
}
# What a customer may do; ASK_CHANGE and VIEW only with the booking's manage token.
CUSTOMER_ACTIONS = {Action.BOOK, Action.VIEW, Action.ASK_CHANGE}


def role_includes(held: str, needed: str) -> bool:
    """True when the role `held` is `needed` or one above it."""
    return RANK[held] >= RANK[needed]


def roles_that_may(action: Action) -> list[str]:
    """The staff roles allowed `action` (for a query over memberships)."""
    return [role for role in Role.values if role_includes(role, ROLE_FOR[action])]


def role_may(role: str | None, action: Action) -> bool:
    return role is not None and role_includes(role, ROLE_FOR[action])


def scopes_may(scopes, action: Action) -> bool:
    return action in SCOPE_FOR and SCOPE_FOR[action] in scopes


def may(actor: Actor, action: Action, organization, *, booking=None) -> bool:
    """May `actor` do `action` to `organization`'s objects (`booking`, when about one)?"""
    action = Action(action)
    if actor.kind == ActorKind.SYSTEM:
        return True
    if actor.kind == ActorKind.USER:
        user = actor.user
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        # The reverse relation of venues.Membership, read without importing it (core is
        # below venues).
        role = (
            user.memberships.filter(organization_id=organization.pk)
            .values_list("role", flat=True)
            .first()
        )
        return role_may(role, action)
    if actor.kind == ActorKind.API_KEY:
        key = actor.api_key
        return (
            key.organization_id == organization.pk
            and not key.revoked
            and not key.has_expired
            and scopes_may(key.scopes, action)
        )
    if actor.kind == ActorKind.CUSTOMER:
        if action == Action.BOOK:
            return True
        return (
            action in CUSTOMER_ACTIONS
            and booking is not None
            and booking.organization_id == organization.pk
            and booking.manage_token_matches(actor.manage_token)
        )
    return False


REFUSALS = {
    Action.VIEW: "You may not see this.",
    Action.BOOK: "You may not take bookings here.",
    Action.WRITE: "You may not change bookings here.",
    # The one a customer can read (on the change page, when their link was replaced).
    Action.ASK_CHANGE: gettext_lazy("This link does not belong to this booking."),
    Action.FRONT_DESK: "You may not check guests in here.",
    Action.APPROVE: "You may not approve, deny or cancel bookings here.",
    Action.MANAGE: "You may not manage the catalogue here.",
}


def require(actor: Actor, action: Action, organization, *, booking=None) -> None:
    """Raise PermissionDenied unless `may(...)`."""
    if not may(actor, action, organization, booking=booking):
        raise PermissionDenied(str(REFUSALS[Action(action)]))
