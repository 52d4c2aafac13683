"""Who is acting (staff, API key, customer with a manage token, system) and what they may do."""

from dataclasses import dataclass

from bookings.errors import PermissionDenied
from bookings.models import ActorKind, Booking
from venues.models import Membership, Organization, OrganizationAPIKey

# What an action needs. Staff roles include the ones below them
# (manager > approver > front_desk > viewer); API keys carry scopes.
VIEW, WRITE, FRONT_DESK, APPROVE, MANAGE = "view", "write", "front_desk", "approve", "manage"

ROLE_FOR = {
    VIEW: Membership.Role.VIEWER,
    WRITE: Membership.Role.FRONT_DESK,  # take a booking on the phone, record a payment
    FRONT_DESK: Membership.Role.FRONT_DESK,
    APPROVE: Membership.Role.APPROVER,
    MANAGE: Membership.Role.MANAGER,
}
SCOPE_FOR = {
    VIEW: OrganizationAPIKey.Scope.READ,
    WRITE: OrganizationAPIKey.Scope.WRITE,
    FRONT_DESK: OrganizationAPIKey.Scope.WRITE,  # door-staff apps check guests in
    APPROVE: OrganizationAPIKey.Scope.APPROVE,
}


@dataclass(frozen=True)
class Actor:
    """The one who asks a service for a change; recorded in the log."""

    kind: str
    user: object = None
    api_key: OrganizationAPIKey | None = None
    manage_token: str = ""

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(kind=ActorKind.USER, user=user)

    @classmethod
    def api(cls, api_key: OrganizationAPIKey) -> "Actor":
        return cls(kind=ActorKind.API_KEY, api_key=api_key)

    @classmethod
    def customer(cls, manage_token: str = "") -> "Actor":
        """A customer: anonymous on the public form, or holding a booking's manage token."""
        return cls(kind=ActorKind.CUSTOMER, manage_token=manage_token)

    @classmethod
    def system(cls) -> "Actor":
        return cls(kind=ActorKind.SYSTEM)

    @property
    def is_staff_side(self) -> bool:
        return self.kind in (ActorKind.USER, ActorKind.API_KEY, ActorKind.SYSTEM)

    def log_fields(self) -> dict:
        return {"actor_kind": self.kind, "user": self.user, "api_key": self.api_key}

    def may(self, action: str, organization: Organization) -> bool:
        if self.kind == ActorKind.SYSTEM:
            return True
        if self.kind == ActorKind.USER:
            user = self.user
            if not user.is_active:
                return False
            if user.is_superuser:
                return True
            membership = Membership.objects.filter(user=user, organization=organization).first()
            return membership is not None and membership.has_role(ROLE_FOR[action])
        if self.kind == ActorKind.API_KEY:
            key = self.api_key
            return (
                key.organization_id == organization.pk
                and not key.revoked
                and not key.has_expired
                and action in SCOPE_FOR
                and key.has_scope(SCOPE_FOR[action])
            )
        return False

    def require(self, action: str, organization: Organization) -> None:
        if not self.may(action, organization):
            raise PermissionDenied(f"You may not {action.replace('_', ' ')} here.")

    def holds_token_of(self, booking: Booking) -> bool:
        return self.kind == ActorKind.CUSTOMER and booking.manage_token_matches(self.manage_token)
