"""The approval queue: pending requests oldest first, what stands in each one's way, and
the ones in nobody's way approved together."""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from bookings import services
from bookings.models import Booking, SpaceBooking
from bookings.selectors import (
    Contention,
    booking_summary_list,
    pending_conflicts,
    pending_request_list,
)
from core.errors import BookingConflict, BookingError, PermissionDenied, StaleBooking
from core.permissions import Action, may
from staff.views.common import staff_page, stale_message
from venues.selectors import space_list, venue_list

PAGE_SIZE = 50


class QueueFilter(forms.Form):
    venue = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Venue"), empty_label=gettext_lazy("All")
    )
    space = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Space"), empty_label=gettext_lazy("All")
    )
    date = forms.DateField(
        required=False,
        label=gettext_lazy("Date"),
        help_text=gettext_lazy("The day it starts, in the venue's time."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venue_list(organizations=organizations).filter(
            is_active=True
        )
        self.fields["space"].queryset = (
            space_list(organizations=organizations)
            .prefetch_related(None)
            .order_by("venue__name", "name")
        )
        self.fields["space"].label_from_instance = lambda space: f"{space.name} ({space.venue})"
        for name, field in self.fields.items():
            if self.is_bound and name in self.errors:
                field.widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{name}-error"}
                )


@dataclass
class Row:
    booking: Booking
    lines: list[SpaceBooking]
    contention: Contention
    may_approve: bool

    @property
    def places(self) -> int:
        return max((line.places for line in self.lines), default=0)


@staff_page
@require_http_methods(["GET", "POST"])
def queue(request):
    """Pending requests oldest first, with how long each has waited and what it conflicts
    or competes with; filters by venue, space and date; approve the clear ones together."""
    if request.method == "POST":
        return _approve_selected(request)
    organizations = request.organizations
    form = QueueFilter(request.GET or None, organizations=organizations)
    chosen = {}
    if form.is_bound:
        form.is_valid()
        chosen = {name: form.cleaned_data.get(name) for name in ("venue", "space", "date")}
    pending = pending_request_list(
        organizations=organizations,
        venue=chosen.get("venue"),
        space=chosen.get("space"),
        day=chosen.get("date"),
    )
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    bookings = list(page.object_list)
    contention = pending_conflicts(bookings)
    approving = {org.pk for org in organizations if may(request.actor, Action.APPROVE, org)}
    rows = [
        Row(
            booking=booking,
            lines=list(booking.space_bookings.all()),
            contention=contention[booking.pk],
            may_approve=booking.organization_id in approving,
        )
        for booking in bookings
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/queue.html",
        {
            "nav": "queue",
            "form": form,
            "page": page,
            "rows": rows,
            "may_approve": any(row.may_approve for row in rows),
            "filtered": any(chosen.values()),
            "page_query": query.urlencode(),
        },
    )


def _seen(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _approve_selected(request):
    """Approve each chosen request through the service, each with the `updated_at` its row
    was shown with; one message per booking, approved or why not."""
    back = redirect(request.get_full_path())
    ids = [int(value) for value in request.POST.getlist("booking") if value.isdigit()]
    if not ids:
        messages.error(request, _("Select at least one request to approve, then press Approve."))
        return back
    found = booking_summary_list(organizations=request.organizations).filter(pk__in=ids)
    bookings = sorted(found, key=lambda booking: (booking.created_at, booking.pk))
    if len(bookings) < len(set(ids)):
        messages.error(
            request,
            _("Some selected requests were not found among your venues' bookings; not approved."),
        )
    for booking in bookings:
        seen = _seen(request.POST.get(f"seen_{booking.pk}"))
        if seen is None:
            messages.error(
                request,
                _("%(reference)s was not approved: reload the page and try again.")
                % {"reference": booking.reference},
            )
            continue
        try:
            services.booking_approve(actor=request.actor, booking=booking, client_updated_at=seen)
        except StaleBooking:
            messages.error(request, stale_message(booking, request.organizations))
        except BookingConflict as error:
            messages.error(
                request,
                _(
                    "%(reference)s was not approved: %(why)s Open it to deny it or to move it "
                    "to a free time."
                )
                % {"reference": booking.reference, "why": error},
            )
        except PermissionDenied as error:
            messages.error(
                request,
                _("%(reference)s was not approved: %(why)s Ask an approver or a manager.")
                % {"reference": booking.reference, "why": error},
            )
        except (BookingError, ValidationError) as error:
            why = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(
                request,
                _("%(reference)s was not approved: %(why)s")
                % {"reference": booking.reference, "why": why},
            )
        else:
            messages.success(
                request,
                _("%(reference)s approved.") % {"reference": booking.reference},
            )
    return back
