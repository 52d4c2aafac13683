"""The project package: settings, URLs, WSGI/ASGI entry points and the Celery app."""

# Loaded whenever Django is, so that tasks are sent through this app and its settings.
from config.celery import app as celery_app

__all__ = ("celery_app",)
