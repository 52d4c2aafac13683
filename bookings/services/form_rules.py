"""What a booking may ask for: the form's rules, the catalogue's, what only staff may set, codes.

Shared by creating a booking, adding lines and change requests.
"""

import dataclasses
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import pricing
from bookings.models import (
    Booking,
    InventoryBooking,
    SpaceBooking,
)
from bookings.services.common import (
    Lines,
)
from bookings.services.inputs import (
    CUSTOMER_CHOICES,
    staff_only,
)
from venues.models import (
    BookingForm,
    Discount,
    Organization,
)


def refuse_staff_choices(
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
                    errors.update(staff_only(f"{prefix}.{number}.{line_field.name}").error_dict)
    if event_lines:
        errors["event_lines"] = [
            ValidationError(_("Tickets are not sold through booking forms."), code="staff_only")
        ]
    if internal_note:
        errors.update(staff_only("internal_note").error_dict)
    if payment_type is not None:
        errors.update(staff_only("payment_type").error_dict)
    if errors:
        raise ValidationError(errors)


def discount_of_code(
    organization: Organization, form: BookingForm | None, code: str, *, by_customer: bool
) -> Discount | None:
    """The discount behind a public code (case does not matter); None without a code."""
    code = (code or "").strip()
    if not code:
        return None
    if by_customer and not (form and form.accepts_discount_codes):
        raise ValidationError(
            {
                "discount_code": ValidationError(
                    _("This form takes no discount codes."), code="invalid"
                )
            }
        )
    discount = Discount.objects.filter(organization=organization, code__iexact=code).first()
    if discount is None:
        raise ValidationError(
            {"discount_code": ValidationError(_("There is no such discount code."), code="invalid")}
        )
    return discount


def use_discount(discount: Discount, lines: Lines, *, on) -> None:
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
        reason = refusals[0] if refusals else _("Every line has a discount already.")
        raise ValidationError({"discount_code": reason})


def check_catalogue(booking: Booking, lines: Lines) -> None:
    """Only active spaces and products of the booking's venue (or the whole organisation)."""
    errors = {}
    for number, line in enumerate(lines.spaces):
        if line.space.venue_id != booking.venue_id:
            errors[f"space_lines.{number}.space"] = _("This space is at another venue.")
        elif not line.space.is_active:
            errors[f"space_lines.{number}.space"] = _("This space is not bookable.")
    for number, line in enumerate(lines.products):
        if not line.product.is_active:
            errors[f"product_lines.{number}.product"] = _("This product is not available.")
    for number, line in enumerate(lines.events):
        if line.price is not None and not line.price.is_active:
            errors[f"event_lines.{number}.price"] = _("This price is no longer offered.")
    if errors:
        raise ValidationError(errors)


def named_lines(lines: Lines) -> list[tuple[str, SpaceBooking | InventoryBooking]]:
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
    spaces = [line for _name, line in lines if isinstance(line, SpaceBooking)]
    span = (min(s.starts_at for s in spaces), max(s.ends_at for s in spaces)) if spaces else None
    errors: dict[str, str] = {}
    for prefix, line in lines:
        resource = "space" if isinstance(line, SpaceBooking) else "product"
        if getattr(line, f"{resource}_id") not in offered[resource]:
            errors[f"{prefix}.{resource}"] = (
                _("This space cannot be booked with this form.")
                if resource == "space"
                else _("This product cannot be booked with this form.")
            )
            continue
        if times_of is not None and prefix not in times_of:
            continue
        if line.starts_at < earliest:
            errors[f"{prefix}.starts_at"] = _("Book at least %(hours)d hours ahead.") % {
                "hours": form.min_notice_hours
            }
        elif line.starts_at > horizon:
            errors[f"{prefix}.starts_at"] = _("Book at most %(days)d days ahead.") % {
                "days": form.max_days_ahead
            }
        if line.ends_at > horizon:
            errors[f"{prefix}.ends_at"] = _("End at most %(days)d days ahead.") % {
                "days": form.max_days_ahead
            }
        _check_slot_steps(form, line, prefix, errors)
        if resource == "space" or span is None:
            _check_duration(form, line, prefix, errors)
        elif line.starts_at < span[0] or line.ends_at > span[1]:
            tz = form.venue.tzinfo
            errors.setdefault(
                f"{prefix}.starts_at" if line.starts_at < span[0] else f"{prefix}.ends_at",
                _(
                    "Extras go with the booking: book them within its time, "
                    "%(start)s to %(end)s (%(zone)s)."
                )
                % {
                    "start": f"{timezone.localtime(span[0], tz):%Y-%m-%d %H:%M}",
                    "end": f"{timezone.localtime(span[1], tz):%Y-%m-%d %H:%M}",
                    "zone": tz.key,
                },
            )
    if errors:
        raise ValidationError(errors)


def _check_slot_steps(form: BookingForm, line, prefix: str, errors: dict) -> None:
    tz = form.venue.tzinfo
    for name in ("starts_at", "ends_at"):
        local = timezone.localtime(getattr(line, name), tz)
        if (local.hour * 60 + local.minute) % form.slot_minutes or local.second:
            errors.setdefault(
                f"{prefix}.{name}",
                _("Times go in steps of %(minutes)d minutes.") % {"minutes": form.slot_minutes},
            )


def _check_duration(form: BookingForm, line, prefix: str, errors: dict) -> None:
    minutes = (line.ends_at - line.starts_at) / timedelta(minutes=1)
    if minutes < form.min_duration_minutes:
        errors[f"{prefix}.ends_at"] = _("Book at least %(minutes)d minutes.") % {
            "minutes": form.min_duration_minutes
        }
    elif form.max_duration_minutes and minutes > form.max_duration_minutes:
        errors[f"{prefix}.ends_at"] = _("Book at most %(minutes)d minutes.") % {
            "minutes": form.max_duration_minutes
        }


# -- decisions --------------------------------------------------------------------------------
