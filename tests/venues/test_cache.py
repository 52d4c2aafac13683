"""The database cache every worker shares: an increment that loses no count; its table."""

import threading
import time

import pytest
from django.core.cache import cache
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from tests.markers import requires_postgres

DATABASE_CACHE = {"BACKEND": "core.cache.DatabaseCache", "LOCATION": "venuedesk_cache"}
THREADS = 8
INCREMENTS = 50


@pytest.fixture
def database_cache(settings):
    settings.CACHES = {"default": DATABASE_CACHE}
    cache.clear()
    yield cache
    cache.clear()


def expiry_of(key: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT expires FROM venuedesk_cache WHERE cache_key = %s",
            [cache.make_key(key)],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_an_increment_keeps_the_expiry_and_reads_back_as_a_number(database_cache):
    database_cache.add("count", 1, 3600)
    expires = expiry_of("count")
    assert [database_cache.incr("count"), database_cache.incr("count", 5)] == [2, 7]
    assert database_cache.decr("count") == 6
    assert database_cache.get("count") == 6
    assert expiry_of("count") == expires


@pytest.mark.django_db
def test_a_missing_or_expired_count_cannot_be_incremented(database_cache):
    with pytest.raises(ValueError, match="not found"):
        database_cache.incr("never-added")
    database_cache.add("short", 1, 1)
    time.sleep(1.1)
    with pytest.raises(ValueError, match="not found"):
        database_cache.incr("short")


@pytest.mark.django_db
def test_migrate_creates_the_cache_table_when_it_is_missing(settings):
    settings.CACHES = {"default": DATABASE_CACHE}
    assert "venuedesk_cache" in connection.introspection.table_names()  # the test database's
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE venuedesk_cache")
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert "venuedesk_cache" in connection.introspection.table_names()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_on_postgresql_are_all_counted(database_cache):
    database_cache.add("count", 0, 600)
    barrier = threading.Barrier(THREADS)
    seen = [[] for _ in range(THREADS)]

    def increment(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            seen[number] = [database_cache.incr("count") for _ in range(INCREMENTS)]
        finally:
            connection.close()

    threads = [threading.Thread(target=increment, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    returned = sorted(value for values in seen for value in values)
    assert returned == list(range(1, THREADS * INCREMENTS + 1))
    assert database_cache.get("count") == THREADS * INCREMENTS
