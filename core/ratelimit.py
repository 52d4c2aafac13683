"""Rate limits that hold across worker processes: one atomic count per client and fixed window.

`hit(key, limit=…, seconds=…)` counts one request in the window of `seconds` that holds
now (the clock minute of "20/minute") in the shared cache (core.cache), and says whether
it is within `limit`, and if not, how long until the window ends. The API's throttle
(core.api.throttling) and the pages' `rate_limited` decorator both count with it.
Rates are written as DRF writes them: "N/second|minute|hour|day" (only the first letter
of the period counts).
"""

import functools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from core.http import client_identity

# A counter outlives its window by this much, so no increment finds it expired early.
EXPIRY_MARGIN = 5

PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    retry_after: float  # seconds until the window ends and the count starts again


def now() -> float:
    """The clock the windows are cut from (tests stop it)."""
    return time.time()


def parse_rate(rate: str) -> tuple[int, int]:
    """(number of requests, window in seconds) of a rate such as "20/minute"."""
    number, _, period = rate.partition("/")
    try:
        return int(number), PERIODS[period.strip()[:1]]
    except (KeyError, ValueError) as error:
        raise ImproperlyConfigured(
            f"Rate {rate!r} is not 'N/second', 'N/minute', 'N/hour' or 'N/day'."
        ) from error


def hit(key: str, *, limit: int, seconds: int, at: float | None = None) -> RateResult:
    """Count one request for `key` in the current window; allowed while the count ≤ `limit`.

    Each window has its own counter (`<key>_<window number>`), which the shared cache
    increments atomically, so two workers never both let the request over the limit
    through. `at` is the moment to count at (default: now()).
    """
    moment = now() if at is None else at
    window = int(moment // seconds)
    window_ends = (window + 1) * seconds
    count = _count(f"{key}_{window}", timeout=math.ceil(window_ends - moment) + EXPIRY_MARGIN)
    return RateResult(allowed=count <= limit, retry_after=window_ends - moment)


def _count(key: str, *, timeout: int) -> int:
    """Add one to the window's counter and return the new count."""
    try:
        return cache.incr(key)
    except ValueError:  # the first request of the window
        if cache.add(key, 1, timeout):
            return 1
        return cache.incr(key)  # another worker added it first


def rate_limited(
    scope: str,
    *,
    refuse: Callable,
    methods: Iterable[str] = ("POST",),
):
    """A view decorator: at most the rate `settings.VENUEDESK_PAGE_RATES[scope]` of requests
    with one of `methods` per client (core.http.client_identity) and window.

    Over the limit, the view is not called: `refuse(request, retry_after=seconds)` answers
    (a page of the door's own), and gets status 429 and a Retry-After header here. A scope
    whose rate is None is not limited; a scope missing from the setting is a configuration
    error.
    """
    methods = frozenset(method.upper() for method in methods)

    def decorator(view):
        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            if request.method in methods:
                rates = settings.VENUEDESK_PAGE_RATES
                if scope not in rates:
                    raise ImproperlyConfigured(f"VENUEDESK_PAGE_RATES has no rate for {scope!r}.")
                if rates[scope] is not None:
                    limit, seconds = parse_rate(rates[scope])
                    key = f"ratelimit_{scope}_{client_identity(request)}"
                    result = hit(key, limit=limit, seconds=seconds)
                    if not result.allowed:
                        wait = max(1, math.ceil(result.retry_after))
                        response = refuse(request, retry_after=wait)
                        response.status_code = 429
                        response["Retry-After"] = str(wait)
                        return response
            return view(request, *args, **kwargs)

        return limited

    return decorator
