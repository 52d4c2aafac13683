"""What every customer page shares: private answers, the not-found page, the rate limit."""

from django import forms
from django.shortcuts import render

from bookings.models import Booking
from bookings.selectors import booking_by_manage_token
from core import ratelimit
from core.actors import Actor
from core.permissions import Action, may


def private(response):
    """The page is the customer's alone: never indexed, and its address (it may hold the
    manage token) never sent to another site as a referrer.

    `same-origin`, not `no-referrer`: the browser then still names our own origin when the
    page posts a form to us, which Django's CSRF check needs (with `no-referrer` a POST
    carries `Origin: null` and is refused); other sites get no referrer at all."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def link_not_found(request):
    return private(render(request, "public/link_not_found.html", status=404))


def booking_of(token: str) -> Booking | None:
    """The booking a manage link opens, as its pages show it; None for a link that opens none."""
    booking = booking_by_manage_token(token=token)
    if booking is None or not may(
        Actor.customer(token), Action.VIEW, booking.organization, booking=booking
    ):
        return None
    return booking


def error_summary(*page_forms: forms.Form) -> list[tuple[str, str]]:
    """(anchor, message) pairs for the summary at the top, in the order of the page (the
    forms in the order they are shown, each field in its `page_order()` if it has one)."""
    summary = []
    for form in page_forms:
        if form is None or not form.is_bound or not form.errors:
            continue
        summary += [("", message) for message in form.non_field_errors()]
        order = form.page_order() if hasattr(form, "page_order") else list(form.fields)
        for name in order:
            field = form.fields[name]
            question = getattr(field, "question", None)
            own = (question.required_message, question.regex_message) if question else ()
            for message in form.errors.get(name, []):
                # A question's message may be generic ("This field is required."): name it.
                text = f"{field.label}: {message}" if question and message not in own else message
                summary.append((_anchor(form, name), text))
    return summary


def _anchor(form: forms.Form, name: str) -> str:
    """The id of the first control of a field: radio and checkbox groups number theirs. A
    link to the time leads to the first free time, or to the date when none is free."""
    bound = form[name]
    if name == "slot":  # the first free time, or the date when none is free
        return "id_slot_0" if getattr(form, "slots", None) else form["day"].auto_id
    widget = bound.field.widget
    if getattr(widget, "input_type", None) in ("radio", "checkbox") and hasattr(widget, "choices"):
        return f"{bound.auto_id}_0"
    return bound.auto_id


def too_many_requests(request, *, retry_after: int):
    """The 429 page: nothing was done, and how many seconds to wait before trying again."""
    context = {"retry_after": retry_after, "back_to": request.get_full_path()}
    return private(render(request, "public/too_many_requests.html", context, status=429))


def rate_limited(scope: str = "public_pages", *, methods=("POST",)):
    """Limit a page's `methods` per client to settings.VENUEDESK_PAGE_RATES[scope]; past it
    the view is not called and the client gets the 429 page with Retry-After.

        @rate_limited("public_pages", methods=("POST",))
        def booking_form(request, ...): ...
    """
    return ratelimit.rate_limited(scope, methods=methods, refuse=too_many_requests)
