"""The booking page's own forms: add, change or remove a space, event or product line, and
record a payment, each through its service.

Each form only reads what staff typed; the service checks availability, re-prices the
booking, moves its times and Event, and writes the log. A refusal (a conflict naming the
other booking, a stale page, a closed booking) shows the form again with the service's
words on the fields it names, nothing changed. Each page runs in the venue's zone and
names it beside every time; each carries the booking's `updated_at` as it was shown.
"""

from dataclasses import dataclass, fields
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from backoffice.admin.local_times import ZonedSplitDateTime
from backoffice.admin.refusals import SeenField, conflict_list, last_change_words
from bookings.models import Booking, EventBooking, InventoryBooking, SpaceBooking
from bookings.services import (
    EventLineIn,
    ProductLineIn,
    SpaceLineIn,
    event_line_save,
    line_remove,
    payment_record,
    product_line_save,
    space_line_save,
)
from bookings.services.common import OPEN_STATUSES
from core.actors import Actor
from core.errors import BookingConflict, BookingError, StaleBooking
from core.permissions import Action
from venues.models import (
    Discount,
    Event,
    InventoryProduct,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
    VatRate,
)

PRICE_FIELDS = (
    "discount",
    "use_manual_price",
    "manual_price_gross",
    "manual_price_vat_rate",
    "exclude_vat",
)
PRICE_LABELS = {
    "discount": "Discount",
    "use_manual_price": "Use a manual price",
    "manual_price_gross": "Manual price (gross)",
    "manual_price_vat_rate": "VAT rate of the manual price",
    "exclude_vat": "No VAT on this line",
}
TEMPLATES = "admin/bookings/booking"


# -- words ----------------------------------------------------------------------------------


def stale_text(booking: Booking) -> str:
    """Who changed the booking last, and when in the venue's zone, for a refused stale form."""
    return (
        f"The booking was changed after you opened this page. {last_change_words(booking)} "
        "Reload the booking and try again."
    )


# -- forms ----------------------------------------------------------------------------------


class SeenMixin:
    """Carries the booking's `updated_at` as the page showed it; the service refuses a
    change to a booking changed since (stale page, or the same form sent twice)."""

    def add_seen(self, booking: Booking) -> None:
        self.fields["updated_at"] = SeenField(initial=booking.updated_at.isoformat())

    def add_refusal(self, error: Exception, booking: Booking) -> None:
        """The service's refusal on the fields it names ("line.starts_at",
        "space_lines.0.ends_at", "amount"), else at the top of the form."""
        if isinstance(error, StaleBooking):
            self.add_error(None, stale_text(booking))
        elif isinstance(error, BookingConflict):
            for text in conflict_list(error):
                self.add_error(None, f"It does not fit: {text}")
        elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for key, field_errors in error.error_dict.items():
                name = key.rsplit(".", 1)[-1]
                if name in self.fields and name != "updated_at":
                    self.add_error(name, field_errors)
                    continue
                label = "" if name == NON_FIELD_ERRORS else f"{name.replace('_', ' ')}: "
                for message in ValidationError(field_errors).messages:
                    self.add_error(None, f"{label.capitalize()}{message}")
        elif isinstance(error, ValidationError):
            self.add_error(None, error)
        elif isinstance(error, ObjectDoesNotExist):
            self.add_error(None, "This line is gone: it was removed after you opened the page.")
        else:
            self.add_error(None, str(error))

    def fieldsets_shown(self) -> list[tuple[str, list]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.groups]


def offered(queryset, current_pk=None):
    """Active choices, plus the one the line holds now (which may have been retired)."""
    return queryset.filter(Q(is_active=True) | Q(pk=current_pk))


class LineForm(SeenMixin, forms.ModelForm):
    """A line as staff enter it; checking it is the service's (`_post_clean` does nothing).

    Choices are the booking's organisation's, and its venue's where they belong to one.
    """

    line_input: type = None  # the service's input dataclass; its fields are the form's

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_seen(booking)
        organization, line = booking.organization, self.instance
        self.fields["discount"].queryset = offered(
            Discount.objects.filter(organization=organization), line.discount_id
        )
        self.fields["manual_price_vat_rate"].queryset = offered(
            VatRate.objects.filter(organization=organization), line.manual_price_vat_rate_id
        )

    def _post_clean(self):
        # The service validates the line with the rules of every door.
        pass

    def line_in(self):
        data = self.cleaned_data
        return self.line_input(**{item.name: data[item.name] for item in fields(self.line_input)})


def zoned_time(label: str) -> forms.SplitDateTimeField:
    """A date and a time read in the venue's zone (the page runs in it), the zone named."""
    return forms.SplitDateTimeField(label=label, widget=ZonedSplitDateTime)


class PriceLabel(forms.ModelChoiceField):
    def label_from_instance(self, price: Price) -> str:
        owner = price.event.title if price.event_id else price.product.name
        return f"{owner}: {price.name} ({price.amount_gross})"


class SpaceLineForm(LineForm):
    line_input = SpaceLineIn
    starts_at = zoned_time("Starts")
    ends_at = zoned_time("Ends")
    setup_minutes = forms.IntegerField(
        min_value=0, required=False, help_text="Empty: the layout's, else the space's default."
    )
    setdown_minutes = forms.IntegerField(
        min_value=0, required=False, help_text="Empty: the layout's, else the space's default."
    )
    groups = (
        ("Space and time", ("space", "layout", "starts_at", "ends_at", "places", "name")),
        ("Setup", ("setup_minutes", "setdown_minutes", "overrides_opening_hours")),
        (
            "Attendees and signage",
            (
                "expected_attendees",
                "guaranteed_attendees",
                "actual_attendees",
                "signage",
                "show_signage",
            ),
        ),
        ("Price", PRICE_FIELDS),
    )

    class Meta:
        model = SpaceBooking
        fields = [item.name for item in fields(SpaceLineIn)]
        labels = {
            **PRICE_LABELS,
            "name": "Session name",
            "overrides_opening_hours": "Book outside the opening hours",
        }
        help_texts = {
            "name": "",
            "exclude_vat": "",
            "overrides_opening_hours": "Logged, and named as a warning when saved.",
        }

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, booking=booking, **kwargs)
        line = self.instance
        self.fields["space"].queryset = offered(
            Space.objects.filter(venue=booking.venue).select_related("venue"), line.space_id
        )
        self.fields["layout"].queryset = SpaceLayout.objects.filter(
            space__venue=booking.venue
        ).select_related("space")


class EventLineForm(LineForm):
    line_input = EventLineIn
    price = PriceLabel(queryset=Price.objects.none(), required=False)
    groups = (("Tickets", ("event", "price", "quantity")), ("Price", PRICE_FIELDS))

    class Meta:
        model = EventBooking
        fields = [item.name for item in fields(EventLineIn)]
        labels = PRICE_LABELS
        help_texts = {"exclude_vat": ""}

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, booking=booking, **kwargs)
        line = self.instance
        events = Event.objects.filter(organization=booking.organization, venue=booking.venue)
        self.fields["event"].queryset = events.filter(
            Q(status=Event.Status.SCHEDULED) | Q(pk=line.event_id)
        ).select_related("venue")
        self.fields["price"].queryset = offered(
            Price.objects.filter(event__in=events).select_related("event__venue"), line.price_id
        )


class ProductLineForm(LineForm):
    line_input = ProductLineIn
    price = PriceLabel(
        queryset=Price.objects.none(), required=False, help_text="Empty: the product's unit price."
    )
    starts_at = zoned_time("From")
    ends_at = zoned_time("Until")
    groups = (
        ("Product and time", ("product", "price", "units", "starts_at", "ends_at")),
        ("Price", PRICE_FIELDS),
    )

    class Meta:
        model = InventoryBooking
        fields = [item.name for item in fields(ProductLineIn)]
        labels = PRICE_LABELS
        help_texts = {"exclude_vat": ""}

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, booking=booking, **kwargs)
        line = self.instance
        products = offered(
            InventoryProduct.objects.filter(organization=booking.organization).filter(
                Q(venue__isnull=True) | Q(venue=booking.venue)
            ),
            line.product_id,
        )
        self.fields["product"].queryset = products
        self.fields["price"].queryset = offered(
            Price.objects.filter(product__in=products).select_related("product"), line.price_id
        )


class PaymentForm(SeenMixin, forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, help_text="Negative for a refund.")
    payment_type = forms.ModelChoiceField(queryset=PaymentType.objects.none(), required=False)
    reference = forms.CharField(
        max_length=100, required=False, help_text="Receipt or transaction id."
    )
    paid_at = forms.SplitDateTimeField(
        label="Paid", widget=ZonedSplitDateTime, required=False, help_text="Empty: now."
    )
    note = forms.CharField(max_length=255, required=False)
    groups = (("Payment", ("amount", "payment_type", "reference", "paid_at", "note")),)

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_seen(booking)
        self.fields["payment_type"].queryset = offered(
            PaymentType.objects.filter(organization=booking.organization), booking.payment_type_id
        )
        self.fields["payment_type"].initial = booking.payment_type_id
        if booking.balance > 0:
            self.fields["amount"].initial = booking.balance


# -- the pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineKind:
    model: type
    form: type
    save: object  # the service: (actor, booking, line, line_id, client_updated_at) -> SavedLine
    add_title: str
    noun: str


KINDS = {
    "space": LineKind(SpaceBooking, SpaceLineForm, space_line_save, "Add a space", "Space"),
    "event": LineKind(EventBooking, EventLineForm, event_line_save, "Add tickets", "Tickets"),
    "product": LineKind(
        InventoryBooking, ProductLineForm, product_line_save, "Add a product", "Product"
    ),
}


class BookingLinePages:
    """BookingAdmin's pages for lines and payments, under the booking's own URL.

    A user whose role may not change bookings (the write right) gets 403; a booking of
    another organisation is 404.
    """

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<int:booking_id>/lines/<str:kind>/add/",
                view(self.line_view),
                name=f"{name}_line_add",
            ),
            path(
                "<int:booking_id>/lines/<str:kind>/<int:line_id>/",
                view(self.line_view),
                name=f"{name}_line_change",
            ),
            path(
                "<int:booking_id>/lines/<str:kind>/<int:line_id>/remove/",
                view(self.line_remove_view),
                name=f"{name}_line_remove",
            ),
            path(
                "<int:booking_id>/payments/add/",
                view(self.payment_view),
                name=f"{name}_payment_add",
            ),
            *super().get_urls(),
        ]

    # -- what the booking page offers -------------------------------------------------------

    def may_write(self, request, booking: Booking | None) -> bool:
        """May the user change this booking's lines and payments (read once per request)."""
        if booking is None:
            return False
        cache = request.__dict__.setdefault("_venuedesk_may_write", {})
        if booking.pk not in cache:
            cache[booking.pk] = self.may(request, Action.WRITE, booking)
        return cache[booking.pk]

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        may_write = self.may_write(request, obj)
        for inline in inlines:
            inline.may_write = may_write
            inline.lines_open = obj is not None and obj.status in OPEN_STATUSES
        return inlines

    # -- the views --------------------------------------------------------------------------

    def booking_to_write(self, request, booking_id: int) -> Booking:
        booking = self.get_queryset(request).select_related("venue", "organization", "customer")
        booking = booking.filter(pk=booking_id).first()
        if booking is None:
            raise Http404("No such booking.")
        if not self.may_write(request, booking):
            raise Forbidden
        return booking

    def form_page(
        self, request, booking, form, *, title, submit, template="line_form.html", **extra
    ):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": booking.reference,
            "opts": self.opts,
            "booking": booking,
            "form": form,
            "submit_label": submit,
            "venue_zone": booking.venue.timezone,
            "booking_url": self.change_url(booking),
            "media": self.media + form.media,
            **extra,
        }
        return render(request, f"{TEMPLATES}/{template}", context)

    def done(self, request, booking: Booking, text: str, warnings=()) -> HttpResponseRedirect:
        messages.success(request, text)
        for warning in warnings:
            messages.warning(request, warning)
        return HttpResponseRedirect(self.change_url(booking))

    def line_view(self, request, booking_id: int, kind: str, line_id: int | None = None):
        booking = self.booking_to_write(request, booking_id)
        line_kind = KINDS.get(kind)
        if line_kind is None:
            raise Http404("No such kind of line.")
        line = None
        if line_id is not None:
            line = line_kind.model.objects.filter(booking=booking, pk=line_id).first()
            if line is None:
                raise Http404("No such line.")
        with timezone.override(booking.venue.tzinfo):
            form = line_kind.form(
                request.POST if request.method == "POST" else None,
                instance=line,
                booking=booking,
            )
            if request.method == "POST" and form.is_valid():
                try:
                    saved = line_kind.save(
                        actor=Actor.staff(request.user),
                        booking=booking,
                        line=form.line_in(),
                        line_id=line_id,
                        client_updated_at=form.cleaned_data["updated_at"],
                    )
                except (ValidationError, BookingError, ObjectDoesNotExist) as error:
                    form.add_refusal(error, booking)
                else:
                    saved_booking = saved.line.booking
                    verb = "changed" if line else "added"
                    return self.done(
                        request,
                        booking,
                        f"{line_kind.noun} line {verb}: {saved.line}. The booking now totals "
                        f"{saved_booking.total_gross}, balance {saved_booking.balance}.",
                        saved.warnings,
                    )
            title = f"Change {line_kind.noun.lower()} line" if line else line_kind.add_title
            return self.form_page(
                request, booking, form, title=title, submit="Save line", line=line
            )

    def line_remove_view(self, request, booking_id: int, kind: str, line_id: int):
        booking = self.booking_to_write(request, booking_id)
        line_kind = KINDS.get(kind)
        if line_kind is None:
            raise Http404("No such kind of line.")
        line = line_kind.model.objects.filter(booking=booking, pk=line_id).first()
        if line is None:
            raise Http404("No such line.")
        with timezone.override(booking.venue.tzinfo):
            form = RemoveForm(request.POST if request.method == "POST" else None, booking=booking)
            if request.method == "POST" and form.is_valid():
                try:
                    after = line_remove(
                        actor=Actor.staff(request.user),
                        booking=booking,
                        kind=kind,
                        line_id=line.pk,
                        client_updated_at=form.cleaned_data["updated_at"],
                    )
                except (ValidationError, BookingError, ObjectDoesNotExist) as error:
                    form.add_refusal(error, booking)
                else:
                    return self.done(
                        request,
                        booking,
                        f"{line_kind.noun} line removed: {line}. The booking now totals "
                        f"{after.total_gross}, balance {after.balance}.",
                    )
            return self.form_page(
                request,
                booking,
                form,
                title=f"Remove {line_kind.noun.lower()} line",
                submit="Yes, remove it",
                template="line_remove.html",
                line=line,
            )

    def payment_view(self, request, booking_id: int):
        booking = self.booking_to_write(request, booking_id)
        with timezone.override(booking.venue.tzinfo):
            form = PaymentForm(request.POST if request.method == "POST" else None, booking=booking)
            if request.method == "POST" and form.is_valid():
                data = form.cleaned_data
                try:
                    payment = payment_record(
                        actor=Actor.staff(request.user),
                        booking=booking,
                        amount=data["amount"],
                        payment_type=data["payment_type"],
                        reference=data["reference"],
                        paid_at=data["paid_at"],
                        note=data["note"],
                        client_updated_at=data["updated_at"],
                    )
                except (ValidationError, BookingError) as error:
                    form.add_refusal(error, booking)
                else:
                    after = payment.booking
                    kind = "Refund" if payment.amount < Decimal(0) else "Payment"
                    return self.done(
                        request,
                        booking,
                        f"{kind} of {abs(payment.amount)} recorded. Paid {after.amount_paid}, "
                        f"balance {after.balance}.",
                    )
            return self.form_page(
                request, booking, form, title="Record a payment", submit="Record payment"
            )


class RemoveForm(SeenMixin, forms.Form):
    groups = ()

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_seen(booking)
