"""Catalogue and customer serializers: output serializers present, input serializers validate.

Times are accepted as ISO 8601 with an offset, or naive ("YYYY-MM-DD HH:MM:SS") and then
read in the venue's time zone by the view, which knows the venue.
"""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import Customer
from bookings.services.customers import CUSTOMER_FIELDS
from core.api.serializers import (
    IdField,
    StrictSerializer,
    VenueTimeField,
    refuse_unknown_fields,
)
from core.times import check_year, in_venue_time, local_day_bounds
from venues.models import (
    Blockout,
    BookingForm,
    CustomField,
    Discount,
    Event,
    InventoryProduct,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
    VatRate,
    Venue,
)
from venues.services import VENUE_FIELDS

# Longest stretch an availability question may cover.
MAX_AVAILABILITY_RANGE = timedelta(days=31)


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that refuses fields it does not know, as StrictSerializer does."""

    def to_internal_value(self, data):
        refuse_unknown_fields(self, data)
        return super().to_internal_value(data)


# -- output ---------------------------------------------------------------------------------


class VenueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = [
            "id",
            "organization_id",
            *VENUE_FIELDS,
        ]


class SpaceLayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = SpaceLayout
        fields = ["id", "name", "capacity", "setup_minutes", "setdown_minutes", "position"]


class SpaceSerializer(serializers.ModelSerializer):
    layouts = SpaceLayoutSerializer(many=True, read_only=True)

    class Meta:
        model = Space
        fields = [
            "id",
            "venue_id",
            "name",
            "slug",
            "kind",
            "description",
            "capacity",
            "mode",
            "setup_minutes",
            "setdown_minutes",
            "hourly_price",
            "vat_rate_id",
            "position",
            "is_active",
            "layouts",
        ]


class BlockoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Blockout
        fields = ["id", "space_id", "starts_at", "ends_at", "reason", "note", "created_at"]


class SavedBlockoutSerializer(BlockoutSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Approved bookings the blockout overlaps (they keep their time) and "
        "pending requests that will no longer fit.",
    )

    class Meta(BlockoutSerializer.Meta):
        fields = [*BlockoutSerializer.Meta.fields, "warnings"]


class PriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Price
        fields = [
            "id",
            "event_id",
            "product_id",
            "name",
            "amount_gross",
            "vat_rate_id",
            "position",
            "is_active",
        ]


# Inline, because a named "status" enum would collide with the booking statuses in the schema.
@extend_schema_field({"type": "string", "enum": Event.Status.values})
class EventStatusField(serializers.CharField):
    pass


class EventSerializer(serializers.ModelSerializer):
    status = EventStatusField(read_only=True)
    prices = PriceSerializer(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "organization_id",
            "venue_id",
            "space_id",
            "title",
            "description",
            "notes",
            "starts_at",
            "ends_at",
            "capacity",
            "is_public",
            "status",
            "prices",
            "created_at",
            "updated_at",
        ]


class InventoryProductSerializer(serializers.ModelSerializer):
    prices = PriceSerializer(many=True, read_only=True)

    class Meta:
        model = InventoryProduct
        fields = [
            "id",
            "venue_id",
            "name",
            "description",
            "units_total",
            "unit_price",
            "vat_rate_id",
            "is_active",
            "prices",
        ]


class VatRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = VatRate
        fields = ["id", "name", "percent", "is_active"]


class DiscountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Discount
        fields = [
            "id",
            "name",
            "kind",
            "value",
            "applies_to",
            "code",
            "valid_from",
            "valid_until",
            "is_active",
        ]


class PaymentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentType
        fields = ["id", "name", "kind", "is_active"]


class CustomFieldSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(source="field_type", choices=CustomField.Type.choices)
    order = serializers.IntegerField(source="position")

    class Meta:
        model = CustomField
        fields = [
            "id",
            "label",
            "key",
            "type",
            "section",
            "help_text",
            "required",
            "required_message",
            "max_length",
            "regex",
            "regex_message",
            "choices",
            "default",
            "order",
        ]


class BookingFormSerializer(serializers.ModelSerializer):
    space_ids = serializers.PrimaryKeyRelatedField(source="spaces", many=True, read_only=True)
    product_ids = serializers.PrimaryKeyRelatedField(source="products", many=True, read_only=True)
    custom_fields = CustomFieldSerializer(many=True, read_only=True)

    class Meta:
        model = BookingForm
        fields = [
            "id",
            "venue_id",
            "slug",
            "title",
            "intro",
            "space_ids",
            "product_ids",
            "requires_approval",
            "min_notice_hours",
            "max_days_ahead",
            "slot_minutes",
            "min_duration_minutes",
            "max_duration_minutes",
            "accepts_discount_codes",
            "cancellation_deadline_hours",
            "no_show_after_minutes",
            "payment_type_id",
            "confirmation_text",
            "is_active",
            "custom_fields",
        ]


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "organization_id", *CUSTOMER_FIELDS, "created_at", "updated_at"]


class WindowSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class RangeSerializer(serializers.Serializer):
    """A serializer with `from` and `to` fields (Python keywords, hence added here)."""

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField()
        fields["to"] = serializers.DateTimeField()
        return fields


class SpaceAvailabilitySerializer(RangeSerializer):
    space_id = IdField()
    venue_id = IdField()
    timezone = serializers.CharField()
    capacity = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=Space.Mode.choices)
    places = serializers.IntegerField()
    granularity = serializers.IntegerField()
    windows = WindowSerializer(many=True, help_text="Where a booking of `places` could go.")
    blockouts = BlockoutSerializer(many=True, help_text="Blockouts touching the range.")


class ProductAvailabilitySerializer(RangeSerializer):
    inventory_product_id = IdField()
    units_total = serializers.IntegerField()
    units_held = serializers.IntegerField(help_text="Peak units held at one moment of the range.")
    units_free = serializers.IntegerField(help_text="Units free over the whole range.")
    peak_at = serializers.DateTimeField(help_text="When the peak is first reached.")


# -- input ----------------------------------------------------------------------------------


class VenueInput(StrictModelSerializer):
    organization_id = IdField(
        required=False, help_text="Needed on create only by staff of several organisations."
    )

    class Meta:
        model = Venue
        fields = [
            "organization_id",
            *VENUE_FIELDS,
        ]
        # Uniqueness per organisation is checked by the model's full_clean().
        validators = []


class CustomerDetailsInput(StrictModelSerializer):
    organization_id = IdField(
        required=False, help_text="Needed on create only by staff of several organisations."
    )

    class Meta:
        model = Customer
        fields = ["organization_id", *CUSTOMER_FIELDS]


class BlockoutInput(StrictSerializer):
    space_id = IdField()
    starts_at = VenueTimeField(help_text="ISO 8601 with offset, or naive in the venue's zone.")
    ends_at = VenueTimeField(help_text="ISO 8601 with offset, or naive in the venue's zone.")
    reason = serializers.ChoiceField(
        choices=Blockout.Reason.choices, default=Blockout.Reason.MAINTENANCE
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class EventInput(StrictSerializer):
    venue_id = IdField()
    space_id = IdField(required=False, allow_null=True)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    starts_at = VenueTimeField(help_text="ISO 8601 with offset, or naive in the venue's zone.")
    ends_at = VenueTimeField(help_text="ISO 8601 with offset, or naive in the venue's zone.")
    capacity = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, help_text="Tickets; empty: not limited."
    )
    is_public = serializers.BooleanField(required=False)


def read_moment(raw: str, tz, name: str, *, end_of_day: bool) -> datetime:
    """A query-string time: ISO 8601 with offset, naive venue time, or a venue-local date.

    A date means the start of that local day, or for the end of a range its end.
    """
    raw = raw.strip()
    if len(raw) > 19 and raw[-6] == " ":
        raw = raw[:-6] + "+" + raw[-5:]  # an unencoded "+01:00" arrives as " 01:00"
    moment = day = None
    try:
        # A bare date first: parse_datetime() would read it as midnight.
        day = parse_date(raw) if len(raw) == len("YYYY-MM-DD") else None
        moment = None if day else parse_datetime(raw)
    except ValueError:
        pass
    if moment is None and day is None:
        raise serializers.ValidationError(
            {name: ["Give an ISO 8601 time, YYYY-MM-DD HH:MM:SS (venue time) or a date."]}
        )
    check_year(moment or day, name)
    if moment is not None and timezone.is_aware(moment):
        return moment
    if tz is None:
        raise serializers.ValidationError(
            {name: ["Give the time with its UTC offset: this has no venue and so no time zone."]}
        )
    if isinstance(day, date):
        start, end = local_day_bounds(day, tz)
        return end if end_of_day else start
    return in_venue_time(moment, tz, field=name)


class RangeQuery(serializers.Serializer):
    """`from` and `to` of an availability question; the context gives the venue's zone."""

    def get_fields(self):
        fields = super().get_fields()
        help_text = (
            "ISO 8601 with offset, YYYY-MM-DD HH:MM:SS in the venue's time zone, or a date "
            "(the start of that local day for `from`, its end for `to`). At most 31 days."
        )
        fields["from"] = serializers.CharField(help_text=help_text)
        fields["to"] = serializers.CharField(help_text=help_text)
        return fields

    def validate(self, attrs):
        tz = self.context.get("tz")
        start = read_moment(attrs["from"], tz, "from", end_of_day=False)
        end = read_moment(attrs["to"], tz, "to", end_of_day=True)
        if end <= start:
            raise serializers.ValidationError({"to": ["Must be after `from`."]})
        if end - start > MAX_AVAILABILITY_RANGE:
            raise serializers.ValidationError({"to": ["The range may span at most 31 days."]})
        return {**attrs, "start": start, "end": end}


class SpaceAvailabilityQuery(RangeQuery):
    places = serializers.IntegerField(min_value=1, default=1, help_text="People to seat.")
    granularity = serializers.IntegerField(
        min_value=1, max_value=1440, default=30, help_text="Window edges, minutes past midnight."
    )
