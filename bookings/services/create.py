"""Creating a booking with any mix of space, event and product lines, from any door."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bookings import notifications
from bookings.answers import clean_answers
from bookings.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Customer,
    LogEntry,
    Notification,
)
from bookings.services.common import (
    Lines,
    booking_day,
    check_fields,
    check_fit,
    customer_messages,
    full_clean_all,
    log_entry,
    manage_url,
    price_lines,
    save_lines,
    set_span,
    write_logs,
)
from bookings.services.customers import CustomerIn, customer_find_or_create
from bookings.services.decisions import approval_log_entry, approve_new
from bookings.services.form_rules import (
    check_catalogue,
    check_form_policy,
    discount_of_code,
    named_lines,
    refuse_staff_choices,
    use_discount,
)
from bookings.services.inputs import (
    ContactIn,
    CreatedBooking,
    EventLineIn,
    ProductLineIn,
    SpaceLineIn,
    build_event_line,
    build_product_line,
    build_space_line,
)
from core.actors import Actor, ActorKind
from core.errors import PermissionDenied
from core.permissions import Action, require
from core.sanitize import sanitize_note
from venues.models import (
    BookingForm,
    Organization,
    PaymentType,
    Venue,
)


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
            raise ValidationError({"booking_form": _("This booking form is not taking bookings.")})
        if venue.pk != booking_form.venue_id:
            raise ValidationError({"venue": "This form books another venue."})
    if by_customer:
        refuse_staff_choices(
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
    discount = discount_of_code(organization, booking_form, discount_code, by_customer=by_customer)
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
    check_fields(booking)

    lines = Lines(
        spaces=[
            build_space_line(booking, line_in, prefix=f"space_lines.{number}")
            for number, line_in in enumerate(space_lines)
        ],
        events=[
            build_event_line(booking, line_in, prefix=f"event_lines.{number}")
            for number, line_in in enumerate(event_lines)
        ],
        products=[
            build_product_line(booking, line_in, prefix=f"product_lines.{number}")
            for number, line_in in enumerate(product_lines)
        ],
    )
    full_clean_all(lines.spaces, "space_lines")
    full_clean_all(lines.events, "event_lines")
    full_clean_all(lines.products, "product_lines")
    check_catalogue(booking, lines)
    if by_customer:
        check_form_policy(booking_form, named_lines(lines))
    if discount is not None:
        use_discount(discount, lines, on=booking_day(booking))
    price_lines(booking, lines)
    if public and booking_form.requires_approval is False:
        approve = True
    booking.assign_reference()
    event = approve_new(booking, lines) if approve else None
    set_span(booking, lines)
    # The manage link goes out with the first message: the token is not kept.
    kind = Notification.Kind.APPROVED if approve else Notification.Kind.REQUEST_RECEIVED
    messages = customer_messages(booking, kind, manage_url=manage_url(token), lines=lines)
    if public or not approve:
        messages += notifications.render(
            booking=booking, kind=Notification.Kind.STAFF_NEW_REQUEST, lines=lines
        )

    # Everything above was read, checked, priced and rendered before any lock. Under the
    # resource locks (taken when the lines will hold capacity) come only the check of
    # what is free and the writes.
    check_fit(booking, lines, lock=bool(approve))
    if event is not None:
        event.save()
    booking.save()
    save_lines(booking, lines)
    log_data = {"source": source}
    if discount is not None:
        log_data["discount_code"] = discount.code
    log = [
        log_entry(
            booking,
            LogEntry.Action.CREATED,
            actor,
            to_status=BookingStatus.PENDING,
            data=log_data,
        )
    ]
    if approve:
        log.append(approval_log_entry(booking, actor))
    write_logs(log)
    notifications.save(messages)
    return CreatedBooking(booking=booking, manage_token=token, lines=lines, log=log)
