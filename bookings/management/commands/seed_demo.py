"""manage.py seed_demo: create the demo organisation, its venues and ~50 bookings."""

from django.conf import settings
from django.core.management.base import BaseCommand

from bookings.demo import DEMO_PASSWORD, ORG_SLUG, DemoBuilder


class Command(BaseCommand):
    help = (
        "Create demo data: a conference centre and a club with bookings in every state, "
        "a superuser and one user per role. Running it again changes nothing."
    )

    def handle(self, *args, **options) -> None:
        builder = DemoBuilder()
        if builder.run():
            self.stdout.write(self.style.SUCCESS("Demo data created."))
            self.stdout.write(
                f"Demo API key (shown once, scopes read/write/approve): {builder.api_key_secret}"
            )
            self.stdout.write(
                "Conference centre calendar feed for staff calendar apps (shown once): "
                f"{settings.VENUEDESK_SITE_URL}{builder.calendar_feed_path}"
            )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
            # Only the key's hash is kept, so the secret cannot be shown again: say so, and
            # how to get a key, rather than let "the demo key above" point at nothing.
            self.stdout.write(
                "Demo API key: shown only when the demo data was first created. For a new one:"
            )
            self.stdout.write(
                f"  manage.py create_api_key --organization {ORG_SLUG} --name NAME "
                "--scopes read,write,approve"
            )
        self.stdout.write("Public booking forms (customers, no login):")
        for path, description in builder.form_addresses():
            self.stdout.write(f"  {settings.VENUEDESK_SITE_URL}{path}  {description}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in builder.logins():
            self.stdout.write(f"  {username:<10} {role}")
