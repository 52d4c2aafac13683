"""The Celery app: workers deliver the outbox and run the periodic tasks (bookings.tasks).

Configured from Django's settings (the CELERY_* names). Without CELERY_BROKER_URL, tasks
run eagerly in the calling process, so nothing more than Python is needed to run Venuedesk.
Run a worker with `celery -A config worker` and the schedule with `celery -A config beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("venuedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
