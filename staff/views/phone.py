"""Phone booking: staff take a booking for a customer (found or new) with a space line,
tickets and extras, see what is free and what it costs, and approve it at once or leave it
pending. The booking is made by `services.booking_create`, with every check a booking from
any other door gets; its refusals are shown on the fields they name."""

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings import pricing, services
from bookings.models import BookingSource, BookingStatus
from bookings.selectors import customer_list, space_availability_get
from core.errors import BookingConflict, BookingError, PermissionDenied
from core.permissions import Action, may
from core.times import local_day_bounds, year_in_range
from staff.views.calendar import NIGHT
from staff.views.common import staff_page
from venues.models import Discount, Venue
from venues.selectors import event_list, product_list, space_list, venue_list

NEW_CUSTOMER = "new"
SEARCH_LIMIT = 20
LINES = range(1, 4)  # up to three ticket lines and three extras, each optional


class PhoneBookingForm(forms.Form):
    """What staff type in on the phone; the venue's rules are the service's."""

    customer = forms.ChoiceField(
        label=gettext_lazy("Customer"), widget=forms.RadioSelect, initial=NEW_CUSTOMER
    )
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    company = forms.CharField(label=gettext_lazy("Company"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)

    title = forms.CharField(
        label=gettext_lazy("What it is for"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("The event's title once approved, e.g. “Team dinner”."),
    )
    space = forms.TypedChoiceField(label=gettext_lazy("Space"), coerce=int)
    day = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label=gettext_lazy("Start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=gettext_lazy("End"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("An end at or before the start is on the next day."),
    )
    places = forms.IntegerField(label=gettext_lazy("Places (people)"), min_value=1, initial=1)
    layout = forms.TypedChoiceField(
        label=gettext_lazy("Layout"), coerce=int, required=False, empty_value=None
    )

    internal_note = forms.CharField(
        label=gettext_lazy("Internal note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notify_email = forms.BooleanField(
        label=gettext_lazy("Send the customer e-mails about this booking"),
        required=False,
        initial=True,
    )
    approve = forms.BooleanField(label=gettext_lazy("Approve at once"), required=False)

    def __init__(self, *args, venue: Venue, choices: "Choices", may_approve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for n in LINES:
            self.fields[f"ticket_{n}"] = forms.TypedChoiceField(
                label=_("Event tickets, line %(n)d") % {"n": n},
                coerce=int,
                required=False,
                empty_value=None,
            )
            self.fields[f"ticket_quantity_{n}"] = forms.IntegerField(
                label=_("Number of tickets, line %(n)d") % {"n": n},
                min_value=1,
                initial=1,
                required=False,
            )
        for n in LINES:
            self.fields[f"product_{n}"] = forms.TypedChoiceField(
                label=_("Extra, line %(n)d") % {"n": n},
                coerce=int,
                required=False,
                empty_value=None,
                help_text=_("Booked for the space's time.") if n == 1 else "",
            )
            self.fields[f"units_{n}"] = forms.IntegerField(
                label=_("Units, line %(n)d") % {"n": n}, min_value=1, initial=1, required=False
            )
        # The page's order, which the error summary follows: the lines before the note.
        names = [name for name in self.fields if not name[-1].isdigit()]
        cut = names.index("internal_note")
        lines = [
            name
            for kind, amount in (("ticket", "ticket_quantity"), ("product", "units"))
            for n in LINES
            for name in (f"{kind}_{n}", f"{amount}_{n}")
        ]
        self.order_fields(names[:cut] + lines + names[cut:])
        self.venue, self.choices = venue, choices
        self.fields["customer"].choices = [
            *((str(c.pk), _customer_label(c)) for c in choices.customers),
            (NEW_CUSTOMER, _("A new customer (fill in below)")),
        ]
        self.fields["space"].choices = [
            (
                s.pk,
                _("%(space)s (%(capacity)d people)") % {"space": s.name, "capacity": s.capacity}
                if s.is_exclusive
                else _("%(space)s (shared, %(capacity)d places)")
                % {"space": s.name, "capacity": s.capacity},
            )
            for s in choices.spaces
        ]
        self.fields["layout"].choices = [("", _("No particular layout"))] + [
            (layout.pk, f"{space.name}: {layout.name} ({layout.capacity})")
            for space in choices.spaces
            for layout in space.layouts.all()
        ]
        tz = venue.tzinfo
        tickets = [("", _("No tickets"))] + [
            (
                price.pk,
                f"{event.title}, {timezone.localtime(event.starts_at, tz):%a %d %b %H:%M}: "
                f"{price.name} {price.amount_gross}",
            )
            for event in choices.events
            for price in event.prices.all()
            if price.is_active
        ]
        products = [("", _("No extras"))] + [
            (product.pk, f"{product.name} ({product.unit_price})") for product in choices.products
        ]
        for n in LINES:
            self.fields[f"ticket_{n}"].choices = tickets
            self.fields[f"product_{n}"].choices = products
        # Offered only to those who may approve; a tick sent anyway goes to the service,
        # which refuses it in words.
        self.may_approve = may_approve

    @property
    def ticket_rows(self) -> list:
        """(event and price, number of tickets) of each ticket line, for the page."""
        return [(self[f"ticket_{n}"], self[f"ticket_quantity_{n}"]) for n in LINES]

    @property
    def product_rows(self) -> list:
        """(extra, units) of each extra line, for the page."""
        return [(self[f"product_{n}"], self[f"units_{n}"]) for n in LINES]

    def clean(self):
        data = super().clean()
        if data.get("customer") == NEW_CUSTOMER and not (
            data.get("first_name") or data.get("last_name") or data.get("company")
        ):
            self.add_error("last_name", _("Give the new customer's name or company."))
        layout = data.get("layout")
        if layout and data.get("space") and layout not in self.choices.layouts_of(data["space"]):
            self.add_error("layout", _("This layout belongs to another space."))
        day = data.get("day")
        if day and not year_in_range(day):
            self.add_error("day", _("Give a date between the years 1900 and 2999."))
        return data

    @staticmethod
    def times(data: dict) -> tuple[datetime, datetime]:
        """The space line's start and end, naive venue-local (the service reads them)."""
        start = datetime.combine(data["day"], data["start"])
        end = datetime.combine(data["day"], data["end"])
        if end <= start:
            end += timedelta(days=1)
        return start, end


def _customer_label(customer) -> str:
    contact = " · ".join(part for part in (customer.email, customer.phone) if part)
    return f"{customer.display_name} — {contact}" if contact else customer.display_name


@dataclass
class Choices:
    """What the form offers at a venue: its spaces, upcoming events and products."""

    spaces: list
    events: list
    products: list
    customers: list

    def space(self, pk):
        return next((s for s in self.spaces if s.pk == pk), None)

    def layouts_of(self, space_pk) -> dict:
        space = self.space(space_pk)
        return {layout.pk: layout for layout in space.layouts.all()} if space else {}

    def price(self, pk):
        return next((p for e in self.events for p in e.prices.all() if p.pk == pk), None)

    def product(self, pk):
        return next((p for p in self.products if p.pk == pk), None)


def _choices(request, venue: Venue, search: str) -> Choices:
    organizations = request.organizations
    spaces = list(
        space_list(organizations=organizations)
        .filter(venue=venue, is_active=True)
        .order_by("position", "name")
    )
    events = list(
        event_list(organizations=organizations)
        .filter(venue=venue, status="scheduled", ends_at__gt=timezone.now())
        .order_by("starts_at")[:50]
    )
    products = list(
        product_list(organizations=organizations)
        .filter(Q(venue=venue) | Q(venue__isnull=True), organization=venue.organization_id)
        .filter(is_active=True)
        .order_by("name")
    )
    return Choices(spaces, events, products, customer_search(request, venue, search))


def customer_search(request, venue: Venue, search: str) -> list:
    """The venue's organisation's customers whose name, company, e-mail or phone holds
    `search` (at most SEARCH_LIMIT); none for an empty search."""
    search = search.strip()
    if not search:
        return []
    words = Q()
    for word in search.split()[:4]:
        words &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(company__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return list(
        customer_list(organizations=request.organizations)
        .filter(words, organization=venue.organization_id)
        .order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT]
    )


# -- feedback: what is free, what it costs --------------------------------------------------------


@dataclass
class Windows:
    """What is free of one space on one day (and the night that opens on it)."""

    windows: list[str]
    blockouts: list[str]
    day: date
    zone: str


@dataclass
class Estimate:
    lines: list[tuple[str, Decimal]]
    total: Decimal


def free_windows(venue: Venue, choices: Choices, data: dict) -> Windows | None:
    """Free windows of the chosen space on the chosen day, for the places asked for; None
    until a space and a good date are chosen."""
    space = choices.space(data.get("space"))
    day = data.get("day")
    if space is None or day is None or not year_in_range(day):
        return None
    tz = venue.tzinfo
    places = data.get("places") or 1
    start, end = local_day_bounds(day, tz)
    # The night that opens on this day runs on past midnight (a club's 19:00–04:00).
    availability = space_availability_get(
        space=space, start=start, end=end + NIGHT, places=places, granularity=15
    )

    def clock(moment):
        local = timezone.localtime(moment, tz)
        if local.date() != day:
            return f"{formats.date_format(local, 'D')} {local:%H:%M}"
        return f"{local:%H:%M}"

    windows = [f"{clock(a)}–{clock(b)}" for a, b in availability.windows]
    blockouts = [
        f"{clock(b.starts_at)}–{clock(b.ends_at)} {b.get_reason_display().lower()}"
        for b in availability.blockouts
    ]
    return Windows(windows, blockouts, day, tz.key)


def estimate(venue: Venue, choices: Choices, data: dict) -> Estimate | None:
    """An estimate of the price (no discounts) from the space line, tickets and extras;
    None until a space, a good date, a start and an end are given."""
    space = choices.space(data.get("space"))
    day = data.get("day")
    if space is None or day is None or not year_in_range(day):
        return None
    if not (data.get("start") and data.get("end")):
        return None
    begin, finish = PhoneBookingForm.times(data)
    hours = Decimal(int((finish - begin) / timedelta(minutes=1))) / 60
    today = timezone.localdate(timezone=venue.tzinfo)
    lines = [
        (
            _("%(space)s: %(hours)s h × %(price)s")
            % {"space": space.name, "hours": hours.normalize(), "price": space.hourly_price},
            pricing.price_line(
                unit_price_gross=space.hourly_price,
                quantity=hours,
                vat_rate=space.vat_rate,
                line_kind=Discount.AppliesTo.SPACES,
                on=today,
            ).gross,
        )
    ]
    for _n, ticket, quantity in ticket_lines(data):
        price = choices.price(ticket)
        if price is not None:
            lines.append(
                (
                    _("%(number)d × %(event)s (%(price)s)")
                    % {"number": quantity, "event": price.event.title, "price": price.name},
                    pricing.money(price.amount_gross * quantity),
                )
            )
    for _n, product_pk, units in product_lines(data):
        product = choices.product(product_pk)
        if product is not None:
            lines.append(
                (
                    _("%(number)d × %(product)s") % {"number": units, "product": product.name},
                    pricing.money(product.unit_price * units),
                )
            )
    return Estimate(lines, sum((amount for _label, amount in lines), Decimal("0.00")))


def ticket_lines(data: dict) -> list[tuple[int, int, int]]:
    """(line number, price pk, quantity) of each ticket line filled in."""
    return [
        (n, data[f"ticket_{n}"], data.get(f"ticket_quantity_{n}") or 1)
        for n in LINES
        if data.get(f"ticket_{n}")
    ]


def product_lines(data: dict) -> list[tuple[int, int, int]]:
    """(line number, product pk, units) of each extra line filled in."""
    return [
        (n, data[f"product_{n}"], data.get(f"units_{n}") or 1)
        for n in LINES
        if data.get(f"product_{n}")
    ]


# -- the page ------------------------------------------------------------------------------------


# Where a service's error names a field: its name on this form.
SERVICE_FIELDS = {
    "space_lines.0.space": "space",
    "space_lines.0.starts_at": "start",
    "space_lines.0.ends_at": "end",
    "space_lines.0.places": "places",
    "space_lines.0.layout": "layout",
    "customer.first_name": "first_name",
    "customer.last_name": "last_name",
    "customer.company": "company",
    "customer.email": "email",
    "customer.phone": "phone",
    "title": "title",
    "internal_note": "internal_note",
}


# A service's event and product lines are numbered from 0 among those sent; on the form they
# are the numbered lines that were filled in.
LINE_FIELDS = {
    "event_lines": {"event": "ticket", "price": "ticket", "quantity": "ticket_quantity"},
    "product_lines": {
        "product": "product",
        "units": "units",
        "starts_at": "product",
        "ends_at": "product",
    },
}


def _field_of(name: str, numbers: dict[str, list[int]]) -> str | None:
    """The form's field for a service's error key (e.g. "event_lines.1.quantity")."""
    if name in SERVICE_FIELDS:
        return SERVICE_FIELDS[name]
    match = re.fullmatch(r"(event_lines|product_lines)\.(\d+)\.(\w+)", name)
    if match is None:
        return None
    kind, index, attribute = match[1], int(match[2]), match[3]
    field = LINE_FIELDS[kind].get(
        attribute, LINE_FIELDS[kind]["event" if kind == "event_lines" else "product"]
    )
    if index >= len(numbers[kind]):
        return None
    return f"{field}_{numbers[kind][index]}"


def _place_service_error(
    form: PhoneBookingForm, error: ValidationError, numbers: dict[str, list[int]]
) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        field = _field_of(name, numbers)
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


def _place_conflicts(
    form: PhoneBookingForm, error: BookingConflict, numbers: dict[str, list[int]]
) -> None:
    for conflict in error.conflicts:
        number = re.match(r"\w+ line (\d+)", conflict.line)
        index = int(number[1]) - 1 if number else 0
        if conflict.line.startswith("space line"):
            field = (
                "start"
                if conflict.reason in ("space_taken", "blockout", "opening_hours")
                else "places"
            )
        elif conflict.line.startswith("event line"):
            lines = numbers["event_lines"]
            field = f"ticket_quantity_{lines[index]}" if index < len(lines) else None
        else:
            lines = numbers["product_lines"]
            field = f"units_{lines[index]}" if index < len(lines) else None
        message = conflict.message
        if conflict.other_booking:
            message = _("%(message)s Pick a free time, or see %(reference)s on the calendar.") % {
                "message": message,
                "reference": conflict.other_booking,
            }
        form.add_error(field, message)


def error_summary(form: forms.Form) -> list[tuple[str, str]]:
    """(anchor, message) pairs for the summary at the top, in the order of the page."""
    if not form.is_bound or not form.errors:
        return []
    summary = [("", message) for message in form.non_field_errors()]
    for name in form.fields:
        for message in form.errors.get(name, []):
            bound = form[name]
            anchor = f"{bound.auto_id}_0" if name == "customer" else bound.auto_id
            summary.append((anchor, f"{bound.label}: {message}"))
    return summary


def _initial(request, venue: Venue, choices: Choices) -> dict:
    """Prefill from the calendar's links: ?space=&day=&start=&end=."""
    initial = {"customer": NEW_CUSTOMER, "places": 1, "notify_email": True}
    space = request.GET.get("space", "")
    if space.isdigit() and choices.space(int(space)):
        initial["space"] = int(space)
    for name, parse in (
        ("day", date.fromisoformat),
        ("start", time.fromisoformat),
        ("end", time.fromisoformat),
    ):
        with suppress(ValueError):
            initial[name] = parse(request.GET.get(name, ""))
    if choices.customers and len(choices.customers) == 1:
        initial["customer"] = str(choices.customers[0].pk)
    return initial


def _bookable_venues(request) -> list[Venue]:
    return [
        v
        for v in venue_list(organizations=request.organizations).order_by("name", "pk")
        if may(request.actor, Action.BOOK, v.organization)
    ]


@staff_page
def phone_booking(request):
    venues = _bookable_venues(request)
    if not venues:
        return render(request, "staff/phone_refused.html", {"nav": "calendar"}, status=403)
    wanted = request.GET.get("venue") or request.POST.get("venue")
    venue = next((v for v in venues if str(v.pk) == wanted), venues[0])
    may_approve = may(request.actor, Action.APPROVE, venue.organization)
    search = request.GET.get("q", "")
    choices = _choices(request, venue, search)
    if request.method == "POST":
        chosen = request.POST.get("customer", "")
        if chosen.isdigit() and not any(str(c.pk) == chosen for c in choices.customers):
            found = (
                customer_list(organizations=request.organizations)
                .filter(pk=chosen, organization=venue.organization_id)
                .first()
            )
            if found is not None:
                choices.customers.append(found)
        form = PhoneBookingForm(request.POST, venue=venue, choices=choices, may_approve=may_approve)
        if form.is_valid() and request.POST.get("action") == "create":
            booking = _create(request, form, venue, choices)
            if booking is not None:
                return redirect(_calendar_url(venue, form.cleaned_data["day"]))
        data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    else:
        form = PhoneBookingForm(
            initial=_initial(request, venue, choices),
            venue=venue,
            choices=choices,
            may_approve=may_approve,
        )
        data = form.initial
    context = {
        "nav": "calendar",
        "venue": venue,
        "venues": venues,
        "zone": venue.tzinfo.key,
        "form": form,
        "search": search,
        "searched": bool(search.strip()),
        "customers": choices.customers,
        "windows": free_windows(venue, choices, data),
        "estimate": estimate(venue, choices, data),
        "errors": error_summary(form) if request.method == "POST" else [],
        "carry": {
            k: request.GET[k] for k in ("space", "day", "start", "end") if request.GET.get(k)
        },
        "may_approve": may_approve,
    }
    return render(request, "staff/phone.html", context)


# -- the parts the page's script fetches: the same templates, in place ---------------------------


def _fragment_venue(request) -> Venue:
    """The venue asked for, among those the member may book at; any other → 404."""
    wanted = request.GET.get("venue", "")
    venue = next((v for v in _bookable_venues(request) if str(v.pk) == wanted), None)
    if venue is None:
        raise Http404
    return venue


def _fragment_data(request) -> tuple[Venue, Choices, dict]:
    """The venue, what it offers and the well-formed parts of the form in the query; a space
    that is not one of the venue's (another organisation's) → 404."""
    venue = _fragment_venue(request)
    choices = _choices(request, venue, "")
    space = request.GET.get("space", "")
    if space and not (space.isdigit() and choices.space(int(space))):
        raise Http404
    form = PhoneBookingForm(request.GET, venue=venue, choices=choices, may_approve=False)
    form.is_valid()  # only the parts that are well formed are read
    return venue, choices, form.cleaned_data


@staff_page
def phone_windows(request):
    """The free windows alone (same template part as the page)."""
    venue, choices, data = _fragment_data(request)
    return render(
        request, "staff/phone_windows.html", {"windows": free_windows(venue, choices, data)}
    )


@staff_page
def phone_estimate(request):
    """The price estimate alone (same template part as the page)."""
    venue, choices, data = _fragment_data(request)
    return render(
        request, "staff/phone_estimate.html", {"estimate": estimate(venue, choices, data)}
    )


@staff_page
def phone_customers(request):
    """The search's answer and the customer choices alone, for the script to put in place
    without losing what is typed in the booking form."""
    venue = _fragment_venue(request)
    search = request.GET.get("q", "")
    customers = customer_search(request, venue, search)
    choices = Choices(spaces=[], events=[], products=[], customers=customers)
    initial = {"customer": str(customers[0].pk) if len(customers) == 1 else NEW_CUSTOMER}
    form = PhoneBookingForm(initial=initial, venue=venue, choices=choices, may_approve=False)
    context = {
        "form": form,
        "search": search,
        "searched": bool(search.strip()),
        "customers": customers,
    }
    return render(request, "staff/phone_customers.html", context)


def _calendar_url(venue: Venue, day: date) -> str:
    query = urlencode({"venue": venue.pk, "day": day.isoformat(), "view": "day"})
    return f"{reverse('staff:calendar')}?{query}"


def _create(request, form: PhoneBookingForm, venue: Venue, choices: Choices):
    data = form.cleaned_data
    if data["customer"] == NEW_CUSTOMER:
        customer = services.CustomerIn(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            company=data["company"],
        )
    else:
        customer = next(c for c in choices.customers if str(c.pk) == data["customer"])
    start, end = form.times(data)
    space = choices.space(data["space"])
    layout = choices.layouts_of(data["space"]).get(data["layout"]) if data["layout"] else None
    events_in, products_in = [], []
    numbers = {"event_lines": [], "product_lines": []}
    for n, price_pk, quantity in ticket_lines(data):
        price = choices.price(price_pk)
        events_in.append(services.EventLineIn(event=price.event, price=price, quantity=quantity))
        numbers["event_lines"].append(n)
    for n, product_pk, units in product_lines(data):
        product = choices.product(product_pk)
        products_in.append(
            services.ProductLineIn(product=product, units=units, starts_at=start, ends_at=end)
        )
        numbers["product_lines"].append(n)
    try:
        created = services.booking_create(
            actor=request.actor,
            organization=venue.organization,
            venue=venue,
            customer=customer,
            source=BookingSource.STAFF,
            title=data["title"],
            internal_note=data["internal_note"],
            notify_email=data["notify_email"],
            space_lines=[
                services.SpaceLineIn(
                    space=space, starts_at=start, ends_at=end, places=data["places"], layout=layout
                )
            ],
            event_lines=events_in,
            product_lines=products_in,
            approve=bool(data.get("approve")),
        )
    except ValidationError as error:
        _place_service_error(form, error, numbers)
        return None
    except BookingConflict as error:
        _place_conflicts(form, error, numbers)
        return None
    except PermissionDenied as error:
        form.add_error(
            None,
            _(
                "%(refusal)s Leave “Approve at once” unticked to take it as a request, or ask "
                "a manager."
            )
            % {"refusal": error}
            if data.get("approve")
            else _("%(refusal)s Ask a manager to take this booking.") % {"refusal": error},
        )
        return None
    except BookingError as error:
        form.add_error(None, str(error))
        return None
    booking = created.booking
    tz = venue.tzinfo
    when = f"{start:%a %d %b %H:%M}"  # as typed: venue time
    if booking.status == BookingStatus.APPROVED:
        text = _(
            "Booking %(reference)s for %(customer)s is approved: %(space)s, %(when)s (%(zone)s)."
        )
    else:
        text = _(
            "Booking %(reference)s for %(customer)s is waiting for approval: "
            "%(space)s, %(when)s (%(zone)s)."
        )
    messages.success(
        request,
        text
        % {
            "reference": booking.reference,
            "customer": booking.customer.display_name,
            "space": space.name,
            "when": when,
            "zone": tz.key,
        },
    )
    return booking
