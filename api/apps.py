"""The REST API door's app: it lends its booking serializer to the webhooks."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Dependency inversion: bookings.webhooks may not import a door, so the API hands
        # it the function that renders a payload with the API's own serializers.
        from api.webhooks import render_payload
        from bookings import webhooks

        webhooks.register_payload_renderer(render_payload)
