"""Catalogue and customer endpoints: venues, spaces and what is free, blockouts, events, …

Also products, prices, VAT rates, discounts, payment types, booking forms and customers.

Every read comes from a selector (venues/selectors.py, bookings/selectors.py) given the
caller's organisations, so another organisation's id is a 404. Views read the input, find
the related objects within that scope and put naive times in the venue's zone; the
services in venues/services.py and bookings/services check the rights and the rules and
save.
"""

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.access import actor_of, organizations_of
from api.bookings.inputs import errors_named_as_input
from api.bookings.serializers import ConflictErrorResponseSerializer
from api.catalogue import serializers as s
from bookings import selectors as booking_selectors
from bookings import services as booking_services
from bookings.filters import (
    BlockoutFilter,
    BookingFormFilter,
    CustomerFilter,
    DiscountFilter,
    EventFilter,
    InventoryProductFilter,
    PaymentTypeFilter,
    PriceFilter,
    SpaceFilter,
    VatRateFilter,
    VenueFilter,
)
from bookings.models import Customer
from bookings.services import catalogue as catalogue_services
from core.permissions import Action
from core.times import in_venue_time
from venues import selectors, services
from venues.models import Blockout, Event, Organization, OrganizationAPIKey, Venue

MANAGE_CATALOGUE = {
    "create": Action.MANAGE,
    "update": Action.MANAGE,
    "partial_update": Action.MANAGE,
    "destroy": Action.MANAGE,
}


IN_USE = OpenApiResponse(
    response=ConflictErrorResponseSerializer, description="Still in use; nothing was deleted."
)


# -- helpers --------------------------------------------------------------------------------


def organization_for_create(request, requested_id: int | None) -> Organization:
    """Which organisation a new venue or customer belongs to.

    An API key: its own. Staff of one organisation: that one. Staff of several (or a
    superuser): the `organization_id` they name, which must be one of theirs.
    """
    organizations = organizations_of(request)
    if isinstance(request.auth, OrganizationAPIKey) and requested_id is None:
        return request.auth.organization
    if requested_id is None:
        only = list(organizations[:2])
        if len(only) == 1:
            return only[0]
        raise exceptions.ValidationError(
            {"organization_id": ["You belong to several organisations: name one."]}
        )
    organization = organizations.filter(pk=requested_id).first()
    if organization is None:
        raise exceptions.ValidationError({"organization_id": ["Not one of your organisations."]})
    return organization


def keep_organization(instance: Model, data: dict) -> None:
    """Refuse an `organization_id` on update that differs from the object's own."""
    requested = data.pop("organization_id", None)
    if requested is not None and requested != instance.organization_id:
        raise exceptions.ValidationError(
            {"organization_id": ["This cannot move to another organisation."]}
        )


class CatalogueViewSet(viewsets.GenericViewSet):
    """Numeric ids; each viewset reads through its selector given the caller's organisations."""

    lookup_value_regex = "[0-9]+"

    def organizations(self) -> QuerySet[Organization]:
        return organizations_of(self.request)

    def check_permissions(self, request) -> None:
        # On a detail route the object's own organisation decides, once the scoped lookup
        # has found it (get_object() checks the object permission): another organisation's
        # id is a 404 even for a caller who lacks the right (a key asking to manage a venue).
        if self.detail and (request.auth is not None or request.user.is_authenticated):
            return
        super().check_permissions(request)

    def organization_of(self, obj) -> Organization:
        return obj.organization

    def _input(self, serializer_class, instance=None, *, partial: bool = False) -> dict:
        serializer = serializer_class(instance, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _answer(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)


# -- venues ---------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.VenueInput, responses={201: s.VenueSerializer}),
    update=extend_schema(request=s.VenueInput, responses=s.VenueSerializer),
    partial_update=extend_schema(request=s.VenueInput, responses=s.VenueSerializer),
    destroy=extend_schema(responses={204: None, 409: IN_USE}),
)
class VenueViewSet(CatalogueViewSet, viewsets.ModelViewSet):
    """Venues; managers create, change and delete them (API keys only read the catalogue)."""

    serializer_class = s.VenueSerializer
    filterset_class = VenueFilter
    rights = MANAGE_CATALOGUE

    def get_queryset(self):
        return selectors.venue_list(organizations=self.organizations())

    def create(self, request, *args, **kwargs):
        data = self._input(s.VenueInput)
        organization = organization_for_create(request, data.pop("organization_id", None))
        venue = services.venue_save(
            actor=actor_of(request), venue=Venue(organization=organization), changes=data
        )
        return self._answer(venue, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        venue = self.get_object()
        data = self._input(s.VenueInput, venue, partial=kwargs.get("partial", False))
        keep_organization(venue, data)
        services.venue_save(actor=actor_of(request), venue=venue, changes=data)
        return self._answer(venue)

    def destroy(self, request, *args, **kwargs):
        services.venue_delete(actor=actor_of(request), venue=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- spaces and blockouts -------------------------------------------------------------------


class SpaceViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """Spaces with their layouts, and what is free in one of them."""

    serializer_class = s.SpaceSerializer
    filterset_class = SpaceFilter

    def get_queryset(self):
        return selectors.space_list(organizations=self.organizations())

    def organization_of(self, obj) -> Organization:
        return obj.venue.organization

    @extend_schema(parameters=[s.SpaceAvailabilityQuery], responses=s.SpaceAvailabilitySerializer)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def availability(self, request, pk=None):
        """Free windows for a booking of `places` people between `from` and `to` (≤ 31 days).

        Opening hours, blockouts, setup/setdown and the bookings that hold the space are
        taken into account; the blockouts touching the range are listed too.
        """
        space = self.get_object()
        query = s.SpaceAvailabilityQuery(
            data=request.query_params, context={"tz": space.venue.tzinfo}
        )
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        free = booking_selectors.space_availability_get(
            space=space,
            start=asked["start"],
            end=asked["end"],
            places=asked["places"],
            granularity=asked["granularity"],
        )
        body = {
            "space_id": space.pk,
            "venue_id": space.venue_id,
            "timezone": space.venue.timezone,
            "capacity": space.capacity,
            "mode": space.mode,
            "from": free.start,
            "to": free.end,
            "places": free.places,
            "granularity": free.granularity,
            "windows": [{"starts_at": left, "ends_at": right} for left, right in free.windows],
            "blockouts": free.blockouts,
        }
        return Response(s.SpaceAvailabilitySerializer(body).data)


@extend_schema_view(
    create=extend_schema(request=s.BlockoutInput, responses={201: s.SavedBlockoutSerializer}),
    update=extend_schema(request=s.BlockoutInput, responses=s.SavedBlockoutSerializer),
    partial_update=extend_schema(request=s.BlockoutInput, responses=s.SavedBlockoutSerializer),
)
class BlockoutViewSet(CatalogueViewSet, viewsets.ModelViewSet):
    """Times a space cannot be booked; a `write` key or front-desk staff may set them."""

    serializer_class = s.BlockoutSerializer
    filterset_class = BlockoutFilter

    def get_queryset(self):
        return selectors.blockout_list(organizations=self.organizations())

    def organization_of(self, obj) -> Organization:
        return obj.space.venue.organization

    def _changes(self, data: dict, blockout: Blockout | None = None) -> dict:
        """The blockout's changes from validated input: space found, times in venue time."""
        space = blockout.space if blockout else None
        if "space_id" in data:
            space = selectors.space_get(
                organizations=self.organizations(), space_id=data.pop("space_id")
            )
            if space is None:
                raise exceptions.ValidationError({"space_id": ["No such space."]})
            data["space"] = space
        for name in ("starts_at", "ends_at"):
            value = data.get(name, getattr(blockout, name, None))
            data[name] = in_venue_time(value, space.venue.tzinfo, field=name)
        return data

    def _save(self, blockout: Blockout, data: dict, status_code: int) -> Response:
        with errors_named_as_input():
            saved = catalogue_services.blockout_save(
                actor=actor_of(self.request),
                blockout=blockout,
                changes=self._changes(data, blockout if blockout.pk else None),
            )
        body = {**s.BlockoutSerializer(saved.blockout).data, "warnings": saved.warnings}
        return Response(body, status=status_code)

    def create(self, request, *args, **kwargs):
        creator = request.user if request.user.is_authenticated else None
        return self._save(
            Blockout(created_by=creator), self._input(s.BlockoutInput), status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        blockout = self.get_object()
        data = self._input(s.BlockoutInput, partial=kwargs.get("partial", False))
        return self._save(blockout, data, status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        catalogue_services.blockout_delete(actor=actor_of(request), blockout=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- events ---------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.EventInput, responses={201: s.EventSerializer}),
    update=extend_schema(request=s.EventInput, responses=s.EventSerializer),
    partial_update=extend_schema(request=s.EventInput, responses=s.EventSerializer),
)
class EventViewSet(
    CatalogueViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Events with their prices; a `write` key or front-desk staff may create and change them.

    The organisation is the venue's. The status changes only through bookings (cancel).
    """

    serializer_class = s.EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return selectors.event_list(organizations=self.organizations())

    def _changes(self, data: dict, event: Event | None = None) -> dict:
        """The event's changes from validated input: venue and space found, venue times."""
        venue = event.venue if event else None
        if "venue_id" in data:
            venue = (
                selectors.venue_list(organizations=self.organizations())
                .filter(pk=data.pop("venue_id"))
                .first()
            )
            if venue is None:
                raise exceptions.ValidationError({"venue_id": ["No such venue."]})
            data["venue"] = venue
        if "space_id" in data:
            space_id = data.pop("space_id")
            data["space"] = None
            if space_id is not None:
                space = selectors.space_get(organizations=self.organizations(), space_id=space_id)
                if space is None or venue is None or space.venue_id != venue.pk:
                    raise exceptions.ValidationError(
                        {"space_id": ["No such space at the event's venue."]}
                    )
                data["space"] = space
        for name in ("starts_at", "ends_at"):
            value = data.get(name, getattr(event, name, None))
            data[name] = in_venue_time(value, venue.tzinfo, field=name)
        return data

    def _save(self, event: Event, data: dict) -> Event:
        with errors_named_as_input():
            return catalogue_services.event_save(
                actor=actor_of(self.request),
                event=event,
                changes=self._changes(data, event if event.pk else None),
            )

    def create(self, request, *args, **kwargs):
        event = self._save(Event(), self._input(s.EventInput))
        return self._answer(event, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        event = self.get_object()
        data = self._input(s.EventInput, partial=kwargs.get("partial", False))
        return self._answer(self._save(event, data))


# -- products, prices and the rest of the catalogue ----------------------------------------


class InventoryProductViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """Equipment and extras with their stock and prices, and how many units are free."""

    serializer_class = s.InventoryProductSerializer
    filterset_class = InventoryProductFilter

    def get_queryset(self):
        return selectors.product_list(organizations=self.organizations())

    @extend_schema(parameters=[s.RangeQuery], responses=s.ProductAvailabilitySerializer)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def availability(self, request, pk=None):
        """Units in stock, the peak held at one moment of `from`–`to`, and so the units free.

        Naive times and dates are read in the product's venue's zone; a product of the
        whole organisation has no venue, so give its times with an offset.
        """
        product = self.get_object()
        tz = product.venue.tzinfo if product.venue else None
        query = s.RangeQuery(data=request.query_params, context={"tz": tz})
        query.is_valid(raise_exception=True)
        free = booking_selectors.product_availability_get(
            product=product, start=query.validated_data["start"], end=query.validated_data["end"]
        )
        body = {
            "inventory_product_id": product.pk,
            "from": free.start,
            "to": free.end,
            "units_total": product.units_total,
            "units_held": free.units_held,
            "units_free": free.units_free,
            "peak_at": free.peak_at,
        }
        return Response(s.ProductAvailabilitySerializer(body).data)


class PriceViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """Named prices of events and products."""

    serializer_class = s.PriceSerializer
    filterset_class = PriceFilter

    def get_queryset(self):
        return selectors.price_list(organizations=self.organizations())


class VatRateViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """VAT rates of the caller's organisations."""

    serializer_class = s.VatRateSerializer
    filterset_class = VatRateFilter

    def get_queryset(self):
        return selectors.vat_rate_list(organizations=self.organizations())


class DiscountViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """Discounts (percent or fixed amount, with validity dates and an optional public code)."""

    serializer_class = s.DiscountSerializer
    filterset_class = DiscountFilter

    def get_queryset(self):
        return selectors.discount_list(organizations=self.organizations())


class PaymentTypeViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """Payment types (cash, card, invoice…) of the caller's organisations."""

    serializer_class = s.PaymentTypeSerializer
    filterset_class = PaymentTypeFilter

    def get_queryset(self):
        return selectors.payment_type_list(organizations=self.organizations())


class BookingFormViewSet(CatalogueViewSet, viewsets.ReadOnlyModelViewSet):
    """Public booking forms with their custom fields and the spaces and products offered."""

    serializer_class = s.BookingFormSerializer
    filterset_class = BookingFormFilter

    def get_queryset(self):
        return selectors.booking_form_list(organizations=self.organizations())


# -- customers ------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=s.CustomerDetailsInput, responses={201: s.CustomerSerializer}),
    update=extend_schema(request=s.CustomerDetailsInput, responses=s.CustomerSerializer),
    partial_update=extend_schema(request=s.CustomerDetailsInput, responses=s.CustomerSerializer),
    destroy=extend_schema(responses={204: None, 409: IN_USE}),
)
class CustomerViewSet(CatalogueViewSet, viewsets.ModelViewSet):
    """Customers of the caller's organisation; one with bookings is never deleted."""

    serializer_class = s.CustomerSerializer
    filterset_class = CustomerFilter

    def get_queryset(self):
        return booking_selectors.customer_list(organizations=self.organizations())

    def create(self, request, *args, **kwargs):
        data = self._input(s.CustomerDetailsInput)
        organization = organization_for_create(request, data.pop("organization_id", None))
        customer = booking_services.customer_save(
            actor=actor_of(request), customer=Customer(organization=organization), changes=data
        )
        return self._answer(customer, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        data = self._input(s.CustomerDetailsInput, customer, partial=kwargs.get("partial", False))
        keep_organization(customer, data)
        booking_services.customer_save(actor=actor_of(request), customer=customer, changes=data)
        return self._answer(customer)

    def destroy(self, request, *args, **kwargs):
        booking_services.customer_delete(actor=actor_of(request), customer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
