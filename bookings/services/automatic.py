"""What the system does by itself on a schedule: reminders before the start, no-shows after it.

Each `*_due` function finds the bookings concerned and handles each one in its own
transaction, re-checked under the booking's row lock, so that two workers (or a worker and
staff at the front desk) running at once never remind twice or mark a booking that someone
has just checked in. The Celery tasks (bookings.tasks) call them from `celery beat`.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings import notifications
from bookings.models import Booking, BookingStatus, LogEntry, Notification
from bookings.services.common import lock_booking, manage_url, write_log
from bookings.services.front_desk import booking_mark_no_show
from core.actors import Actor
from core.errors import BookingError

logger = logging.getLogger(__name__)


# -- reminders -----------------------------------------------------------------------------------


def reminders_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue the reminder of each approved booking that starts within the next
    VENUEDESK_REMINDER_HOURS (0: reminders off) and has had none; the number queued."""
    hours = settings.VENUEDESK_REMINDER_HOURS
    if not hours:
        return 0
    now = now or timezone.now()
    due = (
        Booking.objects.filter(
            status=BookingStatus.APPROVED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=hours),
        )
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in list(due):
        try:
            sent += booking_send_reminder(booking=pk, now=now)
        except Exception:  # one broken booking must not keep the others' reminders back
            logger.exception("Could not queue the reminder of booking %s.", pk)
    return sent


@transaction.atomic
def booking_send_reminder(*, booking: Booking | int, now: datetime | None = None) -> bool:
    """Queue the reminder of one approved booking still to start; False if it is not due.

    Rules: once per booking (reminder_sent_at, checked and set under the row lock); only
    approved bookings that have not started; to the customer by e-mail and SMS as the
    booking's flags say. Only a hash of the manage token is kept, so the e-mail carries a
    new private link, and the one sent before stops working (as when links are sent again);
    the token is changed only when a message that shows the link is queued.
    Side effects: the outbox rows (sent after commit), a REMINDER_SENT log entry by the
    system. The booking's `updated_at` does not move: nothing staff see changed.
    """
    now = now or timezone.now()
    booking = lock_booking(booking)
    if (
        booking.status != BookingStatus.APPROVED
        or booking.reminder_sent_at is not None
        or booking.starts_at is None
        or booking.starts_at <= now
    ):
        return False
    token = booking.issue_manage_token()  # kept only if a message shows the link
    rows = notifications.queue(
        booking=booking,
        kind=Notification.Kind.REMINDER,
        send_email=booking.notify_email,
        send_sms=booking.notify_sms,
        manage_url=manage_url(token),
    )
    booking.reminder_sent_at = now
    new_link = any(row.sealed_manage_url for row in rows)
    Booking.objects.filter(pk=booking.pk).update(
        reminder_sent_at=now,
        **({"manage_token_hash": booking.manage_token_hash} if new_link else {}),
    )
    if rows:
        write_log(
            booking,
            LogEntry.Action.REMINDER_SENT,
            Actor.system(),
            data={"notifications": [row.pk for row in rows], "new_manage_link": new_link},
        )
    return bool(rows)


# -- the no-show policy of booking forms ---------------------------------------------------------


def no_shows_mark_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Mark no-show each approved booking whose form has a no-show policy
    (BookingForm.no_show_after_minutes) and that started at least that long ago with
    nobody arrived; the number marked."""
    now = now or timezone.now()
    started = (
        Booking.objects.filter(
            status=BookingStatus.APPROVED,
            booking_form__no_show_after_minutes__isnull=False,
            starts_at__lte=now,
        )
        .order_by("starts_at", "pk")
        .values_list("pk", "starts_at", "booking_form__no_show_after_minutes")[:limit]
    )
    marked = 0
    for pk, starts_at, minutes in list(started):
        if starts_at + timedelta(minutes=minutes) > now:
            continue
        try:
            marked += booking_mark_no_show_by_policy(booking=pk, now=now)
        except BookingError as error:  # checked in or moved meanwhile
            logger.info("Booking %s was not marked no-show: %s", pk, error)
        except Exception:
            logger.exception("Could not apply the no-show policy to booking %s.", pk)
    return marked


@transaction.atomic
def booking_mark_no_show_by_policy(*, booking: Booking | int, now: datetime | None = None) -> bool:
    """Mark one booking no-show if its form's policy says so now; False if it does not.

    Re-checked under the row lock (the front desk may have checked the guests in, or staff
    moved the booking, since it was found), then moved by `booking_mark_no_show` as the
    system, with a comment that says it was automatic and why.
    """
    now = now or timezone.now()
    booking = lock_booking(booking)
    minutes = booking.booking_form.no_show_after_minutes if booking.booking_form else None
    if (
        minutes is None
        or booking.status != BookingStatus.APPROVED
        or booking.starts_at is None
        or booking.starts_at + timedelta(minutes=minutes) > now
    ):
        return False
    booking_mark_no_show(
        actor=Actor.system(),
        booking=booking,
        comment=(
            f"Automatic: nobody had arrived {minutes} minutes after the start "
            f"(the no-show policy of the form “{booking.booking_form.title}”)."
        ),
    )
    return True
