"""The API's rate limit, counted by core.ratelimit: one atomic count per client and window.

DRF's SimpleRateThrottle keeps a list of timestamps with a cache get and set, so two
workers that read the same list both let a request through, and its identity is the
whole X-Forwarded-For header, which the client writes. Here the rate (`throttle_scope`
and DEFAULT_THROTTLE_RATES), the clock (`timer`) and Retry-After are DRF's; the client is
`client_identity()`, and each fixed window (the clock minute of "30/minute") has one
counter that the shared cache increments atomically (core.ratelimit.hit).
"""

from rest_framework.throttling import ScopedRateThrottle

from core import ratelimit
from core.http import client_identity


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
        result = ratelimit.hit(key, limit=self.num_requests, seconds=self.duration, at=self.timer())
        self.retry_after = result.retry_after
        return result.allowed

    def get_ident(self, request) -> str:
        return client_identity(request)

    def wait(self):
        """Seconds until this window ends and the count starts again (Retry-After)."""
        return self.retry_after
