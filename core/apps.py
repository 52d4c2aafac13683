from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import checks  # noqa: F401 - registers the deployment checks
        from core.cache import create_cache_tables

        post_migrate.connect(create_cache_tables, sender=self)
