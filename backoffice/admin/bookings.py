"""Admin of bookings, their lines, payments, log and outbox (change requests have their own)."""

from django.contrib import admin
from django.utils.html import format_html

from backoffice.admin.catalogue import ScopedAdmin, ScopedTabularInline, related_only
from backoffice.admin.local_times import local_day_filter
from backoffice.admin.readable import answers_html
from backoffice.admin.through_services import ThroughServices
from bookings.models import (
    Booking,
    ChangeRequest,
    Customer,
    EventBooking,
    InventoryBooking,
    LogEntry,
    Notification,
    Payment,
    SpaceBooking,
)
from bookings.notifications import mask_manage_links
from bookings.services.customers import CUSTOMER_FIELDS, customer_delete, customer_save
from core.permissions import Action

# What a line costs, as the services priced it; the relations its row shows.
LINE_MONEY_FIELDS = (
    "unit_price_gross",
    "vat_rate",
    "discount",
    "use_manual_price",
    "manual_price_gross",
    "manual_price_vat_rate",
    "net",
    "vat",
    "gross",
)
LINE_MONEY_RELATIONS = ("vat_rate", "discount", "manual_price_vat_rate")
LINE_COMPUTED_FIELDS = ("holds_capacity", "vat_percent", "discount_amount", "net", "vat", "gross")
# A message body as staff read it: escaped, line breaks kept (static/css/admin.css).
BODY_HTML = '<pre class="message-body">{}</pre>'


class ReadOnlyTabularInline(ScopedTabularInline):
    """Rows that only services write: shown, never added, changed or deleted here."""

    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ScopedAdmin):
    """Rows that only services write (a booking, its lines, payments, log, outbox): shown,
    never added, changed or deleted here. Until the admin gets transition buttons and line
    editing that call the services, a booking is changed through the API."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# -- customers and bookings -----------------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(ThroughServices, ScopedAdmin):
    edit_action = Action.WRITE  # as the service: front desk keeps customers
    organization_path = "organization"
    list_display = ("__str__", "email", "phone", "city", "organization", "created_at")
    list_filter = (related_only("organization"), "country")
    list_select_related = ("organization",)
    search_fields = ("first_name", "last_name", "company", "email", "phone")
    readonly_fields = ("created_at", "updated_at")
    creation_fields = ("organization",)
    service_fields = CUSTOMER_FIELDS

    def save_through_service(self, request, customer, changes):
        return customer_save(actor=self.actor(request), customer=customer, changes=changes)

    def delete_through_service(self, request, customer):
        customer_delete(actor=self.actor(request), customer=customer)


class SpaceBookingInline(ReadOnlyTabularInline):
    model = SpaceBooking
    organization_path = "booking__organization"
    select_related = ("booking", "space__venue", "layout__space", *LINE_MONEY_RELATIONS)
    fields = (
        "space",
        "layout",
        "starts_at",
        "ends_at",
        "setup_minutes",
        "setdown_minutes",
        "places",
        *LINE_MONEY_FIELDS,
        "holds_capacity",
    )


class EventBookingInline(ReadOnlyTabularInline):
    model = EventBooking
    organization_path = "booking__organization"
    select_related = ("booking", "event", "price", *LINE_MONEY_RELATIONS)
    fields = ("event", "price", "quantity", *LINE_MONEY_FIELDS, "holds_capacity")


class InventoryBookingInline(ReadOnlyTabularInline):
    model = InventoryBooking
    organization_path = "booking__organization"
    select_related = ("booking", "product", "price", *LINE_MONEY_RELATIONS)
    fields = (
        "product",
        "price",
        "units",
        "starts_at",
        "ends_at",
        *LINE_MONEY_FIELDS,
        "holds_capacity",
    )


class PaymentInline(ReadOnlyTabularInline):
    model = Payment
    organization_path = "booking__organization"
    select_related = ("booking", "payment_type", "recorded_by")
    fields = ("amount", "payment_type", "reference", "paid_at", "note", "recorded_by")


class LogEntryInline(ReadOnlyTabularInline):
    model = LogEntry
    organization_path = "booking__organization"
    select_related = ("booking", "user", "api_key")
    fields = ("created_at", "action", "from_status", "to_status", "actor", "comment", "message")

    @admin.display(description="Actor")
    def actor(self, entry: LogEntry) -> str:
        return entry.actor_display


class ChangeRequestInline(ReadOnlyTabularInline):
    model = ChangeRequest
    organization_path = "booking__organization"
    select_related = ("booking",)
    fields = ("created_at", "is_cancellation", "status", "submitted_by_kind", "decided_at")
    show_change_link = True


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    organization_path = "organization"
    venue_path = "venue"
    list_display = (
        "reference",
        "customer",
        "venue",
        "status_badge",
        "starts_at",
        "total_gross",
        "balance",
        "source",
    )
    list_filter = ("status", "source", related_only("venue"))
    list_select_related = ("customer", "venue")
    search_fields = (
        "reference",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "customer__company",
        "contact_email",
    )
    date_hierarchy = "starts_at"
    # The manage token hash is deliberately in no fieldset: it never leaves the database.
    fieldsets = (
        (None, {"fields": ("reference", "status", "organization", "venue", "customer", "title")}),
        ("Request", {"fields": ("source", "booking_form", "request_note", "answers_shown")}),
        (
            "Contact",
            {
                "fields": (
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                    "notify_email",
                    "notify_sms",
                )
            },
        ),
        (
            "Money",
            {
                "fields": (
                    "payment_type",
                    "total_net",
                    "total_vat",
                    "total_gross",
                    "amount_paid",
                    "balance",
                )
            },
        ),
        ("Staff", {"fields": ("internal_note", "event", "created_by")}),
        (
            "Times",
            {
                "fields": (
                    ("starts_at", "ends_at"),
                    ("approved_at", "canceled_at"),
                    ("arrived_at", "seated_at", "released_at"),
                    ("created_at", "updated_at"),
                ),
            },
        ),
    )
    readonly_fields = (
        "reference",
        "status",  # moves by transitions through the services only
        "answers_shown",
        "total_net",
        "total_vat",
        "total_gross",
        "amount_paid",
        "balance",
        "created_by",
        "starts_at",
        "ends_at",
        "approved_at",
        "canceled_at",
        "arrived_at",
        "seated_at",
        "released_at",
        "created_at",
        "updated_at",
    )
    inlines = (
        SpaceBookingInline,
        EventBookingInline,
        InventoryBookingInline,
        PaymentInline,
        LogEntryInline,
        ChangeRequestInline,
    )

    @admin.display(description="Status", ordering="status")
    def status_badge(self, booking: Booking) -> str:
        # A class, not a style attribute: the content security policy forbids inline style.
        # static/css/admin.css holds the colours of STATUS_INFO.
        return format_html(
            '<span class="status-badge status-{}">{}</span>',
            booking.status,
            booking.get_status_display(),
        )

    @admin.display(description="Answers")
    def answers_shown(self, booking: Booking):
        return answers_html(booking)


# -- booking lines --------------------------------------------------------------------------


class BookingLineAdmin(ReadOnlyAdmin):
    organization_path = "booking__organization"
    venue_path = "booking__venue"
    list_filter = ("holds_capacity",)
    readonly_fields = (*LINE_COMPUTED_FIELDS, "created_at", "updated_at")


@admin.register(SpaceBooking)
class SpaceBookingAdmin(BookingLineAdmin):
    list_display = ("booking", "space", "layout", "starts_at", "ends_at", "places", "gross")
    list_filter = (
        local_day_filter("starts_at", "booking__venue", "starts (the venue's day)"),
        "holds_capacity",
        related_only("space__venue"),
    )
    list_select_related = ("booking__venue", "space__venue", "layout__space")
    search_fields = ("booking__reference", "space__name", "name")
    readonly_fields = (
        *BookingLineAdmin.readonly_fields,
        "occupied_from",
        "occupied_until",
        "exclusive_space",
    )


@admin.register(EventBooking)
class EventBookingAdmin(BookingLineAdmin):
    list_display = ("booking", "event", "price", "quantity", "gross", "holds_capacity")
    list_select_related = ("booking", "event", "price")
    search_fields = ("booking__reference", "event__title")


@admin.register(InventoryBooking)
class InventoryBookingAdmin(BookingLineAdmin):
    list_display = ("booking", "product", "units", "starts_at", "ends_at", "gross")
    list_filter = (
        local_day_filter("starts_at", "booking__venue", "starts (the venue's day)"),
        "holds_capacity",
        related_only("product"),
    )
    list_select_related = ("booking__venue", "product")
    search_fields = ("booking__reference", "product__name")


# -- money, history, outbox -------------------------------------------------------------------


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    organization_path = "booking__organization"
    venue_path = "booking__venue"
    list_display = ("booking", "amount", "payment_type", "reference", "paid_at", "recorded_by")
    list_filter = (
        local_day_filter("paid_at", "booking__venue", "paid (the venue's day)"),
        related_only("payment_type"),
    )
    list_select_related = ("booking__venue", "payment_type", "recorded_by")
    search_fields = ("booking__reference", "reference", "note")
    readonly_fields = ("recorded_by", "created_at")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    organization_path = "booking__organization"
    venue_path = "booking__venue"
    list_display = ("created_at", "booking", "action", "from_status", "to_status", "actor")
    list_filter = (
        local_day_filter("created_at", "booking__venue", "when (the venue's day)"),
        "action",
        "actor_kind",
    )
    list_select_related = ("booking__venue", "user", "api_key")
    search_fields = ("booking__reference", "comment", "message")

    @admin.display(description="Actor")
    def actor(self, entry: LogEntry) -> str:
        return entry.actor_display


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox, read-only. A message's text is shown only to roles that may act for the
    customer (the `write` right); a viewer sees where and when it went. The manage link is
    never shown: stored bodies hold a placeholder, and any link left in one is masked."""

    organization_path = "organization"
    venue_path = "booking__venue"
    list_display = ("created_at", "kind", "channel", "recipient", "status", "attempts", "sent_at")
    list_filter = (
        local_day_filter("created_at", "booking__venue", "queued (the venue's day)"),
        "status",
        "channel",
        "kind",
    )
    list_select_related = ("booking__venue",)
    search_fields = ("recipient", "subject", "booking__reference")
    metadata_fields = (
        "organization",
        "booking",
        "change_request",
        "kind",
        "channel",
        "recipient",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
    )
    body_fields = ("text_part", "html_part")
    readonly_fields = body_fields

    def may_read_bodies(self, request, obj=None) -> bool:
        return self.may(request, Action.WRITE, obj)

    def get_fields(self, request, obj=None):
        if self.may_read_bodies(request, obj):
            return (*self.metadata_fields, *self.body_fields)
        return self.metadata_fields

    @admin.display(description="Text")
    def text_part(self, notification: Notification) -> str:
        return format_html(BODY_HTML, mask_manage_links(notification.body_text))

    @admin.display(description="HTML (source)")
    def html_part(self, notification: Notification) -> str:
        return format_html(BODY_HTML, mask_manage_links(notification.body_html))
