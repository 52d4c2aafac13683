"""Who is acting: a staff user, an API key, a customer (with a manage token) or the system.

What each may do is the permission policy's answer (core.permissions).
"""

from dataclasses import dataclass
from typing import Any

from django.db import models


class ActorKind(models.TextChoices):
    USER = "user", "Staff user"
    API_KEY = "api_key", "API key"
    CUSTOMER = "customer", "Customer"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class Actor:
    """The one who asks a service for a change; recorded in the log."""

    kind: str
    user: Any = None  # the staff user (auth.User)
    api_key: Any = None  # the organisation's API key (venues.OrganizationAPIKey)
    manage_token: str = ""

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(kind=ActorKind.USER, user=user)

    @classmethod
    def api(cls, api_key) -> "Actor":
        return cls(kind=ActorKind.API_KEY, api_key=api_key)

    @classmethod
    def customer(cls, manage_token: str = "") -> "Actor":
        """A customer: anonymous on the public form, or holding a booking's manage token."""
        return cls(kind=ActorKind.CUSTOMER, manage_token=manage_token)

    @classmethod
    def system(cls) -> "Actor":
        return cls(kind=ActorKind.SYSTEM)

    @property
    def is_customer(self) -> bool:
        return self.kind == ActorKind.CUSTOMER

    def log_fields(self) -> dict:
        return {"actor_kind": self.kind, "user": self.user, "api_key": self.api_key}
