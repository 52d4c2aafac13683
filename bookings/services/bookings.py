"""Booking use cases: create, approve, deny, cancel, front desk, status by name, contact, payments.

Every function here opens one transaction, locks the booking row (then the resources,
DESIGN §8), checks the actor and the client's `updated_at`, changes the booking, writes
a LogEntry and queues notifications that go out after commit.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bookings import notifications, pricing
from bookings.answers import clean_answers
from bookings.models import (
    ActorKind,
    Booking,
    BookingSource,
    BookingStatus,
    Customer,
    EventBooking,
    EventProcedure,
    InventoryBooking,
    LogEntry,
    Notification,
    Payment,
    SpaceBooking,
    resolve_status,
)
from bookings.services.common import (
    Lines,
    booking_day,
    check_fit,
    check_fresh,
    full_clean_all,
    lock_booking,
    manage_url,
    notify_customer,
    price_lines,
    require_transition,
    save_lines,
    withdraw_open_change_request,
    write_log,
)
from bookings.services.customers import CustomerIn, customer_find_or_create
from core.actors import Actor
from core.errors import PermissionDenied, TransitionNotAllowed
from core.permissions import Action, require
from core.sanitize import sanitize_note
from core.times import in_venue_time
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

# -- what a new booking asks for -------------------------------------------------------------


@dataclass
class LinePrice:
    """Price options every line accepts."""

    discount: Discount | None = None
    use_manual_price: bool = False
    manual_price_gross: Decimal | None = None
    manual_price_vat_rate: VatRate | None = None
    exclude_vat: bool = False


@dataclass
class SpaceLineIn(LinePrice):
    space: Space = None
    starts_at: datetime = None
    ends_at: datetime = None
    places: int = 1
    layout: SpaceLayout | None = None
    name: str = ""
    setup_minutes: int | None = None  # None: the layout's, else the space's default
    setdown_minutes: int | None = None
    expected_attendees: int | None = None
    guaranteed_attendees: int | None = None
    actual_attendees: int | None = None
    signage: str = ""
    show_signage: bool = False
    overrides_opening_hours: bool = False


@dataclass
class EventLineIn(LinePrice):
    event: Event = None
    price: Price | None = None
    quantity: int = 1


@dataclass
class ProductLineIn(LinePrice):
    product: InventoryProduct = None
    price: Price | None = None
    units: int = 1
    starts_at: datetime = None
    ends_at: datetime = None


@dataclass
class ContactIn:
    """The person to contact and how; blank fields fall back to the customer's."""

    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class CreatedBooking:
    booking: Booking
    manage_token: str  # shown once (confirmation page, API response, e-mail)
    warnings: list[str] = field(default_factory=list)


# What a customer (public form, manage link) may choose on a line. Every other field of a
# line is a staff matter — prices, VAT, discounts by id, setup and setdown, opening-hours
# overrides, attendee figures, signage — and must be left as it is by default.
CUSTOMER_CHOICES = {
    SpaceLineIn: frozenset({"space", "layout", "starts_at", "ends_at", "places", "name"}),
    ProductLineIn: frozenset({"product", "units", "starts_at", "ends_at"}),
}
STAFF_ONLY = "Only staff can set this."


def _staff_only(field_name: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(STAFF_ONLY, code="staff_only")})


def _price_fields(line_in: LinePrice) -> dict:
    return {
        "discount": line_in.discount,
        "use_manual_price": line_in.use_manual_price,
        "manual_price_gross": line_in.manual_price_gross,
        "manual_price_vat_rate": line_in.manual_price_vat_rate,
        "exclude_vat": line_in.exclude_vat,
    }


def preparation_minutes(space: Space, layout: SpaceLayout | None) -> tuple[int, int]:
    """Setup and setdown minutes by default: the layout's where it has them, else the space's."""

    def minutes(name: str) -> int:
        own = getattr(layout, name) if layout is not None else None
        return getattr(space, name) if own is None else own

    return minutes("setup_minutes"), minutes("setdown_minutes")


def build_space_line(booking: Booking, line_in: SpaceLineIn, *, prefix: str) -> SpaceBooking:
    """An unsaved SpaceBooking with times read in the venue's zone and default setup times."""
    tz = booking.venue.tzinfo
    layout, space = line_in.layout, line_in.space
    default_setup, default_setdown = preparation_minutes(space, layout)
    setup, setdown = line_in.setup_minutes, line_in.setdown_minutes
    return SpaceBooking(
        booking=booking,
        space=space,
        layout=layout,
        name=line_in.name,
        starts_at=_time(line_in.starts_at, tz, f"{prefix}.starts_at"),
        ends_at=_time(line_in.ends_at, tz, f"{prefix}.ends_at"),
        setup_minutes=default_setup if setup is None else setup,
        setdown_minutes=default_setdown if setdown is None else setdown,
        places=line_in.places,
        expected_attendees=line_in.expected_attendees,
        guaranteed_attendees=line_in.guaranteed_attendees,
        actual_attendees=line_in.actual_attendees,
        signage=line_in.signage,
        show_signage=line_in.show_signage,
        overrides_opening_hours=line_in.overrides_opening_hours,
        **_price_fields(line_in),
    )


def build_event_line(booking: Booking, line_in: EventLineIn) -> EventBooking:
    return EventBooking(
        booking=booking,
        event=line_in.event,
        price=line_in.price,
        quantity=line_in.quantity,
        **_price_fields(line_in),
    )


def build_product_line(
    booking: Booking, line_in: ProductLineIn, *, prefix: str
) -> InventoryBooking:
    tz = booking.venue.tzinfo
    return InventoryBooking(
        booking=booking,
        product=line_in.product,
        price=line_in.price,
        units=line_in.units,
        starts_at=_time(line_in.starts_at, tz, f"{prefix}.starts_at"),
        ends_at=_time(line_in.ends_at, tz, f"{prefix}.ends_at"),
        **_price_fields(line_in),
    )


def _time(value: datetime | None, tz, field_name: str) -> datetime:
    if value is None:
        raise ValidationError({field_name: "This field is required."})
    return in_venue_time(value, tz, field=field_name)


# -- create ---------------------------------------------------------------------------------


@transaction.atomic
def booking_create(
    *,
    actor: Actor,
    organization: Organization,
    venue: Venue,
    customer: Customer | CustomerIn,
    source: str,
    booking_form: BookingForm | None = None,
    title: str = "",
    contact: ContactIn | None = None,
    answers: dict | None = None,
    request_note: str = "",
    internal_note: str = "",
    payment_type: PaymentType | None = None,
    notify_email: bool = True,
    notify_sms: bool = False,
    space_lines: list[SpaceLineIn] = (),
    event_lines: list[EventLineIn] = (),
    product_lines: list[ProductLineIn] = (),
    discount_code: str = "",
    approve: bool | None = None,
) -> CreatedBooking:
    """Create a booking with any mix of space, event and product lines.

    Rules: staff, API keys and the system need the write right (and approve, to approve
    at once); a customer books only through an active public form and chooses only what
    it offers (CUSTOMER_CHOICES: its spaces, layouts and products, slots within its
    notice, days ahead, granularity and durations, places, and a discount by its public
    code where the form takes codes); anything else a customer sends — a price, VAT,
    a discount id, setup or setdown, an opening-hours override, attendee figures, an
    internal note, a payment type, tickets — is refused naming the field. Answers are
    validated against the form whoever books; the request note is sanitised. Every
    line is priced. The booking starts `pending` unless it is approved at once: staff
    and API ask for that with `approve=True`; a public form without approval approves
    what fits. Approval checks capacity under the resource locks; a pending request is
    still refused when its slot is already held.
    Side effects: a LogEntry (created, and approved), the Event of an approved space
    booking, and notifications (request received + staff alert, or approved).
    """
    public = source == BookingSource.PUBLIC_FORM
    by_customer = actor.kind == ActorKind.CUSTOMER
    if by_customer and not public:
        raise PermissionDenied("Customers book through a public booking form.")
    if public:
        if booking_form is None or not booking_form.is_active:
            raise ValidationError({"booking_form": "This booking form is not taking bookings."})
        if venue.pk != booking_form.venue_id:
            raise ValidationError({"venue": "This form books another venue."})
    if by_customer:
        _refuse_staff_choices(
            space_lines=space_lines,
            event_lines=event_lines,
            product_lines=product_lines,
            internal_note=internal_note,
            payment_type=payment_type,
        )
    require(actor, Action.BOOK, organization)
    if approve:
        require(actor, Action.APPROVE, organization)
    if not (space_lines or event_lines or product_lines):
        raise ValidationError({"lines": "A booking needs at least one space, event or product."})
    discount = _discount_of_code(organization, booking_form, discount_code, by_customer=by_customer)
    if booking_form is not None and answers is None:
        answers = {}
    contact = contact or ContactIn()
    if isinstance(customer, CustomerIn):
        customer = customer_find_or_create(organization=organization, customer=customer)

    booking = Booking(
        organization=organization,
        venue=venue,
        customer=customer,
        source=source,
        booking_form=booking_form,
        title=title.strip(),
        contact_name=contact.name.strip(),
        contact_email=contact.email.strip(),
        contact_phone=contact.phone.strip(),
        answers=clean_answers(booking_form, answers) if booking_form else {},
        request_note=sanitize_note(request_note),
        internal_note=internal_note,
        payment_type=payment_type or (booking_form.payment_type if booking_form else None),
        notify_email=notify_email,
        notify_sms=notify_sms,
        created_by=actor.user,
    )
    token = booking.issue_manage_token()
    booking.full_clean()
    booking.save()

    lines = Lines(
        spaces=[
            build_space_line(booking, line_in, prefix=f"space_lines.{number}")
            for number, line_in in enumerate(space_lines)
        ],
        events=[build_event_line(booking, line_in) for line_in in event_lines],
        products=[
            build_product_line(booking, line_in, prefix=f"product_lines.{number}")
            for number, line_in in enumerate(product_lines)
        ],
    )
    full_clean_all(lines.spaces, "space_lines")
    full_clean_all(lines.events, "event_lines")
    full_clean_all(lines.products, "product_lines")
    _check_catalogue(booking, lines)
    if by_customer:
        check_form_policy(booking_form, _named_lines(lines))
    if discount is not None:
        _use_discount(discount, lines, on=booking_day(booking))
    price_lines(booking, lines)

    if public and booking_form.requires_approval is False:
        approve = True
    check_fit(booking, lines, lock=bool(approve))
    save_lines(booking, lines)
    booking.save()
    log_data = {"source": source}
    if discount is not None:
        log_data["discount_code"] = discount.code
    write_log(booking, LogEntry.Action.CREATED, actor, data=log_data)

    # The manage link goes out with the first message: the token is not kept.
    if approve:
        _approve(
            booking, lines, actor, event_fields={}, fit_checked=True, manage_link=manage_url(token)
        )
    else:
        notify_customer(booking, Notification.Kind.REQUEST_RECEIVED, manage_url=manage_url(token))
    if public or not approve:
        notifications.queue(booking=booking, kind=Notification.Kind.STAFF_NEW_REQUEST)
    return CreatedBooking(booking=booking, manage_token=token)


def _refuse_staff_choices(
    *, space_lines, event_lines, product_lines, internal_note: str, payment_type
) -> None:
    """A customer's lines leave every field outside CUSTOMER_CHOICES at its default."""
    errors: dict[str, list[ValidationError]] = {}
    for prefix, lines_in in (("space_lines", space_lines), ("product_lines", product_lines)):
        for number, line_in in enumerate(lines_in):
            chosen = CUSTOMER_CHOICES[type(line_in)]
            for line_field in dataclasses.fields(line_in):
                value = getattr(line_in, line_field.name)
                if line_field.name not in chosen and value != line_field.default:
                    errors.update(_staff_only(f"{prefix}.{number}.{line_field.name}").error_dict)
    if event_lines:
        errors["event_lines"] = [
            ValidationError("Tickets are not sold through booking forms.", code="staff_only")
        ]
    if internal_note:
        errors.update(_staff_only("internal_note").error_dict)
    if payment_type is not None:
        errors.update(_staff_only("payment_type").error_dict)
    if errors:
        raise ValidationError(errors)


def _discount_of_code(
    organization: Organization, form: BookingForm | None, code: str, *, by_customer: bool
) -> Discount | None:
    """The discount behind a public code (case does not matter); None without a code."""
    code = (code or "").strip()
    if not code:
        return None
    if by_customer and not (form and form.accepts_discount_codes):
        raise ValidationError(
            {"discount_code": ValidationError("This form takes no discount codes.", code="invalid")}
        )
    discount = Discount.objects.filter(organization=organization, code__iexact=code).first()
    if discount is None:
        raise ValidationError(
            {"discount_code": ValidationError("There is no such discount code.", code="invalid")}
        )
    return discount


def _use_discount(discount: Discount, lines: Lines, *, on) -> None:
    """Put a coded discount on the lines it applies to that have no discount of their own:
    a percentage on each of them, a fixed amount once per booking (on the first), so
    that splitting a booking into lines does not multiply it.

    A code that applies to none of the lines is refused with the reason (expired, not
    yet valid, meant for other lines).
    """
    once = discount.kind == Discount.Kind.FIXED
    used, refusals = False, []
    for line_kind, group in (
        (Discount.AppliesTo.SPACES, lines.spaces),
        (Discount.AppliesTo.EVENTS, lines.events),
        (Discount.AppliesTo.PRODUCTS, lines.products),
    ):
        for line in group:
            if line.discount is not None or (used and once):
                continue
            refusal = pricing.discount_refusal(discount, line_kind=line_kind, on=on)
            if refusal is None:
                line.discount, used = discount, True
            else:
                refusals.append(refusal.error_dict["discount"][0])
    if not used:
        reason = refusals[0] if refusals else "Every line has a discount already."
        raise ValidationError({"discount_code": reason})


def _check_catalogue(booking: Booking, lines: Lines) -> None:
    """Only active spaces and products of the booking's venue (or the whole organisation)."""
    errors = {}
    for number, line in enumerate(lines.spaces):
        if line.space.venue_id != booking.venue_id:
            errors[f"space_lines.{number}.space"] = "This space is at another venue."
        elif not line.space.is_active:
            errors[f"space_lines.{number}.space"] = "This space is not bookable."
    for number, line in enumerate(lines.products):
        if not line.product.is_active:
            errors[f"product_lines.{number}.product"] = "This product is not available."
    for number, line in enumerate(lines.events):
        if line.price is not None and not line.price.is_active:
            errors[f"event_lines.{number}.price"] = "This price is no longer offered."
    if errors:
        raise ValidationError(errors)


def _named_lines(lines: Lines) -> list[tuple[str, SpaceBooking | InventoryBooking]]:
    """The space and product lines with the names errors give them ("space_lines.0")."""
    return [
        *((f"space_lines.{number}", line) for number, line in enumerate(lines.spaces)),
        *((f"product_lines.{number}", line) for number, line in enumerate(lines.products)),
    ]


def check_form_policy(
    form: BookingForm,
    lines: list[tuple[str, SpaceBooking | InventoryBooking]],
    *,
    times_of: set[str] | None = None,
) -> None:
    """What a public form allows a customer:
    - its spaces and products only;
    - every line starts after its notice and ends within its days ahead, on its slot steps;
    - a space line lasts as long as the form allows; an extra (a product line) goes with
      the space lines it is booked beside, within their span, or, booked alone, lasts as
      long as the form allows.
    `lines` are (name, line) pairs; `times_of` limits the time rules to the lines so named
    (a change request re-checks only what it moves).
    """
    now = timezone.now()
    earliest = now + timedelta(hours=form.min_notice_hours)
    horizon = now + timedelta(days=form.max_days_ahead)
    offered = {
        "space": set(form.spaces.values_list("pk", flat=True)),
        "product": set(form.products.values_list("pk", flat=True)),
    }
    spaces = [line for _, line in lines if isinstance(line, SpaceBooking)]
    span = (min(s.starts_at for s in spaces), max(s.ends_at for s in spaces)) if spaces else None
    errors: dict[str, str] = {}
    for prefix, line in lines:
        resource = "space" if isinstance(line, SpaceBooking) else "product"
        if getattr(line, f"{resource}_id") not in offered[resource]:
            errors[f"{prefix}.{resource}"] = f"This {resource} cannot be booked with this form."
            continue
        if times_of is not None and prefix not in times_of:
            continue
        if line.starts_at < earliest:
            errors[f"{prefix}.starts_at"] = f"Book at least {form.min_notice_hours} hours ahead."
        elif line.starts_at > horizon:
            errors[f"{prefix}.starts_at"] = f"Book at most {form.max_days_ahead} days ahead."
        if line.ends_at > horizon:
            errors[f"{prefix}.ends_at"] = f"End at most {form.max_days_ahead} days ahead."
        _check_slot_steps(form, line, prefix, errors)
        if resource == "space" or span is None:
            _check_duration(form, line, prefix, errors)
        elif line.starts_at < span[0] or line.ends_at > span[1]:
            tz = form.venue.tzinfo
            errors.setdefault(
                f"{prefix}.starts_at" if line.starts_at < span[0] else f"{prefix}.ends_at",
                "Extras go with the booking: book them within its time, "
                f"{timezone.localtime(span[0], tz):%Y-%m-%d %H:%M} to "
                f"{timezone.localtime(span[1], tz):%Y-%m-%d %H:%M} ({tz.key}).",
            )
    if errors:
        raise ValidationError(errors)


def _check_slot_steps(form: BookingForm, line, prefix: str, errors: dict) -> None:
    tz = form.venue.tzinfo
    for name in ("starts_at", "ends_at"):
        local = timezone.localtime(getattr(line, name), tz)
        if (local.hour * 60 + local.minute) % form.slot_minutes or local.second:
            errors.setdefault(
                f"{prefix}.{name}", f"Times go in steps of {form.slot_minutes} minutes."
            )


def _check_duration(form: BookingForm, line, prefix: str, errors: dict) -> None:
    minutes = (line.ends_at - line.starts_at) / timedelta(minutes=1)
    if minutes < form.min_duration_minutes:
        errors[f"{prefix}.ends_at"] = f"Book at least {form.min_duration_minutes} minutes."
    elif form.max_duration_minutes and minutes > form.max_duration_minutes:
        errors[f"{prefix}.ends_at"] = f"Book at most {form.max_duration_minutes} minutes."


# -- decisions --------------------------------------------------------------------------------

EVENT_FIELDS = {"title", "description", "notes", "starts_at", "ends_at", "is_public", "capacity"}


def _approve(
    booking: Booking,
    lines: Lines,
    actor: Actor,
    *,
    event_fields: dict,
    comment: str = "",
    message: str = "",
    send_email=None,
    send_sms=None,
    fit_checked: bool = False,
    manage_link: str = "",
) -> None:
    """Approve under the resource locks: check, move, create the Event, log, notify."""
    if not fit_checked:
        check_fit(booking, lines, lock=True)
    from_status = booking.status
    booking.approve()
    if lines.spaces:
        booking.event = _create_event(booking, lines.spaces, event_fields)
    booking.save()
    write_log(
        booking,
        LogEntry.Action.APPROVED,
        actor,
        from_status=from_status,
        comment=comment,
        message=message,
        data={"event": booking.event_id} if booking.event_id else {},
    )
    notify_customer(
        booking,
        Notification.Kind.APPROVED,
        message=message,
        manage_url=manage_link,
        send_email=send_email,
        send_sms=send_sms,
    )


def _create_event(booking: Booking, space_lines: list[SpaceBooking], fields: dict) -> Event:
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise ValidationError({"event": f"Unknown event fields: {', '.join(sorted(unknown))}."})
    spaces = {line.space_id for line in space_lines}
    values = {
        "title": booking.title or f"Booking {booking.reference}",
        "description": "",
        "notes": f"Created from booking {booking.reference}.",
        "starts_at": min(line.starts_at for line in space_lines),
        "ends_at": max(line.ends_at for line in space_lines),
        **fields,
    }
    tz = booking.venue.tzinfo
    for name in ("starts_at", "ends_at"):
        if not isinstance(values[name], datetime):
            raise ValidationError({f"event.{name}": "Give a date and time."})
        values[name] = in_venue_time(values[name], tz, field=f"event.{name}")
    if values["ends_at"] <= values["starts_at"]:
        raise ValidationError({"event.ends_at": "Must be after starts_at."})
    event = Event(
        organization=booking.organization,
        venue=booking.venue,
        space=space_lines[0].space if len(spaces) == 1 else None,
        **values,
    )
    try:
        event.full_clean()
    except ValidationError as error:
        raise ValidationError(
            {f"event.{name}": messages for name, messages in error.message_dict.items()}
        ) from None
    event.save()
    return event


@transaction.atomic
def booking_approve(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    event_fields: dict | None = None,
    comment: str = "",
    message: str = "",
    send_email: bool | None = None,
    send_sms: bool | None = None,
) -> Booking:
    """Approve a pending booking: capacity is checked under the locks; the Event is created.

    `event_fields` override the Event's title, description, notes, times, is_public or
    capacity. Notifies the customer (flags default to the booking's).
    """
    booking = lock_booking(booking)
    require(actor, Action.APPROVE, booking.organization)
    check_fresh(booking, client_updated_at)
    require_transition(booking, "approve", BookingStatus.APPROVED)
    _approve(
        booking,
        Lines.of(booking),
        actor,
        event_fields=event_fields or {},
        comment=comment,
        message=message,
        send_email=send_email,
        send_sms=send_sms,
    )
    return booking


@transaction.atomic
def booking_deny(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
    message: str = "",
    send_email: bool | None = None,
    send_sms: bool | None = None,
) -> Booking:
    """Deny a pending booking; `comment` is logged, `message` is sent to the customer."""
    booking = lock_booking(booking)
    require(actor, Action.APPROVE, booking.organization)
    check_fresh(booking, client_updated_at)
    require_transition(booking, "deny", BookingStatus.DENIED)
    from_status = booking.status
    booking.deny()
    booking.save()
    withdraw_open_change_request(booking, actor, reason="denied")
    write_log(
        booking,
        LogEntry.Action.DENIED,
        actor,
        from_status=from_status,
        comment=comment,
        message=message,
    )
    notify_customer(
        booking,
        Notification.Kind.DENIED,
        message=message,
        send_email=send_email,
        send_sms=send_sms,
    )
    return booking


@transaction.atomic
def booking_cancel(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    event_procedure: str = EventProcedure.CANCEL,
    comment: str = "",
    message: str = "",
    send_email: bool | None = None,
    send_sms: bool | None = None,
) -> Booking:
    """Cancel a pending or approved booking; the row stays, the places are free again.

    Staff and API need the approve right. A customer with the manage token may cancel
    a pending booking until the form's cancellation deadline (an approved one needs a
    cancellation request). `event_procedure` marks the linked Event canceled or deletes it.
    """
    booking = lock_booking(booking)
    if actor.kind == ActorKind.CUSTOMER:
        require_customer_may_cancel(booking, actor)
    else:
        require(actor, Action.APPROVE, booking.organization)
    check_fresh(booking, client_updated_at)
    cancel_booking(
        booking, actor, event_procedure=event_procedure, comment=comment, message=message
    )
    withdraw_open_change_request(booking, actor, reason="canceled")
    notify_customer(
        booking,
        Notification.Kind.CANCELED,
        message=message,
        send_email=send_email,
        send_sms=send_sms,
    )
    return booking


def cancel_booking(
    booking: Booking,
    actor: Actor,
    *,
    event_procedure: str = EventProcedure.CANCEL,
    comment: str = "",
    message: str = "",
) -> None:
    """The cancel step every cancelling service shares (the booking is locked, the actor
    checked): the move, the Event procedure, the log entry. No notification."""
    if event_procedure not in EventProcedure.values:
        raise ValidationError(
            {"event_procedure": f"Choose one of {', '.join(EventProcedure.values)}."}
        )
    require_transition(booking, "cancel", BookingStatus.CANCELED)
    from_status = booking.status
    booking.cancel()
    apply_event_procedure(booking, event_procedure)
    booking.save()
    write_log(
        booking,
        LogEntry.Action.CANCELED,
        actor,
        from_status=from_status,
        comment=comment,
        message=message,
        data={"event_procedure": event_procedure},
    )


def apply_event_procedure(booking: Booking, event_procedure: str) -> None:
    event = booking.event
    if event is None:
        return
    if event_procedure == EventProcedure.DELETE:
        booking.event = None
        event.delete()
    elif event.status == Event.Status.SCHEDULED:
        event.cancel()
        event.save()


def require_customer_may_cancel(booking: Booking, actor: Actor) -> None:
    require(actor, Action.ASK_CHANGE, booking.organization, booking=booking)
    if booking.status != BookingStatus.PENDING:
        raise PermissionDenied(
            "A confirmed booking is canceled by request: send a cancellation request."
        )
    deadline_hours = booking.booking_form.cancellation_deadline_hours if booking.booking_form else 0
    if booking.starts_at and timezone.now() > booking.starts_at - timedelta(hours=deadline_hours):
        raise PermissionDenied(
            f"Bookings can be canceled online until {deadline_hours} hours before the start."
        )


# -- front desk ---------------------------------------------------------------------------------

FRONT_DESK_MOVES = {
    "arrive": (BookingStatus.ARRIVED, LogEntry.Action.ARRIVED),
    "seat": (BookingStatus.SEATED, LogEntry.Action.SEATED),
    "release": (BookingStatus.RELEASED, LogEntry.Action.RELEASED),
    "mark_no_show": (BookingStatus.NO_SHOW, LogEntry.Action.NO_SHOW),
}


def _front_desk(name: str, actor: Actor, booking, client_updated_at, comment: str) -> Booking:
    target, action = FRONT_DESK_MOVES[name]
    booking = lock_booking(booking)
    require(actor, Action.FRONT_DESK, booking.organization)
    check_fresh(booking, client_updated_at)
    require_transition(booking, name, target)
    from_status = booking.status
    getattr(booking, name)()
    booking.save()
    write_log(booking, action, actor, from_status=from_status, comment=comment)
    withdraw_open_change_request(booking, actor, reason=booking.status)
    return booking


@transaction.atomic
def booking_arrive(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """The guests are at the venue (approved → arrived)."""
    return _front_desk("arrive", actor, booking, client_updated_at, comment)


@transaction.atomic
def booking_seat(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """The guests have their place (approved or arrived → seated)."""
    return _front_desk("seat", actor, booking, client_updated_at, comment)


@transaction.atomic
def booking_release(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """The guests left (arrived or seated → released): the place is free again from now."""
    return _front_desk("release", actor, booking, client_updated_at, comment)


@transaction.atomic
def booking_mark_no_show(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """Nobody came (approved → no_show, only once the booking has started)."""
    return _front_desk("mark_no_show", actor, booking, client_updated_at, comment)


# -- status by name -------------------------------------------------------------------------------

MOVE_TO = {
    BookingStatus.APPROVED: booking_approve,
    BookingStatus.DENIED: booking_deny,
    BookingStatus.CANCELED: booking_cancel,
    BookingStatus.ARRIVED: booking_arrive,
    BookingStatus.SEATED: booking_seat,
    BookingStatus.RELEASED: booking_release,
    BookingStatus.NO_SHOW: booking_mark_no_show,
}


def booking_set_status(
    *,
    actor: Actor,
    booking: Booking | int,
    status: str,
    client_updated_at: datetime | None = None,
    comment: str = "",
) -> Booking:
    """Move a booking to a status named canonically or by an alias ("accepted", "sitting").

    Asking for the status it already has changes nothing. An illegal move raises
    TransitionNotAllowed listing the legal ones.
    """
    try:
        target = resolve_status(status)
    except ValueError:
        choices = ", ".join(BookingStatus.values)
        raise ValidationError(
            {"status": f"Unknown status {status!r}. Use one of {choices}."}
        ) from None
    booking = booking if isinstance(booking, Booking) else Booking.objects.get(pk=booking)
    if booking.status == target:
        require(actor, Action.WRITE, booking.organization)
        return booking
    if target not in MOVE_TO:
        raise TransitionNotAllowed(
            current=booking.status, requested=target, allowed=booking.allowed_next_statuses()
        )
    return MOVE_TO[target](
        actor=actor, booking=booking, client_updated_at=client_updated_at, comment=comment
    )


# -- contact and payments ---------------------------------------------------------------------

CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "notify_email", "notify_sms")


@transaction.atomic
def booking_update_contact(
    *,
    actor: Actor,
    booking: Booking | int,
    client_updated_at: datetime | None = None,
    customer: Customer | None = None,
    **changes,
) -> Booking:
    """Change only the customer and the contact details (name, e-mail, phone, notify flags).

    Everything else changes through lines or change requests.
    """
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({name: "This cannot be changed here." for name in sorted(unknown)})
    booking = lock_booking(booking)
    require(actor, Action.WRITE, booking.organization)
    check_fresh(booking, client_updated_at)
    before = {name: getattr(booking, name) for name in (*CONTACT_FIELDS, "customer_id")}
    if customer is not None:
        booking.customer = customer
    for name, value in changes.items():
        setattr(booking, name, value.strip() if isinstance(value, str) else value)
    booking.full_clean()
    after = {name: getattr(booking, name) for name in before}
    changed = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if changed:
        booking.save()
        write_log(booking, LogEntry.Action.CONTACT_UPDATED, actor, data={"changed": changed})
    return booking


@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    booking: Booking | int,
    amount: Decimal,
    payment_type: PaymentType | None = None,
    reference: str = "",
    paid_at: datetime | None = None,
    note: str = "",
) -> Payment:
    """Record a payment (or, with a negative amount, a refund) and update paid and balance.

    A refund cannot exceed what was paid.
    """
    booking = lock_booking(booking)
    require(actor, Action.WRITE, booking.organization)
    amount = Decimal(amount)
    if amount.is_zero():
        raise ValidationError({"amount": "A payment cannot be zero."})
    if booking.amount_paid + amount < 0:
        raise ValidationError(
            {"amount": f"A refund cannot exceed what was paid ({booking.amount_paid})."}
        )
    if booking.amount_paid + amount > pricing.MONEY_MAX:
        raise ValidationError(
            {
                "amount": ValidationError(
                    "The payments of a booking cannot add up to more than %(limit)s.",
                    code="max_value",
                    params={"limit": pricing.MONEY_MAX},
                )
            }
        )
    payment = Payment(
        booking=booking,
        amount=amount,
        payment_type=payment_type,
        reference=reference.strip(),
        paid_at=paid_at or timezone.now(),
        note=note.strip(),
        recorded_by=actor.user,
    )
    payment.full_clean()
    if payment_type is not None and payment_type.organization_id != booking.organization_id:
        raise ValidationError({"payment_type": "This belongs to another organisation."})
    payment.save()
    booking.amount_paid += amount
    booking.balance = booking.total_gross - booking.amount_paid
    booking.save(update_fields=["amount_paid", "balance", "updated_at"])
    write_log(
        booking,
        LogEntry.Action.PAYMENT_RECORDED,
        actor,
        data={"payment": payment.pk, "amount": str(amount), "reference": payment.reference},
    )
    return payment
