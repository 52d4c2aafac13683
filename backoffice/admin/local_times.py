"""Date-times in the admin are shown and entered in the venue's own zone, with the zone named.

The stock admin shows and reads every date-time in settings.TIME_ZONE (UTC). Here:

- A change page of an object that belongs to a venue runs in that venue's zone
  (`timezone.override`): the split date and time inputs show local times, a typed time is
  read as local (one the clocks skip is a form error, not a guess), read-only times are
  local, and each input names its zone. `venue_path` is the lookup from the model to its
  Venue ("venue", "space__venue", "booking__venue").
- An add page takes the zone of the venue (or space, or booking) picked in the posted
  form; before one is picked, the zone all the user's venues share, else UTC, named.
- Change lists show `local_time` columns ("Mon 8 Dec 2030, 14:00 CET", the full zone name
  on hover) and filter by the venue's own day (`local_day_filter`).
"""

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.times import local_day_bounds, year_in_range
from venues.models import Membership, Venue

# Where the zone of the page being built is kept for its form fields.
ZONE = "_venuedesk_zone"


def local_time(moment, zone: ZoneInfo, *, two_lines: bool = False) -> str:
    """`moment` in `zone` for a list or a read-only field: the zone's abbreviation is shown,
    its full name on hover, and the machine-readable instant in the `datetime` attribute.
    `two_lines` puts the time under the date (list columns, to keep them narrow)."""
    if moment is None:
        return "–"
    local = timezone.localtime(moment, zone)
    return format_html(
        '<time datetime="{}" title="{}">{}{} {} {}</time>',
        moment.astimezone(UTC).isoformat(),
        zone.key,
        formats.date_format(local, "D j M Y"),
        mark_safe("<br>") if two_lines else ",",  # noqa: S308 - a constant
        f"{local:%H:%M}",
        local.tzname(),
    )


def local_span(starts_at, ends_at, zone: ZoneInfo, *, two_lines: bool = False) -> str:
    """A span in `zone`: "Mon 4 Mar 2030, 10:00–12:00 CET" (both days when it crosses
    midnight); `two_lines` puts the hours under the day (list columns)."""
    if starts_at is None or ends_at is None:
        return "–"
    start, end = timezone.localtime(starts_at, zone), timezone.localtime(ends_at, zone)
    day = formats.date_format(start, "D j M Y")
    until = f"{end:%H:%M}"
    if end.date() != start.date():
        until = f"{formats.date_format(end, 'D j M')} {until}"
    return format_html(
        '<time datetime="{}" title="{}">{}{} {}–{} {}</time>',
        starts_at.astimezone(UTC).isoformat(),
        zone.key,
        day,
        mark_safe("<br>") if two_lines else ",",  # noqa: S308 - a constant
        f"{start:%H:%M}",
        until,
        end.tzname(),
    )


def venue_of(obj, venue_path: str) -> Venue | None:
    """Follow `venue_path` ("space__venue") from `obj` to its venue, None where it stops."""
    for name in venue_path.split("__"):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


class ZonedSplitDateTime(AdminSplitDateTime):
    """The admin's date and time inputs with the zone they are read in named beside them."""

    template_name = "admin/widgets/zoned_split_datetime.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["zone"] = timezone.get_current_timezone_name()
        return context


class VenueTimeZone:
    """A ModelAdmin or inline mixin: its date-times are in the venue's zone (module doc).

    A ModelAdmin sets `venue_path` (None: the objects belong to no venue, and are shown in
    the zone of the user's venues). Its inlines need only the mixin, as they are built
    while the parent's page runs in the parent's zone. Date-time columns of the change
    list become `local_time` columns in each row's venue's zone.
    """

    venue_path: str | None = None
    change_form_template = "admin/venuedesk/change_form.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField):
            kwargs["widget"] = ZonedSplitDateTime
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def zone_for(self, request, obj=None) -> ZoneInfo:
        if obj is not None and self.venue_path:
            venue = venue_of(obj, self.venue_path)
            if venue is not None:
                return venue.tzinfo
        return self.zone_of_posted_choice(request) or self.zone_of_user(request)

    def zone_of_posted_choice(self, request) -> ZoneInfo | None:
        """The zone of the venue reached from the related object picked in the form."""
        if not self.venue_path:
            return None
        first, _, rest = self.venue_path.partition("__")
        picked = request.POST.get(first) or request.GET.get(first)
        if not picked or not str(picked).isdigit() or len(str(picked)) > 18:
            return None
        related = self.model._meta.get_field(first).related_model
        if related is Venue:
            venues = Venue.objects.filter(pk=picked)
        else:
            venues = Venue.objects.filter(
                pk__in=related._default_manager.filter(pk=picked).values(f"{rest}__pk")
            )
        zone = venues.values_list("timezone", flat=True).first()
        return ZoneInfo(zone) if zone else None

    @staticmethod
    def zone_of_user(request) -> ZoneInfo:
        """The zone every venue the user can see shares; UTC when they differ (read once)."""
        if not hasattr(request, "_venuedesk_user_zone"):
            venues = Venue.objects.all()
            if not request.user.is_superuser:
                organizations = Membership.objects.filter(user_id=request.user.pk)
                venues = venues.filter(organization__in=organizations.values("organization_id"))
            zones = list(venues.order_by().values_list("timezone", flat=True).distinct()[:2])
            request._venuedesk_user_zone = ZoneInfo(zones[0] if len(zones) == 1 else "UTC")
        return request._venuedesk_user_zone

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = None
        if object_id is not None and self.venue_path:
            obj = self.get_object(request, unquote(object_id))
        zone = self.zone_for(request, obj)
        setattr(request, ZONE, zone)
        extra_context = {**(extra_context or {}), "venue_zone": zone.key}
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            # A TemplateResponse renders after the view returns, out of the zone: render it here.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response

    @admin.display(description="When (venue time)", ordering="starts_at")
    def when(self, obj) -> str:
        """A list column of the object's `starts_at`–`ends_at` in its venue's zone."""
        return local_span(
            obj.starts_at, obj.ends_at, venue_of(obj, self.venue_path).tzinfo, two_lines=True
        )

    def get_list_display(self, request):
        zone = self.zone_of_user(request)
        return [
            self.local_column(name, zone) if self.is_datetime(name) else name
            for name in super().get_list_display(request)
        ]

    def is_datetime(self, name) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return isinstance(self.model._meta.get_field(name), models.DateTimeField)
        except FieldDoesNotExist:
            return False

    def local_column(self, name: str, user_zone: ZoneInfo):
        """A column showing date-time field `name` in each row's venue's zone."""
        venue_path = self.venue_path

        def column(obj):
            venue = venue_of(obj, venue_path) if venue_path else None
            zone = venue.tzinfo if venue else user_zone
            return local_time(getattr(obj, name), zone, two_lines=True)

        field = self.model._meta.get_field(name)
        column.short_description = str(field.verbose_name).capitalize()
        column.admin_order_field = name
        column.__name__ = name
        return column


# -- the venue's own day in change lists -------------------------------------------------------


def local_day_filter(field_name: str, venue_path: str, title: str) -> type[admin.SimpleListFilter]:
    """A list filter on `field_name` by the venue's own calendar day: today, tomorrow, the
    next 7 days, this month, upcoming, past, or any one day (`?<field>_day=2030-03-04`)."""

    parameter = f"{field_name}_day"

    class LocalDayListFilter(admin.SimpleListFilter):
        CHOICES = (
            ("today", "Today"),
            ("tomorrow", "Tomorrow"),
            ("next7", "Next 7 days"),
            ("month", "This month"),
            ("upcoming", "From today on"),
            ("past", "Before today"),
        )

        def __init__(self, request, params, model, model_admin):
            self.title = title
            self.parameter_name = parameter
            super().__init__(request, params, model, model_admin)

        def lookups(self, request, model_admin):
            choices = list(self.CHOICES)
            value = self.value()
            if value and value not in dict(self.CHOICES) and parse_day(value):
                choices.append((value, formats.date_format(parse_day(value), "D j M Y")))
            return choices

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            venues = Venue.objects.filter(
                pk__in=queryset.order_by().values(f"{venue_path}__pk")
            ).only("pk", "timezone")
            condition = Q()
            for venue in venues:
                span = day_span(value, venue.tzinfo)
                if span is None:
                    return queryset.none()
                start, end = span
                within = Q(**{venue_path: venue})
                if start is not None:
                    within &= Q(**{f"{field_name}__gte": start})
                if end is not None:
                    within &= Q(**{f"{field_name}__lt": end})
                condition |= within
            return queryset.filter(condition) if condition else queryset.none()

    return LocalDayListFilter


def parse_day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return day if year_in_range(day) else None


def day_span(value: str, zone: ZoneInfo):
    """[start, end) in `zone` for a choice of local_day_filter (None for an open end), or
    None for a value that is no choice."""
    today = timezone.localdate(timezone=zone)
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    first, last = {
        "today": (today, today),
        "tomorrow": (today + timedelta(days=1), today + timedelta(days=1)),
        "next7": (today, today + timedelta(days=6)),
        "month": (today.replace(day=1), next_month - timedelta(days=1)),
        "upcoming": (today, None),
        "past": (None, today - timedelta(days=1)),
    }.get(value, (parse_day(value), parse_day(value)))
    if first is None and last is None:
        return None
    return (
        local_day_bounds(first, zone)[0] if first else None,
        local_day_bounds(last, zone)[1] if last else None,
    )
