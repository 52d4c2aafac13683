"""Webhooks through the API: the payload renderer lent to bookings.webhooks, and
`/api/v1/webhooks/` for managers.

Endpoints are managed by staff sessions of managers only (Action.MANAGE), never by API
keys: the permission policy gives keys no manage right, and a key that could add an
endpoint could send every booking of the organisation, with the customers' personal data,
to any address. The secret is answered once, by create and by rotate-secret.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.access import actor_of
from api.bookings.serializers import BookingSerializer, ChangeRequestSerializer, PaymentSerializer
from api.catalogue.views import CatalogueViewSet, keep_organization, organization_for_create
from bookings import selectors
from bookings import services as booking_services
from bookings.models import WEBHOOK_EVENTS, Booking, ChangeRequest, Payment, WebhookEndpoint
from core.api.serializers import IdField, StrictSerializer
from core.permissions import Action, may
from venues.models import Organization

# -- the payload (bookings.webhooks calls this inside the change's transaction) ----------------


def render_payload(
    *, booking: Booking, change_request_id: int | None, payment_id: int | None
) -> dict:
    """The event's `data`: the booking as GET /api/v1/bookings lists it (as it is now,
    inside the change's transaction), with the change request or the payment it is about."""
    organizations = Organization.objects.filter(pk=booking.organization_id)
    data = {
        "booking": BookingSerializer(
            selectors.booking_list(organizations=organizations).get(pk=booking.pk)
        ).data
    }
    if change_request_id is not None:
        change_request = ChangeRequest.objects.select_related("booking").get(pk=change_request_id)
        data["change_request"] = ChangeRequestSerializer(change_request).data
    if payment_id is not None:
        data["payment"] = PaymentSerializer(Payment.objects.get(pk=payment_id)).data
    return data


# -- /api/v1/webhooks/ ----------------------------------------------------------------------------


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS),
        help_text="The events sent to this endpoint; empty: every event.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organization_id",
            "url",
            "description",
            "event_types",
            "is_active",
            "created_at",
            "updated_at",
        ]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="Signs every delivery (Venuedesk-Signature). Shown only in this answer: "
        "copy it into your receiver now."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInput(StrictSerializer):
    organization_id = IdField(
        required=False, help_text="Needed on create only by staff of several organisations."
    )
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS),
        required=False,
        help_text="The events to send; empty or left out: every event.",
    )
    is_active = serializers.BooleanField(required=False)


MANAGE_ONLY = {
    name: Action.MANAGE
    for name in (
        "list",
        "retrieve",
        "create",
        "update",
        "partial_update",
        "destroy",
        "rotate_secret",
    )
}


@extend_schema_view(
    create=extend_schema(
        request=WebhookEndpointInput, responses={201: WebhookEndpointWithSecretSerializer}
    ),
    update=extend_schema(request=WebhookEndpointInput, responses=WebhookEndpointSerializer),
    partial_update=extend_schema(request=WebhookEndpointInput, responses=WebhookEndpointSerializer),
    destroy=extend_schema(responses={204: OpenApiResponse(description="Deleted.")}),
)
class WebhookEndpointViewSet(CatalogueViewSet, viewsets.ModelViewSet):
    """Webhook endpoints of the caller's organisations (managers' staff sessions only)."""

    serializer_class = WebhookEndpointSerializer
    rights = MANAGE_ONLY
    filterset_class = None

    def get_queryset(self):
        actor = actor_of(self.request)
        managed = [org.pk for org in self.organizations() if may(actor, Action.MANAGE, org)]
        return WebhookEndpoint.objects.filter(organization_id__in=managed).select_related(
            "organization"
        )

    def _with_secret(self, created, status_code: int = status.HTTP_200_OK) -> Response:
        body = WebhookEndpointWithSecretSerializer(
            {**WebhookEndpointSerializer(created.endpoint).data, "secret": created.secret}
        ).data
        return Response(body, status=status_code)

    def create(self, request, *args, **kwargs):
        data = self._input(WebhookEndpointInput)
        organization = organization_for_create(request, data.pop("organization_id", None))
        created = booking_services.webhook_endpoint_create(
            actor=actor_of(request),
            endpoint=WebhookEndpoint(organization=organization),
            changes=data,
        )
        return self._with_secret(created, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        data = self._input(WebhookEndpointInput, partial=kwargs.get("partial", False))
        keep_organization(endpoint, data)
        booking_services.webhook_endpoint_update(
            actor=actor_of(request), endpoint=endpoint, changes=data
        )
        return self._answer(endpoint)

    def destroy(self, request, *args, **kwargs):
        booking_services.webhook_endpoint_delete(
            actor=actor_of(request), endpoint=self.get_object()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=WebhookEndpointWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Give the endpoint a new secret, answered only now; the old one signs nothing more."""
        rotated = booking_services.webhook_endpoint_rotate_secret(
            actor=actor_of(request), endpoint=self.get_object()
        )
        return self._with_secret(rotated)
