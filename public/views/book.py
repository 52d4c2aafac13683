"""The public booking form: pick a space, a day and a free slot, say who you are, send.

Without JavaScript the page is a form that posts to itself: "Show free times" lists the
slots for what is chosen, "Send" books. With JavaScript (static/js/booking-form.js) the
slot list is refreshed in place from `slots` whenever the choice changes. Booking goes
through `services.booking_create` as the customer; a booking made leads to its manage
page, which greets the customer with the outcome.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bookings import services
from bookings.models import BookingSource
from core.actors import Actor
from core.errors import BookingConflict, BookingError, ConflictReason
from public.forms import BookingRequestForm, field_of_service_error
from public.views.common import error_summary, private, rate_limited
from venues.selectors import public_booking_form_get

# What the customer reads when a slot no longer fits, by the engine's reason.
CONFLICT_WORDS = {
    ConflictReason.SPACE_TAKEN: gettext_lazy(
        "Sorry, this time was just taken. Please choose another."
    ),
    ConflictReason.CAPACITY: gettext_lazy("Sorry, there are no longer enough places at this time."),
    ConflictReason.LAYOUT_CAPACITY: gettext_lazy("This layout holds fewer people than that."),
    ConflictReason.BLOCKOUT: gettext_lazy("Sorry, the space is not available at this time."),
    ConflictReason.OPENING_HOURS: gettext_lazy("The venue is closed at this time."),
    ConflictReason.PRODUCT_UNITS: gettext_lazy("Not enough of this extra is left at that time."),
}
CAPACITY_REASONS = (ConflictReason.CAPACITY, ConflictReason.LAYOUT_CAPACITY)
BOOKED_TAG = "booked"  # the manage page greets a booking just made


def _form_or_404(request, organization: str, form: str):
    booking_form = public_booking_form_get(organization_slug=organization, form_slug=form)
    if booking_form is None:
        return None, private(render(request, "public/form_not_found.html", status=404))
    return booking_form, None


@require_http_methods(["GET", "POST"])
@rate_limited("public_pages", methods=("POST",))
def booking_form(request, organization: str, form: str):
    booking_form, not_found = _form_or_404(request, organization, form)
    if not_found:
        return not_found
    if request.method == "GET":
        page = BookingRequestForm(booking_form)
        page.find_slots()
        return _render(request, page)

    data = request.POST.copy()
    if data.get("next_day"):  # "Show <the next day with free times>"
        data["day"], data["action"] = data["next_day"], "slots"
    page = BookingRequestForm(booking_form, data)
    if page.caught_in_honeypot:
        # A robot filled the field no person sees: nothing is booked. (A person who did
        # is told which field to clear; the robot learns nothing it can use.)
        page.add_error(None, _("Please leave the field “Leave this empty” empty."))
        page.find_slots()
        return _render(request, page, status=400)
    if data.get("action") == "slots" or not page.is_valid():
        showing_slots = data.get("action") == "slots"
        if showing_slots:
            page.errors.clear()  # only the slots were asked for: no errors yet
        page.find_slots()
        return _render(request, page, status=200 if showing_slots else 400)
    try:
        created = _book(page)
    except BookingConflict as conflict:
        _place_conflicts(page, conflict)
    except ValidationError as error:
        _place_service_errors(page, error)
    except BookingError as error:
        page.add_error(None, str(error))
    else:
        booking = created.booking
        messages.success(
            request,
            _(
                "We have sent the link to this page to %(email)s. Keep it: it is how you "
                "see, change or cancel your booking."
            )
            % {"email": booking.notify_address or page.cleaned_data["email"]},
            extra_tags=BOOKED_TAG,
        )
        if booking_form.confirmation_text:
            messages.success(request, booking_form.confirmation_text, extra_tags=BOOKED_TAG)
        return redirect("public:manage", token=created.manage_token)
    page.find_slots()
    taken = page.has_error("slot") or any(page.has_error(f"extra_{p.pk}") for p in page.products)
    return _render(request, page, status=409 if taken else 400)


@require_GET
@rate_limited("public_slots", methods=("GET",))
def slots(request, organization: str, form: str):
    """The slot list alone, for the page's script to put in place (same rules, same HTML)."""
    booking_form, not_found = _form_or_404(request, organization, form)
    if not_found:
        return not_found
    page = BookingRequestForm(booking_form, request.GET)
    page.errors.clear()  # only the slots were asked for: no "Choose a time." yet
    page.find_slots()
    return private(render(request, "public/_slots.html", {"form": page}))


def _book(page: BookingRequestForm):
    data, booking_form = page.cleaned_data, page.booking_form
    space = page.spaces[data["space"]]
    layout = page.chosen_layout()
    starts_at = data["slot_start"]
    ends_at = starts_at + timedelta(minutes=data["minutes"])
    return services.booking_create(
        actor=Actor.customer(),
        organization=booking_form.organization,
        venue=booking_form.venue,
        customer=services.CustomerIn(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            company=data["company"],
        ),
        # What they typed this time, whatever an earlier booking with this address said.
        contact=services.ContactIn(
            name=f"{data['first_name']} {data['last_name']}".strip(),
            email=data["email"],
            phone=data["phone"],
        ),
        source=BookingSource.PUBLIC_FORM,
        booking_form=booking_form,
        title=data["title"],
        answers=data["answers"],
        request_note=data["request_note"],
        discount_code=data.get("discount_code", ""),
        space_lines=[
            services.SpaceLineIn(
                space=space,
                layout=layout,
                starts_at=starts_at,
                ends_at=ends_at,
                places=data["places"],
            )
        ],
        product_lines=[
            services.ProductLineIn(
                product=product, units=units, starts_at=starts_at, ends_at=ends_at
            )
            for product in page.products
            if (units := data.get(f"extra_{product.pk}"))
        ],
    )


def _place_conflicts(page: BookingRequestForm, conflict: BookingConflict) -> None:
    data = page.cleaned_data
    space, layout = page.spaces[data["space"]], page.chosen_layout()
    most = layout.capacity if layout is not None else space.capacity
    for item in conflict.conflicts:
        field, words = (
            "slot",
            CONFLICT_WORDS.get(item.reason, _("Sorry, this time is no longer free.")),
        )
        if item.reason in CAPACITY_REASONS and data["places"] > most:
            field = "places"
            words = _("%(name)s holds at most %(most)d people.") % {
                "name": layout.name if layout is not None else space.name,
                "most": most,
            }
        elif item.reason == ConflictReason.PRODUCT_UNITS:
            field = next(
                (f"extra_{p.pk}" for p in page.products if f"({p.name})" in item.line), None
            )
        if not page.has_error(field):
            page.add_error(field, words)


def _place_service_errors(page: BookingRequestForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        page.add_error(None, error.messages)
        return
    data = page.cleaned_data
    product_ids = [p.pk for p in page.products if data.get(f"extra_{p.pk}")]
    for name, errors in error.message_dict.items():
        field = field_of_service_error(page, name, product_ids)
        for message in errors:
            page.add_error(field, message)


def _render(request, page: BookingRequestForm, status: int = 200):
    booking_form = page.booking_form
    context = {
        "form": page,
        "booking_form": booking_form,
        "venue": booking_form.venue,
        "errors": error_summary(page),
    }
    return private(render(request, "public/booking_form.html", context, status=status))
