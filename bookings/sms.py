"""Sending text messages through a pluggable backend, named by settings.VENUEDESK_SMS_BACKEND.

A backend is a class with `send(to, body)` that returns when the gateway accepted the
message and raises on any failure (the outbox then retries it). It gets `timeout`
(VENUEDESK_SMS_TIMEOUT, seconds) and must pass it to every network call, so that a
hanging gateway costs one attempt, not the delivery thread. A real gateway is one more
small class; these two serve development and tests.
"""

import logging
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("venuedesk.sms")


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


class BaseSMSBackend:
    def __init__(self, *, timeout: float = 10) -> None:
        self.timeout = timeout

    def send(self, to: str, body: str) -> None:
        raise NotImplementedError("An SMS backend must implement send(to, body).")


class LoggingSMSBackend(BaseSMSBackend):
    """Writes the message to the log instead of sending it (the default, like console e-mail)."""

    def send(self, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


class LocmemSMSBackend(BaseSMSBackend):
    """Keeps messages in `LocmemSMSBackend.outbox`, for tests (empty it between tests)."""

    outbox: ClassVar[list[TextMessage]] = []

    def send(self, to: str, body: str) -> None:
        self.outbox.append(TextMessage(to=to, body=body))


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.VENUEDESK_SMS_BACKEND)(timeout=settings.VENUEDESK_SMS_TIMEOUT)
