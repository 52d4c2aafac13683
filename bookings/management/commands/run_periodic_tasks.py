"""manage.py run_periodic_tasks: reminders and no-shows, for those without Celery beat (cron)."""

from django.core.management.base import BaseCommand

from bookings.services.automatic import no_shows_mark_due, reminders_send_due


class Command(BaseCommand):
    help = (
        "Queue the reminders that are due and mark no-show the bookings whose form's policy "
        "says so (what celery beat runs when a broker is configured). Safe to run often."
    )

    def handle(self, *args, **options) -> None:
        reminded = reminders_send_due()
        no_shows = no_shows_mark_due()
        self.stdout.write(f"Reminders queued {reminded}, no-shows marked {no_shows}")
