"""The admin's booking moves: transition buttons, bulk actions and the CSV export.

The change page offers a button for each move this user may make now (bookings.moves:
the permission policy and the state machine). Each opens a small page asking what the
move takes (comment, message to the customer and how to send it, event fields, the event
procedure, a head count) with the booking's `updated_at` hidden in it; posting it calls
the move's service as this user. A refusal (stale, conflict, not allowed) changes nothing
and is said in words on the booking's page. Bulk approve, deny and cancel run the same
services booking by booking, each in its own transaction, and report each booking.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from backoffice.admin.refusals import (
    SeenField,
    conflict_words,
    last_change_words,
    moment_words,
    parse_seen,
)
from bookings import selectors, services
from bookings.models import Booking, BookingStatus, EventProcedure
from bookings.moves import MOVES_BY_NAME, Move, booking_move_list
from bookings.services.front_desk import MAX_ATTENDEES
from core.actors import Actor
from core.errors import (
    BookingConflict,
    BookingError,
    StaleBooking,
    TransitionNotAllowed,
)
from core.permissions import Action

# -- what each move asks for --------------------------------------------------------------


class MoveForm(forms.Form):
    """Every move: the booking's `updated_at` as the page showed it, and a logged comment."""

    updated_at = SeenField()
    comment = forms.CharField(
        label="Internal comment",
        help_text="For staff only; kept in the booking's log.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
    )

    def __init__(self, *args, booking: Booking, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] |= {"updated_at": booking.updated_at.isoformat()}
        super().__init__(*args, **kwargs)
        self.booking = booking

    def arguments(self) -> dict:
        """The service's keyword arguments besides actor, booking and client_updated_at."""
        return {"comment": self.cleaned_data["comment"]}

    def add_refusal(self, error: ValidationError) -> None:
        """A service's field errors on the fields that asked for them ("event.title" on
        event_title), the rest above the form."""
        for name, field_errors in getattr(error, "message_dict", {None: error.messages}).items():
            field = (name or "").replace(".", "_")
            self.add_error(field if field in self.fields else None, field_errors)


class NoticeForm(MoveForm):
    """Moves the customer is told about: a message, and how to send it (the booking's
    flags by default)."""

    message = forms.CharField(
        label="Message to the customer",
        help_text="Sent with the notice and kept in the booking's log.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
    )
    send_email = forms.BooleanField(label="Send by e-mail", required=False)
    send_sms = forms.BooleanField(label="Send by SMS", required=False)

    def __init__(self, *args, booking: Booking, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] |= {"send_email": booking.notify_email, "send_sms": booking.notify_sms}
        super().__init__(*args, booking=booking, **kwargs)

    def notice(self) -> services.Notice:
        data = self.cleaned_data
        return services.Notice(
            comment=data["comment"],
            message=data["message"],
            send_email=data["send_email"],
            send_sms=data["send_sms"],
        )

    def arguments(self) -> dict:
        return {"notice": self.notice()}


class ApproveForm(NoticeForm):
    """Approving a booking with space lines creates its Event: its title, notes, whether it
    is listed, and how many tickets it sells, as staff want them."""

    event_title = forms.CharField(label="Event title", max_length=200)
    event_notes = forms.CharField(
        label="Event notes",
        help_text="Internal notes for staff.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
    )
    event_is_public = forms.BooleanField(
        label="List the event publicly", help_text="Listed and sold to the public.", required=False
    )
    event_capacity = forms.IntegerField(
        label="Event tickets",
        help_text="Tickets for sale; empty means not limited.",
        required=False,
        min_value=0,
        max_value=MAX_ATTENDEES,
    )

    def __init__(self, *args, booking: Booking, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] |= {"event_title": booking.title or f"Booking {booking.reference}"}
        super().__init__(*args, booking=booking, **kwargs)
        if not booking.space_bookings.exists():  # no space, no event
            for name in ("event_title", "event_notes", "event_is_public", "event_capacity"):
                del self.fields[name]

    def arguments(self) -> dict:
        if "event_title" not in self.fields:
            return super().arguments()
        data = self.cleaned_data
        event_fields = {
            "title": data["event_title"],
            "is_public": data["event_is_public"],
            "capacity": data["event_capacity"],
        }
        if data["event_notes"]:
            event_fields["notes"] = data["event_notes"]
        return {**super().arguments(), "event_fields": event_fields}


EVENT_PROCEDURE_CHOICES = [
    (EventProcedure.CANCEL, "Keep it, marked canceled"),
    (EventProcedure.DELETE, "Delete it"),
]


class CancelForm(NoticeForm):
    """Canceling asks what becomes of the Event the approval made, when there is one."""

    event_procedure = forms.ChoiceField(
        label="The event made at approval",
        choices=EVENT_PROCEDURE_CHOICES,
        initial=EventProcedure.CANCEL,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, booking=booking, **kwargs)
        if booking.event_id is None:
            del self.fields["event_procedure"]

    def arguments(self) -> dict:
        procedure = self.cleaned_data.get("event_procedure", EventProcedure.CANCEL)
        return {**super().arguments(), "event_procedure": procedure}


class ArriveForm(MoveForm):
    actual_attendees = forms.IntegerField(
        label="Guests who came",
        help_text="Leave empty if it is the number booked.",
        required=False,
        min_value=1,
        max_value=MAX_ATTENDEES,
    )

    def arguments(self) -> dict:
        return {**super().arguments(), "actual_attendees": self.cleaned_data["actual_attendees"]}


FORMS = {
    "approve": ApproveForm,
    "deny": NoticeForm,
    "cancel": CancelForm,
    "arrive": ArriveForm,
    "seat": MoveForm,
    "release": MoveForm,
    "mark_no_show": MoveForm,
}
SERVICES = {
    "approve": services.booking_approve,
    "deny": services.booking_deny,
    "cancel": services.booking_cancel,
    "arrive": services.booking_arrive,
    "seat": services.booking_seat,
    "release": services.booking_release,
    "mark_no_show": services.booking_mark_no_show,
}
# What a move does, said above its form.
EXPLAINED = {
    "approve": "Approving confirms the booking: its places are checked against what is held "
    "now and held for it, and a space booking gets its event. The customer is told.",
    "deny": "Denying turns the request down. The customer is told.",
    "cancel": "Canceling frees the booking's places; the booking stays, canceled. "
    "The customer is told.",
    "arrive": "The guests are at the venue.",
    "seat": "The guests have their place.",
    "release": "The guests left: their place is free again from now.",
    "mark_no_show": "Nobody came: the place is free again.",
}
# What the success message says was done.
DONE = {
    "approve": "Approved {}.",
    "deny": "Denied {}.",
    "cancel": "Canceled {}.",
    "arrive": "{} marked arrived.",
    "seat": "{} seated.",
    "release": "{} released.",
    "mark_no_show": "{} marked no-show.",
}

# -- the words of a refusal ---------------------------------------------------------------


def refusal_words(booking: Booking, error: BookingError | ValidationError) -> str:
    """Why nothing was done to `booking`, in words that say what to do next."""
    reference = booking.reference
    if isinstance(error, StaleBooking):
        return (
            f"Nothing was done to {reference}: it changed after you opened it. "
            f"{last_change_words(booking)} Check it as it is now and decide again."
        )
    if isinstance(error, BookingConflict):
        return f"Nothing was done to {reference}: it does not fit. {conflict_words(error)}"
    if isinstance(error, TransitionNotAllowed):
        status = BookingStatus(error.current).label.lower()
        return f"Nothing was done to {reference}: it is {status} now. {error}"
    if isinstance(error, ValidationError):
        return f"Nothing was done to {reference}: {' '.join(error.messages)}"
    return f"Nothing was done to {reference}: {error}"


# -- bulk actions -------------------------------------------------------------------------


class BulkNoticeForm(forms.Form):
    """The one comment and message a bulk move gives every booking; each booking's own
    flags say whether it goes by e-mail or SMS."""

    comment = MoveForm.base_fields["comment"]
    message = NoticeForm.base_fields["message"]

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {"notice": services.Notice(comment=data["comment"], message=data["message"])}


class BulkCancelForm(BulkNoticeForm):
    event_procedure = forms.ChoiceField(
        label="Their events made at approval",
        choices=EVENT_PROCEDURE_CHOICES,
        initial=EventProcedure.CANCEL,
        widget=forms.RadioSelect,
    )

    def arguments(self) -> dict:
        return {**super().arguments(), "event_procedure": self.cleaned_data["event_procedure"]}


BULK_FORMS = {"approve": BulkNoticeForm, "deny": BulkNoticeForm, "cancel": BulkCancelForm}
BULK_VERBS = {"approve": "Approve", "deny": "Deny", "cancel": "Cancel"}
# The bulk page's field of each booking's `updated_at`, as the page showed it.
SEEN = "seen-{}"

# -- the CSV export -----------------------------------------------------------------------

CSV_HEADER = (
    "Reference",
    "Status",
    "Customer",
    "Contact",
    "Contact e-mail",
    "Contact phone",
    "Venue",
    "Spaces",
    "Start",
    "End",
    "Time zone",
    "Places",
    "Total",
    "Paid",
    "Balance",
    "Source",
    "Form",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs (CSV formula injection)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_row(booking: Booking) -> list:
    zone = booking.venue.tzinfo
    lines = list(booking.space_bookings.all())

    def local(moment):
        return "" if moment is None else f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M}"

    texts = [
        booking.reference,
        booking.get_status_display(),
        str(booking.customer),
        booking.contact_name,
        booking.notify_address,
        booking.contact_phone or booking.customer.phone,
        booking.venue.name,
        ", ".join(dict.fromkeys(line.space.name for line in lines)),
        local(booking.starts_at),
        local(booking.ends_at),
        zone.key,
    ]
    numbers = [
        sum(line.places for line in lines),
        booking.total_gross,
        booking.amount_paid,
        booking.balance,
    ]
    form = booking.booking_form.title if booking.booking_form else ""
    tail = [booking.get_source_display(), form]
    return [*map(csv_text, texts), *numbers, *map(csv_text, tail)]


def csv_response(bookings) -> HttpResponse:
    """The bookings as a CSV file named by today's date, each time in its venue's zone."""
    today = timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bookings-{today:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    # The list's own prefetches (what its columns show) give way to the lines' in full.
    rows = (
        bookings.select_related("customer", "venue", "booking_form")
        .prefetch_related(None)
        .prefetch_related(*selectors.lines_prefetched())
    )
    for booking in rows:
        writer.writerow(csv_row(booking))
    return response


# -- the admin ----------------------------------------------------------------------------


class BookingMoves:
    """A BookingAdmin mixin: transition buttons, bulk approve / deny / cancel, CSV export.

    The admin names the actions and the templates that show the buttons and the link:
    admin/bookings/booking/change_form.html and change_list.html.
    """

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/move/<str:name>/",
                self.admin_site.admin_view(self.move_view),
                name="{}_{}_move".format(*info),
            ),
            path(
                "export-csv/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_approve_permission(self, request, obj=None) -> bool:
        """For the bulk actions' `permissions=["approve"]`."""
        return self.may(request, Action.APPROVE, obj)

    def move_url(self, booking: Booking, move: Move) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_move",
            args=[booking.pk, move.name],
            current_app=self.admin_site.name,
        )

    # -- the buttons ----------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        booking = self.get_object(request, unquote(object_id))
        if booking is not None:
            moves = booking_move_list(actor=Actor.staff(request.user), booking=booking)
            buttons = [{"label": move.label, "url": self.move_url(booking, move)} for move in moves]
            extra_context = {**(extra_context or {}), "booking_moves": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    def move_view(self, request, object_id, name):
        """The small page of one move: GET asks, POST calls the service (never on GET)."""
        booking = self.get_object(request, unquote(object_id))
        move = MOVES_BY_NAME.get(name)
        if booking is None or move is None:
            raise Http404
        if not self.may(request, move.action, booking):
            raise PermissionDenied
        actor = Actor.staff(request.user)
        back = HttpResponseRedirect(self.change_url(booking))
        if request.method == "POST":
            form = FORMS[name](request.POST, booking=booking)
            if form.is_valid():
                try:
                    SERVICES[name](
                        actor=actor,
                        booking=booking,
                        client_updated_at=form.cleaned_data["updated_at"],
                        **form.arguments(),
                    )
                except ValidationError as error:
                    form.add_refusal(error)
                except BookingError as error:
                    self.message_user(request, refusal_words(booking, error), messages.ERROR)
                    return back
                else:
                    self.message_user(
                        request, DONE[name].format(booking.reference), messages.SUCCESS
                    )
                    return back
        elif move not in booking_move_list(actor=actor, booking=booking):
            status = booking.get_status_display().lower()
            self.message_user(
                request,
                f"{booking.reference} is {status}: “{move.label}” is not possible now.",
                messages.WARNING,
            )
            return back
        else:
            form = FORMS[name](booking=booking)
        zone = booking.venue.tzinfo
        ahead = {}
        if name == "approve":  # what approving would run into, and whom it leaves waiting
            ahead = {
                "conflicts": selectors.booking_conflict_list(booking=booking),
                "competitors": [
                    {"booking": other.booking, "url": self.change_url(other.booking)}
                    for other in selectors.competing_request_list(booking=booking)
                ],
            }
        context = {
            **ahead,
            **self.admin_site.each_context(request),
            "title": f"{move.label}: {booking.reference}",
            "subtitle": None,
            "opts": self.opts,
            "original": booking,
            "booking": booking,
            "move": move,
            "explained": EXPLAINED[name],
            "form": form,
            "starts": moment_words(booking.starts_at, zone) if booking.starts_at else "",
            "ends": moment_words(booking.ends_at, zone) if booking.ends_at else "",
            "change_url": self.change_url(booking),
            "has_view_permission": True,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/bookings/booking/move.html", context, status=status)

    # -- bulk actions ---------------------------------------------------------------------

    @admin.action(description="Approve selected bookings", permissions=["approve"])
    def approve_selected(self, request, queryset):
        return self.bulk_move(request, queryset, MOVES_BY_NAME["approve"])

    @admin.action(description="Deny selected bookings", permissions=["approve"])
    def deny_selected(self, request, queryset):
        return self.bulk_move(request, queryset, MOVES_BY_NAME["deny"])

    @admin.action(description="Cancel selected bookings", permissions=["approve"])
    def cancel_selected(self, request, queryset):
        return self.bulk_move(request, queryset, MOVES_BY_NAME["cancel"])

    def bulk_move(self, request, queryset, move: Move):
        """Ask once for the comment and message, then move each booking through the
        service in its own transaction; a refusal is reported and the others go on."""
        bookings = list(queryset.select_related("customer", "venue").order_by("starts_at", "pk"))
        form_class = BULK_FORMS[move.name]
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = Actor.staff(request.user)
            for booking in bookings:
                seen = parse_seen(request.POST.get(SEEN.format(booking.pk), ""))
                if seen is None:
                    self.message_user(
                        request,
                        f"Nothing was done to {booking.reference}: the page did not say which "
                        "version of it you saw. Select it again and retry.",
                        messages.ERROR,
                    )
                    continue
                try:
                    SERVICES[move.name](
                        actor=actor,
                        booking=booking,
                        client_updated_at=seen,
                        **form.arguments(),
                    )
                except (BookingError, ValidationError) as error:
                    self.message_user(request, refusal_words(booking, error), messages.ERROR)
                else:
                    self.message_user(
                        request, DONE[move.name].format(booking.reference), messages.SUCCESS
                    )
            return None  # back to the change list, its filters kept
        rows = [
            {
                "booking": booking,
                "seen": booking.updated_at.isoformat(),
                "starts": (
                    moment_words(booking.starts_at, booking.venue.tzinfo)
                    if booking.starts_at
                    else "–"
                ),
            }
            for booking in bookings
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{BULK_VERBS[move.name]} {len(bookings)} booking(s)",
            "subtitle": None,
            "opts": self.opts,
            "move": move,
            "form": form,
            "rows": rows,
            "seen_prefix": SEEN.format(""),
            "action": request.POST.get("action", ""),
            "action_checkbox_name": "_selected_action",
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/bookings/booking/bulk_move.html", context)

    # -- the CSV export -------------------------------------------------------------------

    @admin.action(description="Export selected bookings as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return csv_response(queryset)

    def export_view(self, request):
        """The change list as filtered and searched, as CSV (the "Export CSV" link)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                    current_app=self.admin_site.name,
                )
            )
        return csv_response(changelist.get_queryset(request))
