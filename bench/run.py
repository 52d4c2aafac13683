"""`make bench`: seed if needed, start the app under gunicorn, measure every scenario
against its baseline in the same run, print a table and write JSON.

    python -m bench.run [--lines 1000000] [--duration 8] [--database vd_bench] [--port 8310]
                        [--output bench/results/latest.json]

Writes stay re-runnable: each run takes its own far-future days (bench_meta's run
counter): creates go to distinct free (space, slot) pairs there, and the approve
scenario approves pending bookings added for that run on free slots of those days.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import psycopg

from bench import data as d
from bench import raw
from bench.load import closed_loop, percentile, send

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

TARGETS = {
    "list_p50_vs_raw": 3.0,
    "list_queries": 6,
    "availability_p95_vs_raw": 5.0,
    "create_queries": 15,
    "approve_queries": 12,
}


def say(message: str = "") -> None:
    print(message, flush=True)


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def seeded_lines(url: str):
    try:
        with psycopg.connect(url) as conn:
            params = d.meta_get(conn, "params")
    except psycopg.OperationalError:
        return None
    if not params or params.get("version") != d.SEED_VERSION:
        return None
    return params.get("lines")


def app_env(url: str, port: int, static_root: str) -> dict:
    """Production settings (DEBUG off) for plain http on loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-secret-key-not-for-production-" + "x" * 20,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VENUEDESK_SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_STATIC_ROOT": static_root,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_LOG_LEVEL": "ERROR",
        "VENUEDESK_CACHE_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
        "BENCH_BIND": f"{HOST}:{port}",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


class Server:
    def __init__(self, env: dict, port: int):
        self.env, self.port = env, port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "bench/gunicorn_conf.py"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn stopped while starting (see its log above).")
            try:
                import http.client

                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                response, _ = send(conn, "GET", "/bench/hello")
                if response.status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within 90 s.")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def timed_calls(function, *, duration: float, max_calls: int = 2000, warmup: int = 5) -> list:
    for _ in range(warmup):
        function()
    samples, deadline = [], time.perf_counter() + duration
    while time.perf_counter() < deadline and len(samples) < max_calls:
        began = time.perf_counter()
        function()
        samples.append(time.perf_counter() - began)
    return samples


def row_of(
    name,
    concurrency,
    latencies,
    *,
    statuses=None,
    queries=None,
    elapsed=None,
    errors=0,
    kind="http",
) -> dict:
    ms = [1000 * value for value in latencies]
    total = elapsed if elapsed is not None else sum(latencies)
    return {
        "scenario": name,
        "kind": kind,
        "concurrency": concurrency,
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / total, 1) if total else None,
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "errors": errors,
        "queries": round(statistics.mean(queries), 1) if queries else None,
        "queries_max": max(queries) if queries else None,
        "statuses": dict(sorted((str(k), v) for k, v in (statuses or {}).items())),
    }


class Bench:
    def __init__(self, args, url: str):
        self.args, self.url = args, url
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.conn = psycopg.connect(url, autocommit=True)
        meta = {
            key: d.meta_get(self.conn, key)
            for key in (
                "api_key",
                "staff",
                "contended_space",
                "base_day",
                "seeded_at",
                "seed_summary",
                "params",
            )
        }
        self.meta = meta
        self.api_headers = {"X-Api-Key": meta["api_key"]["key"]}
        self.org_id = self.conn.execute("SELECT id FROM venues_organization").fetchone()[0]
        counter = (d.meta_get(self.conn, "run_counter") or 0) + 1
        d.meta_set(self.conn, "run_counter", counter)
        self.run_id = counter
        self.days = d.run_days(date.fromisoformat(meta["base_day"]), self.run_id)
        self.seeded_at = datetime.fromisoformat(meta["seeded_at"])

    # -- helpers ---------------------------------------------------------------------------

    def http(self, name, concurrency, make_request, *, expected=(200,), max_requests=None):
        outcome = closed_loop(
            host=HOST,
            port=self.args.port,
            concurrency=concurrency,
            duration=self.args.duration,
            max_requests=max_requests or self.args.max_requests,
            make_request=make_request,
            expected=expected,
        )
        errors = sum(n for status, n in outcome.statuses.items() if status not in expected)
        row = row_of(
            name,
            concurrency,
            outcome.latencies,
            statuses=outcome.statuses,
            queries=outcome.queries,
            elapsed=outcome.elapsed,
            errors=errors,
        )
        for status, body in outcome.unexpected[:1]:  # the first of each scenario is enough
            self.notes.append(f"{name} c{concurrency}: HTTP {status}: {body[:200]!r}")
        self.rows.append(row)
        say(
            f"  {name:<34} c{concurrency:<3} {row['requests']:>6} req  "
            f"{row['req_per_s']:>8} req/s  p50 {row['p50_ms']:>8} ms  "
            f"q {row['queries']}  errors {errors}"
        )
        return row

    def inproc(self, name, function):
        samples = timed_calls(function, duration=min(self.args.duration, 5))
        row = row_of(name, 1, samples, kind="in-process")
        row["req_per_s"] = round(len(samples) / sum(samples), 1)
        self.rows.append(row)
        say(
            f"  {name:<34} c1   {row['requests']:>6} calls {row['req_per_s']:>8} /s     "
            f"p50 {row['p50_ms']:>8} ms  p95 {row['p95_ms']} ms"
        )
        return row

    def get(self, path: str, headers=None):
        return lambda number: ("GET", path, None, headers or self.api_headers)

    # -- scenarios --------------------------------------------------------------------------

    def filtered_window(self):
        """A 7-day page of one venue deep in history (about 500 days before the seed)."""
        venue_id, zone = self.conn.execute(
            "SELECT id, timezone FROM venues_venue ORDER BY id LIMIT 1"
        ).fetchone()
        first = (self.seeded_at - timedelta(days=500)).date()
        last = first + timedelta(days=6)
        tz = ZoneInfo(zone)
        start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        query = {
            "venue_id": venue_id,
            "from_start_date": first,
            "until_start_date": last,
            "per_page": 50,
        }
        return venue_id, start, end, query

    def run_all(self) -> None:
        a = self.args
        say(f"Scenarios (run {self.run_id}, {a.duration:g} s each, ≤ {a.max_requests} requests):")
        # Baselines first: hello-world through gunicorn at each concurrency used.
        for concurrency in (1, 8, 16):
            self.http("hello-world", concurrency, self.get("/bench/hello", {}))

        venue_id, start, end, filter_query = self.filtered_window()
        with self.conn.cursor() as cursor:
            first_page, _ = raw.booking_page(cursor, self.org_id)
            deep_page, _ = raw.booking_page(
                cursor, self.org_id, venue_id=venue_id, start=start, end=end
            )
        self.first_page_ids = [b["id"] for b in json.loads(first_page)["results"]]
        self.deep_page_count = len(json.loads(deep_page)["results"])
        cursor = self.conn.cursor()
        self.inproc(
            "raw list first page (psycopg+json)", lambda: raw.booking_page(cursor, self.org_id)
        )
        self.inproc(
            "raw list 7-day venue page (psycopg+json)",
            lambda: raw.booking_page(cursor, self.org_id, venue_id=venue_id, start=start, end=end),
        )
        raw_query = {"organization_id": self.org_id}
        deep_raw = {
            **raw_query,
            "venue_id": venue_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        for concurrency in (1, 8):
            self.http(
                "raw list first page (gunicorn)",
                concurrency,
                self.get("/bench/raw-list?" + urlencode(raw_query), {}),
            )
            self.http(
                "raw list 7-day venue page (gunicorn)",
                concurrency,
                self.get("/bench/raw-list?" + urlencode(deep_raw), {}),
            )
        for concurrency in (1, 8):
            self.http("list first page", concurrency, self.get("/api/v1/bookings?per_page=50"))
            self.http(
                "list 7-day venue page",
                concurrency,
                self.get("/api/v1/bookings?" + urlencode(filter_query)),
            )
        self.check_list_answer(filter_query)

        detail_ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM bookings_booking TABLESAMPLE SYSTEM (1) LIMIT 500"
            )
        ]
        for concurrency in (1, 8):
            self.http(
                "booking detail",
                concurrency,
                lambda n: (
                    "GET",
                    f"/api/v1/bookings/{detail_ids[n % len(detail_ids)]}",
                    None,
                    self.api_headers,
                ),
            )

        cookies = self.staff_login()
        if cookies:
            staff = {"Cookie": cookies}
            for concurrency in (1, 8):
                self.http("staff approval queue", concurrency, self.get("/staff/requests/", staff))
                self.http(
                    "staff front desk (venue, today)",
                    concurrency,
                    self.get(f"/staff/front-desk/{venue_id}/", staff),
                )
            self.http("staff front desk (venue choice)", 1, self.get("/staff/front-desk/", staff))

        self.availability()
        self.create()
        self.contended()
        self.approve()

    def check_list_answer(self, filter_query) -> None:
        """The API's pages hold the bookings the raw baseline reads (same rows, same order)."""
        import http.client

        conn = http.client.HTTPConnection(HOST, self.args.port, timeout=60)
        response, body = send(conn, "GET", "/api/v1/bookings?per_page=50", None, self.api_headers)
        ids = [b["id"] for b in json.loads(body)["results"]]
        if ids != self.first_page_ids:
            self.notes.append("list first page: the API's ids differ from the raw query's.")
        response, body = send(
            conn, "GET", "/api/v1/bookings?" + urlencode(filter_query), None, self.api_headers
        )
        count = len(json.loads(body)["results"])
        if count != self.deep_page_count:
            self.notes.append(
                f"list 7-day page: API answered {count} bookings, "
                f"the raw query {self.deep_page_count}."
            )
        conn.close()

    def staff_login(self) -> str:
        import http.client
        import re

        conn = http.client.HTTPConnection(HOST, self.args.port, timeout=30)
        response, body = send(conn, "GET", "/staff/login/")
        csrf_cookie = _cookie(response, "csrftoken")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        form = urlencode(
            {
                "username": self.meta["staff"]["username"],
                "password": self.meta["staff"]["password"],
                "csrfmiddlewaretoken": token.group(1).decode() if token else "",
            }
        )
        response, body = send(
            conn,
            "POST",
            "/staff/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Referer": f"http://{HOST}:{self.args.port}/staff/login/",
            },
        )
        session = _cookie(response, "sessionid")
        conn.close()
        if response.status != 302 or not session:
            self.notes.append(f"staff login failed: HTTP {response.status}")
            return ""
        return f"csrftoken={csrf_cookie}; sessionid={session}"

    def availability(self) -> None:
        """One busy exclusive space for next month, through the API and as the raw query."""
        space_id, zone = self.conn.execute(
            """SELECT s.id, v.timezone FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id
               WHERE s.mode = 'exclusive' AND s.slug NOT LIKE 'bench-%%'
               ORDER BY s.id LIMIT 1"""
        ).fetchone()
        month = (self.seeded_at + timedelta(days=32)).date().replace(day=1)
        last = (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        tz = ZoneInfo(zone)
        start = datetime.combine(month, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        cursor = self.conn.cursor()
        plan = "\n".join(
            r[0] for r in cursor.execute("EXPLAIN " + raw.HOLDERS_SQL, [space_id, start, end])
        )
        uses_gist = "no_overlap_in_exclusive_space" in plan
        self.availability_plan = plan
        holders = raw.holders(cursor, space_id, start, end)
        row = self.inproc(
            "raw GiST holders query (month)", lambda: raw.holders(cursor, space_id, start, end)
        )
        row["uses_gist_index"] = uses_gist
        row["holders"] = len(holders)
        if not uses_gist:
            self.notes.append("The raw holders query did not use the GiST index:\n" + plan)
        query = urlencode({"from": month.isoformat(), "to": last.isoformat()})
        for concurrency in (1, 8):
            self.http(
                "availability (space, month)",
                concurrency,
                self.get(f"/api/v1/spaces/{space_id}/availability?{query}"),
            )

    def create(self) -> None:
        """Approved bookings on distinct free (space, slot) pairs of this run's days."""
        spaces = d.exclusive_spaces(self.conn)
        offset = [0]

        def make(number):
            space, starts, ends = d.slot_of(offset[0] + number, spaces, self.days["create"])
            body = {
                "venue_id": space["venue_id"],
                "status": "approved",
                "title": "bench create",
                "customer": {
                    "first_name": "Bench",
                    "last_name": f"Client {number}",
                    "email": f"bench.{self.run_id}.{offset[0] + number}@bench.example",
                },
                "spaces": [
                    {
                        "space_id": space["id"],
                        "starts_at": starts.isoformat(),
                        "ends_at": ends.isoformat(),
                        "places_used": 1,
                    }
                ],
            }
            headers = {**self.api_headers, "Content-Type": "application/json"}
            return "POST", "/api/v1/bookings", json.dumps(body), headers

        limit = d.CREATE_DAYS * len(spaces) * len(d.BENCH_SLOT_HOURS) // 2
        for concurrency in (1, 8):
            self.http(
                "create booking (uncontended)",
                concurrency,
                make,
                expected=(201,),
                max_requests=min(self.args.max_requests, limit),
            )
            offset[0] = limit  # the second scenario takes the other half of the slots

    def contended(self) -> None:
        """16 clients book one place each on ONE shared space for the same slot until full."""
        import http.client
        import threading

        space = self.meta["contended_space"]
        venue_id, zone = self.conn.execute(
            "SELECT v.id, v.timezone FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id "
            "WHERE s.id = %s",
            [space["id"]],
        ).fetchone()
        starts = d.local_moment(self.days["contended"], 12, 0, ZoneInfo(zone))
        ends = starts + timedelta(hours=2)
        statuses, latencies, queries, lock = {}, [], [], threading.Lock()
        gate = threading.Barrier(16)

        def client(index: int) -> None:
            conn = http.client.HTTPConnection(HOST, self.args.port, timeout=60)
            gate.wait()
            for _attempt in range(12):  # bounded: a client stops at its first 409
                body = json.dumps(
                    {
                        "venue_id": venue_id,
                        "status": "approved",
                        "title": "bench contended",
                        "customer_id": 1,
                        "spaces": [
                            {
                                "space_id": space["id"],
                                "starts_at": starts.isoformat(),
                                "ends_at": ends.isoformat(),
                                "places_used": 1,
                            }
                        ],
                    }
                )
                began = time.perf_counter()
                response, payload = send(
                    conn,
                    "POST",
                    "/api/v1/bookings",
                    body,
                    {**self.api_headers, "Content-Type": "application/json"},
                )
                took = time.perf_counter() - began
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    latencies.append(took)
                    if response.getheader("X-Bench-Queries"):
                        queries.append(int(response.getheader("X-Bench-Queries")))
                    if response.status not in (201, 409) and len(self.notes) < 50:
                        self.notes.append(f"contended: HTTP {response.status}: {payload[:200]!r}")
                if response.status != 201:
                    break
            conn.close()

        began = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        held = self.conn.execute(
            """SELECT coalesce(sum(places), 0) FROM bookings_spacebooking
               WHERE space_id = %s AND holds_capacity
                 AND occupied_from < %s AND occupied_until > %s""",
            [space["id"], ends, starts],
        ).fetchone()[0]
        peak = self.conn.execute(
            """WITH edges AS (
                 SELECT occupied_from AS at, places AS change FROM bookings_spacebooking
                 WHERE space_id = %(s)s AND holds_capacity
                 UNION ALL
                 SELECT occupied_until, -places FROM bookings_spacebooking
                 WHERE space_id = %(s)s AND holds_capacity)
               SELECT coalesce(max(level), 0) FROM (
                 SELECT sum(change) OVER (ORDER BY at, change) AS level FROM edges) AS levels""",
            {"s": space["id"]},
        ).fetchone()[0]
        errors = sum(n for status, n in statuses.items() if status not in (201, 409))
        row = row_of(
            "create booking (contended, 1 shared space)",
            16,
            latencies,
            statuses=statuses,
            queries=queries,
            elapsed=elapsed,
            errors=errors,
        )
        row.update(
            {
                "capacity": space["capacity"],
                "held_places_in_slot": held,
                "peak_ever": peak,
                "created_201": statuses.get(201, 0),
                "refused_409": statuses.get(409, 0),
                "server_errors_5xx": sum(n for s, n in statuses.items() if s >= 500),
                "over_capacity": max(0, peak - space["capacity"]),
            }
        )
        self.rows.append(row)
        say(
            f"  contended: 201 × {row['created_201']}, 409 × {row['refused_409']}, "
            f"5xx × {row['server_errors_5xx']}; held {held} of {space['capacity']} places "
            f"(peak ever {peak})"
        )

    def approve(self) -> None:
        with psycopg.connect(self.url) as conn:
            added = d.insert_approve_pool(conn, run_id=self.run_id, count=3000)
        if added:
            say(f"  (added {added} pending bookings for run {self.run_id}'s approvals)")
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM bookings_booking WHERE title = %s AND status = 'pending' "
                "ORDER BY id",
                [f"bench approve {self.run_id}"],
            )
        ]
        taken = [0]

        def make(number):
            booking_id = ids[taken[0] + number]
            headers = {**self.api_headers, "Content-Type": "application/json"}
            return "POST", f"/api/v1/bookings/{booking_id}/approve", "{}", headers

        half = len(ids) // 2 - 16
        for concurrency in (1, 8):
            self.http(
                "approve pending booking",
                concurrency,
                make,
                max_requests=min(self.args.max_requests, half),
            )
            taken[0] = len(ids) // 2

    # -- ratios and targets ---------------------------------------------------------------------

    def finish(self) -> None:
        def find(name, concurrency=1):
            for row in self.rows:
                if row["scenario"] == name and row["concurrency"] == concurrency:
                    return row
            return None

        def ratio(value, base):
            return round(value / base, 2) if value and base else None

        for row in self.rows:
            if row["kind"] != "http":
                continue
            name, conc = row["scenario"], row["concurrency"]
            hello = find("hello-world", conc)
            row["vs_hello_p50"] = ratio(row["p50_ms"], hello and hello["p50_ms"])
            if name.startswith("list") or name.startswith("raw list"):
                page = "first page" if "first page" in name else "7-day venue page"
                base = find(f"raw list {page} (psycopg+json)")
                gunicorn_raw = find(f"raw list {page} (gunicorn)", conc)
                row["baseline"] = base["scenario"]
                row["ratio"] = ratio(row["p50_ms"], base["p50_ms"])
                row["ratio_of"] = "p50"
                if name.startswith("list"):
                    row["vs_raw_gunicorn_p50"] = ratio(row["p50_ms"], gunicorn_raw["p50_ms"])
            elif name.startswith("availability"):
                base = find("raw GiST holders query (month)")
                row["baseline"] = base["scenario"]
                row["ratio"] = ratio(row["p95_ms"], base["p95_ms"])
                row["ratio_of"] = "p95"
            elif name != "hello-world" and hello:
                row["baseline"] = f"hello-world c{conc}"
                row["ratio"] = row["vs_hello_p50"]
                row["ratio_of"] = "p50"
            if name.startswith("list") and conc == 1:
                row["target"] = f"p50 ≤ {TARGETS['list_p50_vs_raw']:g}× raw; queries ≤ 6"
                row["met"] = (row["ratio"] or 99) <= TARGETS["list_p50_vs_raw"] and (
                    row["queries_max"] or 99
                ) <= TARGETS["list_queries"]
            elif name.startswith("list"):
                row["target"] = f"queries ≤ {TARGETS['list_queries']}"
                row["met"] = (row["queries_max"] or 99) <= TARGETS["list_queries"]
            elif name.startswith("availability"):
                row["target"] = f"p95 ≤ {TARGETS['availability_p95_vs_raw']:g}× raw"
                row["met"] = (row["ratio"] or 99) <= TARGETS["availability_p95_vs_raw"]
            elif name.startswith("create booking (contended"):
                row["target"] = "0 over capacity, 0 5xx, losers 409"
                row["met"] = (
                    row["over_capacity"] == 0
                    and row["server_errors_5xx"] == 0
                    and row["created_201"] == row["capacity"]
                    and row["refused_409"] >= 1
                    and row["errors"] == 0
                )
            elif name.startswith("create"):
                row["target"] = f"queries ≤ {TARGETS['create_queries']}"
                row["met"] = (row["queries_max"] or 99) <= TARGETS["create_queries"]
            elif name.startswith("approve"):
                row["target"] = f"queries ≤ {TARGETS['approve_queries']}"
                row["met"] = (row["queries_max"] or 99) <= TARGETS["approve_queries"]


def _cookie(response, name: str) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return ""


def table(rows: list[dict]) -> str:
    head = (
        "scenario",
        "conc",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "queries",
        "baseline",
        "ratio",
        "vs hello",
        "target",
        "",
    )
    lines = []
    for row in rows:
        ratio = row.get("ratio")
        met = row.get("met")
        lines.append(
            (
                row["scenario"],
                str(row["concurrency"]),
                str(row["requests"]),
                str(row["req_per_s"]),
                f"{row['p50_ms']:.2f}",
                f"{row['p95_ms']:.2f}",
                f"{row['p99_ms']:.2f}",
                str(row["errors"]),
                "" if row["queries"] is None else f"{row['queries']:g}",
                row.get("baseline", ""),
                "" if ratio is None else f"{ratio:g}× {row.get('ratio_of', '')}",
                "" if row.get("vs_hello_p50") is None else f"{row['vs_hello_p50']:g}×",
                row.get("target", ""),
                "" if met is None else ("met" if met else "MISSED"),
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    out = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    numeric = {1, 2, 3, 4, 5, 6, 7, 8}
    for line in lines:
        out.append(
            " | ".join(
                cell.rjust(w) if i in numeric else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    return "\n".join(out)


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        return commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Venuedesk benchmarks (make bench)")
    parser.add_argument(
        "--lines", type=int, default=int(os.environ.get("BENCH_LINES") or 1_000_000)
    )
    parser.add_argument(
        "--duration", type=float, default=float(os.environ.get("BENCH_DURATION") or 8)
    )
    parser.add_argument(
        "--max-requests", type=int, default=int(os.environ.get("BENCH_MAX_REQUESTS") or 2000)
    )
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE") or "vd_bench")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT") or 8310))
    parser.add_argument(
        "--output",
        default=os.environ.get("BENCH_OUTPUT") or str(ROOT / "bench" / "results" / "latest.json"),
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("vd_bench"):
        raise SystemExit("The bench database's name must start with vd_bench.")
    started = time.monotonic()
    url = database_url(args.database)
    timings = {}

    have = seeded_lines(url)
    if have != args.lines:
        say(f"Seeding: {args.database} has {have or 'no'} bench data, {args.lines:,} lines asked.")
        step = time.monotonic()
        from bench.seed import seed

        seed(url, args.lines)
        timings["seed_s"] = round(time.monotonic() - step, 1)
    static_root = tempfile.mkdtemp(prefix="vd-bench-static-")
    env = app_env(url, args.port, static_root)
    step = time.monotonic()
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    timings["migrate_and_collectstatic_s"] = round(time.monotonic() - step, 1)

    workers = int(os.environ.get("GUNICORN_WORKERS") or min(2 * (os.cpu_count() or 1) + 1, 12))
    env["GUNICORN_WORKERS"] = str(workers)
    say(f"gunicorn: {workers} sync workers on {HOST}:{args.port}, DEBUG off, access log off")
    load_before = os.getloadavg()
    server = Server(env, args.port)
    try:
        bench = Bench(args, url)
        bench.run_all()
    finally:
        server.stop()
        shutil.rmtree(static_root, ignore_errors=True)
    load_after = os.getloadavg()
    bench.finish()
    with psycopg.connect(url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    timings["total_s"] = round(time.monotonic() - started, 1)
    machine = {
        "cpu_count": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "postgresql": pg_version,
        "python": platform.python_version(),
        "gunicorn_workers": workers,
        "git_commit": git_commit(),
        "database": args.database,
        "lines": args.lines,
        "duration_per_scenario_s": args.duration,
        "max_requests_per_scenario": args.max_requests,
        "load_generator": "closed loop: N Python threads, one http.client connection each, "
        "next request when the previous answered; bounded by duration and request count; "
        "first 2 answers per client discarded (before the clock starts)",
        "run_id": bench.run_id,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    result = {
        "machine": machine,
        "timings": timings,
        "seed": bench.meta["seed_summary"],
        "targets": TARGETS,
        "rows": bench.rows,
        "notes": bench.notes,
        "availability_plan": getattr(bench, "availability_plan", ""),
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    say()
    say(table(bench.rows))
    say()
    say(
        f"Machine: {machine['cpu_count']} cores, load {machine['loadavg_before']} before, "
        f"{machine['loadavg_after']} after; PostgreSQL {pg_version}; {workers} gunicorn workers; "
        f"commit {machine['git_commit']}; {args.lines:,} lines seeded"
    )
    say(f"Times: {timings}")
    for note in bench.notes:
        say(f"NOTE: {note}")
    say(f"Written: {output}")


if __name__ == "__main__":
    main()
