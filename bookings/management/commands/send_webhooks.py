"""manage.py send_webhooks: POST the webhook deliveries whose next attempt is due (for cron)."""

from django.core.management.base import BaseCommand, CommandError

from bookings.models import WebhookDelivery
from bookings.webhooks import deliver_due_webhooks


class Command(BaseCommand):
    help = (
        "Send pending webhook deliveries whose next attempt is due (new ones that could not "
        "go out after commit, and retries after a failure). Safe to run from several workers."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--limit", type=int, default=100, help="Send at most this many (default 100)."
        )

    def handle(self, *args, limit: int, **options) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        sent, failed = deliver_due_webhooks(limit=limit)
        pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).count()
        self.stdout.write(f"Sent {sent}, failed {failed}, pending {pending}")
