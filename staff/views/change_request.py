"""A change request beside the booking it would change: current and requested values side
by side, the differences marked in words as well as colour, the conflicts of the slot it
asks for, and the decision (approve or deny, with a message and the flags)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from bookings import selectors, services
from bookings.changes import comparison
from bookings.models import Booking, ChangeRequest, EventProcedure
from core.errors import BookingError, StaleBooking
from core.permissions import Action, may
from staff.views.booking import NoticeForm, conflict_words
from staff.views.common import staff_page, stale_message


class DecisionForm(NoticeForm):
    """A decision's notice, and the booking's `updated_at` as the page showed it: a booking
    changed since is refused (the request is judged against what the decider saw)."""

    event_procedure = forms.ChoiceField(
        label=gettext_lazy("The booking's event"),
        choices=[
            (EventProcedure.CANCEL, gettext_lazy("Keep it, marked canceled")),
            (EventProcedure.DELETE, gettext_lazy("Delete it")),
        ],
        initial=EventProcedure.CANCEL,
        required=False,
        widget=forms.RadioSelect,
    )


def found(request, request_id: int) -> tuple[ChangeRequest, Booking]:
    try:
        change_request = selectors.change_request_get(
            organizations=request.organizations, change_request_id=request_id
        )
        booking = selectors.booking_get(
            organizations=request.organizations, booking_id=change_request.booking_id
        )
    except (ChangeRequest.DoesNotExist, Booking.DoesNotExist):
        raise Http404 from None
    return change_request, booking


@require_GET
@staff_page
def change_request_page(request, request_id: int):
    change_request, booking = found(request, request_id)
    return render_page(request, change_request, booking)


def render_page(request, change_request, booking, *, form=None, status=200):
    pending = change_request.status == ChangeRequest.Status.PENDING
    decide = pending and may(request.actor, Action.APPROVE, booking.organization, booking=booking)
    initial = {
        "send_email": booking.notify_email,
        "send_sms": booking.notify_sms,
        "updated_at": booking.updated_at.isoformat(),
    }
    return render(
        request,
        "staff/change_request.html",
        {
            "change_request": change_request,
            "booking": booking,
            "venue": booking.venue,
            "rows": comparison(booking, change_request),
            "conflicts": (
                selectors.change_request_conflict_list(
                    booking=booking, change_request=change_request
                )
                if pending
                else []
            ),
            "may_decide": decide,
            "form": form or DecisionForm(initial=initial),
        },
        status=status,
    )


@require_POST
@staff_page
def change_request_decide(request, request_id: int):
    change_request, booking = found(request, request_id)
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if request.POST.get("decision") not in ("approve", "deny") or not form.is_valid():
        return render_page(request, change_request, booking, form=form, status=400)
    here = reverse("staff:change-request", args=[change_request.pk])
    try:
        if approve:
            services.change_request_approve(
                actor=request.actor,
                change_request=change_request,
                client_updated_at=form.cleaned_data["updated_at"],
                event_procedure=form.cleaned_data["event_procedure"] or EventProcedure.CANCEL,
                notice=form.notice(),
            )
        else:
            services.change_request_deny(
                actor=request.actor,
                change_request=change_request,
                client_updated_at=form.cleaned_data["updated_at"],
                notice=form.notice(),
            )
    except ValidationError as error:
        words = " ".join(error.messages)
        messages.error(
            request,
            _(
                "Nothing was done: the change cannot be applied. %(why)s "
                "Deny it, or ask the customer."
            )
            % {"why": words},
        )
        return redirect(here)
    except StaleBooking:
        messages.error(request, stale_message(booking, request.organizations))
        return redirect(here)
    except BookingError as error:
        if hasattr(error, "conflicts"):
            messages.error(request, conflict_words(error))
        else:
            messages.error(request, _("Nothing was done: %(why)s") % {"why": error})
        return redirect(here)
    if approve:
        messages.success(
            request, _("Change request approved; %(ref)s is changed.") % {"ref": booking.reference}
        )
    else:
        messages.success(
            request,
            _("Change request denied; %(ref)s stays as it was.") % {"ref": booking.reference},
        )
    return redirect(reverse("staff:booking", args=[booking.pk]))
