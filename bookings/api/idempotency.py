"""`Idempotency-Key` on creating POSTs: a retried request replays the first answer.

The whole request runs in one transaction with the key's row, so two simultaneous
first requests cannot both create: the second collides on the unique key, its work is
rolled back, and it is told to retry (it will then get the replay).
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bookings.api.errors import DomainError
from bookings.models import IdempotencyKey
from venues.models import OrganizationAPIKey

HEADER = "Idempotency-Key"


def _scope(request) -> str:
    if isinstance(request.auth, OrganizationAPIKey):
        return f"key:{request.auth.prefix}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"public:{request.META.get('REMOTE_ADDR', '')}"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


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
            stored = IdempotencyKey.objects.select_for_update().filter(scope=scope, key=key).first()
            if stored is not None:
                if stored.request_hash != fingerprint:
                    raise DomainError(
                        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                        code="idempotency_key_reused",
                        detail="This Idempotency-Key was used for a different request.",
                    )
                return Response(
                    stored.response_body,
                    status=stored.status_code,
                    headers={"Idempotent-Replayed": "true"},
                )
            response = view_method(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                try:
                    with transaction.atomic():
                        IdempotencyKey.objects.create(
                            scope=scope,
                            key=key,
                            request_hash=fingerprint,
                            status_code=response.status_code,
                            response_body=response.data,
                        )
                except IntegrityError:
                    # Raised inside the outer block: this request's work is rolled back.
                    raise DomainError(
                        status_code=status.HTTP_409_CONFLICT,
                        code="idempotency_key_in_use",
                        detail="A request with this Idempotency-Key ran at the same time; "
                        "retry to get its answer.",
                    ) from None
            return response

    return wrapper
