"""manage.py seed_demo: create the demo organisation, its venues and ~50 bookings."""

from django.core.management.base import BaseCommand

from bookings.demo import DEMO_PASSWORD, DemoBuilder


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
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in builder.logins():
            self.stdout.write(f"  {username:<10} {role}")
