"""Markers shared by the tests."""

import pytest
from django.db import connection

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a PostgreSQL-only guarantee; CI runs this on PostgreSQL",
)
