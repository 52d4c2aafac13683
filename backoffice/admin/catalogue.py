"""Admin of the catalogue, and the organisation scoping every Venuedesk admin uses."""

from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.forms.models import BaseInlineFormSet

from backoffice.admin.local_times import VenueTimeZone, local_day_filter
from backoffice.admin.through_services import ThroughServices
from bookings.services import catalogue as catalogue_services
from core.permissions import Action, role_may
from venues import services as venue_services
from venues.models import (
    Blockout,
    BookingForm,
    CustomField,
    Discount,
    Event,
    InventoryProduct,
    Membership,
    OpeningHours,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
    VatRate,
    Venue,
)


def related_only(field_path: str) -> tuple:
    """A list filter offering only related objects the user can see (no other tenants)."""
    return (field_path, RelatedOnlyFieldListFilter)


class OrganizationScopedAdmin:
    """Shows non-superusers only the objects, and choices, of their organisations.

    Every admin sets `organization_path`, the lookup from its model to the Organization
    ("organization", "venue__organization", "pk" for Organization itself). Foreign-key
    and many-to-many choices are scoped with the path of the related model's admin, and
    use that admin's `list_select_related` so that option labels cost no extra queries.

    The permission policy (core.permissions), not Django's model permissions, decides
    what a staff user may do: every member may look (VIEW); adding, changing and
    deleting take `edit_action` in the organisation of the object (of the parent, for
    inlines).
    """

    organization_path: str | None = None
    edit_action = Action.MANAGE

    @staticmethod
    def roles_of(request) -> dict[int, str]:
        """{organisation id: role} of the requesting user, read once per request."""
        if not hasattr(request, "_venuedesk_roles"):
            request._venuedesk_roles = dict(
                Membership.objects.filter(user_id=request.user.pk).values_list(
                    "organization_id", "role"
                )
            )
        return request._venuedesk_roles

    def may(self, request, action: Action, obj=None) -> bool:
        user = request.user
        if user.is_active and user.is_superuser:
            return True
        if not (user.is_active and user.is_staff):
            return False
        organizations = [
            organization
            for organization, held in self.roles_of(request).items()
            if role_may(held, action)
        ]
        if not organizations or obj is None or obj.pk is None:
            return bool(organizations)
        path = self.admin_site._registry[type(obj)].organization_path
        return (
            type(obj)._default_manager.filter(pk=obj.pk, **{f"{path}__in": organizations}).exists()
        )

    def has_module_permission(self, request) -> bool:
        return self.may(request, Action.VIEW)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.may(request, Action.VIEW, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.may(request, self.edit_action, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.may(request, self.edit_action, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.may(request, self.edit_action, obj)

    @staticmethod
    def scope(queryset, path: str, request):
        if request.user.is_superuser:
            return queryset
        organizations = Membership.objects.filter(user_id=request.user.pk).values("organization_id")
        return queryset.filter(**{f"{path}__in": organizations})

    def get_queryset(self, request):
        if self.organization_path is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must set organization_path.")
        return self.scope(super().get_queryset(request), self.organization_path, request)

    def choices_for(self, db_field, request, using=None):
        related_model = db_field.related_model
        queryset = self.get_field_queryset(using, db_field, request)
        if queryset is None:
            queryset = related_model._default_manager.using(using)
        related_admin = self.admin_site._registry.get(related_model)
        select_related = getattr(related_admin, "list_select_related", None)
        if isinstance(select_related, list | tuple) and select_related:
            queryset = queryset.select_related(*select_related)
        if related_model is get_user_model():
            # Staff users are offered only colleagues of their own organisations.
            return self.scope(queryset, "memberships__organization", request).distinct()
        path = getattr(related_admin, "organization_path", None)
        return queryset if path is None else self.scope(queryset, path, request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.choices_for(db_field, request, kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.choices_for(db_field, request, kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedTabularInline(VenueTimeZone, OrganizationScopedAdmin, admin.TabularInline):
    """A tabular inline with scoped choices; `select_related` feeds each row's label."""

    extra = 0
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        widget_queries = (*self.autocomplete_fields, *self.raw_id_fields)
        if db_field.related_model is not self.parent_model and db_field.name not in widget_queries:
            # Otherwise every row of the inline runs the same choices query again.
            formfield.choices = list(formfield.choices)
        return formfield


class ScopedAdmin(VenueTimeZone, OrganizationScopedAdmin, admin.ModelAdmin):
    """A ModelAdmin limited to the user's organisations, its times in the venue's zone."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# -- venues and spaces ----------------------------------------------------------------------


class OpeningHoursInline(ScopedTabularInline):
    model = OpeningHours
    organization_path = "venue__organization"


@admin.register(Venue)
class VenueAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "organization", "city", "country", "timezone", "is_active")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("name", "slug", "city", "address")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OpeningHoursInline,)  # opening hours protect no booking: saved directly
    creation_fields = ("organization",)
    service_fields = venue_services.VENUE_FIELDS

    def zone_for(self, request, obj=None):
        return obj.tzinfo if obj is not None else super().zone_for(request)

    def save_through_service(self, request, venue, changes):
        return venue_services.venue_save(actor=self.actor(request), venue=venue, changes=changes)

    def delete_through_service(self, request, venue):
        venue_services.venue_delete(actor=self.actor(request), venue=venue)


@admin.register(VatRate)
class VatRateAdmin(ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "percent", "organization", "is_active")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("name",)


class SpaceLayoutInline(ScopedTabularInline):
    model = SpaceLayout
    organization_path = "space__venue__organization"
    select_related = ("space",)


@admin.register(Space)
class SpaceAdmin(ThroughServices, ScopedAdmin):
    """The space row goes through space_save (its mode decides the lines' constraint); its
    layouts protect no booking and are saved directly. No delete service exists: the stock
    delete runs, and the lines and events of a space protect it."""

    organization_path = "venue__organization"
    venue_path = "venue"
    list_display = ("name", "venue", "kind", "mode", "capacity", "hourly_price", "is_active")
    list_filter = ("kind", "mode", "is_active", related_only("venue"))
    list_select_related = ("venue",)
    search_fields = ("name", "slug", "venue__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (SpaceLayoutInline,)
    service_fields = catalogue_services.SPACE_FIELDS

    def save_through_service(self, request, space, changes):
        return catalogue_services.space_save(
            actor=self.actor(request), space=space, changes=changes
        )


@admin.register(SpaceLayout)
class SpaceLayoutAdmin(ScopedAdmin):
    organization_path = "space__venue__organization"
    venue_path = "space__venue"
    list_display = ("name", "space", "capacity", "setup_minutes", "setdown_minutes")
    list_filter = (related_only("space__venue"),)
    list_select_related = ("space__venue",)
    search_fields = ("name", "space__name")
    autocomplete_fields = ("space",)


@admin.register(Blockout)
class BlockoutAdmin(ThroughServices, ScopedAdmin):
    edit_action = Action.WRITE  # as the service: front desk keeps them
    organization_path = "space__venue__organization"
    venue_path = "space__venue"
    list_display = ("space", "starts_at", "ends_at", "reason", "note", "created_by")
    list_filter = ("reason", related_only("space__venue"))
    list_select_related = ("space__venue", "created_by")
    search_fields = ("space__name", "note")
    list_filter = (
        local_day_filter("starts_at", "space__venue", "Starts (the venue's day)"),
        "reason",
        related_only("space__venue"),
    )
    autocomplete_fields = ("space",)
    readonly_fields = ("created_by", "created_at")
    service_fields = catalogue_services.BLOCKOUT_FIELDS

    def save_through_service(self, request, blockout, changes):
        if blockout.pk is None:
            blockout.created_by = request.user
        saved = catalogue_services.blockout_save(
            actor=self.actor(request), blockout=blockout, changes=changes
        )
        for warning in saved.warnings:
            self.message_user(request, warning, messages.WARNING)
        return saved.blockout

    def delete_through_service(self, request, blockout):
        catalogue_services.blockout_delete(actor=self.actor(request), blockout=blockout)


@admin.register(OpeningHours)
class OpeningHoursAdmin(ScopedAdmin):
    organization_path = "venue__organization"
    venue_path = "venue"
    list_display = ("venue", "weekday", "opens_at", "closes_at")
    list_filter = ("weekday", related_only("venue"))
    list_select_related = ("venue",)
    search_fields = ("venue__name",)


# -- what is sold ---------------------------------------------------------------------------


class OrganizationFromParentFormSet(BaseInlineFormSet):
    """New rows take the organisation of their parent (prices of an event or product)."""

    def save_new(self, form, commit=True):
        form.instance.organization = self.instance.organization
        return super().save_new(form, commit=commit)


class PriceInline(ScopedTabularInline):
    model = Price
    organization_path = "organization"
    formset = OrganizationFromParentFormSet
    fields = ("name", "amount_gross", "vat_rate", "position", "is_active")


@admin.register(Event)
class EventAdmin(ThroughServices, ScopedAdmin):
    """Saved by event_save (its organisation is its venue's; its capacity never drops below
    the tickets held). Never deleted here: no service deletes an event, and deleting the
    event of an approved booking would unlink it from its booking behind the services."""

    edit_action = Action.WRITE  # as the service: front desk keeps them

    organization_path = "organization"
    venue_path = "venue"
    list_display = ("title", "venue", "space", "starts_at", "ends_at", "capacity", "status")
    list_filter = (
        local_day_filter("starts_at", "venue", "starts (the venue's day)"),
        "status",
        "is_public",
        related_only("venue"),
    )
    list_select_related = ("venue", "space__venue")
    search_fields = ("title", "description")
    autocomplete_fields = ("space",)
    # The status moves by the booking services only (cancel); the organisation is the venue's.
    readonly_fields = ("organization", "status", "created_at", "updated_at")
    inlines = (PriceInline,)
    service_fields = catalogue_services.EVENT_FIELDS

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_through_service(self, request, event, changes):
        return catalogue_services.event_save(
            actor=self.actor(request), event=event, changes=changes
        )


@admin.register(InventoryProduct)
class InventoryProductAdmin(ThroughServices, ScopedAdmin):
    """Saved by product_save (the stock never drops below the units held); its prices are
    saved directly. No delete service: the stock delete runs, and booked lines protect it."""

    organization_path = "organization"
    list_display = ("name", "organization", "venue", "units_total", "unit_price", "is_active")
    list_filter = ("is_active", related_only("venue"), related_only("organization"))
    list_select_related = ("organization", "venue")
    search_fields = ("name", "description")
    inlines = (PriceInline,)
    creation_fields = ("organization",)
    service_fields = catalogue_services.PRODUCT_FIELDS

    def save_through_service(self, request, product, changes):
        return catalogue_services.product_save(
            actor=self.actor(request), product=product, changes=changes
        )


@admin.register(Price)
class PriceAdmin(ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "amount_gross", "vat_rate", "event", "product", "is_active")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("vat_rate", "event", "product")
    search_fields = ("name", "event__title", "product__name")
    autocomplete_fields = ("event", "product")


@admin.register(Discount)
class DiscountAdmin(ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "kind", "value", "applies_to", "code", "valid_from", "valid_until")
    list_filter = ("kind", "applies_to", "is_active", related_only("organization"))
    search_fields = ("name", "code")


@admin.register(PaymentType)
class PaymentTypeAdmin(ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "kind", "organization", "is_active")
    list_filter = ("kind", "is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("name",)


# -- public booking forms -------------------------------------------------------------------


class CustomFieldInline(ScopedTabularInline):
    model = CustomField
    organization_path = "form__organization"
    select_related = ("form",)
    fields = ("position", "label", "key", "field_type", "section", "required", "choices")


@admin.register(BookingForm)
class BookingFormAdmin(ScopedAdmin):
    organization_path = "organization"
    venue_path = "venue"
    list_display = ("title", "venue", "slug", "requires_approval", "is_active")
    list_filter = ("requires_approval", "is_active", related_only("venue"))
    list_select_related = ("venue",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("spaces", "products")
    inlines = (CustomFieldInline,)


@admin.register(CustomField)
class CustomFieldAdmin(ScopedAdmin):
    organization_path = "form__organization"
    list_display = ("label", "key", "form", "field_type", "section", "required", "position")
    list_filter = ("field_type", "section", "required", related_only("form"))
    list_select_related = ("form",)
    search_fields = ("label", "key", "form__title")
    autocomplete_fields = ("form",)
