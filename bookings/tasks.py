"""Celery tasks: deliver the outbox and webhooks, sweep both for retries, remind, no-shows.

Thin: each task calls the outbox (bookings.notifications) or a service
(bookings.services.automatic), which do the claiming and locking, so a task that runs
twice, or on two workers at once, does its work once. `celery beat` runs the periodic ones
(CELERY_BEAT_SCHEDULE in config/settings.py). Without a broker the tasks run eagerly, in
the process that calls them.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from bookings import notifications, webhooks
from bookings.services.automatic import no_shows_mark_due, reminders_send_due

logger = logging.getLogger(__name__)

# How many due rows of each outbox one sweep queues at most; the next sweep takes the rest.
SWEEP_LIMIT = 500


@shared_task(name="bookings.deliver_notification", ignore_result=True)
def deliver_notification(notification_id: int) -> None:
    """Send one outbox row if it is still pending and due (the claim makes this safe to run
    twice: one worker sends, the other finds nothing to do)."""
    notifications.deliver_ids([notification_id])


def requeue_due_notifications(now: datetime, limit: int) -> int:
    """Queue a delivery task for each notification whose next attempt is due."""
    ids = notifications.due_ids(now=now, limit=limit)
    for pk in ids:
        deliver_notification.delay(pk)
    return len(ids)


# What the outbox sweep runs: each takes (now, limit), queues a task per due row of its
# outbox and returns how many. Another outbox (webhook deliveries) adds its own with
# `outbox_sweep`.
OUTBOX_SWEEPS: list[Callable[[datetime, int], int]] = [requeue_due_notifications]


def outbox_sweep(requeue: Callable[[datetime, int], int]) -> Callable[[datetime, int], int]:
    """Register `requeue` with the periodic outbox sweep (usable as a decorator)."""
    OUTBOX_SWEEPS.append(requeue)
    return requeue


@shared_task(name="bookings.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """POST one webhook delivery if it is still pending and due (claimed, as above)."""
    webhooks.deliver_webhook(delivery_id)


@outbox_sweep
def requeue_due_webhooks(now: datetime, limit: int) -> int:
    """Queue a delivery task for each webhook delivery whose next attempt is due."""
    ids = webhooks.due_ids(now=now, limit=limit)
    for pk in ids:
        deliver_webhook.delay(pk)
    return len(ids)


@shared_task(name="bookings.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    """Re-queue what is due in every outbox: rows whose delivery failed and waited out their
    back-off, and rows whose hand-over after commit never reached a worker."""
    now = timezone.now()
    queued = {}
    for requeue in OUTBOX_SWEEPS:
        try:
            queued[requeue.__name__] = requeue(now, SWEEP_LIMIT)
        except Exception:  # one outbox's trouble must not hold up the others
            logger.exception("The outbox sweep %s failed.", requeue.__name__)
    return queued


@shared_task(name="bookings.send_reminders", ignore_result=True)
def send_reminders() -> int:
    """Queue the reminders of the approved bookings that start soon (VENUEDESK_REMINDER_HOURS)."""
    return reminders_send_due()


@shared_task(name="bookings.mark_no_shows", ignore_result=True)
def mark_no_shows() -> int:
    """Apply the booking forms' no-show policies to the bookings that started without guests."""
    return no_shows_mark_due()
