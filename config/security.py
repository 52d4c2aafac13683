"""Site-wide protections: no-store on answers with personal data, the login lockout page."""

from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.timesince import timeuntil


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
    """The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE), admin-styled.

    It says what happened, for how long, and what to do, without telling whether the
    username exists (unknown usernames are locked out the same way).
    """
    cool_off = get_cool_off(request) or timedelta()
    now = timezone.now()
    context = {
        **admin.site.each_context(request),
        "title": "Login locked for now",
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        # "15 minutes": the same words Django uses for durations elsewhere.
        "cool_off": timeuntil(now + cool_off, now),
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
