"""API serializers: output serializers present, input serializers validate; no rule lives here."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from api.bookings.inputs import changes_as_input, service_name
from bookings.models import (
    MAX_PLACES,
    STATUS_INFO,
    Booking,
    BookingStatus,
    ChangeRequest,
    Customer,
    EventBooking,
    EventProcedure,
    InventoryBooking,
    LogEntry,
    Payment,
    SpaceBooking,
)
from bookings.pricing import vat_breakdown
from bookings.services import Notice
from bookings.services.inputs import (
    CUSTOMER_CHOICES,
    STAFF_ONLY,
    ProductLineIn,
    SpaceLineIn,
)
from core.api.representation import FastRepresentation, related_rows
from core.api.serializers import (
    ErrorSerializer,
    IdField,
    StrictSerializer,
    TimeField,
    VenueTimeField,
)
from core.errors import ConflictReason, ErrorCode
from venues.models import Event


class CustomerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "first_name", "last_name", "company", "email", "phone"]


LINE_PRICE_FIELDS = [
    "unit_price_gross",
    "vat_rate_id",
    "vat_percent",
    "exclude_vat",
    "discount_id",
    "discount_amount",
    "use_manual_price",
    "manual_price_amount_gross",
    "manual_price_vat_id",
    "net",
    "vat",
    "gross",
]


class LinePriceSerializer(serializers.Serializer):
    """A line's manual price under the names a line's input gives it (LinePriceInput)."""

    manual_price_amount_gross = serializers.DecimalField(
        source="manual_price_gross", max_digits=12, decimal_places=2, allow_null=True
    )
    manual_price_vat_id = IdField(source="manual_price_vat_rate_id", allow_null=True)


class SpaceLineSerializer(LinePriceSerializer, serializers.ModelSerializer):
    """A space line, named as `spaces[]` of a request names it, with its price."""

    places_used = serializers.IntegerField(source="places")

    class Meta:
        model = SpaceBooking
        fields = [
            "id",
            "space_id",
            "layout_id",
            "name",
            "starts_at",
            "ends_at",
            "setup_minutes",
            "setdown_minutes",
            "places_used",
            "expected_attendees",
            "guaranteed_attendees",
            "actual_attendees",
            "signage",
            "show_signage",
            "overrides_opening_hours",
            "holds_capacity",
            *LINE_PRICE_FIELDS,
        ]


class EventLineSerializer(LinePriceSerializer, serializers.ModelSerializer):
    """An event-ticket line, named as `events[]` of a request names it, with its price."""

    class Meta:
        model = EventBooking
        fields = ["id", "event_id", "price_id", "quantity", "holds_capacity", *LINE_PRICE_FIELDS]


class ProductLineSerializer(LinePriceSerializer, serializers.ModelSerializer):
    """An inventory-product line, named as `inventory_products[]` of a request names it,
    with its price."""

    inventory_product_id = IdField(source="product_id")

    class Meta:
        model = InventoryBooking
        fields = [
            "id",
            "inventory_product_id",
            "price_id",
            "units",
            "starts_at",
            "ends_at",
            "holds_capacity",
            *LINE_PRICE_FIELDS,
        ]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "amount", "payment_type_id", "reference", "paid_at", "note", "created_at"]


class LogEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_display")

    class Meta:
        model = LogEntry
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "actor_kind",
            "actor",
            "comment",
            "message",
            "data",
            "created_at",
        ]
        extra_kwargs = {
            "data": {
                "help_text": "The details the service recorded, by the model's own field names "
                "(a record of what happened, not an API input)."
            }
        }


class EventSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "title", "venue_id", "space_id", "starts_at", "ends_at", "status"]


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="contact_name")
    email = serializers.CharField(source="contact_email")
    phone = serializers.CharField(source="contact_phone")


class BookingSerializer(FastRepresentation, serializers.ModelSerializer):
    """A booking with its lines, payments, totals, VAT breakdown and Event.

    Every field a request sends is answered under the same name (`customer_id`,
    `contact`, `spaces`, `events`, `inventory_products`, the lines' fields). Answered by
    its fields' plan (core.api.representation), lines and payments from what the selector
    read with the booking (bookings.selectors.booking_list).
    """

    status_label = serializers.CharField(source="get_status_display")
    customer_id = IdField()
    customer = CustomerSummarySerializer()
    contact = ContactSerializer(source="*")
    event = EventSummarySerializer(allow_null=True)
    spaces = SpaceLineSerializer(source="space_bookings", many=True)
    events = EventLineSerializer(source="event_bookings", many=True)
    inventory_products = ProductLineSerializer(source="inventory_bookings", many=True)
    payments = PaymentSerializer(many=True)
    vat_breakdown = serializers.SerializerMethodField()
    allowed_statuses = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "allowed_statuses",
            "source",
            "venue_id",
            "booking_form_id",
            "customer_id",
            "customer",
            "title",
            "contact",
            "notify_email",
            "notify_sms",
            "payment_type_id",
            "internal_note",
            "request_note",
            "answers",
            "starts_at",
            "ends_at",
            "total_net",
            "total_vat",
            "total_gross",
            "amount_paid",
            "balance",
            "vat_breakdown",
            "event",
            "spaces",
            "events",
            "inventory_products",
            "payments",
            "approved_at",
            "canceled_at",
            "arrived_at",
            "seated_at",
            "released_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    )
    def get_vat_breakdown(self, booking: Booking) -> list[dict]:
        lines = [
            *related_rows(booking, "space_bookings"),
            *related_rows(booking, "event_bookings"),
            *related_rows(booking, "inventory_bookings"),
        ]
        return [
            {
                "percent": str(share.percent),
                "net": str(share.net),
                "vat": str(share.vat),
                "gross": str(share.gross),
            }
            for share in vat_breakdown(lines)
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_statuses(self, booking: Booking) -> list[str]:
        return booking.allowed_next_statuses()


class BookingDetailSerializer(BookingSerializer):
    log = LogEntrySerializer(source="log_entries", many=True)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "log"]


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    colour = serializers.CharField()
    holds_capacity = serializers.BooleanField()
    allowed_next = serializers.ListField(child=serializers.CharField())


def status_table() -> list[dict]:
    """Every state with its label, description, colour and the states it may move to."""
    from django_fsm import get_all_FIELD_transitions

    moves: dict[str, set[str]] = {status: set() for status in BookingStatus.values}
    field = Booking._meta.get_field("status")
    for transition in get_all_FIELD_transitions(Booking(), field=field):
        moves[transition.source].add(transition.target)
    return [
        {
            "status": status.value,
            "label": status.label,
            "description": STATUS_INFO[status].description,
            "colour": STATUS_INFO[status].colour,
            "holds_capacity": STATUS_INFO[status].holds_capacity,
            "allowed_next": [s for s in BookingStatus.values if s in moves[status.value]],
        }
        for status in BookingStatus
    ]


class DomainErrorSerializer(ErrorSerializer):
    code = serializers.ChoiceField(choices=ErrorCode.choices)


class ConflictSerializer(serializers.Serializer):
    line = serializers.CharField()
    reason = serializers.ChoiceField(choices=ConflictReason.choices)
    message = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    other_booking = serializers.CharField(allow_null=True)
    blockout_id = IdField(allow_null=True)


class ConflictErrorResponseSerializer(serializers.Serializer):
    """409: a conflict (with `conflicts`), an illegal move (with `allowed`), a stale write."""

    type = serializers.ChoiceField(choices=["client_error"])
    errors = DomainErrorSerializer(many=True)
    conflicts = ConflictSerializer(many=True, required=False)
    current = serializers.CharField(required=False)
    allowed = serializers.ListField(child=serializers.CharField(), required=False)


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


# -- input ----------------------------------------------------------------------------------


class NotifyInput(StrictSerializer):
    client_booking_last_updated_at = TimeField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    send_email_confirmation = serializers.BooleanField(required=False, allow_null=True)
    send_sms_confirmation = serializers.BooleanField(required=False, allow_null=True)

    def service_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "client_updated_at": data.get("client_booking_last_updated_at"),
            "notice": notice_of(data),
        }


def notice_of(data: dict) -> Notice:
    """The comment, message and e-mail / SMS flags of a decision's input, as one value."""
    return Notice(
        comment=data.get("comment", ""),
        message=data.get("message", ""),
        send_email=data.get("send_email_confirmation"),
        send_sms=data.get("send_sms_confirmation"),
    )


class EventOverridesInput(StrictSerializer):
    """What staff may set on the Event an approval creates (else taken from the booking)."""

    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    starts_at = VenueTimeField(required=False)
    ends_at = VenueTimeField(required=False)
    is_public = serializers.BooleanField(required=False)
    capacity = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=1_000_000
    )


class ApproveInput(NotifyInput):
    event = EventOverridesInput(required=False, help_text="Overrides for the Event created.")


class CancelInput(NotifyInput):
    event_procedure = serializers.ChoiceField(
        choices=EventProcedure.choices, required=False, default=EventProcedure.CANCEL
    )


class StatusInput(StrictSerializer):
    status = serializers.CharField(max_length=40)
    client_booking_last_updated_at = TimeField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class LinePriceInput(StrictSerializer):
    discount_id = IdField(required=False, allow_null=True)
    use_manual_price = serializers.BooleanField(required=False, default=False)
    manual_price_vat_id = IdField(required=False, allow_null=True)
    manual_price_amount_gross = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    exclude_vat = serializers.BooleanField(required=False, default=False)


class SpaceLineInput(LinePriceInput):
    id = IdField(required=False, help_text="A line to update (sessions).")
    space_id = IdField()
    layout_id = IdField(required=False, allow_null=True)
    places_used = serializers.IntegerField(min_value=1, max_value=MAX_PLACES, default=1)
    starts_at = VenueTimeField()
    ends_at = VenueTimeField()
    setup_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False)
    setdown_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    expected_attendees = serializers.IntegerField(min_value=0, max_value=MAX_PLACES, required=False)
    guaranteed_attendees = serializers.IntegerField(
        min_value=0, max_value=MAX_PLACES, required=False
    )
    actual_attendees = serializers.IntegerField(min_value=0, max_value=MAX_PLACES, required=False)
    signage = serializers.CharField(required=False, allow_blank=True, max_length=200)
    show_signage = serializers.BooleanField(required=False, default=False)
    overrides_opening_hours = serializers.BooleanField(required=False, default=False)


class EventLineInput(LinePriceInput):
    event_id = IdField()
    price_id = IdField(required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=10000, default=1)


class ProductLineInput(LinePriceInput):
    inventory_product_id = IdField()
    price_id = IdField(required=False, allow_null=True)
    units = serializers.IntegerField(min_value=1, max_value=MAX_PLACES, default=1)
    starts_at = VenueTimeField()
    ends_at = VenueTimeField()


class CustomerInput(StrictSerializer):
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    company = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)


def _length_of(name: str) -> int:
    return Booking._meta.get_field(name).max_length


class ContactFields(StrictSerializer):
    """The person to contact about a booking, if not the customer (every door names it so)."""

    name = serializers.CharField(
        required=False, allow_blank=True, max_length=_length_of("contact_name")
    )
    email = serializers.EmailField(
        required=False, allow_blank=True, max_length=_length_of("contact_email")
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=_length_of("contact_phone")
    )


DISCOUNT_CODE_HELP = "A discount's public code (case does not matter)."
# The model's internal note is a TextField; the API still caps what one request may send.
INTERNAL_NOTE_LENGTH = 10000


class BookingCreateInput(StrictSerializer):
    """A booking with any mix of lines: `spaces`, `events`, `inventory_products`."""

    customer_id = IdField(required=False)
    customer = CustomerInput(required=False)
    venue_id = IdField(required=False)
    booking_form_id = IdField(required=False, allow_null=True)
    payment_type_id = IdField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=_length_of("title"))
    internal_note = serializers.CharField(
        required=False, allow_blank=True, max_length=INTERNAL_NOTE_LENGTH
    )
    request_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    contact = ContactFields(required=False)
    answers = serializers.DictField(required=False)
    notify_email = serializers.BooleanField(required=False, default=True)
    notify_sms = serializers.BooleanField(required=False, default=False)
    discount_code = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text=DISCOUNT_CODE_HELP
    )
    status = serializers.CharField(
        required=False, default="pending", help_text="pending, or approved (aliases accepted)."
    )
    spaces = SpaceLineInput(many=True, required=False, default=list)
    events = EventLineInput(many=True, required=False, default=list)
    inventory_products = ProductLineInput(many=True, required=False, default=list)


class BookingUpdateInput(StrictSerializer):
    """What PATCH /bookings/{id} changes; only the fields sent change (the lines, the status
    and the customer's answers have their own doors)."""

    customer_id = IdField(required=False)
    contact = ContactFields(required=False, help_text="Only the keys sent change.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=_length_of("title"))
    internal_note = serializers.CharField(
        required=False, allow_blank=True, max_length=INTERNAL_NOTE_LENGTH
    )
    payment_type_id = IdField(required=False, allow_null=True, help_text="null clears it.")
    notify_email = serializers.BooleanField(required=False)
    notify_sms = serializers.BooleanField(required=False)
    client_booking_last_updated_at = TimeField(
        required=False, help_text="The `updated_at` you saw; an older one is refused (409)."
    )


class CreatedBookingSerializer(BookingDetailSerializer):
    manage_token = serializers.CharField(help_text="The customer's private token, shown once.")

    class Meta(BookingDetailSerializer.Meta):
        fields = [*BookingDetailSerializer.Meta.fields, "manage_token"]


class SessionResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    id = IdField()
    warnings = serializers.ListField(child=serializers.CharField())


class PaymentInput(StrictSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    payment_type_id = IdField(required=False, allow_null=True)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    paid_at = TimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class ChangedSpaceLineSerializer(serializers.Serializer):
    """A space line's asked change, as the request named it (only what was asked)."""

    id = IdField()
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    places_used = serializers.IntegerField(required=False)
    space_id = IdField(required=False)
    layout_id = IdField(required=False, allow_null=True)
    name = serializers.CharField(required=False)
    expected_attendees = serializers.IntegerField(required=False, allow_null=True)
    guaranteed_attendees = serializers.IntegerField(required=False, allow_null=True)


class ChangesSerializer(serializers.Serializer):
    """What a change request asks, under the names the request gave it."""

    contact = ContactFields(required=False)
    answers = serializers.DictField(required=False)
    spaces = ChangedSpaceLineSerializer(many=True, required=False)


class ChangeRequestSerializer(serializers.ModelSerializer):
    booking_reference = serializers.CharField(source="booking.reference")
    cancellation = serializers.BooleanField(source="is_cancellation")
    changes = serializers.SerializerMethodField()
    comment = serializers.CharField(
        source="decision_comment", help_text="Staff's internal comment on the decision."
    )
    message = serializers.CharField(
        source="decision_message", help_text="What staff told the customer with the decision."
    )

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "booking_id",
            "booking_reference",
            "status",
            "cancellation",
            "changes",
            "request_note",
            "submitted_by_kind",
            "event_procedure",
            "decided_at",
            "comment",
            "message",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(ChangesSerializer)
    def get_changes(self, change_request: ChangeRequest) -> dict:
        return ChangesSerializer(changes_as_input(change_request.changes)).data


class ChangeDecisionInput(StrictSerializer):
    client_booking_last_updated_at = TimeField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    send_email_confirmation = serializers.BooleanField(required=False, allow_null=True)
    send_sms_confirmation = serializers.BooleanField(required=False, allow_null=True)
    event_procedure = serializers.ChoiceField(
        choices=EventProcedure.choices, required=False, default=EventProcedure.CANCEL
    )


class CustomerLineInput(StrictSerializer):
    """A line as a customer sends it: the staff's line input (`staff_line`) without the fields
    a customer may not choose (`staff_fields`), which answer "Only staff can set this."."""

    staff_line: type[serializers.Serializer]
    staff_fields: frozenset[str]

    def to_internal_value(self, data):
        if isinstance(data, dict):
            sent = sorted(self.staff_fields & set(data))
            if sent:
                detail = ErrorDetail(STAFF_ONLY, code="staff_only")
                raise serializers.ValidationError({name: [detail] for name in sent})
        return super().to_internal_value(data)


def customer_line_input(staff_line: type[StrictSerializer], line_in: type, doc: str) -> type:
    """`staff_line` keeping only what services.CUSTOMER_CHOICES lets a customer choose on a
    `line_in`: the one rule, in the services, decides what the public door takes."""
    chosen = CUSTOMER_CHOICES[line_in]
    staff_fields = frozenset(
        name for name in staff_line._declared_fields if service_name(name) not in chosen
    )
    return type(
        f"Public{staff_line.__name__}",
        (CustomerLineInput, staff_line),
        {
            "__module__": __name__,
            "__doc__": doc,
            "staff_line": staff_line,
            "staff_fields": staff_fields,
            **dict.fromkeys(staff_fields),  # None removes an inherited field
        },
    )


PublicSpaceLineInput = customer_line_input(
    SpaceLineInput,
    SpaceLineIn,
    "A space line as a customer chooses it: prices, VAT, discounts by id, setup and "
    "setdown, opening-hours overrides, attendee figures and signage are for staff.",
)
PublicProductLineInput = customer_line_input(
    ProductLineInput,
    ProductLineIn,
    "A product line as a customer chooses it (the product's own price applies).",
)


class PublicBookingInput(StrictSerializer):
    """What the public booking form sends: only what the form offers a customer; no ids of
    other organisations can be reached, and any staff field is refused by name."""

    booking_form = serializers.SlugField(help_text="The booking form's slug.")
    organization = serializers.SlugField(help_text="The organisation's slug.")
    customer = CustomerInput()
    contact = ContactFields(required=False)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    answers = serializers.DictField(required=False)
    request_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    notify_sms = serializers.BooleanField(required=False, default=False)
    discount_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=f"{DISCOUNT_CODE_HELP} Only on forms that take codes.",
    )
    spaces = PublicSpaceLineInput(many=True, required=False, default=list)
    inventory_products = PublicProductLineInput(many=True, required=False, default=list)
    website = serializers.CharField(
        required=False, allow_blank=True, help_text="Leave empty (a trap for robots)."
    )


class PublicBookingResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    manage_token = serializers.CharField()
    manage_url = serializers.CharField()


class ChangeSpaceLineInput(StrictSerializer):
    """A change to one of the booking's space lines (named as `spaces` names them); only the
    fields given change."""

    id = IdField(help_text="The space line to change.")
    starts_at = VenueTimeField(required=False)
    ends_at = VenueTimeField(required=False)
    places_used = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PLACES)
    space_id = IdField(required=False, help_text="Another space of the venue on the form.")
    layout_id = IdField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PublicChangeInput(StrictSerializer):
    manage_token = serializers.CharField(max_length=100)
    cancellation = serializers.BooleanField(default=False)
    contact = ContactFields(required=False, help_text="Only the keys sent change.")
    answers = serializers.DictField(required=False)
    spaces = ChangeSpaceLineInput(many=True, required=False)
    request_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class BookingOfLineMixin(serializers.Serializer):
    booking_id = IdField()
    booking_reference = serializers.CharField(source="booking.reference")
    booking_status = serializers.CharField(source="booking.status")
    customer_id = IdField(source="booking.customer_id")


class EventBookingResourceSerializer(BookingOfLineMixin, EventLineSerializer):
    """An event-ticket line (named as `events[]` names it) with the booking it belongs to."""

    class Meta(EventLineSerializer.Meta):
        fields = [
            *EventLineSerializer.Meta.fields,
            "booking_id",
            "booking_reference",
            "booking_status",
            "customer_id",
        ]


class ProductBookingResourceSerializer(BookingOfLineMixin, ProductLineSerializer):
    """An inventory-product line (named as `inventory_products[]` names it) with the booking
    it belongs to."""

    class Meta(ProductLineSerializer.Meta):
        fields = [
            *ProductLineSerializer.Meta.fields,
            "booking_id",
            "booking_reference",
            "booking_status",
            "customer_id",
        ]


class EventLineUpdateInput(EventLineInput):
    client_booking_last_updated_at = TimeField(required=False)


class ProductLineUpdateInput(ProductLineInput):
    client_booking_last_updated_at = TimeField(required=False)
