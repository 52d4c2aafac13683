"""Admin of the catalogue, and the organisation scoping every Venuedesk admin uses."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.utils import quote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from backoffice.admin.local_times import VenueTimeZone, local_day_filter
from backoffice.admin.through_services import InlineThroughServices, ThroughServices
from bookings.services import catalogue as catalogue_services
from core.actors import Actor
from core.permissions import Action, role_may, roles_that_may
from venues import services as venue_services
from venues.models import (
    Blockout,
    BookingForm,
    CalendarFeed,
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


class RelatedOnlyFilter(RelatedOnlyFieldListFilter):
    """Offers only related objects the list's own rows use (so no other tenant's), named
    with the related admin's `list_select_related`: one query, however many choices."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        used = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
        choices = related._default_manager.filter(pk__in=used)
        select = getattr(model_admin.admin_site._registry.get(related), "list_select_related", ())
        if isinstance(select, list | tuple) and select:
            choices = choices.select_related(*select)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            choices = choices.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in choices]


def related_only(field_path: str) -> tuple:
    """A list filter offering only related objects the user can see (no other tenants)."""
    return (field_path, RelatedOnlyFilter)


class OrganizationScopedAdmin:
    """Shows non-superusers only the objects, and choices, of their organisations.

    Every admin sets `organization_path`, the lookup from its model to the Organization
    ("organization", "venue__organization", "pk" for Organization itself). Foreign-key
    and many-to-many choices are scoped with the path of the related model's admin, and
    use that admin's `list_select_related` so that option labels cost no extra queries.

    The permission policy (core.permissions), not Django's model permissions, decides
    what a staff user may do: looking takes `view_action` (every member: VIEW), and
    the list shows only the organisations where the user has it; adding, changing and
    deleting take `edit_action` in the organisation of the object (of the parent, for
    inlines).
    """

    organization_path: str | None = None
    view_action = Action.VIEW
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
        # A page asks about its object (and each inline row's parent) many times over.
        answers = request.__dict__.setdefault("_venuedesk_may", {})
        key = (type(obj)._meta.label, obj.pk, action)
        if key not in answers:
            path = self.admin_site._registry[type(obj)].organization_path
            answers[key] = (
                type(obj)
                ._default_manager.filter(pk=obj.pk, **{f"{path}__in": organizations})
                .exists()
            )
        return answers[key]

    def change_url(self, obj) -> str:
        """The admin page of `obj` (this admin's model)."""
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )

    def has_module_permission(self, request) -> bool:
        return self.may(request, self.view_action)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.may(request, self.view_action, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.may(request, self.edit_action, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.may(request, self.edit_action, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.may(request, self.edit_action, obj)

    @staticmethod
    def scope(queryset, path: str, request, action: Action = Action.VIEW):
        """`queryset` limited to the organisations where the user may do `action`."""
        if request.user.is_superuser:
            return queryset
        organizations = Membership.objects.filter(
            user_id=request.user.pk, role__in=roles_that_may(action)
        ).values("organization_id")
        return queryset.filter(**{f"{path}__in": organizations})

    def get_queryset(self, request):
        if self.organization_path is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must set organization_path.")
        return self.scope(
            super().get_queryset(request), self.organization_path, request, self.view_action
        )

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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            # Deleting the customer (or space, or form) from another object's page is a
            # slip waiting to happen; it is deleted from its own page.
            formfield.widget.can_delete_related = False
        return formfield


# -- venues and spaces ----------------------------------------------------------------------


class OpeningHoursInline(InlineThroughServices, ScopedTabularInline):
    model = OpeningHours
    organization_path = "venue__organization"
    fields = venue_services.OPENING_HOURS_FIELDS
    service_fields = venue_services.OPENING_HOURS_FIELDS

    def save_row(self, request, period, changes):
        return venue_services.opening_hours_save(
            actor=self.actor(request), period=period, changes=changes
        )

    def delete_row(self, request, period):
        venue_services.opening_hours_delete(actor=self.actor(request), period=period)


class ManagersOnly:
    """Only managers see calendar feeds: an address lets its holder read the venue's
    bookings without logging in."""

    def has_module_permission(self, request) -> bool:
        return self.may(request, Action.MANAGE)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.may(request, Action.MANAGE, obj)


class CalendarFeedInline(ManagersOnly, ScopedTabularInline):
    """The venue's feeds on its page, for the record; made and revoked on their own pages."""

    model = CalendarFeed
    organization_path = "venue__organization"
    venue_path = "venue"
    fields = ("name", "created_by", "created_at", "revoked_at")
    readonly_fields = fields
    select_related = ("created_by",)
    show_change_link = True
    verbose_name_plural = "calendar feeds (add one under Calendar feeds)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Venue)
class VenueAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "organization", "city", "country", "timezone", "is_active")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("name", "slug", "city", "address")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OpeningHoursInline, CalendarFeedInline)
    creation_fields = ("organization",)
    service_fields = venue_services.VENUE_FIELDS

    def zone_for(self, request, obj=None):
        return obj.tzinfo if obj is not None else super().zone_for(request)

    def get_inlines(self, request, obj):
        # A venue being added has no feeds yet (and its form then posts no rows of them).
        return self.inlines if obj is not None else (OpeningHoursInline,)

    def save_through_service(self, request, venue, changes):
        return venue_services.venue_save(actor=self.actor(request), venue=venue, changes=changes)

    def delete_through_service(self, request, venue):
        venue_services.venue_delete(actor=self.actor(request), venue=venue)


@admin.register(VatRate)
class VatRateAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "percent", "organization", "is_active")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("name",)
    creation_fields = ("organization",)
    service_fields = venue_services.VAT_RATE_FIELDS

    def save_through_service(self, request, vat_rate, changes):
        return venue_services.vat_rate_save(
            actor=self.actor(request), vat_rate=vat_rate, changes=changes
        )

    def delete_through_service(self, request, vat_rate):
        venue_services.vat_rate_delete(actor=self.actor(request), vat_rate=vat_rate)


class SpaceLayoutInline(InlineThroughServices, ScopedTabularInline):
    model = SpaceLayout
    organization_path = "space__venue__organization"
    select_related = ("space",)
    fields = ("name", "capacity", "setup_minutes", "setdown_minutes", "position")
    service_fields = catalogue_services.LAYOUT_FIELDS

    def save_row(self, request, layout, changes):
        return catalogue_services.layout_save(
            actor=self.actor(request), layout=layout, changes=changes
        )

    def delete_row(self, request, layout):
        catalogue_services.layout_delete(actor=self.actor(request), layout=layout)


def save_blockout(request, blockout: Blockout, changes: dict) -> Blockout:
    """blockout_save by the requesting user, its warnings shown as messages."""
    if blockout.pk is None:
        blockout.created_by = request.user
    saved = catalogue_services.blockout_save(
        actor=Actor.staff(request.user), blockout=blockout, changes=changes
    )
    for warning in saved.warnings:
        messages.warning(request, warning)
    return saved.blockout


class BlockoutInline(InlineThroughServices, ScopedTabularInline):
    """The space's blockouts that have not ended yet; past ones are in the blockout list."""

    model = Blockout
    verbose_name_plural = "upcoming blockouts"
    edit_action = Action.WRITE  # as the service: front desk keeps them
    organization_path = "space__venue__organization"
    select_related = ("space__venue",)
    fields = ("starts_at", "ends_at", "reason", "note")
    service_fields = catalogue_services.BLOCKOUT_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ends_at__gt=timezone.now())

    def save_row(self, request, blockout, changes):
        return save_blockout(request, blockout, changes)

    def delete_row(self, request, blockout):
        catalogue_services.blockout_delete(actor=self.actor(request), blockout=blockout)


@admin.register(Space)
class SpaceAdmin(ThroughServices, ScopedAdmin):
    """The space row goes through space_save (its mode decides the lines' constraint), its
    layouts and upcoming blockouts through theirs. No delete service exists: the stock
    delete runs, and the lines and events of a space protect it."""

    organization_path = "venue__organization"
    venue_path = "venue"
    list_display = ("name", "venue", "kind", "mode", "capacity", "hourly_price", "is_active")
    list_filter = ("kind", "mode", "is_active", related_only("venue"))
    list_select_related = ("venue",)
    search_fields = ("name", "slug", "venue__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (SpaceLayoutInline, BlockoutInline)
    service_fields = catalogue_services.SPACE_FIELDS

    def save_through_service(self, request, space, changes):
        return catalogue_services.space_save(
            actor=self.actor(request), space=space, changes=changes
        )


@admin.register(SpaceLayout)
class SpaceLayoutAdmin(ThroughServices, ScopedAdmin):
    organization_path = "space__venue__organization"
    venue_path = "space__venue"
    list_display = ("name", "space", "capacity", "setup_minutes", "setdown_minutes")
    list_filter = (related_only("space__venue"),)
    list_select_related = ("space__venue",)
    search_fields = ("name", "space__name")
    autocomplete_fields = ("space",)
    service_fields = catalogue_services.LAYOUT_FIELDS

    def save_through_service(self, request, layout, changes):
        return catalogue_services.layout_save(
            actor=self.actor(request), layout=layout, changes=changes
        )

    def delete_through_service(self, request, layout):
        catalogue_services.layout_delete(actor=self.actor(request), layout=layout)


@admin.register(Blockout)
class BlockoutAdmin(ThroughServices, ScopedAdmin):
    edit_action = Action.WRITE  # as the service: front desk keeps them
    organization_path = "space__venue__organization"
    venue_path = "space__venue"
    list_display = ("space", "when", "reason", "note", "created_by")
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
        return save_blockout(request, blockout, changes)

    def delete_through_service(self, request, blockout):
        catalogue_services.blockout_delete(actor=self.actor(request), blockout=blockout)


@admin.register(OpeningHours)
class OpeningHoursAdmin(ThroughServices, ScopedAdmin):
    organization_path = "venue__organization"
    venue_path = "venue"
    list_display = ("venue", "weekday", "opens_at", "closes_at")
    list_filter = ("weekday", related_only("venue"))
    list_select_related = ("venue",)
    search_fields = ("venue__name",)
    creation_fields = ("venue",)
    service_fields = venue_services.OPENING_HOURS_FIELDS

    def save_through_service(self, request, period, changes):
        return venue_services.opening_hours_save(
            actor=self.actor(request), period=period, changes=changes
        )

    def delete_through_service(self, request, period):
        venue_services.opening_hours_delete(actor=self.actor(request), period=period)


# -- what is sold ---------------------------------------------------------------------------


class PriceInline(InlineThroughServices, ScopedTabularInline):
    """Named prices; price_save gives a new one its event's or product's organisation."""

    model = Price
    organization_path = "organization"
    fields = ("name", "amount_gross", "vat_rate", "position", "is_active")
    service_fields = catalogue_services.PRICE_FIELDS

    def save_row(self, request, price, changes):
        return catalogue_services.price_save(
            actor=self.actor(request), price=price, changes=changes
        )

    def delete_row(self, request, price):
        catalogue_services.price_delete(actor=self.actor(request), price=price)


@admin.register(Event)
class EventAdmin(ThroughServices, ScopedAdmin):
    """Saved by event_save (its organisation is its venue's; its capacity never drops below
    the tickets held), its prices by price_save (managers only, as the catalogue). Never
    deleted here: no service deletes an event, and deleting the event of an approved
    booking would unlink it from its booking behind the services."""

    edit_action = Action.WRITE  # as the service: front desk keeps them

    organization_path = "organization"
    venue_path = "venue"
    list_display = ("title", "where", "when", "capacity", "status")
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

    @admin.display(description="Venue and space", ordering="venue__name")
    def where(self, event: Event) -> str:
        space = event.space.name if event.space else ""
        return format_html('{}<br><span class="quiet">{}</span>', event.venue.name, space)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_through_service(self, request, event, changes):
        return catalogue_services.event_save(
            actor=self.actor(request), event=event, changes=changes
        )


@admin.register(InventoryProduct)
class InventoryProductAdmin(ThroughServices, ScopedAdmin):
    """Saved by product_save (the stock never drops below the units held), its prices by
    price_save. No delete service: the stock delete runs, and booked lines protect it."""

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
class PriceAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "amount_gross", "vat_rate", "event", "product", "is_active")
    list_filter = ("is_active", related_only("organization"))
    list_select_related = ("vat_rate", "event__venue", "product")
    search_fields = ("name", "event__title", "product__name")
    autocomplete_fields = ("event", "product")
    service_fields = catalogue_services.PRICE_FIELDS

    def save_through_service(self, request, price, changes):
        return catalogue_services.price_save(
            actor=self.actor(request), price=price, changes=changes
        )

    def delete_through_service(self, request, price):
        catalogue_services.price_delete(actor=self.actor(request), price=price)


@admin.register(Discount)
class DiscountAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "kind", "value", "applies_to", "code", "valid_from", "valid_until")
    list_filter = ("kind", "applies_to", "is_active", related_only("organization"))
    search_fields = ("name", "code")
    creation_fields = ("organization",)
    service_fields = venue_services.DISCOUNT_FIELDS

    def save_through_service(self, request, discount, changes):
        return venue_services.discount_save(
            actor=self.actor(request), discount=discount, changes=changes
        )

    def delete_through_service(self, request, discount):
        venue_services.discount_delete(actor=self.actor(request), discount=discount)


@admin.register(PaymentType)
class PaymentTypeAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    list_display = ("name", "kind", "organization", "is_active")
    list_filter = ("kind", "is_active", related_only("organization"))
    list_select_related = ("organization",)
    search_fields = ("name",)
    creation_fields = ("organization",)
    service_fields = venue_services.PAYMENT_TYPE_FIELDS

    def save_through_service(self, request, payment_type, changes):
        return venue_services.payment_type_save(
            actor=self.actor(request), payment_type=payment_type, changes=changes
        )

    def delete_through_service(self, request, payment_type):
        catalogue_services.payment_type_delete(actor=self.actor(request), payment_type=payment_type)


# -- public booking forms -------------------------------------------------------------------


class ChoicesField(forms.Field):
    """The options of a choice question, typed one per line; the model keeps a JSON list.

    Blank lines are dropped; whether the options suit the question (none twice, some for
    a choice question, none for others) is the service's to say."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 24})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class QuestionFields:
    """Form fields of a booking form's question: options one per line, and in read-only
    pages a readable list of them instead of JSON."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "choices":
            return ChoicesField(required=False, label="Choices", help_text="One option per line.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        shown = "choices" if self.has_change_permission(request, obj) else "options"
        fields = super().get_fields(request, obj)
        return tuple(
            dict.fromkeys(shown if name in ("choices", "options") else name for name in fields)
        )

    @admin.display(description="Choices")
    def options(self, field: CustomField) -> str:
        return ", ".join(field.choices) if isinstance(field.choices, list) else "–"


class CustomFieldInline(QuestionFields, InlineThroughServices, ScopedTabularInline):
    """The form's questions as the public form asks them: by section, then by position.
    A new row is placed last (positions go in steps of 10, so 15 fits between 10 and 20)."""

    model = CustomField
    organization_path = "form__organization"
    select_related = ("form",)
    ordering = ("section", "position", "id")
    fields = ("position", "label", "key", "field_type", "section", "required", "choices")
    readonly_fields = ("options",)
    service_fields = catalogue_services.CUSTOM_FIELD_FIELDS
    step = 10

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        position = formset_class.form.base_fields.get("position")
        if position is not None:
            last = obj.custom_fields.aggregate(last=Max("position"))["last"] if obj else None
            position.initial = self.step if last is None else last + self.step
            position.help_text = "Lower comes first; 15 goes between 10 and 20."
        return formset_class

    def save_row(self, request, field, changes):
        return catalogue_services.custom_field_save(
            actor=self.actor(request), field=field, changes=changes
        )

    def delete_row(self, request, field):
        catalogue_services.custom_field_delete(actor=self.actor(request), field=field)


@admin.register(BookingForm)
class BookingFormAdmin(ThroughServices, ScopedAdmin):
    organization_path = "organization"
    venue_path = "venue"
    list_display = ("title", "venue", "slug", "requires_approval", "is_active")
    list_filter = ("requires_approval", "is_active", related_only("venue"))
    list_select_related = ("venue",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("spaces", "products")
    inlines = (CustomFieldInline,)
    creation_fields = ("organization",)
    service_fields = venue_services.BOOKING_FORM_FIELDS

    def save_through_service(self, request, form, changes):
        return venue_services.booking_form_save(
            actor=self.actor(request), form=form, changes=changes
        )

    def delete_through_service(self, request, form):
        catalogue_services.booking_form_delete(actor=self.actor(request), form=form)


@admin.register(CustomField)
class CustomFieldAdmin(QuestionFields, ThroughServices, ScopedAdmin):
    organization_path = "form__organization"
    list_display = ("label", "key", "form", "field_type", "section", "required", "position")
    list_filter = ("field_type", "section", "required", related_only("form"))
    list_select_related = ("form",)
    search_fields = ("label", "key", "form__title")
    autocomplete_fields = ("form",)
    readonly_fields = ("options",)
    service_fields = catalogue_services.CUSTOM_FIELD_FIELDS

    def save_through_service(self, request, field, changes):
        return catalogue_services.custom_field_save(
            actor=self.actor(request), field=field, changes=changes
        )

    def delete_through_service(self, request, field):
        catalogue_services.custom_field_delete(actor=self.actor(request), field=field)
