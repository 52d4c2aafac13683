"""A process of its own that posts to the public API, as one of several workers' clients would.

The rate-limit tests start two of these with multiprocessing's "spawn", so each sets up
Django afresh from the environment it is given, against the test database. Nothing here
may touch Django at import time: the child imports this module before its settings exist.
"""

import os


def post_to_the_public_api(*, database_name, environment, remote_addr, count, barrier, results):
    """Wait at the barrier, send `count` requests, put the list of status codes in `results`."""
    try:
        os.environ.update(environment)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        from django.conf import settings

        settings.DATABASES["default"]["NAME"] = database_name
        import django

        django.setup()
        from django.test import Client
        from django.test.utils import setup_test_environment

        setup_test_environment()  # "testserver" is an allowed host; mail stays in memory
        client = Client(REMOTE_ADDR=remote_addr)
        barrier.wait(timeout=120)
        codes = [
            client.post(
                "/api/v1/public/bookings", {"organization": "x"}, content_type="application/json"
            ).status_code
            for _ in range(count)
        ]
        results.put(codes)
    except BaseException as error:  # the test reports it instead of waiting for a list
        barrier.abort()  # and the other process stops waiting for this one
        results.put(repr(error))
        raise
