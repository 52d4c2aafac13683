"""Baselines served by the same gunicorn: hello-world, and the raw list (psycopg + json)."""

from datetime import datetime

import psycopg
from django.conf import settings
from django.http import HttpResponse

from bench import raw

_connection = None


def _cursor():
    """One plain psycopg connection per worker process, opened on first use."""
    global _connection
    if _connection is None or _connection.closed:
        database = settings.DATABASES["default"]
        _connection = psycopg.connect(
            dbname=database["NAME"],
            user=database["USER"],
            password=database["PASSWORD"],
            host=database["HOST"],
            port=database["PORT"] or 5432,
            autocommit=True,
        )
    return _connection.cursor()


def hello(request):
    return HttpResponse(b"Hello, world", content_type="text/plain")


def raw_list(request):
    """?organization_id (&venue_id&start&end, ISO 8601): the list page's rows as JSON."""
    query = request.GET
    venue_id = int(query["venue_id"]) if "venue_id" in query else None
    start = datetime.fromisoformat(query["start"]) if "start" in query else None
    end = datetime.fromisoformat(query["end"]) if "end" in query else None
    with _cursor() as cursor:
        body, queries = raw.booking_page(
            cursor, int(query["organization_id"]), venue_id=venue_id, start=start, end=end
        )
    response = HttpResponse(body, content_type="application/json")
    response["X-Bench-Queries"] = str(queries)
    return response
