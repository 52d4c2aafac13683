"""The public door of the API: a customer books through a form and asks for changes with the
manage token. No login; throttled; nothing outside the form's organisation is reachable."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status as http
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.bookings import inputs
from api.bookings import serializers as s
from api.bookings.idempotency import idempotent
from bookings import services
from bookings.models import Booking, BookingSource, hash_manage_token
from bookings.services.common import manage_url
from core.actors import Actor
from core.api.throttling import SharedScopedRateThrottle
from venues.models import BookingForm


class PublicView(APIView):
    authentication_classes: list = []
    throttle_classes = [SharedScopedRateThrottle]
    throttle_scope = "public"
    public = True


class PublicBookingView(PublicView):
    """Submit a booking request through a public booking form."""

    @extend_schema(
        request=s.PublicBookingInput,
        responses={201: s.PublicBookingResultSerializer, 409: s.ConflictErrorResponseSerializer},
        auth=[],
    )
    @idempotent
    def post(self, request):
        serializer = s.PublicBookingInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("website"):
            raise ValidationError({"website": ["Leave this field empty."]})
        form = get_object_or_404(
            BookingForm.objects.select_related("organization", "venue"),
            slug=data["booking_form"],
            organization__slug=data["organization"],
            is_active=True,
        )
        organization = form.organization
        with inputs.errors_named_as_input():
            created = services.booking_create(
                actor=Actor.customer(),
                organization=organization,
                venue=form.venue,
                customer=services.CustomerIn(**data["customer"]),
                source=BookingSource.PUBLIC_FORM,
                booking_form=form,
                title=data.get("title", ""),
                contact=services.ContactIn(**data.get("contact", {})),
                answers=data.get("answers", {}),
                request_note=data.get("request_note", ""),
                notify_sms=data.get("notify_sms", False),
                discount_code=data.get("discount_code", ""),
                space_lines=[
                    inputs.space_line(line, organization, f"spaces.{n}")
                    for n, line in enumerate(data["spaces"])
                ],
                product_lines=[
                    inputs.product_line(line, organization, f"inventory_products.{n}")
                    for n, line in enumerate(data["inventory_products"])
                ],
            )
        return Response(
            {
                "reference": created.booking.reference,
                "status": created.booking.status,
                "manage_token": created.manage_token,
                "manage_url": manage_url(created.manage_token),
            },
            status=http.HTTP_201_CREATED,
        )


class PublicChangeRequestView(PublicView):
    """Ask for a change or a cancellation with the booking's manage token."""

    @extend_schema(
        request=s.PublicChangeInput,
        responses={201: s.ChangeRequestSerializer, 409: s.ConflictErrorResponseSerializer},
        auth=[],
    )
    def post(self, request):
        serializer = s.PublicChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token = data["manage_token"]
        booking = get_object_or_404(Booking, manage_token_hash=hash_manage_token(token))
        with inputs.errors_named_as_input():
            change_request = services.change_request_submit(
                actor=Actor.customer(token),
                booking=booking,
                changes=inputs.change_arguments(data),
                is_cancellation=data["cancellation"],
                request_note=data.get("request_note", ""),
            )
        return Response(
            s.ChangeRequestSerializer(change_request).data, status=http.HTTP_201_CREATED
        )
