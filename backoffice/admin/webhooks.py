"""Admin of outbound webhooks: an organisation's endpoints, and what was sent to them.

Endpoints are for managers only (Action.MANAGE), like API keys: one receives every booking
of the organisation. They are saved, deleted and given a new secret through
bookings.services; the secret is shown once, in the message after creating or rotating.
Deliveries are read-only: their status, attempts and last error, times in the venue's zone;
a manager sends a pending or failed one again with "Retry now" (webhook_delivery_retry).
"""

import json
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin.bookings import BODY_HTML, ReadOnlyAdmin
from backoffice.admin.catalogue import ScopedAdmin, related_only
from backoffice.admin.local_times import local_day_filter, local_time
from backoffice.admin.through_services import ServiceForm, ThroughServices
from bookings import services
from bookings.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint
from bookings.services.webhooks import WEBHOOK_ENDPOINT_FIELDS
from core.errors import BookingError
from core.permissions import Action


class WebhookEndpointForm(ServiceForm):
    url = forms.URLField(
        max_length=500, assume_scheme="https", help_text="http(s) address that receives the POSTs."
    )
    event_types = forms.MultipleChoiceField(
        choices=[(name, name) for name in WEBHOOK_EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every event.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("organization", *WEBHOOK_ENDPOINT_FIELDS)


def secret_message(endpoint: WebhookEndpoint, secret: str, *, new: bool) -> str:
    made = "created" if new else "given a new secret"
    return (
        f"Webhook endpoint {endpoint.url} {made}. Copy its signing secret now into the "
        f"receiver: it is shown only this once: {secret}"
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    form = WebhookEndpointForm
    creation_fields = ("organization",)
    service_fields = WEBHOOK_ENDPOINT_FIELDS
    readonly_fields = ("created_at", "updated_at")
    list_display = ("url", "organization", "events", "is_active", "created_at")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("url", "description", "organization__name")
    actions = ("rotate_secret",)

    # Only managers see endpoints: where the organisation's bookings are sent.
    def has_module_permission(self, request) -> bool:
        return self.may(request, Action.MANAGE)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.may(request, Action.MANAGE, obj)

    @admin.display(description="Events")
    def events(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.event_types) or "every event"

    def save_through_service(self, request, endpoint, changes):
        if endpoint.pk is not None:
            return services.webhook_endpoint_update(
                actor=self.actor(request), endpoint=endpoint, changes=changes
            )
        created = services.webhook_endpoint_create(
            actor=self.actor(request), endpoint=endpoint, changes=changes
        )
        self.message_user(
            request, secret_message(endpoint, created.secret, new=True), messages.WARNING
        )
        return created.endpoint

    def delete_through_service(self, request, endpoint):
        services.webhook_endpoint_delete(actor=self.actor(request), endpoint=endpoint)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the endpoint's page, where the message with the secret is read once.
        meta = self.opts
        return HttpResponseRedirect(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        )

    @admin.action(description="Give selected endpoints a new secret", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset.select_related("organization"):
            try:
                rotated = services.webhook_endpoint_rotate_secret(
                    actor=self.actor(request), endpoint=endpoint
                )
            except BookingError as error:
                self.message_user(request, f"{endpoint}: {error}", messages.ERROR)
                continue
            self.message_user(
                request, secret_message(endpoint, rotated.secret, new=False), messages.WARNING
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """What was sent where, and how it went; failed ones wait here for a manager's retry."""

    organization_path = "endpoint__organization"
    venue_path = "booking__venue"
    # Fits 1366 px: what went where in one column, how it went in another.
    list_display = ("created_at", "what_and_where", "booking", "outcome", "next_try")
    list_filter = (
        "status",
        "event",
        local_day_filter("created_at", "booking__venue", "written (the venue's day)"),
        related_only("endpoint"),
    )
    list_select_related = ("endpoint", "booking__venue")
    search_fields = ("booking__reference", "endpoint__url", "last_error")
    fields = (
        "endpoint",
        "event",
        "booking",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload_json",
    )
    readonly_fields = ("payload_json",)
    actions = ("retry_now",)

    @admin.display(description="Event and endpoint", ordering="event")
    def what_and_where(self, delivery: WebhookDelivery) -> str:
        return format_html(
            '{}<br><span class="quiet url">{}</span>', delivery.event, delivery.endpoint.url
        )

    @admin.display(description="Outcome", ordering="status")
    def outcome(self, delivery: WebhookDelivery) -> str:
        if not delivery.attempts:
            tried = "not tried yet"
        else:
            answer = delivery.last_status_code or "no answer"
            tried = f"{delivery.attempts} attempt(s), last: {answer}"
        return format_html(
            '{}<br><span class="quiet">{}</span>', delivery.get_status_display(), tried
        )

    @admin.display(description="Next attempt (venue time)", ordering="next_attempt_at")
    def next_try(self, delivery: WebhookDelivery) -> str:
        if delivery.status != WebhookDelivery.Status.PENDING:
            return "–"
        venue = delivery.booking.venue if delivery.booking else None
        zone = venue.tzinfo if venue else ZoneInfo("UTC")
        return local_time(delivery.next_attempt_at, zone, two_lines=True)

    @admin.display(description="Payload")
    def payload_json(self, delivery: WebhookDelivery) -> str:
        return format_html(BODY_HTML, json.dumps(delivery.payload, indent=2, ensure_ascii=False))

    def has_retry_permission(self, request) -> bool:
        return self.may(request, Action.MANAGE)

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        outcomes = {True: 0, False: 0, None: 0}
        for delivery in queryset.select_related("endpoint__organization"):
            try:
                outcome = services.webhook_delivery_retry(
                    actor=self.actor(request), delivery=delivery
                )
            except (BookingError, ValidationError) as error:
                self.message_user(request, f"{delivery}: {error}", messages.ERROR)
                continue
            outcomes[outcome] += 1
        self.message_user(
            request,
            f"Sent {outcomes[True]}; failed again {outcomes[False]} (see their last error); "
            f"already sent {outcomes[None]}.",
            messages.INFO,
        )

    @staticmethod
    def actor(request):
        return ThroughServices.actor(request)
