"""manage.py create_api_key: make an API key of an organisation and print it once."""

from django.core.management.base import BaseCommand, CommandError

from venues.models import Organization, OrganizationAPIKey


class Command(BaseCommand):
    help = (
        "Create an API key for an organisation. The key is printed once; only its hash is "
        "stored. Keys are listed and revoked in the admin."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organization", required=True, help="The organisation's slug.")
        parser.add_argument("--name", required=True, help="What the key is for.")
        parser.add_argument(
            "--scopes",
            default="read",
            help="Comma-separated: read, write, approve (default: read).",
        )

    def handle(self, *args, organization: str, name: str, scopes: str, **options) -> None:
        try:
            owner = Organization.objects.get(slug=organization)
        except Organization.DoesNotExist:
            raise CommandError(f"No organisation with the slug {organization!r}.") from None
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        unknown = set(wanted) - set(OrganizationAPIKey.Scope.values)
        if unknown or not wanted:
            choices = ", ".join(OrganizationAPIKey.Scope.values)
            raise CommandError(f"Scopes must be drawn from {choices}; got {scopes!r}.")
        if not name.strip():
            raise CommandError("Give the key a name.")
        api_key, secret = OrganizationAPIKey.objects.create_key(
            name=name.strip(), organization=owner, scopes=sorted(set(wanted))
        )
        self.stdout.write(
            f"API key {api_key.prefix} for {owner.name} ({', '.join(api_key.scopes)})."
        )
        self.stdout.write("Keep it now; it is not shown again:")
        self.stdout.write(secret)
