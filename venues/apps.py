from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VenuesConfig(AppConfig):
    name = "venues"
    verbose_name = "Venues and catalogue"

    def ready(self):
        from venues.cache import create_cache_tables

        post_migrate.connect(create_cache_tables, sender=self)
