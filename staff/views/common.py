"""What every staff page shares: who the member is, which organisations they see, and how
a refused action is told."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from bookings.models import Booking
from bookings.selectors import log_entry_list
from core.actors import Actor, ActorKind
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


# -- a refused stale action, in words ------------------------------------------------------------
# Each page words it for its own place, from the same three facts: the last change to the
# booking, who made it (`actor_words`) and when in the venue's time (`when_words`).


def last_change(booking, organizations):
    """The booking's latest log entry (None for a booking with no log)."""
    return (
        log_entry_list(organizations=organizations, booking=booking)
        .order_by("-created_at", "-pk")
        .first()
    )


def actor_words(entry) -> str:
    """Who wrote a log entry, as staff read it: the member's name, "API key X", "the
    customer" or "automatic" (the system)."""
    if entry.actor_kind == ActorKind.USER:
        if entry.user is None:
            return _("a former member")
        return entry.user.get_full_name() or entry.user.get_username()
    if entry.actor_kind == ActorKind.API_KEY:
        return _("API key %(name)s") % {"name": entry.api_key.name if entry.api_key else "?"}
    if entry.actor_kind == ActorKind.CUSTOMER:
        return _("the customer")
    return _("automatic")


def when_words(moment, venue) -> str:
    """A moment in the venue's time: "21:14" today there, else "Mon 3 Dec 21:14"."""
    local = timezone.localtime(moment, venue.tzinfo)
    if local.date() == timezone.localdate(timezone=venue.tzinfo):
        return f"{local:%H:%M}"
    return f"{formats.date_format(local, 'D j M')} {local:%H:%M}"


def stale_words(booking) -> str:
    """What changed a booking last, by whom and when, in the venue's time: "Approved by
    Pau at 21:14 (Europe/Madrid)". `booking` carries its log (bookings.selectors.booking_get).
    Said on the booking page when an action is refused because the page was older."""
    entries = list(booking.log_entries.all())
    venue = booking.venue
    if not entries:
        return _("It was changed at %(when)s (%(zone)s).") % {
            "when": when_words(booking.updated_at, venue),
            "zone": venue.timezone,
        }
    entry = entries[-1]
    return _("%(what)s by %(who)s at %(when)s (%(zone)s).") % {
        "what": entry.get_action_display(),
        "who": actor_words(entry),
        "when": when_words(entry.created_at, venue),
        "zone": venue.timezone,
    }


def stale_message(booking: Booking, organizations) -> str:
    """The queue's words for a stale approval: what changed the booking last, by whom and
    when in the venue's time ("… (Approved by Pau at 21:14, Europe/Madrid) …")."""
    last = last_change(booking, organizations)
    if last is None:
        return _(
            "%(reference)s changed after you opened the page. Nothing was done: look at it "
            "again and decide."
        ) % {"reference": booking.reference}
    return _(
        "%(reference)s changed after you opened the page (%(what)s by %(who)s at %(time)s, "
        "%(zone)s). Nothing was done: look at it again and decide."
    ) % {
        "reference": booking.reference,
        "what": last.get_action_display(),
        "who": actor_words(last),
        "time": when_words(last.created_at, booking.venue),
        "zone": booking.venue.timezone,
    }


def changed_meanwhile(request, booking, venue, *, name: str = "") -> str:
    """The front desk's words for a stale move: "Gina Guest (VD-7QX3M2) was already seated
    by Marta Manager at 21:14." (the venue's time; the date too when not today there)."""
    entry = last_change(booking, request.organizations)
    who = f"{name} ({booking.reference})" if name else booking.reference
    if entry is None:
        return _("%(booking)s was changed meanwhile.") % {"booking": who}
    details = {
        "booking": who,
        "who": actor_words(entry),
        "when": when_words(entry.created_at, venue),
    }
    if entry.to_status and entry.to_status != entry.from_status:
        details["status"] = entry.get_to_status_display().lower()
        return _("%(booking)s was already %(status)s by %(who)s at %(when)s.") % details
    details["what"] = entry.get_action_display().lower()
    return _("%(booking)s was changed by %(who)s at %(when)s (%(what)s).") % details
