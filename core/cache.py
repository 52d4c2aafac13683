"""The database cache every worker shares (the default), with an increment that cannot lose counts.

Django's DatabaseCache.incr() is a get and a set: two processes that read the same count
both write count + 1, and the set also gives the key the default timeout, so a count
could expire in the middle of its window. Here the increment reads the row locked
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite the project's BEGIN IMMEDIATE
transactions already let one writer in at a time) and updates its value only.
"""

import base64
import pickle

from asgiref.sync import sync_to_async
from django.core.cache.backends import db
from django.core.management import call_command
from django.db import connections, router, transaction
from django.utils.timezone import now


class DatabaseCache(db.DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        quote_name = connection.ops.quote_name
        table, cache_key = quote_name(self._table), quote_name("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # Compared the way DatabaseCache.has_key() compares expiry.
        current = connection.ops.adapt_datetimefield_value(
            now().replace(microsecond=0, tzinfo=None)
        )
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('value')} FROM {table} "
                f"WHERE {cache_key} = %s AND {quote_name('expires')} > %s{lock}",
                [key, current],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote_name('value')} = %s WHERE {cache_key} = %s",
                [encoded, key],
            )
        return value

    async def aincr(self, key, delta=1, version=None):
        return await sync_to_async(self.incr, thread_sensitive=True)(key, delta, version)


def create_cache_tables(sender, using, verbosity=0, **kwargs) -> None:
    """post_migrate: create the table of each database cache in CACHES, if it is missing.

    `migrate` is what every install already runs (`make run`, deployments, the test
    database), and this follows whatever CACHES says today: no manual step, and no
    migration to write when the table or the backend changes.
    """
    # At migrate's usual verbosity, "already exists" every time would only be noise.
    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))
