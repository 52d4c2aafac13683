"""What every staff page shares: who the member is, which organisations they see, and how
a refused action is told."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Booking
from bookings.selectors import log_entry_list
from core.actors import Actor
from venues.selectors import organization_list


def staff_page(view):
    """A page for signed-in staff: others go to the login page. The view finds the member
    as `request.actor` and the organisations they may see as `request.organizations`; a
    member of none gets a page that says so (never another organisation's data)."""

    @wraps(view)
    def page(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "staff:login")
        request.actor = Actor.staff(user)
        request.organizations = organization_list(actor=request.actor)
        if not user.is_staff or not request.organizations.exists():
            return render(request, "staff/no_organisation.html", status=403)
        return view(request, *args, **kwargs)

    return page


def stale_message(booking: Booking, organizations) -> str:
    """Why an action on `booking` was refused as stale, in words: what changed it last, by
    whom and when in the venue's time ("Approved by Pau at 21:14, Europe/Madrid")."""
    last = (
        log_entry_list(organizations=organizations, booking=booking)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None:
        return _(
            "%(reference)s changed after you opened the page. Nothing was done: look at it "
            "again and decide."
        ) % {"reference": booking.reference}
    local = timezone.localtime(last.created_at, booking.venue.tzinfo)
    return _(
        "%(reference)s changed after you opened the page (%(what)s by %(who)s at %(time)s, "
        "%(zone)s). Nothing was done: look at it again and decide."
    ) % {
        "reference": booking.reference,
        "what": last.get_action_display(),
        "who": last.actor_display,
        "time": f"{local:%H:%M}",
        "zone": booking.venue.timezone,
    }
