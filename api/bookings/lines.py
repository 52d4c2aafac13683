"""Event-ticket and inventory-product lines as resources of their own (the partner API's
"event bookings" and "inventory product bookings"): list, create, get, update."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.access import actor_of, organizations_of
from api.bookings import inputs
from api.bookings import serializers as s
from api.bookings.idempotency import idempotent
from api.bookings.views import CONFLICT, create_booking
from bookings import selectors, services
from bookings.filters import EventBookingFilter, InventoryBookingFilter
from core.permissions import Action


class LineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Lines of one kind; creating makes a booking with such lines only."""

    lookup_value_regex = "[0-9]+"
    rights = {"create": Action.WRITE, "update": Action.WRITE}
    lines_field: str  # the BookingCreateInput list this resource creates
    line_list = None  # the selector of these lines
    update_input: type
    save_line = None

    def organization_of(self, line):
        return line.booking.organization

    def get_queryset(self):
        return self.line_list(organizations=organizations_of(self.request))

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = s.BookingCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        others = {"spaces", "events", "inventory_products"} - {self.lines_field}
        if not data[self.lines_field] or any(data[name] for name in others):
            raise ValidationError({self.lines_field: [f"Give {self.lines_field}[] (only)."]})
        return create_booking(request, data)

    def update(self, request, *args, **kwargs):
        line = self.get_object()
        serializer = self.update_input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with inputs.errors_named_as_input():
            saved = self.save_line(
                actor=actor_of(request),
                booking=line.booking,
                line_id=line.pk,
                line=self.line_input(data, line.booking.organization),
                client_updated_at=data.get("client_booking_last_updated_at"),
            )
        return self.retrieve_line(saved.line.pk)

    def retrieve_line(self, pk):
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


@extend_schema(
    request=s.BookingCreateInput,
    responses={201: s.CreatedBookingSerializer, 409: CONFLICT},
    methods=["POST"],
)
@extend_schema(
    request=s.EventLineUpdateInput,
    responses={200: s.EventBookingResourceSerializer, 409: CONFLICT},
    methods=["PUT"],
)
class EventBookingViewSet(LineViewSet):
    """Event tickets of the caller's bookings (filters: event, customer, booking statuses)."""

    line_list = staticmethod(selectors.event_booking_list)
    serializer_class = s.EventBookingResourceSerializer
    filterset_class = EventBookingFilter
    lines_field = "events"
    update_input = s.EventLineUpdateInput
    save_line = staticmethod(services.event_line_save)

    def line_input(self, data, organization):
        return inputs.event_line(data, organization, "")


@extend_schema(
    request=s.BookingCreateInput,
    responses={201: s.CreatedBookingSerializer, 409: CONFLICT},
    methods=["POST"],
)
@extend_schema(
    request=s.ProductLineUpdateInput,
    responses={200: s.ProductBookingResourceSerializer, 409: CONFLICT},
    methods=["PUT"],
)
class InventoryBookingViewSet(LineViewSet):
    """Inventory products of the caller's bookings (search by customer or product name;
    filters: product, customer, booking statuses, start dates in the venue's day)."""

    line_list = staticmethod(selectors.inventory_booking_list)
    serializer_class = s.ProductBookingResourceSerializer
    filterset_class = InventoryBookingFilter
    lines_field = "inventory_products"
    update_input = s.ProductLineUpdateInput
    save_line = staticmethod(services.product_line_save)

    def line_input(self, data, organization):
        return inputs.product_line(data, organization, "")
