"""`Idempotency-Key` on creating POSTs: a retried request replays the first answer.

The whole request runs in one transaction that first claims the key by inserting its
row. A second request with the same key waits on that row's unique index until the
first one ends: if it committed, the second replays its answer; if it failed (and so
rolled back), the second runs as the first. Only successful answers are kept, for
`VENUEDESK_IDEMPOTENCY_HOURS`; `manage.py purge_idempotency_keys` deletes older ones.

A kept answer is sealed (bookings.sealing): it may hold a booking's manage token and
the customer's personal data. One that no configured secret key opens any more (the
key was rotated beyond SECRET_KEY_FALLBACKS) counts as expired.
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bookings import sealing
from bookings.models import IdempotencyKey
from core.api.errors import DomainError
from core.http import client_address
from venues.models import OrganizationAPIKey

HEADER = "Idempotency-Key"
CLAIMED = 0  # status_code of a row whose request is still running (never seen committed)


def _scope(request) -> str:
    if isinstance(request.auth, OrganizationAPIKey):
        return f"key:{request.auth.prefix}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"public:{client_address(request)}"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(scope: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the key's row, or return the row of the request that already used the key."""
    IdempotencyKey.objects.filter(
        scope=scope, key=key, created_at__lt=IdempotencyKey.expiry_cutoff()
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                scope=scope,
                key=key,
                request_hash=fingerprint,
                status_code=CLAIMED,
            )
    except IntegrityError:
        # The insert waited for the other request's transaction, which committed.
        return IdempotencyKey.objects.get(scope=scope, key=key)
    return None


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    """The stored answer again; raises `sealing.Unsealable` when it can no longer be read."""
    if stored.request_hash != fingerprint:
        raise DomainError(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            code="idempotency_key_reused",
            detail="This Idempotency-Key was used for a different request.",
        )
    body = sealing.unseal_json(stored.sealed_response, purpose=sealing.IDEMPOTENCY)
    return Response(body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})


def _replay_or_claim(scope: str, key: str, fingerprint: str) -> Response | None:
    """The first answer to this key, or None once the key is claimed for this request."""
    stored = _claim(scope, key, fingerprint)
    if stored is None:
        return None
    try:
        return _replay(stored, fingerprint)
    except sealing.Unsealable:
        # Sealed under a secret key that is gone: as if it had expired.
        stored.delete()
    stored = _claim(scope, key, fingerprint)
    return None if stored is None else _replay(stored, fingerprint)


def idempotent(view_method):
    """Decorate a view method that creates something."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if request.method != "POST" or not key:
            return view_method(view, request, *args, **kwargs)
        if len(key) > 255 or not key.isprintable():
            raise ValidationError({HEADER: ["Use at most 255 printable characters."]})
        scope, fingerprint = _scope(request), _fingerprint(request)
        with transaction.atomic():
            replayed = _replay_or_claim(scope, key, fingerprint)
            if replayed is not None:
                return replayed
            response = view_method(view, request, *args, **kwargs)
            claimed = IdempotencyKey.objects.filter(scope=scope, key=key)
            if status.is_success(response.status_code):
                claimed.update(
                    status_code=response.status_code,
                    sealed_response=sealing.seal_json(response.data, purpose=sealing.IDEMPOTENCY),
                )
            else:
                claimed.delete()  # a refused request does not use up its key
            return response

    return wrapper
