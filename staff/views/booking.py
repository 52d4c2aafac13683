"""One booking, everything about it, and the decisions on it: approve (denying the requests
that compete for its slot in the same step), deny, cancel, the internal note, payments.

Every write goes through bookings.services with the `updated_at` the page was rendered
with; a booking that changed meanwhile is left alone and the page says who changed it when.
"""

from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_fsm import can_proceed

from bookings import pricing, selectors, services
from bookings.answers import answers_with_labels
from bookings.models import Booking, BookingStatus, ChangeRequest, EventProcedure, LogEntry
from core.actors import ActorKind
from core.errors import (
    BookingConflict,
    BookingError,
    PermissionDenied,
    StaleBooking,
    TransitionNotAllowed,
)
from core.permissions import Action, may
from staff.views.common import actor_words, staff_page, stale_words
from venues.selectors import payment_type_list

CENTS = Decimal("0.01")

# -- forms ----------------------------------------------------------------------------------


class SeenForm(forms.Form):
    """Carries the booking's `updated_at` as the page showed it (stale protection)."""

    updated_at = forms.CharField(widget=forms.HiddenInput)

    def clean_updated_at(self) -> datetime:
        seen = parse_datetime(self.cleaned_data["updated_at"])
        if seen is None:
            raise ValidationError(_("Reload the page and try again."))
        return seen


class NoticeForm(SeenForm):
    comment = forms.CharField(
        label=gettext_lazy("Internal comment"),
        help_text=gettext_lazy("For staff only; kept in the timeline."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the customer"),
        help_text=gettext_lazy("Sent with the notice and shown on their booking page."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_email = forms.BooleanField(label=gettext_lazy("Send by e-mail"), required=False)
    send_sms = forms.BooleanField(label=gettext_lazy("Send by SMS"), required=False)

    def notice(self, *, comment: str | None = None) -> services.Notice:
        data = self.cleaned_data
        return services.Notice(
            comment=data["comment"] if comment is None else comment,
            message=data["message"],
            send_email=data["send_email"],
            send_sms=data["send_sms"],
        )


class LosersForm(NoticeForm):
    """The one message to the customers of the competing requests denied with an approval
    (each of those carries its own `updated_at`: `seen-<id>`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["updated_at"]


class ApproveForm(NoticeForm):
    event_title = forms.CharField(label=gettext_lazy("Event title"), max_length=200)
    event_notes = forms.CharField(
        label=gettext_lazy("Event notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, with_event: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_event:
            del self.fields["event_title"], self.fields["event_notes"]

    def event_fields(self) -> dict:
        if "event_title" not in self.fields:
            return {}
        fields = {"title": self.cleaned_data["event_title"]}
        if self.cleaned_data["event_notes"]:
            fields["notes"] = self.cleaned_data["event_notes"]
        return fields


class CancelForm(NoticeForm):
    event_procedure = forms.ChoiceField(
        label=gettext_lazy("The event made at approval"),
        choices=[
            (EventProcedure.CANCEL, gettext_lazy("Keep it, marked canceled")),
            (EventProcedure.DELETE, gettext_lazy("Delete it")),
        ],
        initial=EventProcedure.CANCEL,
        widget=forms.RadioSelect,
    )


class NoteForm(SeenForm):
    internal_note = forms.CharField(
        label=gettext_lazy("Internal note"),
        help_text=gettext_lazy("For staff only; the customer never sees it."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Payment or refund"),
        choices=[("payment", gettext_lazy("Payment received")), ("refund", gettext_lazy("Refund"))],
        initial="payment",
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    payment_type = forms.ModelChoiceField(
        label=gettext_lazy("Method"), queryset=None, required=False, empty_label="—"
    )
    reference = forms.CharField(label=gettext_lazy("Reference"), required=False, max_length=100)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, payment_types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_type"].queryset = payment_types
        self.fields["amount"].widget.attrs.update(inputmode="decimal", step="0.01")

    def signed_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        return -amount if self.cleaned_data["kind"] == "refund" else amount


# -- reading ----------------------------------------------------------------------------------


def booking_of(request, booking_id: int) -> Booking:
    try:
        return selectors.booking_get(organizations=request.organizations, booking_id=booking_id)
    except Booking.DoesNotExist:
        raise Http404 from None


def seen_value(booking: Booking) -> str:
    return booking.updated_at.isoformat()


def decision_initial(booking: Booking) -> dict:
    return {
        "updated_at": seen_value(booking),
        "send_email": booking.notify_email,
        "send_sms": booking.notify_sms,
    }


def offered(request, booking: Booking) -> dict:
    """What this member may do to this booking now (the policy and the state machine)."""
    decide = may(request.actor, Action.APPROVE, booking.organization, booking=booking)
    write = may(request.actor, Action.WRITE, booking.organization, booking=booking)
    return {
        "approve": decide and can_proceed(booking.approve),
        "deny": decide and can_proceed(booking.deny),
        "cancel": decide and can_proceed(booking.cancel),
        "decide_change": decide,
        "write": write,
    }


ACTION_WORDS = {
    LogEntry.Action.CREATED: gettext_lazy("Booking created"),
    LogEntry.Action.NO_SHOW: gettext_lazy("Marked no-show"),
}
WITHDRAWN_WORDS = {
    "replaced": gettext_lazy("replaced by a newer request"),
    "canceled": gettext_lazy("closed because the booking was canceled"),
    "denied": gettext_lazy("closed because the booking was denied"),
}


def timeline(booking: Booking) -> list[dict]:
    """Every log entry, oldest first, in words: what, who, details, comment and message."""
    items = []
    for entry in booking.log_entries.all():
        data = entry.data or {}
        what = str(ACTION_WORDS.get(entry.action, entry.get_action_display()))
        details = []
        if entry.from_status and entry.to_status and entry.from_status != entry.to_status:
            details.append(
                _("Status %(old)s → %(new)s")
                % {
                    "old": BookingStatus(entry.from_status).label,
                    "new": BookingStatus(entry.to_status).label,
                }
            )
        if entry.action == LogEntry.Action.APPROVED and data.get("event"):
            details.append(_("Event created"))
        if entry.action == LogEntry.Action.CANCELED and data.get("event_procedure"):
            details.append(
                _("Event deleted")
                if data["event_procedure"] == EventProcedure.DELETE
                else _("Event marked canceled")
            )
        if entry.action == LogEntry.Action.PAYMENT_RECORDED and "amount" in data:
            amount = Decimal(data["amount"]).quantize(CENTS)
            words = _("Refund of %(amount)s") if amount < 0 else _("Payment of %(amount)s")
            details.append(words % {"amount": abs(amount)})
            if data.get("reference"):
                details.append(_("Reference %(ref)s") % {"ref": data["reference"]})
        if entry.action == LogEntry.Action.DETAILS_UPDATED:
            changed = data.get("changed", {})
            for field in data.get("fields", []):
                if field in changed:
                    old, new = changed[field]
                    details.append(f"{field}: {old or '—'} → {new or '—'}")
                else:
                    details.append(_("%(field)s changed") % {"field": field.replace("_", " ")})
        if entry.action == LogEntry.Action.CHANGE_WITHDRAWN and data.get("reason"):
            reason = data["reason"]
            details.append(str(WITHDRAWN_WORDS.get(reason, reason)))
        items.append(
            {
                "entry": entry,
                "what": what,
                "who": actor_words(entry),
                "automatic": entry.actor_kind == ActorKind.SYSTEM,
                "details": details,
                "change_request": data.get("change_request"),
            }
        )
    return items


def payment_types_of(request, booking: Booking):
    return payment_type_list(organizations=request.organizations).filter(
        organization_id=booking.organization_id
    )


def error_summary(*page_forms) -> list[tuple[str, str]]:
    summary = []
    for form in page_forms:
        if form is None or not form.is_bound or not form.errors:
            continue
        summary += [("", message) for message in form.non_field_errors()]
        for name, field in form.fields.items():
            for message in form.errors.get(name, []):
                summary.append((form[name].auto_id, f"{field.label}: {message}"))
    return summary


def render_page(request, booking: Booking, *, status: int = 200, **bound) -> object:
    can = offered(request, booking)
    space_lines = list(booking.space_bookings.all())
    event_lines = list(booking.event_bookings.all())
    product_lines = list(booking.inventory_bookings.all())
    initial = decision_initial(booking)
    with_event = bool(space_lines)
    page_forms = {
        "approve_form": bound.get("approve_form")
        or ApproveForm(
            prefix="approve",
            with_event=with_event,
            initial={
                **initial,
                "event_title": booking.title or f"Booking {booking.reference}",
            },
        ),
        "deny_form": bound.get("deny_form") or NoticeForm(prefix="deny", initial=initial),
        "cancel_form": bound.get("cancel_form") or CancelForm(prefix="cancel", initial=initial),
        "note_form": bound.get("note_form")
        or NoteForm(
            prefix="note",
            initial={"updated_at": seen_value(booking), "internal_note": booking.internal_note},
        ),
        "payment_form": bound.get("payment_form")
        or PaymentForm(prefix="payment", payment_types=payment_types_of(request, booking))
        if can["write"]
        else None,
    }
    requests_ = getattr(booking, "all_change_requests", [])
    open_request = next((r for r in requests_ if r.status == ChangeRequest.Status.PENDING), None)
    errors = error_summary(*bound.values())
    context = {
        "booking": booking,
        "venue": booking.venue,
        "can": can,
        "space_lines": space_lines,
        "event_lines": event_lines,
        "product_lines": product_lines,
        "vat_shares": pricing.vat_breakdown([*space_lines, *event_lines, *product_lines]),
        "payments": list(booking.payments.all()),
        "answers": answers_with_labels(booking),
        "timeline": timeline(booking),
        "open_request": open_request,
        "competitors": (
            selectors.competing_request_list(booking=booking)
            if booking.status == BookingStatus.PENDING
            else []
        ),
        "errors": errors,
        "active_form": next(iter(bound), ""),
        **page_forms,
    }
    return render(request, "staff/booking.html", context, status=status)


@require_GET
@staff_page
def booking_page(request, booking_id: int):
    return render_page(request, booking_of(request, booking_id))


# -- doing ----------------------------------------------------------------------------------


def back_to(booking: Booking):
    return redirect(reverse("staff:booking", args=[booking.pk]) + "#top")


def refused(request, booking: Booking, error: Exception):
    """Say in words why nothing happened and what to do next; back to the page."""
    if isinstance(error, StaleBooking):
        fresh = booking_of(request, booking.pk)
        messages.error(
            request,
            _(
                "Nothing was done: this booking changed after you opened it. %(what)s "
                "Check the page as it is now and decide again."
            )
            % {"what": stale_words(fresh)},
        )
    elif isinstance(error, BookingConflict):
        messages.error(request, conflict_words(error))
    elif isinstance(error, TransitionNotAllowed):
        messages.error(
            request,
            _("Nothing was done: the booking is %(status)s now, and that does not allow it.")
            % {"status": BookingStatus(error.current).label.lower()},
        )
    elif isinstance(error, PermissionDenied):
        messages.error(
            request, _("Nothing was done: %(why)s Ask a manager if you need to.") % {"why": error}
        )
    else:
        messages.error(request, _("Nothing was done: %(why)s") % {"why": error})
    return back_to(booking)


def conflict_words(error: BookingConflict) -> str:
    parts = []
    for conflict in error.conflicts:
        words = conflict.message
        if conflict.other_booking and conflict.other_booking not in words:
            words += " " + _("(held by %(ref)s)") % {"ref": conflict.other_booking}
        parts.append(words)
    return _(
        "Nothing was done: it does not fit. %(why)s Move or cancel what is in the way first, "
        "or deny this request."
    ) % {"why": " ".join(parts)}


def seen_is_current(booking: Booking, seen: datetime) -> bool:
    current = booking.updated_at
    if seen.microsecond == 0:
        current = current.replace(microsecond=0)
    return seen == current


@require_POST
@staff_page
def booking_approve(request, booking_id: int):
    """Approve; when other pending requests want the same slot, list them first (the
    confirm step) and deny the chosen ones with one message once this one is approved."""
    booking = booking_of(request, booking_id)
    with_event = bool(list(booking.space_bookings.all()))
    form = ApproveForm(request.POST, prefix="approve", with_event=with_event)
    if not form.is_valid():
        return render_page(request, booking, status=400, approve_form=form)
    if not seen_is_current(booking, form.cleaned_data["updated_at"]):
        return refused(
            request,
            booking,
            StaleBooking(seen=form.cleaned_data["updated_at"], current=booking.updated_at),
        )
    competitors = selectors.competing_request_list(booking=booking)
    if competitors and "confirm" not in request.POST:
        return render(
            request,
            "staff/booking_approve_confirm.html",
            {
                "booking": booking,
                "venue": booking.venue,
                "form": form,
                "competitors": competitors,
                "deny_form": LosersForm(prefix="losers", initial={"send_email": True}),
            },
        )
    try:
        services.booking_approve(
            actor=request.actor,
            booking=booking,
            client_updated_at=form.cleaned_data["updated_at"],
            event_fields=form.event_fields(),
            notice=form.notice(),
        )
    except ValidationError as error:
        for field, errors in getattr(error, "message_dict", {"__all__": error.messages}).items():
            form.add_error(
                None, f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
            )
        return render_page(request, booking, status=400, approve_form=form)
    except BookingError as error:
        return refused(request, booking, error)
    messages.success(request, _("Approved %(ref)s.") % {"ref": booking.reference})
    if competitors:
        deny_competitors(request, booking, competitors)
    return back_to(booking)


def deny_competitors(request, winner: Booking, competitors) -> None:
    """Deny the competing requests chosen on the confirm step, each with the one message,
    each logging which booking got the slot."""
    chosen = set(request.POST.getlist("deny"))
    form = LosersForm(request.POST, prefix="losers")
    if not chosen:
        return
    if not form.is_valid():
        messages.error(
            request, _("The competing requests were left pending: the message form was not valid.")
        )
        return
    given = _("The slot went to %(ref)s.") % {"ref": winner.reference}
    comment = f"{given} {form.cleaned_data['comment']}".strip()
    denied, left = [], []
    for competitor in competitors:
        other = competitor.booking
        if str(other.pk) not in chosen:
            continue
        seen = parse_datetime(request.POST.get(f"seen-{other.pk}", "")) or None
        try:
            services.booking_deny(
                actor=request.actor,
                booking=other,
                client_updated_at=seen,
                notice=form.notice(comment=comment),
            )
            denied.append(other.reference)
        except BookingError:
            left.append(other.reference)
    if denied:
        messages.success(
            request,
            _("Denied %(refs)s; their customers were told.") % {"refs": ", ".join(denied)},
        )
    if left:
        messages.error(
            request,
            _("Not denied, because they changed meanwhile: %(refs)s. Open them to decide.")
            % {"refs": ", ".join(left)},
        )


@require_POST
@staff_page
def booking_deny(request, booking_id: int):
    booking = booking_of(request, booking_id)
    form = NoticeForm(request.POST, prefix="deny")
    if not form.is_valid():
        return render_page(request, booking, status=400, deny_form=form)
    try:
        services.booking_deny(
            actor=request.actor,
            booking=booking,
            client_updated_at=form.cleaned_data["updated_at"],
            notice=form.notice(),
        )
    except BookingError as error:
        return refused(request, booking, error)
    messages.success(request, _("Denied %(ref)s.") % {"ref": booking.reference})
    return back_to(booking)


@require_POST
@staff_page
def booking_cancel(request, booking_id: int):
    booking = booking_of(request, booking_id)
    form = CancelForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return render_page(request, booking, status=400, cancel_form=form)
    try:
        services.booking_cancel(
            actor=request.actor,
            booking=booking,
            client_updated_at=form.cleaned_data["updated_at"],
            event_procedure=form.cleaned_data["event_procedure"],
            notice=form.notice(),
        )
    except BookingError as error:
        return refused(request, booking, error)
    messages.success(request, _("Canceled %(ref)s.") % {"ref": booking.reference})
    return back_to(booking)


@require_POST
@staff_page
def booking_note(request, booking_id: int):
    booking = booking_of(request, booking_id)
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return render_page(request, booking, status=400, note_form=form)
    try:
        services.booking_update(
            actor=request.actor,
            booking=booking,
            client_updated_at=form.cleaned_data["updated_at"],
            changes={"internal_note": form.cleaned_data["internal_note"]},
        )
    except ValidationError as error:
        form.add_error("internal_note", error.message_dict.get("internal_note", error.messages))
        return render_page(request, booking, status=400, note_form=form)
    except BookingError as error:
        return refused(request, booking, error)
    messages.success(request, _("Internal note saved."))
    return back_to(booking)


@require_POST
@staff_page
def booking_payment(request, booking_id: int):
    booking = booking_of(request, booking_id)
    form = PaymentForm(
        request.POST, prefix="payment", payment_types=payment_types_of(request, booking)
    )
    if not form.is_valid():
        return render_page(request, booking, status=400, payment_form=form)
    try:
        payment = services.payment_record(
            actor=request.actor,
            booking=booking,
            amount=form.signed_amount(),
            payment_type=form.cleaned_data["payment_type"],
            reference=form.cleaned_data["reference"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return render_page(request, booking, status=400, payment_form=form)
    except BookingError as error:
        return refused(request, booking, error)
    words = (
        _("Refund of %(amount)s recorded.")
        if payment.amount < 0
        else _("Payment of %(amount)s recorded.")
    )
    messages.success(request, words % {"amount": abs(payment.amount).quantize(CENTS)})
    return back_to(booking)
