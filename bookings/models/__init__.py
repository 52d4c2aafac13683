"""The transactions: bookings, their lines, payments, log, change requests, outbox, webhooks.

Models hold data and declare transitions; transitions change fields on `self` only, and
no `save()` writes another row. Every write that serves a use case goes through
`bookings.services`.
"""

from bookings.models.booking import (
    CAPACITY_HOLDING_STATUSES,
    MAX_PLACES,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PREFIX,
    STATUS_ALIASES,
    STATUS_INFO,
    ZERO,
    Booking,
    BookingSource,
    BookingStatus,
    Customer,
    EventProcedure,
    StatusInfo,
    generate_reference,
    hash_manage_token,
    resolve_status,
)
from bookings.models.change_requests import ChangeRequest
from bookings.models.idempotency import IdempotencyKey
from bookings.models.lines import BookingLine, EventBooking, InventoryBooking, SpaceBooking
from bookings.models.log import LogEntry
from bookings.models.outbox import Notification
from bookings.models.payments import Payment
from bookings.models.webhooks import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint

__all__ = [
    "CAPACITY_HOLDING_STATUSES",
    "MAX_PLACES",
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "REFERENCE_PREFIX",
    "STATUS_ALIASES",
    "STATUS_INFO",
    "ZERO",
    "Booking",
    "BookingLine",
    "BookingSource",
    "BookingStatus",
    "ChangeRequest",
    "Customer",
    "EventBooking",
    "EventProcedure",
    "IdempotencyKey",
    "InventoryBooking",
    "LogEntry",
    "Notification",
    "Payment",
    "SpaceBooking",
    "StatusInfo",
    "WEBHOOK_EVENTS",
    "WebhookDelivery",
    "WebhookEndpoint",
    "generate_reference",
    "hash_manage_token",
    "resolve_status",
]
