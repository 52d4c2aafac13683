"""Managing an organisation's webhook endpoints, and sending a delivery again.

Managers only (Action.MANAGE): an endpoint receives every booking of its organisation,
with the customers' personal data, so it is configured like an API key. Its secret is
made here, answered once (to be copied into the receiver) and kept sealed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bookings import webhooks
from bookings.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint
from core.actors import Actor
from core.permissions import Action, require
from venues.services import apply_changes

WEBHOOK_ENDPOINT_FIELDS = ("url", "description", "event_types", "is_active")


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint just made (or given a new secret), with the secret shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def _checked(endpoint: WebhookEndpoint) -> None:
    """The model's checks, known events (each once, in the documented order), and an
    address a webhook may go to (resolved now; checked again at every delivery)."""
    if not isinstance(endpoint.event_types, list) or not all(
        isinstance(name, str) for name in endpoint.event_types
    ):
        raise ValidationError({"event_types": "Give a list of event names."})
    unknown = sorted(set(endpoint.event_types) - set(WEBHOOK_EVENTS))
    if unknown:
        known = ", ".join(WEBHOOK_EVENTS)
        raise ValidationError(
            {"event_types": f"Unknown events: {', '.join(unknown)}. Use {known}."}
        )
    endpoint.event_types = [name for name in WEBHOOK_EVENTS if name in endpoint.event_types]
    endpoint.full_clean(exclude=["sealed_secret"])
    webhooks.check_url(endpoint.url)


@transaction.atomic
def webhook_endpoint_create(
    *, actor: Actor, endpoint: WebhookEndpoint, changes: Mapping[str, Any]
) -> EndpointWithSecret:
    """Make an endpoint of the unsaved `endpoint`'s organisation with `changes` (url,
    description, event_types: empty means every event, is_active). Rules: a manager of the
    organisation; an http(s) URL on a public address (see bookings.webhooks.resolve).
    Answers the new secret, which is shown only now."""
    require(actor, Action.MANAGE, endpoint.organization)
    apply_changes(endpoint, changes, WEBHOOK_ENDPOINT_FIELDS)
    _checked(endpoint)
    secret = webhooks.new_secret()
    endpoint.sealed_secret = webhooks.seal_secret(secret)
    endpoint.save()
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_update(
    *, actor: Actor, endpoint: WebhookEndpoint, changes: Mapping[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint (same rules as creating it); its secret stays. Deactivating it
    stops new deliveries and the pending ones (they fail at their next attempt)."""
    require(actor, Action.MANAGE, endpoint.organization)
    apply_changes(endpoint, changes, WEBHOOK_ENDPOINT_FIELDS)
    _checked(endpoint)
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, actor: Actor, endpoint: WebhookEndpoint
) -> EndpointWithSecret:
    """Give the endpoint a new secret (the old one signs nothing from now on); answers it."""
    require(actor, Action.MANAGE, endpoint.organization)
    secret = webhooks.new_secret()
    endpoint.sealed_secret = webhooks.seal_secret(secret)
    endpoint.save(update_fields=["sealed_secret", "updated_at"])
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries (deactivate it to keep their record)."""
    require(actor, Action.MANAGE, endpoint.organization)
    endpoint.delete()


def webhook_delivery_retry(*, actor: Actor, delivery: WebhookDelivery) -> bool | None:
    """Send a pending or failed delivery now, whatever its back-off says (a failed one
    starts a fresh count of attempts). Answers as bookings.webhooks.deliver_webhook: True
    sent, False failed again, None when it was sent already. (A retry that races the
    worker sending the same row may send it twice: receivers tell by Venuedesk-Delivery.)"""
    require(actor, Action.MANAGE, delivery.endpoint.organization)
    now = timezone.now()
    Status = WebhookDelivery.Status
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now
        )
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=Status.PENDING, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
    return webhooks.deliver_webhook(delivery.pk, due_by=now)
