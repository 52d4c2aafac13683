"""From validated API input to the services' arguments: ids resolved within the organisation.

An id that does not exist in the caller's organisation is a 400 naming the field (it is
part of the body, not the URL). The services name what they refuse by their own words
(`space_lines.0.space`, `contact_email`); `errors_named_as_input()` gives the client its
own (`spaces.0.space_id`, `contact.email`). Every door takes contact details as
`contact: {name, email, phone}` and space lines as `spaces`, and the answers use the same
names: the change requests' JSON is translated both ways here.
"""

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework.exceptions import ValidationError

from bookings.models import Booking, Customer, resolve_status
from bookings.services import (
    ContactIn,
    CustomerIn,
    EventLineIn,
    ProductLineIn,
    SpaceLineIn,
)
from venues.models import (
    BookingForm,
    Discount,
    Event,
    InventoryProduct,
    Organization,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
    VatRate,
    Venue,
)

# The services' names -> the API's input names.
LINE_LISTS = {
    "space_lines": "spaces",
    "event_lines": "events",
    "product_lines": "inventory_products",
}
FIELD_INPUTS = {
    "organization": "organization_id",
    "venue": "venue_id",
    "booking_form": "booking_form_id",
    "payment_type": "payment_type_id",
    "space": "space_id",
    "layout": "layout_id",
    "places": "places_used",
    "event": "event_id",
    "product": "inventory_product_id",
    "price": "price_id",
    "discount": "discount_id",
    "manual_price_vat_rate": "manual_price_vat_id",
    "manual_price_gross": "manual_price_amount_gross",
}


# The booking's contact fields -> their names inside the API's `contact` object.
CONTACT_INPUTS = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
# A change request's space line: its service key -> the API's (the rest are the same).
CHANGE_LINE_INPUTS = {"places": "places_used"}
# Service errors about a request as a whole.
WHOLE_REQUEST = frozenset({"changes"})

SERVICE_NAMES = {api_name: name for name, api_name in FIELD_INPUTS.items()}


def service_name(api_name: str) -> str:
    """ "space_id" -> "space": the name the services give an input field."""
    return SERVICE_NAMES.get(api_name, api_name)


def input_path(path: str) -> str:
    """ "space_lines.0.space" -> "spaces.0.space_id"; a line's own error -> "spaces.0".

    Services that change one line name its fields "line.starts_at"; those endpoints take
    the line's fields at the top of the body.
    """
    parts = path.split(".")
    if parts[0] == "line" and len(parts) > 1:
        parts.pop(0)
    if parts[0] in WHOLE_REQUEST:
        return "non_field_errors"
    if parts[-1] in CONTACT_INPUTS and parts[:-1] in ([], ["contact"]):
        return f"contact.{CONTACT_INPUTS[parts[-1]]}"
    parts[0] = LINE_LISTS.get(parts[0], parts[0])
    if parts[-1] == NON_FIELD_ERRORS:
        parts.pop()
    elif parts:
        parts[-1] = FIELD_INPUTS.get(parts[-1], parts[-1])
    return ".".join(parts) or "non_field_errors"


@contextmanager
def errors_named_as_input():
    """Rename the fields of a service's ValidationError to the API's input names."""
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise DjangoValidationError(
            {input_path(name): errors for name, errors in error.error_dict.items()}
        ) from None


def at(prefix: str, name: str) -> str:
    """The path of `name` inside a line input: "spaces.0.space_id", or "space_id" alone."""
    return f"{prefix}.{name}" if prefix else name


def pick(queryset: QuerySet, pk, field: str) -> Model | None:
    """The object `pk` of `queryset` (None when pk is None), else a 400 naming `field`."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [f"No such {queryset.model._meta.verbose_name}."]})
    return found


def price_options(data: dict, organization: Organization, prefix: str) -> dict:
    return {
        "discount": pick(
            Discount.objects.filter(organization=organization),
            data.get("discount_id"),
            at(prefix, "discount_id"),
        ),
        "use_manual_price": data.get("use_manual_price", False),
        "manual_price_gross": data.get("manual_price_amount_gross"),
        "manual_price_vat_rate": pick(
            VatRate.objects.filter(organization=organization),
            data.get("manual_price_vat_id"),
            at(prefix, "manual_price_vat_id"),
        ),
        "exclude_vat": data.get("exclude_vat", False),
    }


def space_line(data: dict, organization: Organization, prefix: str) -> SpaceLineIn:
    space = pick(
        Space.objects.filter(venue__organization=organization).select_related("venue", "vat_rate"),
        data["space_id"],
        at(prefix, "space_id"),
    )
    optional = {
        name: data[name]
        for name in (
            "setup_minutes",
            "setdown_minutes",
            "expected_attendees",
            "guaranteed_attendees",
            "actual_attendees",
        )
        if name in data
    }
    return SpaceLineIn(
        space=space,
        layout=pick(
            SpaceLayout.objects.filter(space=space), data.get("layout_id"), at(prefix, "layout_id")
        ),
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        places=data.get("places_used", 1),
        name=data.get("name", ""),
        signage=data.get("signage", ""),
        show_signage=data.get("show_signage", False),
        overrides_opening_hours=data.get("overrides_opening_hours", False),
        **optional,
        **price_options(data, organization, prefix),
    )


def event_line(data: dict, organization: Organization, prefix: str) -> EventLineIn:
    event = pick(
        Event.objects.filter(organization=organization), data["event_id"], at(prefix, "event_id")
    )
    return EventLineIn(
        event=event,
        price=pick(Price.objects.filter(event=event), data.get("price_id"), at(prefix, "price_id")),
        quantity=data.get("quantity", 1),
        **price_options(data, organization, prefix),
    )


def product_line(data: dict, organization: Organization, prefix: str) -> ProductLineIn:
    product = pick(
        InventoryProduct.objects.filter(organization=organization),
        data["inventory_product_id"],
        at(prefix, "inventory_product_id"),
    )
    return ProductLineIn(
        product=product,
        price=pick(
            Price.objects.filter(product=product), data.get("price_id"), at(prefix, "price_id")
        ),
        units=data.get("units", 1),
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        **price_options(data, organization, prefix),
    )


def contact_fields(contact: dict) -> dict:
    """The API's `contact` object as the booking's fields: {"name": …} -> {"contact_name": …}."""
    service_of = {api_name: name for name, api_name in CONTACT_INPUTS.items()}
    return {service_of[key]: value for key, value in contact.items()}


def change_arguments(data: dict) -> dict:
    """The `changes` of services.change_request_submit for a validated PublicChangeInput."""
    changes: dict = {}
    if data.get("contact"):
        changes["contact"] = contact_fields(data["contact"])
    if data.get("answers"):
        changes["answers"] = data["answers"]
    if data.get("spaces"):
        service_of = {api_name: name for name, api_name in CHANGE_LINE_INPUTS.items()}
        changes["space_lines"] = [
            {service_of.get(key, key): value for key, value in line.items()}
            for line in data["spaces"]
        ]
    return changes


def changes_as_input(changes: dict) -> dict:
    """A stored change request's `changes` under the names its request used (the reverse
    of change_arguments). A key it does not know is shown as stored."""
    shown: dict = {}
    if "contact" in changes:
        shown["contact"] = {
            CONTACT_INPUTS.get(key, key): value for key, value in changes["contact"].items()
        }
    if "answers" in changes:
        shown["answers"] = changes["answers"]
    if "space_lines" in changes:
        shown["spaces"] = [
            {CHANGE_LINE_INPUTS.get(key, key): value for key, value in line.items()}
            for line in changes["space_lines"]
        ]
    return shown


def update_changes(data: dict, booking: Booking) -> dict:
    """The `changes` of services.booking_update for a validated BookingUpdateInput; the
    customer and the payment type are looked up in the booking's organisation."""
    organization = booking.organization
    changes = {
        name: data[name]
        for name in ("title", "internal_note", "notify_email", "notify_sms")
        if name in data
    }
    changes.update(contact_fields(data.get("contact", {})))
    if "customer_id" in data:
        changes["customer"] = pick(
            Customer.objects.filter(organization=organization), data["customer_id"], "customer_id"
        )
    if "payment_type_id" in data:
        changes["payment_type"] = pick(
            PaymentType.objects.filter(organization=organization),
            data["payment_type_id"],
            "payment_type_id",
        )
    return changes


def booking_arguments(data: dict, organization: Organization) -> dict:
    """Keyword arguments of services.booking_create for a validated BookingCreateInput."""
    lines = {
        "space_lines": [
            space_line(line, organization, f"spaces.{n}") for n, line in enumerate(data["spaces"])
        ],
        "event_lines": [
            event_line(line, organization, f"events.{n}") for n, line in enumerate(data["events"])
        ],
        "product_lines": [
            product_line(line, organization, f"inventory_products.{n}")
            for n, line in enumerate(data["inventory_products"])
        ],
    }
    form = pick(
        BookingForm.objects.filter(organization=organization),
        data.get("booking_form_id"),
        "booking_form_id",
    )
    # The venue is most often the one the spaces were read with.
    venues = {line.space.venue.pk: line.space.venue for line in lines["space_lines"]}
    venue = venues.get(data.get("venue_id")) or pick(
        Venue.objects.filter(organization=organization), data.get("venue_id"), "venue_id"
    )
    venue = venue or (form.venue if form else None)
    if venue is None and lines["space_lines"]:
        venue = lines["space_lines"][0].space.venue
    if venue is None and lines["event_lines"]:
        venue = lines["event_lines"][0].event.venue
    if venue is None:
        raise ValidationError({"venue_id": ["Say which venue the booking is for."]})

    if data.get("customer_id") is not None:
        customer = pick(
            Customer.objects.filter(organization=organization), data["customer_id"], "customer_id"
        )
    elif data.get("customer"):
        customer = CustomerIn(**data["customer"])
    else:
        raise ValidationError({"customer_id": ["Give customer_id or a customer."]})

    try:
        status = resolve_status(data.get("status") or "pending")
    except ValueError as error:
        raise ValidationError({"status": [str(error)]}) from None
    if status not in ("pending", "approved"):
        raise ValidationError({"status": ["A new booking is pending or approved."]})

    contact = data.get("contact") or {}
    return {
        "organization": organization,
        "venue": venue,
        "customer": customer,
        "booking_form": form,
        "title": data.get("title", ""),
        "contact": ContactIn(**contact),
        "answers": data.get("answers"),
        "request_note": data.get("request_note", ""),
        "internal_note": data.get("internal_note", ""),
        "payment_type": pick(
            PaymentType.objects.filter(organization=organization),
            data.get("payment_type_id"),
            "payment_type_id",
        ),
        "notify_email": data.get("notify_email", True),
        "notify_sms": data.get("notify_sms", False),
        "discount_code": data.get("discount_code", ""),
        "approve": status == "approved",
        **lines,
    }
