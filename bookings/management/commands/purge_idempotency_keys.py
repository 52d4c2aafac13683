"""manage.py purge_idempotency_keys: drop stored Idempotency-Key answers past their time."""

from django.conf import settings
from django.core.management.base import BaseCommand

from bookings.models import IdempotencyKey


class Command(BaseCommand):
    help = (
        "Delete the answers kept for Idempotency-Key headers that are older than "
        "VENUEDESK_IDEMPOTENCY_HOURS (run it daily, e.g. from cron)."
    )

    def handle(self, *args, **options) -> None:
        deleted, _ = IdempotencyKey.objects.filter(
            created_at__lt=IdempotencyKey.expiry_cutoff()
        ).delete()
        hours = settings.VENUEDESK_IDEMPOTENCY_HOURS
        self.stdout.write(f"Deleted {deleted} idempotency keys older than {hours} hours")
