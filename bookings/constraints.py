"""Database constraints that only PostgreSQL can express, as no-ops elsewhere."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func, Q


class TsTzRange(Func):
    """tstzrange(lower, upper, bounds): a range of timestamps with time zone."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def _fields_in(condition: Q) -> set[str]:
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _fields_in(child)
        else:
            names.add(child[0].split("__")[0])
    return names


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint that exists on PostgreSQL and is skipped on other databases.

    SQLite has no exclusion constraints; there the application-level check under
    BEGIN IMMEDIATE is the guarantee. Validation also works around Django 5.2's
    ExclusionConstraint.validate(), which evaluates `condition` even when a field it
    names is excluded (e.g. left out of an admin form) and then fails or misjudges.
    """

    @staticmethod
    def _is_postgres(connection) -> bool:
        return connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        if not self._is_postgres(schema_editor.connection):
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if not self._is_postgres(schema_editor.connection):
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if not self._is_postgres(schema_editor.connection):
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if not self._is_postgres(connections[using]):
            return
        if exclude and self.condition is not None and _fields_in(self.condition) & set(exclude):
            return
        super().validate(model, instance, exclude=exclude, using=using)
