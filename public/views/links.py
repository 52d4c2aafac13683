"""A lost link: the form that has new links to an address's upcoming bookings sent to it."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from bookings import services
from public.honeypot import HoneypotMixin
from public.views.common import private, rate_limited


class ResendLinksForm(HoneypotMixin, forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("The address you gave when you booked."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter an e-mail address in the right form, like name@example.com."),
            "max_length": _("An e-mail address is at most 254 characters long."),
        },
    )


@require_http_methods(["GET", "POST"])
@rate_limited("public_pages", methods=("POST",))
def resend_links(request):
    """Ask for an address; send it new links to its upcoming bookings.

    Every accepted request, known address or not, and a robot's (the honeypot filled),
    leads to the same "sent" page: no one learns from it whether the address has bookings.
    """
    if request.method == "POST":
        form = ResendLinksForm(request.POST)
        if form.caught_in_honeypot:
            return redirect("public:resend-links-sent")
        if form.is_valid():
            services.manage_links_send(email=form.cleaned_data["email"])
            return redirect("public:resend-links-sent")
    else:
        form = ResendLinksForm()
    context = {"form": form, "errors": _error_summary(form)}
    return private(render(request, "public/resend_links.html", context))


def _error_summary(form: forms.Form) -> list[tuple[str, str]]:
    """(field id, message) pairs for public/_error_summary.html."""
    if not form.is_bound:
        return []
    return [("", message) for message in form.non_field_errors()] + [
        (form[name].id_for_label, message)
        for name, messages in form.errors.items()
        if name in form.fields
        for message in messages
    ]


@require_GET
def resend_links_sent(request):
    return private(render(request, "public/resend_links_sent.html"))
