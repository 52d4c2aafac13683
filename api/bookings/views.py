"""Booking endpoints: thin views that validate input, call one service and present the result."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from api.access import actor_of, organizations_of
from api.bookings import inputs
from api.bookings import serializers as s
from api.bookings.idempotency import idempotent
from bookings import selectors, services
from bookings.calendars import booking_ics
from bookings.filters import BookingFilter, ChangeRequestFilter
from bookings.models import Booking, BookingSource
from core.api.renderers import CalendarRenderer
from core.permissions import Action
from venues.models import Organization, OrganizationAPIKey
from venues.selectors import payment_type_list, venue_list

CONFLICT = s.ConflictErrorResponseSerializer


def organization_for_new_booking(request, data: dict) -> Organization:
    """Where a new booking goes: the API key's organisation, or the staff member's (the
    venue's, when they belong to several)."""
    if isinstance(request.auth, OrganizationAPIKey):
        return request.auth.organization
    organizations = organizations_of(request)
    venue_id = data.get("venue_id")
    venues = venue_list(organizations=organizations)
    if venue_id is None and data.get("spaces"):
        first = venues.filter(spaces=data["spaces"][0]["space_id"]).first()
        venue_id = first.pk if first else None
    if venue_id is not None:
        venue = venues.filter(pk=venue_id).first()
        if venue is None:
            raise ValidationError({"venue_id": ["No such venue."]})
        return venue.organization
    if organizations.count() != 1:
        raise ValidationError({"venue_id": ["Say which venue the booking is for."]})
    return organizations.get()


def create_booking(request, data: dict) -> Response:
    """Create through services.booking_create and answer the booking (201) with its token."""
    source = BookingSource.API if isinstance(request.auth, OrganizationAPIKey) else "staff"
    with inputs.errors_named_as_input():
        created = services.booking_create(
            actor=actor_of(request),
            source=source,
            **inputs.booking_arguments(data, organization_for_new_booking(request, data)),
        )
    body = s.BookingDetailSerializer(selectors.created_booking_detail(created)).data
    body["manage_token"] = created.manage_token
    return Response(body, status=201)


class BookingViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Bookings of the caller's organisation, with their lines, payments, totals and log."""

    filterset_class = BookingFilter
    serializer_class = s.BookingSerializer
    lookup_value_regex = "[0-9]+"
    rights = {
        "approve": Action.APPROVE,
        "deny": Action.APPROVE,
        "decline": Action.APPROVE,
        "cancel": Action.APPROVE,
        "destroy": Action.APPROVE,
        "create": Action.WRITE,
        "create_spaces": Action.WRITE,
        "sessions": Action.WRITE,
        "remove_session": Action.WRITE,
    }

    # Actions that hand the booking to a service, which reads it again under its lock:
    # the view reads only the booking itself (its tenancy and the right to act).
    CHANGING = frozenset(
        {"approve", "deny", "decline", "cancel", "destroy", "status", "partial_update"}
        | {"sessions", "remove_session"}
    )

    def get_queryset(self):
        organizations = organizations_of(self.request)
        if self.action == "list":
            return selectors.booking_list(organizations=organizations)
        if self.action in {"payments", "log"} | self.CHANGING:
            # Only the booking itself: its payments or log come from their own selector.
            return selectors.booking_summary_list(organizations=organizations)
        if self.action == "ics":
            return selectors.booking_summary_list(organizations=organizations).prefetch_related(
                "space_bookings__space"
            )
        return selectors.booking_detail_list(organizations=organizations)

    def get_serializer_class(self):
        return s.BookingSerializer if self.action == "list" else s.BookingDetailSerializer

    def _answer(self, booking: Booking, status_code: int = 200) -> Response:
        """The booking as a service left it, with what the detail shows read onto it."""
        return Response(
            s.BookingDetailSerializer(selectors.booking_detail_of(booking)).data,
            status=status_code,
        )

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer

    @extend_schema(
        request=s.BookingCreateInput,
        responses={201: s.CreatedBookingSerializer, 409: CONFLICT},
    )
    @idempotent
    def create(self, request):
        """Create a booking with any mix of space, event and product lines."""
        return create_booking(self.request, dict(self._input(s.BookingCreateInput).validated_data))

    @extend_schema(
        request=s.BookingCreateInput,
        responses={201: s.CreatedBookingSerializer, 409: CONFLICT},
    )
    @action(detail=False, methods=["post"], url_path="spaces")
    @idempotent
    def create_spaces(self, request):
        """Create a booking of spaces only (`spaces[]`: space_id, places_used, times, price)."""
        data = dict(self._input(s.BookingCreateInput).validated_data)
        if data["events"] or data["inventory_products"] or not data["spaces"]:
            raise ValidationError({"spaces": ["Give spaces[] (and no other lines) here."]})
        return create_booking(self.request, data)

    @extend_schema(
        request=s.SpaceLineInput,
        responses={200: s.SessionResultSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def sessions(self, request, pk=None):
        """Add a space line ("booking session"), or update line `id`; answers its id and
        warnings (competing requests, overridden opening hours)."""
        booking = self.get_object()
        data = self._input(s.SpaceLineInput).validated_data
        with inputs.errors_named_as_input():
            saved = services.space_line_save(
                actor=actor_of(request),
                booking=booking,
                line_id=data.get("id"),
                line=inputs.space_line(data, booking.organization, ""),
            )
        return Response({"success": True, "id": saved.line.pk, "warnings": saved.warnings})

    @extend_schema(request=None, responses={200: s.SuccessSerializer, 409: CONFLICT})
    @action(detail=True, methods=["delete"], url_path=r"sessions/(?P<line_id>[0-9]+)")
    def remove_session(self, request, pk=None, line_id=None):
        """Remove a space line (a booking keeps at least one line)."""
        booking = self.get_object()
        services.line_remove(
            actor=actor_of(request), booking=booking, kind="space", line_id=int(line_id)
        )
        return Response({"success": True})

    @extend_schema(methods=["get"], request=None, responses=s.PaymentSerializer(many=True))
    @extend_schema(methods=["post"], request=s.PaymentInput, responses={201: s.PaymentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    @idempotent
    def payments(self, request, pk=None):
        """The booking's payments; POST records a payment (or, negative, a refund)."""
        booking = self.get_object()
        if request.method == "GET":
            payments = selectors.payment_list(
                organizations=organizations_of(request), booking=booking
            )
            return Response(s.PaymentSerializer(payments, many=True).data)
        data = self._input(s.PaymentInput).validated_data
        payment = services.payment_record(
            actor=actor_of(request),
            booking=booking,
            amount=data["amount"],
            payment_type=inputs.pick(
                payment_type_list(organizations=organizations_of(request)).filter(
                    organization=booking.organization
                ),
                data.get("payment_type_id"),
                "payment_type_id",
            ),
            reference=data.get("reference", ""),
            paid_at=data.get("paid_at"),
            note=data.get("note", ""),
        )
        return Response(s.PaymentSerializer(payment).data, status=201)

    @extend_schema(responses=s.StatusSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def statuses(self, request):
        """Every status with its label, description, colour and allowed next statuses."""
        return Response(s.StatusSerializer(s.status_table(), many=True).data)

    @extend_schema(request=s.StatusInput, responses={200: s.SuccessSerializer, 409: CONFLICT})
    @action(detail=True, methods=["put"])
    def status(self, request, pk=None):
        """Move to a status by name; aliases such as "accepted" or "sitting" are accepted."""
        booking = self.get_object()
        data = self._input(s.StatusInput).validated_data
        services.booking_set_status(
            actor=actor_of(request),
            booking=booking,
            status=data["status"],
            client_updated_at=data.get("client_booking_last_updated_at"),
            comment=data.get("comment", ""),
        )
        return Response({"success": True})

    @extend_schema(
        request=s.ApproveInput, responses={200: s.BookingDetailSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: capacity is checked, the Event created, the customer told."""
        booking = self.get_object()
        data = self._input(s.ApproveInput)
        booking = services.booking_approve(
            actor=actor_of(request),
            booking=booking,
            event_fields=data.validated_data.get("event") or {},
            **data.service_kwargs(),
        )
        return self._answer(booking)

    @extend_schema(request=s.NotifyInput, responses={200: s.BookingDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        """Deny a pending booking; the comment is logged, the message sent."""
        booking = self.get_object()
        booking = services.booking_deny(
            actor=actor_of(request), booking=booking, **self._input(s.NotifyInput).service_kwargs()
        )
        return self._answer(booking)

    @extend_schema(request=s.NotifyInput, responses={200: s.BookingDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["put"])
    def decline(self, request, pk=None):
        """Decline a pending booking (the same as deny), answering the booking with its log."""
        return self.deny(request, pk)

    @extend_schema(request=s.CancelInput, responses={200: s.BookingDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel; `event_procedure` marks the Event canceled or deletes it."""
        booking = self.get_object()
        data = self._input(s.CancelInput)
        booking = services.booking_cancel(
            actor=actor_of(request),
            booking=booking,
            event_procedure=data.validated_data["event_procedure"],
            **data.service_kwargs(),
        )
        return self._answer(booking)

    @extend_schema(request=None, responses={200: s.BookingDetailSerializer, 409: CONFLICT})
    def destroy(self, request, pk=None):
        """Cancel the booking (it is never deleted: the row and its history stay)."""
        booking = self.get_object()
        booking = services.booking_cancel(actor=actor_of(request), booking=booking)
        return self._answer(booking)

    @extend_schema(
        request=s.BookingUpdateInput, responses={200: s.BookingDetailSerializer, 409: CONFLICT}
    )
    def partial_update(self, request, pk=None):
        """Change the customer, contact, title, internal note, payment type or notification
        flags; only the fields sent change (lines, status and answers have their own doors)."""
        booking = self.get_object()
        data = self._input(s.BookingUpdateInput).validated_data
        with inputs.errors_named_as_input():
            booking = services.booking_update(
                actor=actor_of(request),
                booking=booking,
                client_updated_at=data.get("client_booking_last_updated_at"),
                changes=inputs.update_changes(data, booking),
            )
        return self._answer(booking)

    @extend_schema(responses=s.LogEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def log(self, request, pk=None):
        """The booking's history, oldest first."""
        booking = self.get_object()
        entries = selectors.log_entry_list(organizations=organizations_of(request), booking=booking)
        return Response(s.LogEntrySerializer(entries, many=True).data)

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
        description="The booking as an iCalendar file: one entry with a stable UID, a "
        "SEQUENCE that grows with every change, STATUS TENTATIVE (pending), CONFIRMED or "
        "CANCELLED, and its times in the venue's zone (TZID, with its VTIMEZONE).",
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[CalendarRenderer],
        pagination_class=None,
        filterset_class=None,
    )
    def ics(self, request, pk=None):
        booking = self.get_object()
        if booking.starts_at is None:
            raise NotFound("This booking has no lines with a time yet.")
        sequence = selectors.calendar_sequences(booking_ids=[booking.pk]).get(booking.pk, 0)
        response = Response(booking_ics(booking, sequence=sequence))
        response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
        return response


class ChangeRequestAPIFilter(ChangeRequestFilter):
    """The shared filters, with the request's `cancellation` under the name answers give it."""

    cancellation = django_filters.BooleanFilter(field_name="is_cancellation")

    class Meta(ChangeRequestFilter.Meta):
        fields = ["status", "booking_id"]


class ChangeRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Change and cancellation requests of the caller's bookings; staff decide them."""

    serializer_class = s.ChangeRequestSerializer
    lookup_value_regex = "[0-9]+"
    filterset_class = ChangeRequestAPIFilter
    rights = {"approve": Action.APPROVE, "deny": Action.APPROVE}

    def get_queryset(self):
        return selectors.change_request_list(organizations=organizations_of(self.request))

    def organization_of(self, change_request):
        return change_request.booking.organization

    def _decide(self, service):
        change_request = self.get_object()
        data = s.ChangeDecisionInput(data=self.request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        extra = (
            {"event_procedure": values["event_procedure"]}
            if service is (services.change_request_approve)
            else {}
        )
        with inputs.errors_named_as_input():
            decided = service(
                actor=actor_of(self.request),
                change_request=change_request,
                client_updated_at=values.get("client_booking_last_updated_at"),
                notice=s.notice_of(values),
                **extra,
            )
        return Response(s.ChangeRequestSerializer(decided).data)

    @extend_schema(
        request=s.ChangeDecisionInput, responses={200: s.ChangeRequestSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Apply the request to its booking (or cancel it, for a cancellation request)."""
        return self._decide(services.change_request_approve)

    @extend_schema(
        request=s.ChangeDecisionInput, responses={200: s.ChangeRequestSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        """Refuse the request; the booking stays as it was."""
        return self._decide(services.change_request_deny)
