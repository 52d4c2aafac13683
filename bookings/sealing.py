"""Sealing customer secrets at rest: encrypted with a key derived from the Django secret key.

What is sealed (a booking's manage link in the outbox, an answer kept for an
`Idempotency-Key`) can be read back only by this application. The key of each purpose
is derived from SECRET_KEY; SECRET_KEY_FALLBACKS still open what older keys sealed, so a
key rotation keeps working until the old key leaves the fallbacks. After that, `unseal`
raises `Unsealable` and the caller treats the value as gone.
"""

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.crypto import salted_hmac

# One key per purpose: a value sealed for one use cannot be passed off as another's.
OUTBOX = "outbox-manage-link"
IDEMPOTENCY = "idempotency-answer"


class Unsealable(ValueError):
    """No current or fallback secret key opens the value (or it is not a sealed value)."""


def seal(value: str, *, purpose: str) -> str:
    """The text `value` encrypted and authenticated (a Fernet token, ASCII)."""
    return _fernet(purpose, *_secrets()).encrypt(value.encode()).decode("ascii")


def unseal(sealed: str, *, purpose: str) -> str:
    """The text that `seal(..., purpose=purpose)` sealed; raises `Unsealable`."""
    try:
        return _fernet(purpose, *_secrets()).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise Unsealable("Sealed with a secret key that is no longer configured.") from error


def seal_json(value, *, purpose: str) -> str:
    """`value` as JSON (dates, decimals and UUIDs as DjangoJSONEncoder writes them), sealed."""
    return seal(json.dumps(value, cls=DjangoJSONEncoder), purpose=purpose)


def unseal_json(sealed: str, *, purpose: str):
    return json.loads(unseal(sealed, purpose=purpose))


def _secrets() -> tuple[str, ...]:
    return (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)


@functools.lru_cache(maxsize=8)
def _fernet(purpose: str, *secrets: str) -> MultiFernet:
    # Cached by the secrets themselves, so a changed setting (tests, rotation) takes effect.
    return MultiFernet([Fernet(_key(purpose, secret)) for secret in secrets])


def _key(purpose: str, secret: str) -> bytes:
    digest = salted_hmac(
        f"venuedesk.sealing.{purpose}", "fernet-key", secret=secret, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest)
