"""Who calls the API (an organisation's API key or a staff session) and what they may do.

Authentication turns the `X-Api-Key` header into the key (only its hash is stored);
`actor_of()` gives the services the same Actor whichever way the caller came in, and
`organizations_of()` the organisations that Actor may see (venues.selectors). Every view
reads through the selectors with those organisations: an object of another organisation
is a 404, never a 403 that would confirm it exists.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core.actors import Actor, ActorKind
from core.permissions import Action, may, roles_that_may
from venues.models import Membership, Organization, OrganizationAPIKey
from venues.selectors import organization_list
from venues.services import api_key_used

API_KEY_HEADER = "HTTP_X_API_KEY"


class APIKeyAuthentication(authentication.BaseAuthentication):
    """`X-Api-Key: <prefix>.<secret>`: a valid, unrevoked, unexpired key of an organisation."""

    def authenticate(self, request):
        key = request.META.get(API_KEY_HEADER, "").strip()
        if not key:
            return None
        # As OrganizationAPIKey.objects.get_from_key(), with the key's organisation joined:
        # the permission check and every scoped read need it, and it costs no more queries.
        prefix = key.partition(".")[0]
        keys = OrganizationAPIKey.objects.get_usable_keys().select_related("organization")
        try:
            api_key = keys.get(prefix=prefix)
        except OrganizationAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Unknown API key.") from None
        if not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if api_key.revoked or api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key is revoked or expired.")
        api_key_used(api_key)
        return AnonymousUser(), api_key

    def authenticate_header(self, request) -> str:
        return 'ApiKey header="X-Api-Key"'


class APIKeyScheme(OpenApiAuthenticationExtension):
    """Declares the API key in the OpenAPI schema."""

    target_class = APIKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "An API key of your organisation (scopes: read, write, approve).",
        }


def actor_of(request) -> Actor:
    """The caller as an Actor: the API key, the staff user of the session, or a customer."""
    if isinstance(request.auth, OrganizationAPIKey):
        return Actor.api(request.auth)
    if request.user.is_authenticated:
        return Actor.staff(request.user)
    return Actor.customer()


def organizations_of(request) -> QuerySet[Organization]:
    """The organisations whose data the caller may see."""
    return organization_list(actor=actor_of(request))


class HasRight(permissions.BasePermission):
    """The caller holds the right the action needs (view for reads, write for changes).

    A view names other rights per action in `rights = {"approve": APPROVE, ...}`. The
    check runs against the object's organisation when there is one, else against
    any of the caller's organisations.
    """

    message = "Your role or API key scope does not allow this."

    def _right(self, request, view) -> str:
        action = getattr(view, "action", None)
        rights = getattr(view, "rights", {})
        if action in rights:
            return rights[action]
        return Action.VIEW if request.method in permissions.SAFE_METHODS else Action.WRITE

    def has_permission(self, request, view) -> bool:
        if getattr(view, "public", False):
            return True
        if request.auth is None and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Send an API key in the X-Api-Key header.")
        actor = actor_of(request)
        right = self._right(request, view)
        if actor.kind == ActorKind.API_KEY:
            # The key's one organisation, joined when the key was read: no query.
            return may(actor, right, actor.api_key.organization)
        organizations = organizations_of(request)
        if actor.kind == ActorKind.USER and not actor.user.is_superuser:
            # May `right` in one of them: the policy's roles for it (core.permissions.
            # roles_that_may) over the user's memberships, in one query.
            held = Membership.objects.filter(user=actor.user, role__in=roles_that_may(right))
            return organizations.filter(pk__in=held.values("organization_id")).exists()
        return any(may(actor, right, organization) for organization in organizations[:1])

    def has_object_permission(self, request, view, obj) -> bool:
        if getattr(view, "public", False):
            return True
        organization = getattr(view, "organization_of", lambda obj: obj.organization)(obj)
        return may(actor_of(request), self._right(request, view), organization)
