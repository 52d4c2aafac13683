"""FilterSets shared by the API and the staff pages. Dates filter in each venue's own day."""

from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import NotSupportedError
from django.db.models import DateField, F, Func, Q, Value
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django_filters.constants import EMPTY_VALUES

from bookings.models import (
    Booking,
    ChangeRequest,
    Customer,
    EventBooking,
    InventoryBooking,
    resolve_status,
)
from core.times import MAX_ID, check_year, local_day_bounds
from venues.models import (
    Blockout,
    BookingForm,
    Discount,
    Event,
    InventoryProduct,
    PaymentType,
    Price,
    Space,
    VatRate,
    Venue,
)


class IdFilter(django_filters.NumberFilter):
    """A numeric id: a whole number from 1 to MAX_ID, else a 400 naming the filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class LocalDate(Func):
    """The calendar date of a time (`when`) in the time zone a column names (`zone`), in
    SQL: PostgreSQL's AT TIME ZONE, or on SQLite the function Django registers for its
    own time-zone-aware dates."""

    output_field = DateField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("LocalDate runs on PostgreSQL and SQLite only.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="((%(expressions)s)::date)",
            arg_joiner=" AT TIME ZONE ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        when, zone = self.get_source_expressions()
        local = Func(
            when,
            zone,
            Value(connection.timezone_name),
            function="django_datetime_cast_date",
            output_field=DateField(),
        )
        return local.as_sql(compiler, connection, **extra_context)


# Farther from UTC than any time zone is, so that a day's start and end anywhere lie inside.
ANY_ZONE = timedelta(days=1)


class LocalDayFilter(django_filters.DateFilter):
    """A calendar day read in each row's own venue's time zone (so 23 or 25 hours on DST days).

    `lookup_expr` compares `field_name` with that day: "date" (within it), "gte" / "gt"
    (its start), "lt" (its end). Rows of several venues each get their own venue's day.
    "date", "gte" and "lt" compare the row's local date in SQL (LocalDate, the venue
    joined), beside a plain range on the column wide enough for any zone (which an index
    on the column serves): no query of their own. "gt" needs the day's first instant in
    each zone: finding the venues is one query.
    """

    SPANS = {
        "date": lambda field, start, end: Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "gte": lambda field, start, end: Q(**{f"{field}__gte": start}),
        "gt": lambda field, start, end: Q(**{f"{field}__gt": start}),
        "lt": lambda field, start, end: Q(**{f"{field}__lt": end}),
    }
    LOCAL = {"date": Exact, "gte": GreaterThanOrEqual, "lt": LessThanOrEqual}

    def __init__(self, *args, venue_path: str = "venue", **kwargs):
        kwargs.setdefault("validators", [check_year])
        super().__init__(*args, **kwargs)
        if self.lookup_expr not in self.SPANS:
            raise ValueError(f"LocalDayFilter cannot compare with {self.lookup_expr!r}.")
        self.venue_path = venue_path

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        span = self.SPANS[self.lookup_expr]
        if self.lookup_expr in self.LOCAL:
            day = datetime.combine(value, time.min, tzinfo=UTC)
            wide = span(self.field_name, day - ANY_ZONE, day + timedelta(days=1) + ANY_ZONE)
            local = LocalDate(F(self.field_name), F(f"{self.venue_path}__timezone"))
            return qs.filter(wide).filter(self.LOCAL[self.lookup_expr](local, value))
        venue_ids = qs.order_by().values(f"{self.venue_path}_id")
        condition = Q()
        for venue in Venue.objects.filter(pk__in=venue_ids).only("pk", "timezone"):
            start, end = local_day_bounds(value, venue.tzinfo)
            condition |= Q(**{self.venue_path: venue}) & span(self.field_name, start, end)
        return qs.filter(condition) if condition else qs.none()


def starts_on(label: str, lookup_expr: str, venue_path: str = "venue") -> LocalDayFilter:
    return LocalDayFilter(
        field_name="starts_at", lookup_expr=lookup_expr, venue_path=venue_path, label=label
    )


class BookingFilter(django_filters.FilterSet):
    from_start_date = starts_on("Starts on or after (the venue's day)", "gte")
    until_start_date = starts_on("Starts on or before (the venue's day)", "lt")
    start_date = starts_on("Starts on (the venue's day)", "date")
    venue_id = IdFilter(field_name="venue_id")
    customer_id = IdFilter(field_name="customer_id")
    status = django_filters.CharFilter(method="filter_status", label="Status (or alias)")
    search = django_filters.CharFilter(method="filter_search", label="Reference, name or e-mail")

    class Meta:
        model = Booking
        fields = ["from_start_date", "until_start_date", "start_date", "venue_id", "customer_id"]

    def filter_status(self, queryset, name, value):
        try:
            statuses = [resolve_status(part) for part in value.split(",") if part.strip()]
        except ValueError as error:
            raise ValidationError({"status": str(error)}) from None
        return queryset.filter(status__in=statuses)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(reference__iexact=value)
            | Q(customer__first_name__icontains=value)
            | Q(customer__last_name__icontains=value)
            | Q(customer__company__icontains=value)
            | Q(customer__email__icontains=value)
            | Q(contact_email__icontains=value)
            | Q(title__icontains=value)
        )


# -- catalogue and customers (the API's /venues, /spaces, /events … lists) -------------------


class VenueFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    search = django_filters.CharFilter(method="filter_search", label="Name, city or slug")

    class Meta:
        model = Venue
        fields = ["is_active"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(city__icontains=value) | Q(slug__iexact=value)
        )


class SpaceFilter(django_filters.FilterSet):
    venue_id = IdFilter(field_name="venue_id")
    mode = django_filters.ChoiceFilter(choices=Space.Mode.choices)
    kind = django_filters.ChoiceFilter(choices=Space.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Space
        fields = ["venue_id", "mode", "kind", "is_active"]


class BlockoutFilter(django_filters.FilterSet):
    """Blockouts of a space or venue touching the local days `from_date`..`until_date`."""

    space_id = IdFilter(field_name="space_id")
    venue_id = IdFilter(field_name="space__venue_id")
    from_date = LocalDayFilter(
        field_name="ends_at",
        lookup_expr="gt",
        venue_path="space__venue",
        label="Ends after the start of this day",
    )
    until_date = starts_on("Starts on or before this day", "lt", venue_path="space__venue")
    reason = django_filters.ChoiceFilter(choices=Blockout.Reason.choices)

    class Meta:
        model = Blockout
        fields = ["space_id", "venue_id", "from_date", "until_date", "reason"]


class EventFilter(django_filters.FilterSet):
    """Events by venue, space, status and the local day they start (as bookings are filtered)."""

    venue_id = IdFilter(field_name="venue_id")
    space_id = IdFilter(field_name="space_id")
    from_start_date = starts_on("Starts on or after (the venue's day)", "gte")
    until_start_date = starts_on("Starts on or before (the venue's day)", "lt")
    start_date = starts_on("Starts on (the venue's day)", "date")
    status = django_filters.ChoiceFilter(choices=Event.Status.choices)
    is_public = django_filters.BooleanFilter()

    class Meta:
        model = Event
        fields = ["venue_id", "space_id", "from_start_date", "until_start_date", "start_date"]


class InventoryProductFilter(django_filters.FilterSet):
    venue_id = IdFilter(
        method="filter_venue", label="Offered at this venue (its own and organisation-wide ones)"
    )
    search = django_filters.CharFilter(method="filter_search", label="Name or description")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = InventoryProduct
        fields = ["venue_id", "search", "is_active"]

    def filter_venue(self, queryset, name, value):
        return queryset.filter(Q(venue_id=value) | Q(venue__isnull=True))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class PriceFilter(django_filters.FilterSet):
    event_id = IdFilter(field_name="event_id")
    product_id = IdFilter(field_name="product_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Price
        fields = ["event_id", "product_id", "is_active"]


class VatRateFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = VatRate
        fields = ["is_active"]


class DiscountFilter(django_filters.FilterSet):
    applies_to = django_filters.ChoiceFilter(choices=Discount.AppliesTo.choices)
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Discount
        fields = ["applies_to", "code", "is_active"]


class PaymentTypeFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PaymentType.Kind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PaymentType
        fields = ["kind", "is_active"]


class BookingFormFilter(django_filters.FilterSet):
    venue_id = IdFilter(field_name="venue_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = BookingForm
        fields = ["venue_id", "is_active"]


class CustomerFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Name, e-mail or company")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Customer
        fields = ["search", "email"]

    def filter_search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(company__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset.filter(condition)


def _statuses(value: str) -> list[str]:
    try:
        return [resolve_status(part) for part in value.split(",") if part.strip()]
    except ValueError as error:
        raise ValidationError({"booking_statuses": str(error)}) from None


class EventBookingFilter(django_filters.FilterSet):
    event_id = IdFilter(field_name="event_id")
    customer_id = IdFilter(field_name="booking__customer_id")
    booking_statuses = django_filters.CharFilter(method="filter_statuses")

    class Meta:
        model = EventBooking
        fields = ["event_id", "customer_id", "booking_statuses"]

    def filter_statuses(self, queryset, name, value):
        return queryset.filter(booking__status__in=_statuses(value))


class InventoryBookingFilter(django_filters.FilterSet):
    """Search by customer or product name; dates are the line's start in the venue's day."""

    search = django_filters.CharFilter(method="filter_search")
    inventory_product_id = IdFilter(field_name="product_id")
    customer_id = IdFilter(field_name="booking__customer_id")
    booking_statuses = django_filters.CharFilter(method="filter_statuses")
    booking_start_date = starts_on("Starts on or after (the venue's day)", "gte", "booking__venue")
    booking_end_date = starts_on("Starts on or before (the venue's day)", "lt", "booking__venue")

    class Meta:
        model = InventoryBooking
        fields = ["inventory_product_id", "customer_id"]

    def filter_search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= (
                Q(product__name__icontains=word)
                | Q(booking__customer__first_name__icontains=word)
                | Q(booking__customer__last_name__icontains=word)
                | Q(booking__customer__company__icontains=word)
            )
        return queryset.filter(condition)

    def filter_statuses(self, queryset, name, value):
        return queryset.filter(booking__status__in=_statuses(value))


class ChangeRequestFilter(django_filters.FilterSet):
    booking_id = IdFilter(field_name="booking_id")

    class Meta:
        model = ChangeRequest
        fields = ["status", "booking_id", "is_cancellation"]
