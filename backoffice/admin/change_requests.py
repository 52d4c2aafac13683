"""Admin of change requests: current and requested values side by side, decided through the
services (approve / deny on a small page of their own, with the notice to the customer).

The request itself is read-only, as every row the services write. A decision is refused
in words, with nothing changed, when the request was decided already, the booking changed
after the page was opened, the change no longer fits, or the user may not decide.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from backoffice.admin.booking_moves import EVENT_PROCEDURE_CHOICES, MoveForm, NoticeForm
from backoffice.admin.bookings import ReadOnlyAdmin
from backoffice.admin.catalogue import related_only
from backoffice.admin.local_times import local_day_filter, local_time
from backoffice.admin.readable import comparison_html
from backoffice.admin.refusals import SeenField, conflict_words, last_change_words, moment_words
from bookings import selectors, services
from bookings.changes import comparison, what_is_asked
from bookings.models import ChangeRequest, EventProcedure
from core.actors import Actor
from core.errors import BookingConflict, BookingError, StaleBooking
from core.permissions import Action
from venues.selectors import organization_list

DECISIONS = {"approve": "Approve", "deny": "Deny"}


class DecisionForm(forms.Form):
    """What goes with a decision (services.Notice), and the booking's version the decider
    saw: the fields of a booking move's notice (booking_moves)."""

    comment = MoveForm.base_fields["comment"]
    message = NoticeForm.base_fields["message"]
    send_email = NoticeForm.base_fields["send_email"]
    send_sms = NoticeForm.base_fields["send_sms"]
    event_procedure = forms.ChoiceField(
        label="The booking's event",
        choices=EVENT_PROCEDURE_CHOICES,
        initial=EventProcedure.CANCEL,
        widget=forms.RadioSelect,
    )
    updated_at = SeenField()
    notice = NoticeForm.notice

    def __init__(self, *args, asks_event_procedure: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not asks_event_procedure:
            del self.fields["event_procedure"]


def decided_words(change_request: ChangeRequest) -> str:
    """ "this request was denied by Pau on 2030-03-04 14:02 (Europe/Madrid)"."""
    words = f"this request was {change_request.get_status_display().lower()}"
    decider = change_request.decided_by
    if decider is not None:
        words += f" by {decider.get_full_name() or decider.get_username()}"
    if change_request.decided_at is not None:
        words += (
            f" on {moment_words(change_request.decided_at, change_request.booking.venue.tzinfo)}"
        )
    return words + "; it can no longer be decided."


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    organization_path = "booking__organization"
    venue_path = "booking__venue"
    change_form_template = "admin/bookings/changerequest/change_form.html"
    list_display = (
        "reference",
        "customer",
        "asked",
        "status",
        "asked_at",
        "decided_at",
    )
    list_display_links = ("reference", "asked")
    list_filter = (
        local_day_filter("created_at", "booking__venue", "asked (the venue's day)"),
        "status",
        "is_cancellation",
        "submitted_by_kind",
        related_only("booking__venue"),
    )
    list_select_related = ("booking__venue", "booking__customer")
    search_fields = ("booking__reference", "request_note")
    fieldsets = (
        (None, {"fields": ("booking", "status", "asked", "submitted_by_kind", "created_at")}),
        ("What is asked", {"fields": ("side_by_side", "note", "conflicts")}),
        (
            "Decision",
            {
                "fields": (
                    "decided_by",
                    "decided_at",
                    "event_procedure",
                    "decision_comment",
                    "decision_message",
                )
            },
        ),
    )
    readonly_fields = ("asked", "side_by_side", "note", "conflicts")

    # -- reading --------------------------------------------------------------------------

    def get_object(self, request, object_id, from_field=None):
        """The request (scoped, as the admin finds it) read through the selectors: the spaces
        and layouts it names, and its booking with lines, questions and log."""
        read = request.__dict__.setdefault("_venuedesk_change_requests", {})
        if object_id not in read:  # a page asks several times: read once per request
            read[object_id] = self.read_through_selectors(request, object_id, from_field)
        return read[object_id]

    def read_through_selectors(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None:
            return None
        organizations = organization_list(actor=Actor.staff(request.user))
        change_request = selectors.change_request_get(
            organizations=organizations, change_request_id=found.pk
        )
        change_request.booking = selectors.booking_get(
            organizations=organizations, booking_id=change_request.booking_id
        )
        return change_request

    @admin.display(description="Booking", ordering="booking__reference")
    def reference(self, change_request: ChangeRequest) -> str:
        return change_request.booking.reference

    @admin.display(description="Customer")
    def customer(self, change_request: ChangeRequest) -> str:
        return str(change_request.booking.customer)

    @admin.display(description="Asked for")
    def asked(self, change_request: ChangeRequest) -> str:
        return what_is_asked(change_request).capitalize()

    @admin.display(description="Asked at", ordering="created_at")
    def asked_at(self, change_request: ChangeRequest) -> str:
        return local_time(change_request.created_at, change_request.booking.venue.tzinfo)

    @admin.display(description="Current and requested")
    def side_by_side(self, change_request: ChangeRequest):
        return comparison_html(comparison(change_request.booking, change_request))

    @admin.display(description="Note with the request")
    def note(self, change_request: ChangeRequest):
        # Sanitised to a small allow-list when it was submitted (core.sanitize).
        return mark_safe(change_request.request_note) if change_request.request_note else "–"

    @admin.display(description="Does the requested slot fit?")
    def conflicts(self, change_request: ChangeRequest):
        if change_request.status != ChangeRequest.Status.PENDING:
            return "– (decided)"
        if change_request.is_cancellation:
            return "– (a cancellation frees what the booking holds)"
        found = selectors.change_request_conflict_list(
            booking=change_request.booking, change_request=change_request
        )
        if not found:
            return "Yes: nothing in the way now (checked again on approval)."
        items = format_html_join(
            "",
            "<li><strong>{}</strong>: {}{}</li>",
            (
                (
                    conflict.line,
                    conflict.message,
                    format_html(" (held by {})", conflict.other_booking)
                    if conflict.other_booking
                    else "",
                )
                for conflict in found
            ),
        )
        return format_html(
            '<p>No. Approving is refused until this is resolved:</p><ul class="conflicts">{}</ul>',
            items,
        )

    # -- deciding -------------------------------------------------------------------------

    def may_decide(self, request, change_request: ChangeRequest) -> bool:
        return change_request.status == ChangeRequest.Status.PENDING and self.may(
            request, Action.APPROVE, change_request
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change_request = self.get_object(request, unquote(object_id))
        decide = change_request is not None and self.may_decide(request, change_request)
        extra_context = {**(extra_context or {}), "may_decide": decide}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        meta = self.opts
        return [
            *(
                path(
                    f"<path:object_id>/{decision}/",
                    self.admin_site.admin_view(self.decide_view),
                    {"decision": decision},
                    name=f"{meta.app_label}_{meta.model_name}_{decision}",
                )
                for decision in DECISIONS
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, object_id, decision):
        """GET: the decision's page (the notice, the flags); POST: the service decides."""
        change_request = self.get_object(request, unquote(object_id))
        if change_request is None:
            raise Http404
        if not self.may(request, Action.APPROVE, change_request):
            raise PermissionDenied
        booking = change_request.booking
        back = HttpResponseRedirect(self.change_url(change_request))
        if change_request.status != ChangeRequest.Status.PENDING:
            self.refused(request, decided_words(change_request))
            return back
        asks_event_procedure = bool(
            decision == "approve" and change_request.is_cancellation and booking.event_id
        )
        kind = "cancellation request" if change_request.is_cancellation else "change request"
        zone = booking.venue.tzinfo
        with timezone.override(zone):
            if request.method == "POST":
                form = DecisionForm(request.POST, asks_event_procedure=asks_event_procedure)
                if form.is_valid():
                    return self.decided(request, change_request, decision, form)
            else:
                form = DecisionForm(
                    initial={
                        "send_email": booking.notify_email,
                        "send_sms": booking.notify_sms,
                        "updated_at": booking.updated_at.isoformat(),
                    },
                    asks_event_procedure=asks_event_procedure,
                )
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{DECISIONS[decision]} the {kind} for {booking.reference}",
                "subtitle": None,
                "change_request": change_request,
                "booking": booking,
                "decision": decision,
                "form": form,
                "side_by_side": self.side_by_side(change_request),
                "conflicts": self.conflicts(change_request) if decision == "approve" else "",
                "venue_zone": zone.key,
                "change_url": self.change_url(change_request),
            }
            page = TemplateResponse(request, "admin/bookings/changerequest/decide.html", context)
            return page.render()  # here, in the venue's zone

    def decided(self, request, change_request: ChangeRequest, decision: str, form: DecisionForm):
        """Ask the service; say what happened, or why nothing did; back to the request."""
        booking = change_request.booking
        actor = Actor.staff(request.user)
        seen = form.cleaned_data["updated_at"]
        try:
            if decision == "approve":
                services.change_request_approve(
                    actor=actor,
                    change_request=change_request,
                    client_updated_at=seen,
                    event_procedure=form.cleaned_data.get("event_procedure")
                    or EventProcedure.CANCEL,
                    notice=form.notice(),
                )
            else:
                services.change_request_deny(
                    actor=actor,
                    change_request=change_request,
                    client_updated_at=seen,
                    notice=form.notice(),
                )
        except StaleBooking:
            self.refused(
                request,
                f"booking {booking.reference} changed after you opened this page. "
                f"{last_change_words(booking)} Check the request again and decide.",
            )
        except BookingConflict as error:
            self.refused(
                request,
                f"the change does not fit. {conflict_words(error)} Deny it, or move "
                "what is in the way first.",
            )
        except ValidationError as error:
            self.refused(
                request,
                f"the change cannot be applied. {' '.join(error.messages)} Deny it, or ask "
                "the customer.",
            )
        except BookingError as error:
            self.refused(request, str(error))
        else:
            if decision == "approve":
                done = (
                    f"Cancellation request approved; {booking.reference} is canceled."
                    if change_request.is_cancellation
                    else f"Change request approved; {booking.reference} is changed."
                )
            else:
                done = f"Request denied; {booking.reference} stays as it was."
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(change_request))

    def refused(self, request, why: str) -> None:
        self.message_user(request, f"Nothing was done: {why}", messages.ERROR)
