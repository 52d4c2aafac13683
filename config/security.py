"""Site-wide protections: no-store on answers with personal data, the login lockout page."""

from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _


class NoStoreMiddleware:
    """Answers under `VENUEDESK_NO_STORE_PATHS` may not be kept by any cache.

    They carry customers' names, addresses and bookings; a shared proxy or the browser's
    disk cache must not keep them. Errors too: they can echo what was sent.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.VENUEDESK_NO_STORE_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(self.prefixes):
            add_never_cache_headers(response)
        return response


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE), staff-styled.

    It says what happened, for how long, and what to do, without telling whether the
    username exists (unknown usernames are locked out the same way). Its "log in again"
    leads back to the login the attempt came from: the admin's for /admin/, else the staff's.
    """
    cool_off = get_cool_off(request) or timedelta()
    now = timezone.now()
    context = {
        "title": _("Login locked for now"),
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        # "15 minutes": the same words Django uses for durations elsewhere.
        "cool_off": timeuntil(now + cool_off, now),
        "login_url": login_url_of(request),
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def login_url_of(request) -> str:
    """The login page `request` was sent to (admin or staff), with its `next` if it is ours."""
    admin_login = reverse("admin:login")
    url = admin_login if request.path == admin_login else reverse("staff:login")
    next_ = request.POST.get("next") or request.GET.get("next") or ""
    if next_ and url_has_allowed_host_and_scheme(
        next_, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        url += "?" + urlencode({"next": next_})
    return url
