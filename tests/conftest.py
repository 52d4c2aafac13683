"""Shared fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    # Production serves hashed files from a manifest made by collectstatic; tests
    # render templates and serve static files straight from the source folders.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    # Throttling counts live in the cache; every test starts with none. The suite counts in
    # memory: the configured database cache would need database access in every test.
    # tests/bookings/test_api_rate_limit.py uses the real backends (database, Redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


# -- notification delivery (issue 8) ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _notifications_delivered_inline(settings):
    # In the committing thread, so that a test sees the mail as soon as the change
    # commits; the tests of the background thread switch to "background" themselves.
    settings.VENUEDESK_NOTIFICATION_DELIVERY = "inline"
