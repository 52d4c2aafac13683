"""Admin of bookings, their lines, payments, log and outbox (change requests have their own)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.html import format_html

from backoffice.admin.booking_lines import BookingLinePages, stale_text
from backoffice.admin.booking_moves import BookingMoves
from backoffice.admin.catalogue import (
    RelatedOnlyFilter,
    ScopedAdmin,
    ScopedTabularInline,
    related_only,
)
from backoffice.admin.local_times import local_day_filter, local_span, local_time
from backoffice.admin.readable import answers_html, details_html
from backoffice.admin.refusals import SeenField
from backoffice.admin.through_services import ServiceForm, ThroughServices
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
from bookings.services.details import booking_update
from core.errors import StaleBooking
from core.permissions import Action

# Where save_model leaves the booking's `updated_at` as the page showed it, for the service.
SEEN = "_venuedesk_seen_updated_at"

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
    """Rows that only services write (lines, payments, log, outbox): shown, never added,
    changed or deleted here. Lines and payments change through the booking's page, whose
    forms call the services (booking_lines.py)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SpaceListFilter(RelatedOnlyFilter):
    """Bookings with a line in the space; the spaces offered are those the user's bookings use."""

    title = "space"


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


class CompactInline(ReadOnlyTabularInline):
    """A compact table of a booking's lines or payments (issue 12: the page fits 1366 px),
    with links to the service forms of booking_lines.py for users who may change it
    (`may_write` and `lines_open` are set per request by BookingLinePages)."""

    template = "admin/bookings/booking/compact_inline.html"
    line_kind: str | None = None  # "space", "event", "product"; None for payments
    add_label = ""
    near_top = False  # shown right after the booking's first fieldset (its change_form.html)
    may_write = False
    lines_open = False

    @admin.display(description="Gross")
    def price_gross(self, line) -> str:
        return f"{line.gross} (manual)" if line.use_manual_price else str(line.gross)


class SpaceBookingInline(CompactInline):
    verbose_name_plural = "Spaces"
    near_top = True
    model = SpaceBooking
    organization_path = "booking__organization"
    select_related = ("booking__venue", "space__venue", "layout__space")
    fields = ("space", "layout", "when", "places", "price_gross")
    line_kind = "space"
    add_label = "Add a space"

    @admin.display(description="When (the venue's time)")
    def when(self, line: SpaceBooking) -> str:
        return local_span(line.starts_at, line.ends_at, line.booking.venue.tzinfo)


class EventBookingInline(CompactInline):
    verbose_name_plural = "Tickets"
    near_top = True
    model = EventBooking
    organization_path = "booking__organization"
    select_related = ("booking", "event__venue", "price")
    fields = ("event", "price", "quantity", "price_gross")
    line_kind = "event"
    add_label = "Add tickets"


class InventoryBookingInline(CompactInline):
    verbose_name_plural = "Products and equipment"
    near_top = True
    model = InventoryBooking
    organization_path = "booking__organization"
    select_related = ("booking__venue", "product", "price")
    fields = ("product", "price", "units", "when", "price_gross")
    line_kind = "product"
    add_label = "Add a product"

    @admin.display(description="When (the venue's time)")
    def when(self, line: InventoryBooking) -> str:
        return local_span(line.starts_at, line.ends_at, line.booking.venue.tzinfo)


class PaymentInline(CompactInline):
    near_top = True
    model = Payment
    organization_path = "booking__organization"
    select_related = ("booking__venue", "payment_type", "recorded_by")
    fields = ("amount", "payment_type", "reference", "paid", "note", "recorded_by")
    add_label = "Record a payment"

    @admin.display(description="Paid (the venue's time)")
    def paid(self, payment: Payment) -> str:
        return local_time(payment.paid_at, payment.booking.venue.tzinfo)


class LogEntryInline(CompactInline):
    """The booking's timeline: every change, who made it, and what the customer was told."""

    model = LogEntry
    organization_path = "booking__organization"
    select_related = ("booking__venue", "user", "api_key")
    fields = ("created_at", "action", "statuses", "actor", "comment", "message")
    verbose_name_plural = "Timeline"

    @admin.display(description="Status")
    def statuses(self, entry: LogEntry) -> str:
        if entry.from_status == entry.to_status or not entry.to_status:
            return entry.get_to_status_display() or "–"
        return f"{entry.get_from_status_display() or '–'} → {entry.get_to_status_display()}"

    @admin.display(description="Actor")
    def actor(self, entry: LogEntry) -> str:
        return entry.actor_display


class ChangeRequestInline(CompactInline):
    model = ChangeRequest
    organization_path = "booking__organization"
    select_related = ("booking",)
    fields = ("created_at", "is_cancellation", "status", "submitted_by_kind", "decided_at")


class BookingDetailsForm(ServiceForm):
    """The booking's details as booking_update takes them, with the booking's `updated_at`
    as the page showed it: a booking changed since is refused, nothing changed."""

    seen_updated_at = SeenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_updated_at"].initial = self.instance.updated_at.isoformat()


@admin.register(Booking)
class BookingAdmin(BookingMoves, BookingLinePages, ThroughServices, ScopedAdmin):
    """A booking: its moves go through the pages of booking_moves.py, its details through
    booking_update (the write right), its lines and payments through the pages of
    booking_lines.py; everything else is read-only here."""

    organization_path = "organization"
    # Transition buttons, bulk moves and the CSV export: backoffice.admin.booking_moves.
    change_form_template = "admin/bookings/booking/change_form.html"
    change_list_template = "admin/bookings/booking/change_list.html"
    actions = ("approve_selected", "deny_selected", "cancel_selected", "export_csv")
    venue_path = "venue"
    edit_action = Action.WRITE  # as the services: front desk keeps bookings
    form = BookingDetailsForm
    service_fields = (
        "customer",
        "title",
        "contact_name",
        "contact_email",
        "contact_phone",
        "notify_email",
        "notify_sms",
        "payment_type",
        "internal_note",
    )
    autocomplete_fields = ("customer",)
    # Fits 1366 px: where and when each take one column, in the venue's zone.
    list_display = (
        "reference",
        "customer_column",
        "where",
        "when",
        "places",
        "status_and_source",
        "total",
        "balance_due",
    )
    list_filter = (
        "status",
        local_day_filter("starts_at", "venue", "starts (the venue's day)"),
        related_only("venue"),
        ("space_bookings__space", SpaceListFilter),
        "source",
        related_only("booking_form"),
    )
    list_select_related = ("customer", "venue", "organization")
    search_fields = (
        "reference",
        "title",
        "customer__first_name",
        "customer__last_name",
        "customer__company",
        "customer__email",
        "customer__phone",
        "contact_name",
        "contact_email",
        "contact_phone",
    )
    search_help_text = "Reference, title, customer or contact name, e-mail or phone."
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
        "organization",
        "venue",
        "source",
        "booking_form",
        "request_note",
        "answers_shown",
        "event",
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

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # bookings are taken through the services' doors (staff pages, API)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a booking is canceled or denied, never deleted

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.has_change_permission(request, obj):
            return fieldsets
        return (*fieldsets, (None, {"fields": ("seen_updated_at",), "classes": ("hidden",)}))

    def save_model(self, request, obj, form, change):
        setattr(request, SEEN, form.cleaned_data["seen_updated_at"])
        super().save_model(request, obj, form, change)

    def save_through_service(self, request, booking, changes):
        try:
            return booking_update(
                actor=self.actor(request),
                booking=booking,
                changes=changes,
                client_updated_at=getattr(request, SEEN),
            )
        except StaleBooking as error:
            raise ValidationError(stale_text(booking)) from error

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            # What the list shows of the lines: their spaces, events and places.
            queryset = queryset.prefetch_related(
                Prefetch(
                    "space_bookings",
                    queryset=SpaceBooking.objects.select_related("space").only(
                        "booking_id", "places", "starts_at", "space__name"
                    ),
                ),
                Prefetch(
                    "event_bookings",
                    queryset=EventBooking.objects.select_related("event").only(
                        "booking_id", "quantity", "event__title"
                    ),
                ),
            )
        return queryset

    @admin.display(description="Customer", ordering="customer__last_name")
    def customer_column(self, booking: Booking) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            booking.customer,
            booking.contact_email or booking.customer.email or booking.contact_phone,
        )

    @admin.display(description="Venue and spaces", ordering="venue__name")
    def where(self, booking: Booking) -> str:
        spaces = sorted({line.space.name for line in booking.space_bookings.all()})
        events = sorted({line.event.title for line in booking.event_bookings.all()})
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            booking.venue.name,
            ", ".join(spaces + events) or "–",
        )

    @admin.display(description="Places")
    def places(self, booking: Booking) -> int:
        spaces = [line.places for line in booking.space_bookings.all()]
        if spaces:
            return max(spaces)
        return sum(line.quantity for line in booking.event_bookings.all())

    @admin.display(description="Status, source", ordering="status")
    def status_and_source(self, booking: Booking) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            self.status_badge(booking),
            booking.get_source_display(),
        )

    @admin.display(description="Total", ordering="total_gross")
    def total(self, booking: Booking) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            booking.total_gross,
            booking.organization.currency,
        )

    @admin.display(description="Balance", ordering="balance")
    def balance_due(self, booking: Booking) -> str:
        return booking.balance

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
    list_display = ("booking", "space_and_layout", "when", "places", "gross")
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

    @admin.display(description="Space and layout", ordering="space__name")
    def space_and_layout(self, line: SpaceBooking) -> str:
        layout = line.layout.name if line.layout else ""
        return format_html('{}<br><span class="quiet">{}</span>', line.space.name, layout)


@admin.register(EventBooking)
class EventBookingAdmin(BookingLineAdmin):
    list_display = ("booking", "event", "price", "quantity", "gross", "holds_capacity")
    list_select_related = ("booking", "event__venue", "price")
    search_fields = ("booking__reference", "event__title")


@admin.register(InventoryBooking)
class InventoryBookingAdmin(BookingLineAdmin):
    list_display = ("booking", "product", "units", "when", "gross")
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
    fields = (
        "booking",
        "action",
        ("from_status", "to_status"),
        "actor",
        "comment",
        "message",
        "details",
        "created_at",
    )
    readonly_fields = ("actor", "details")

    @admin.display(description="Actor")
    def actor(self, entry: LogEntry) -> str:
        return entry.actor_display

    @admin.display(description="Details")
    def details(self, entry: LogEntry) -> str:
        return details_html(entry.data)


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
