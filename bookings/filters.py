"""FilterSets shared by the API and the staff pages. Dates filter in each venue's own day."""

from datetime import date

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q

from bookings.models import Booking, resolve_status
from bookings.times import local_day_bounds
from venues.models import Venue


class BookingFilter(django_filters.FilterSet):
    from_start_date = django_filters.DateFilter(method="filter_from", label="Starts on or after")
    until_start_date = django_filters.DateFilter(method="filter_until", label="Starts on or before")
    start_date = django_filters.DateFilter(method="filter_on", label="Starts on")
    venue_id = django_filters.NumberFilter(field_name="venue_id")
    customer_id = django_filters.NumberFilter(field_name="customer_id")
    status = django_filters.CharFilter(method="filter_status", label="Status (or alias)")
    search = django_filters.CharFilter(method="filter_search", label="Reference, name or e-mail")

    class Meta:
        model = Booking
        fields = ["from_start_date", "until_start_date", "start_date", "venue_id", "customer_id"]

    def _venues(self, queryset):
        return Venue.objects.filter(pk__in=queryset.values("venue_id")).only("pk", "timezone")

    def _by_local_day(self, queryset, day: date, *, after: bool | None):
        """Bookings starting on `day` (after=None), from it (True) or until it (False)."""
        condition = Q()
        for venue in self._venues(queryset):
            start, end = local_day_bounds(day, venue.tzinfo)
            if after is None:
                span = Q(starts_at__gte=start, starts_at__lt=end)
            elif after:
                span = Q(starts_at__gte=start)
            else:
                span = Q(starts_at__lt=end)
            condition |= Q(venue=venue) & span
        return queryset.filter(condition) if condition else queryset.none()

    def filter_from(self, queryset, name, value):
        return self._by_local_day(queryset, value, after=True)

    def filter_until(self, queryset, name, value):
        return self._by_local_day(queryset, value, after=False)

    def filter_on(self, queryset, name, value):
        return self._by_local_day(queryset, value, after=None)

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
