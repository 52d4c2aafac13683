"""/healthz: can this process serve? For the proxy's and the orchestrator's probes.

It answers before the host check, the session and the login lockout, so that a probe by
address (http://127.0.0.1:8000/healthz, a container's IP) works whatever ALLOWED_HOSTS
says, and nothing is rate limited or redirected to HTTPS (SECURE_REDIRECT_EXEMPT). It is
cheap: one `SELECT 1`, and a PING to Redis when the broker or the cache is there.
"""

import functools
import json
import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

PATH = "/healthz"
REDIS_SCHEMES = ("redis://", "rediss://")


class HealthCheckMiddleware:
    """Answers GET or HEAD /healthz itself; every other request passes on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        return health_response()


def health_response() -> HttpResponse:
    """200 {"status": "ok", "checks": {...}}, or 503 naming what failed ("failed")."""
    checks = {name: "ok" if probe() else "failed" for name, probe in probes().items()}
    healthy = all(outcome == "ok" for outcome in checks.values())
    response = HttpResponse(
        json.dumps({"status": "ok" if healthy else "unavailable", "checks": checks}),
        content_type="application/json",
        status=200 if healthy else 503,
    )
    add_never_cache_headers(response)
    return response


def probes() -> dict:
    """What this deployment depends on: the database always, Redis where it is configured."""
    found = {"database": database_answers}
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if broker.startswith(REDIS_SCHEMES):
        found["broker"] = functools.partial(redis_answers, broker)
    cache = settings.CACHES["default"]
    if cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        location = cache["LOCATION"]
        found["cache"] = functools.partial(
            redis_answers, location if isinstance(location, str) else location[0]
        )
    return found


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure is "down"; the log says which
        logger.warning("Health check: the database does not answer", exc_info=True)
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis_client(url).ping())
    except Exception:  # any failure is "down"; the log says which
        logger.warning("Health check: Redis at %s does not answer", _without_password(url))
        return False


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per address, kept for the next probe."""
    timeout = settings.VENUEDESK_HEALTH_TIMEOUT
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
