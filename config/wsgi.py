"""WSGI entry point (gunicorn: see gunicorn.conf.py)."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _refuse_to_start_without_static_files() -> None:
    """Without collected static files every page would be a 500: say so, and do not start."""
    from core.checks import static_files_collected

    if errors := static_files_collected():
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")


_refuse_to_start_without_static_files()
