"""What every staff page shares: who the member is, which organisations they see, and how
a refused action is told."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.selectors import log_entry_list
from core.actors import Actor
from core.templatetags.venue_time import venue_time
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


def changed_meanwhile(request, booking, venue, *, name: str = "") -> str:
    """Who changed `booking` last and when, for a refused stale action: "Gina Guest
    (VD-7QX3M2) was already seated by Marta Manager at 21:14." (the venue's time; the
    date too when it was not today there)."""
    entry = (
        log_entry_list(organizations=request.organizations, booking=booking)
        .order_by("-created_at", "-id")
        .first()
    )
    who = f"{name} ({booking.reference})" if name else booking.reference
    if entry is None:
        return _("%(booking)s was changed meanwhile.") % {"booking": who}
    local = timezone.localtime(entry.created_at, venue.tzinfo)
    same_day = local.date() == timezone.localdate(timezone=venue.tzinfo)
    when = f"{local:%H:%M}" if same_day else venue_time(entry.created_at, venue)
    details = {"booking": who, "who": entry.actor_display, "when": when}
    if entry.to_status and entry.to_status != entry.from_status:
        details["status"] = entry.get_to_status_display().lower()
        return _("%(booking)s was already %(status)s by %(who)s at %(when)s.") % details
    details["what"] = entry.get_action_display().lower()
    return _("%(booking)s was changed by %(who)s at %(when)s (%(what)s).") % details
