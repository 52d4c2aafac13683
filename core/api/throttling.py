"""Rate limits that hold across worker processes: one atomic count per client and window.

DRF's SimpleRateThrottle keeps a list of timestamps with a cache get and set, so two
workers that read the same list both let a request through, and its identity is the
whole X-Forwarded-For header, which the client writes. Here the rate (`throttle_scope`
and DEFAULT_THROTTLE_RATES), the cache and Retry-After are DRF's; the client is
`client_identity()`, and each fixed window (the clock minute of "30/minute") has one
counter that the shared cache increments atomically.
"""

import math

from rest_framework.throttling import ScopedRateThrottle

from core.http import client_identity

# A counter outlives its window by this much, so no increment finds it expired early.
EXPIRY_MARGIN = 5


class SharedScopedRateThrottle(ScopedRateThrottle):
    """At most `num_requests` per client in each window of `duration` seconds, for all workers."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return self._count(f"{key}_{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """Add this request to the window's counter and return the new count."""
        try:
            return self.cache.incr(key)
        except ValueError:  # the first request of the window
            timeout = math.ceil(self.window_ends - self.now) + EXPIRY_MARGIN
            if self.cache.add(key, 1, timeout):
                return 1
            return self.cache.incr(key)  # another worker added it first

    def get_ident(self, request) -> str:
        return client_identity(request)

    def wait(self):
        """Seconds until this window ends and the count starts again (Retry-After)."""
        return self.window_ends - self.now
