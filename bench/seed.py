"""Fill a PostgreSQL database with Venuedesk data at scale, for the benchmarks.

    python -m bench.seed --lines 1000000 [--database-url postgres://postgres@127.0.0.1/vd_bench]

The database is dropped, created and migrated with the app's migrations; the catalogue,
staff user and API key go in through the ORM, the big tables through COPY (psycopg 3),
every constraint and index on. Exclusive spaces get non-overlapping holding lines (each
space's days laid out in sequence), shared spaces stay under capacity. Rows are
generated in one pass and streamed in batches into one COPY per table, all open at once
on their own connections (memory stays bounded, and PostgreSQL works while Python
generates); each is committed in dependency order, and the time of each is printed.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from bench import data as d

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vd_bench"

VENUES = 20
SPACES_PER_VENUE = 25
SHARED_PER_VENUE = 5  # the last five spaces of each venue are shared zones and tables
YEARS_BACK, YEARS_AHEAD = 2, 1
DAY_OPENS, DAY_CLOSES = 8 * 60, 23 * 60  # lines are laid out in 08:00–23:00 local time
ZONES = [
    "Europe/Madrid",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/Berlin",
    "America/Chicago",
    "Asia/Singapore",
    "America/Sao_Paulo",
]
FIRST_NAMES = [
    "Ana",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Luis",
    "Mia",
    "Noah",
    "Olga",
]
LAST_NAMES = [
    "Garcia",
    "Smith",
    "Muller",
    "Rossi",
    "Dubois",
    "Novak",
    "Silva",
    "Kowalski",
    "Jensen",
    "Tanaka",
    "Okafor",
]
TITLES = [
    "Board meeting",
    "Team offsite",
    "Product launch",
    "Birthday dinner",
    "Workshop",
    "Wedding reception",
    "Training day",
    "Client lunch",
    "Press conference",
    "Yoga class",
]
STAFF_USERNAME = "bench-manager"
STAFF_PASSWORD = "bench-Venuedesk-2026!"  # noqa: S105 - a bench-only user on a bench database

PAST = [
    ("released", 55),
    ("approved", 12),
    ("no_show", 5),
    ("canceled", 15),
    ("denied", 8),
    ("pending", 5),
]
RECENT = [("arrived", 30), ("seated", 30), ("released", 40)]
FUTURE = [("approved", 55), ("pending", 25), ("canceled", 12), ("denied", 8)]
HOLDING = {"approved", "arrived", "seated", "released"}
# The transitions logged after "created", by final status.
PATHS = {
    "pending": [],
    "approved": [("pending", "approved")],
    "denied": [("pending", "denied")],
    "canceled": [("pending", "canceled")],
    "arrived": [("pending", "approved"), ("approved", "arrived")],
    "seated": [("pending", "approved"), ("approved", "arrived"), ("arrived", "seated")],
    "released": [("pending", "approved"), ("approved", "seated"), ("seated", "released")],
    "no_show": [("pending", "approved"), ("approved", "no_show")],
}


def weighted(table):
    states, weights = zip(*table, strict=True)
    cumulative, total = [], 0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return states, cumulative


def say(message: str) -> None:
    print(message, flush=True)


def recreate_database(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info["dbname"]
    if not name.startswith("vd_bench"):
        raise SystemExit(
            f"Refusing to drop {name!r}: the bench database's name starts with vd_bench."
        )
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_env(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-seed-only",
        "DJANGO_DEBUG": "false",
    }


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=django_env(url),
        check=True,
    )


class Catalogue:
    """The small rows, through the ORM: organisation, venues, spaces, staff, API key…"""

    def __init__(self, url: str, lines: int, rng: random.Random):
        os.environ.update(django_env(url))
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from venues import models as v

        self.now = datetime.now(UTC).replace(microsecond=0)
        org = v.Organization.objects.create(name="Bench Venues Group", slug="bench-group")
        self.org = org
        rates = {
            21: v.VatRate.objects.create(organization=org, name="Standard", percent=21),
            10: v.VatRate.objects.create(organization=org, name="Reduced", percent=10),
            0: v.VatRate.objects.create(organization=org, name="Zero", percent=0),
        }
        self.rates = {percent: rate.pk for percent, rate in rates.items()}
        self.payment_types = [
            v.PaymentType.objects.create(organization=org, name=name, kind=kind).pk
            for name, kind in (("Cash", "cash"), ("Card", "card"), ("Invoice", "invoice"))
        ]
        user = get_user_model().objects.create_user(
            STAFF_USERNAME,
            "manager@bench.example",
            STAFF_PASSWORD,
            first_name="Bench",
            is_staff=True,
        )
        v.Membership.objects.create(user=user, organization=org, role="manager")
        self.user_id = user.pk
        key, secret = v.OrganizationAPIKey.objects.create_key(
            name="bench", organization=org, scopes=["read", "write", "approve"]
        )
        self.api_key = {"id": key.pk, "key": secret}

        self.venues = []
        for number in range(VENUES):
            venue = v.Venue.objects.create(
                organization=org,
                name=f"Venue {number + 1:02d}",
                slug=f"venue-{number + 1:02d}",
                city=ZONES[number % len(ZONES)].split("/")[1].replace("_", " "),
                timezone=ZONES[number % len(ZONES)],
            )
            v.OpeningHours.objects.bulk_create(
                v.OpeningHours(venue=venue, weekday=day, opens_at="07:00", closes_at="00:00")
                for day in range(7)
            )
            form = v.BookingForm.objects.create(
                organization=org, venue=venue, slug=f"book-{venue.slug}", title=f"Book {venue}"
            )
            self.venues.append(
                {"id": venue.pk, "zone": ZoneInfo(venue.timezone), "form": form.pk, "spaces": []}
            )

        self.spaces = []
        for venue in self.venues:
            for position in range(SPACES_PER_VENUE):
                shared = position >= SPACES_PER_VENUE - SHARED_PER_VENUE
                percent = 10 if position % 7 == 3 else 21
                space = v.Space.objects.create(
                    venue_id=venue["id"],
                    name=f"{'Zone' if shared else 'Room'} {position + 1}",
                    slug=f"space-{position + 1}",
                    kind="zone" if shared else ("hall" if position % 5 == 0 else "room"),
                    capacity=rng.choice([40, 60, 80, 120]) if shared else rng.randint(6, 200),
                    mode="shared" if shared else "exclusive",
                    setup_minutes=0 if shared else rng.choice([0, 15, 30]),
                    setdown_minutes=0 if shared else rng.choice([0, 15, 30]),
                    hourly_price=rng.randint(20, 200),
                    vat_rate=rates[percent],
                    position=position,
                )
                layouts = []
                if space.kind == "hall":
                    for index, (name, share) in enumerate(
                        (("Theatre", 1.0), ("Banquet", 0.6), ("Boardroom", 0.2))
                    ):
                        layouts.append(
                            v.SpaceLayout.objects.create(
                                space=space,
                                name=name,
                                capacity=max(2, int(space.capacity * share)),
                                position=index,
                            )
                        )
                record = {
                    "id": space.pk,
                    "venue": venue,
                    "shared": shared,
                    "capacity": space.capacity,
                    "setup": space.setup_minutes,
                    "setdown": space.setdown_minutes,
                    "price": int(space.hourly_price) * 100,
                    "vat_rate": rates[percent].pk,
                    "vat": percent,
                    "layouts": [(layout.pk, layout.capacity) for layout in layouts],
                }
                venue["spaces"].append(record)
                self.spaces.append(record)
        # Reserved for the contended scenario: nothing else ever books it.
        contended = v.Space.objects.create(
            venue_id=self.venues[0]["id"],
            name="Bench contended zone",
            slug="bench-contended",
            kind="zone",
            capacity=24,
            mode="shared",
            hourly_price=30,
            vat_rate=rates[21],
            position=99,
        )
        self.contended_space = {"id": contended.pk, "capacity": contended.capacity}

        self.products = []
        for number in range(10):
            product = v.InventoryProduct.objects.create(
                organization=org,
                name=f"Shared equipment {number + 1}",
                units_total=10_000,
                unit_price=rng.randint(5, 60),
                vat_rate=rates[21],
            )
            self.products.append((product.pk, None, int(product.unit_price) * 100))
        for venue in self.venues:
            product = v.InventoryProduct.objects.create(
                organization=org,
                venue_id=venue["id"],
                name=f"Projector at venue {venue['id']}",
                units_total=500,
                unit_price=25,
                vat_rate=rates[21],
            )
            self.products.append((product.pk, venue["id"], 2500))

        # Ticketed events (sold as event lines), spread over the three years.
        self.ticket_events = []
        count = max(20, lines // 330)
        first = self.now - timedelta(days=365 * YEARS_BACK)
        events = []
        for number in range(count):
            venue = self.venues[number % VENUES]
            day = (first + timedelta(days=rng.randrange(365 * (YEARS_BACK + YEARS_AHEAD)))).date()
            starts = d.local_moment(day, 19, 0, venue["zone"])
            events.append(
                v.Event(
                    organization=org,
                    venue_id=venue["id"],
                    title=f"Concert {number + 1}",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                    capacity=rng.choice([200, 300, 400]),
                    is_public=True,
                )
            )
        v.Event.objects.bulk_create(events)
        tickets = (("Adult", 2500), ("Member", 1800))
        prices = v.Price.objects.bulk_create(
            v.Price(
                organization=org,
                event=event,
                name=name,
                amount_gross=cents // 100,
                vat_rate=rates[10],
                position=index,
            )
            for event in events
            for index, (name, cents) in enumerate(tickets)
        )
        for number, event in enumerate(events):
            pair = prices[2 * number : 2 * number + 2]
            self.ticket_events.append(
                {
                    "id": event.pk,
                    "venue": self.venues[number % VENUES],
                    "starts": event.starts_at,
                    "capacity": event.capacity,
                    "sold": 0,
                    "prices": [
                        (price.pk, cents) for price, (_, cents) in zip(pair, tickets, strict=True)
                    ],
                }
            )


class Writers:
    """A COPY per table on its own connection, all open at once: rows stream into
    PostgreSQL while they are generated (its backends work while Python generates)."""

    COLUMNS = {
        "bookings_customer": "id, first_name, last_name, company, email, phone, vat_number, "
        "address, postal_code, city, country, notes, created_at, updated_at, organization_id",
        "venues_event": "id, title, description, notes, starts_at, ends_at, capacity, "
        "is_public, status, created_at, updated_at, organization_id, space_id, venue_id",
        "bookings_booking": d.BOOKING_COLUMNS,
        "bookings_spacebooking": "id, booking_id, space_id, layout_id, name, signage, "
        "show_signage, starts_at, ends_at, setup_minutes, setdown_minutes, places, "
        "expected_attendees, guaranteed_attendees, actual_attendees, overrides_opening_hours, "
        "occupied_from, occupied_until, exclusive_space, holds_capacity, unit_price_gross, "
        "vat_rate_id, vat_percent, exclude_vat, discount_amount, use_manual_price, net, vat, "
        "gross, created_at, updated_at",
        "bookings_eventbooking": "booking_id, event_id, price_id, quantity, holds_capacity, "
        "unit_price_gross, vat_rate_id, vat_percent, exclude_vat, discount_amount, "
        "use_manual_price, net, vat, gross, created_at, updated_at",
        "bookings_inventorybooking": "booking_id, product_id, units, starts_at, ends_at, "
        "occupied_from, occupied_until, holds_capacity, unit_price_gross, vat_rate_id, "
        "vat_percent, exclude_vat, discount_amount, use_manual_price, net, vat, gross, "
        "created_at, updated_at",
        "bookings_payment": "booking_id, amount, reference, paid_at, note, created_at, "
        "payment_type_id, recorded_by_id",
        "bookings_logentry": "booking_id, action, from_status, to_status, actor_kind, user_id, "
        "api_key_id, comment, message, data, created_at",
    }

    BATCH = 2000  # rows handed to a table's COPY at once

    def __init__(self, url: str):
        self.connections, self.contexts, self.copies, self.pending = {}, {}, {}, {}
        self.counts = dict.fromkeys(self.COLUMNS, 0)
        self.waited = dict.fromkeys(self.COLUMNS, 0.0)
        try:
            for table, columns in self.COLUMNS.items():
                conn = psycopg.connect(url)
                self.connections[table] = conn
                # cursor.copy() is a context manager around a generator: keep it, or the
                # garbage collector closes it and so aborts the COPY.
                context = conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN")
                self.contexts[table] = context
                self.copies[table] = context.__enter__()
                self.pending[table] = []
        except BaseException:
            self.abandon()
            raise

    def row(self, table: str, values) -> None:
        pending = self.pending[table]
        pending.append(d.copy_line(values))
        self.counts[table] += 1
        if len(pending) >= self.BATCH:
            self._send(table)

    def _send(self, table: str) -> None:
        pending = self.pending[table]
        if pending:
            started = time.monotonic()
            self.copies[table].write("\n".join(pending) + "\n")
            self.waited[table] += time.monotonic() - started
            pending.clear()

    # Committed first, one after the other: every later table refers to them.
    PARENTS = ("bookings_customer", "venues_event", "bookings_booking")

    def finish(self) -> dict:
        """End each COPY and commit (the deferred foreign keys are checked at each commit):
        the parents in order, then the booking's lines, payments and log side by side."""
        timings = {}

        def close(table: str) -> None:
            started = time.monotonic()
            self._send(table)
            self.contexts[table].__exit__(None, None, None)
            self.connections[table].commit()
            self.connections[table].close()
            timings[table] = round(self.waited[table] + time.monotonic() - started, 1)

        for table in self.PARENTS:
            close(table)
        with ThreadPoolExecutor(max_workers=2) as pool:
            children = [table for table in self.COLUMNS if table not in self.PARENTS]
            for future in [pool.submit(close, table) for table in children]:
                future.result()
        for table in self.COLUMNS:
            say(f"  {table:<28} {self.counts[table]:>10,} rows  {timings[table]:>7.1f} s")
        return timings

    def abandon(self) -> None:
        for conn in self.connections.values():
            conn.close()


class Generator:
    def __init__(self, cat: Catalogue, lines: int, rng: random.Random, out: Writers):
        self.cat, self.lines, self.rng, self.out = cat, lines, rng, out
        self.now = cat.now
        self.customers = max(1000, lines // 10)
        self.booking_id = 0
        self.event_id = 10_000_000  # above the ORM-made ticketed events
        self.line_id = 0
        self.past, self.recent, self.future = weighted(PAST), weighted(RECENT), weighted(FUTURE)

    def pick(self, table) -> str:
        states, cumulative = table
        return states[self._bisect(cumulative, self.rng.random() * cumulative[-1])]

    @staticmethod
    def _bisect(cumulative, value) -> int:
        for index, edge in enumerate(cumulative):
            if value < edge:
                return index
        return len(cumulative) - 1

    def customers_rows(self) -> None:
        rng, org = self.rng, self.cat.org.pk
        for number in range(1, self.customers + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            created = d.ts(self.now - timedelta(days=rng.randrange(1200)))
            self.out.row(
                "bookings_customer",
                (
                    number,
                    first,
                    last,
                    "" if number % 4 else f"{last} Ltd",
                    f"{first.lower()}.{last.lower()}.{number}@bench.example",
                    f"+34 600 {number:06d}",
                    "",
                    "",
                    "",
                    "",
                    "ES",
                    "",
                    created,
                    created,
                    org,
                ),
            )

    def status_for(self, starts: datetime, ends: datetime) -> str:
        if ends < self.now - timedelta(hours=12):
            return self.pick(self.past)
        if starts <= self.now:
            return self.pick(self.recent)
        return self.pick(self.future)

    def space_rows(self) -> None:
        """Each space's days, laid out so exclusive holders never overlap."""
        rng = self.rng
        per_space = self.lines / len(self.cat.spaces)
        days = 365 * (YEARS_BACK + YEARS_AHEAD)
        per_day = per_space / days
        whole, fraction = int(per_day), per_day - int(per_day)
        first_day = (self.now - timedelta(days=365 * YEARS_BACK)).date()
        made = 0
        for space in self.cat.spaces:
            zone = space["venue"]["zone"]
            for offset in range(days):
                count = whole + (rng.random() < fraction)
                if not count:
                    continue
                day = first_day + timedelta(days=offset)
                slot = (DAY_CLOSES - DAY_OPENS) // count
                planned = []
                for index in range(count):
                    room = slot - space["setup"] - space["setdown"]
                    minutes = min(rng.choice([60, 90, 120, 180, 240]), room - room % 15)
                    if minutes < 15:
                        continue
                    slack = room - minutes
                    start = (
                        DAY_OPENS + index * slot + space["setup"] + rng.randrange(0, slack + 1, 15)
                    )
                    starts = d.local_moment(day, start // 60, start % 60, zone)
                    planned.append((starts, starts + timedelta(minutes=minutes), minutes))
                # One in ten bookings takes two sessions of the same day.
                while planned:
                    take = 2 if len(planned) > 1 and rng.random() < 0.1 else 1
                    self.booking(space, planned[:take])
                    made += take
                    planned = planned[take:]
        self.space_lines = made

    def booking(self, space: dict, sessions: list) -> None:
        rng, cat = self.rng, self.cat
        self.booking_id += 1
        booking_id = self.booking_id
        starts, ends = sessions[0][0], sessions[-1][1]
        status = self.status_for(starts, ends)
        holds = status in HOLDING
        source = rng.choice(("staff", "staff", "api", "public_form", "public_form"))
        created = min(
            self.now, starts - timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 23))
        )
        moments = {"created": created}
        step = created
        for _before, after in PATHS[status]:
            step = min(self.now, step + timedelta(hours=rng.randint(1, 72)))
            if after in ("arrived", "seated"):
                step = max(step, starts - timedelta(minutes=15))
            if after == "released":
                step = max(
                    starts + timedelta(minutes=30), ends - timedelta(minutes=rng.randint(0, 30))
                )
            if after == "no_show":
                step = max(step, starts + timedelta(minutes=30))
            moments[after] = step
        released = moments.get("released")
        gross_total = net_total = vat_total = 0
        for starts_at, ends_at, minutes in sessions:
            self.line_id += 1
            layout_id, limit = None, space["capacity"]
            if space["layouts"] and rng.random() < 0.6:
                layout_id, limit = rng.choice(space["layouts"])
            if space["shared"]:
                places = rng.randint(1, max(1, space["capacity"] // 8))
            else:
                places = rng.randint(max(1, limit // 3), limit)
            gross = space["price"] * minutes // 60
            net, vat = d.split_cents(gross, space["vat"])
            gross_total, net_total, vat_total = (
                gross_total + gross,
                net_total + net,
                vat_total + vat,
            )
            occupied_from = starts_at - timedelta(minutes=space["setup"])
            occupied_until = ends_at + timedelta(minutes=space["setdown"])
            if released is not None:
                occupied_until = max(occupied_from, min(occupied_until, released))
            self.out.row(
                "bookings_spacebooking",
                (
                    self.line_id,
                    booking_id,
                    space["id"],
                    layout_id,
                    "",
                    "",
                    "f",
                    d.ts(starts_at),
                    d.ts(ends_at),
                    space["setup"],
                    space["setdown"],
                    places,
                    places,
                    None,
                    places if status == "released" else None,
                    "f",
                    d.ts(occupied_from),
                    d.ts(occupied_until),
                    "f" if space["shared"] else "t",
                    "t" if holds else "f",
                    d.money(gross),
                    space["vat_rate"],
                    space["vat"],
                    "f",
                    "0.00",
                    "f",
                    d.money(net),
                    d.money(vat),
                    d.money(gross),
                    d.ts(created),
                    d.ts(created),
                ),
            )
        if rng.random() < 0.15:
            product_id, product_venue, price = rng.choice(cat.products)
            if product_venue not in (None, space["venue"]["id"]):
                product_id, product_venue, price = cat.products[0]
            units = rng.randint(1, 4)
            gross = price * units
            net, vat = d.split_cents(gross, 21)
            gross_total, net_total, vat_total = (
                gross_total + gross,
                net_total + net,
                vat_total + vat,
            )
            until = ends if released is None else max(starts, min(ends, released))
            self.out.row(
                "bookings_inventorybooking",
                (
                    booking_id,
                    product_id,
                    units,
                    d.ts(starts),
                    d.ts(ends),
                    d.ts(starts),
                    d.ts(until),
                    "t" if holds else "f",
                    d.money(price),
                    cat.rates[21],
                    21,
                    "f",
                    "0.00",
                    "f",
                    d.money(net),
                    d.money(vat),
                    d.money(gross),
                    d.ts(created),
                    d.ts(created),
                ),
            )
        event_id = None
        if "approved" in moments and status != "canceled":
            self.event_id += 1
            event_id = self.event_id
            title = rng.choice(TITLES)
            self.out.row(
                "venues_event",
                (
                    event_id,
                    title,
                    "",
                    "",
                    d.ts(starts),
                    d.ts(ends),
                    None,
                    "f",
                    "scheduled",
                    d.ts(moments["approved"]),
                    d.ts(moments["approved"]),
                    cat.org.pk,
                    space["id"],
                    space["venue"]["id"],
                ),
            )
        self.finish_booking(
            booking_id,
            status,
            source,
            space["venue"],
            starts,
            ends,
            moments,
            event_id,
            net_total,
            vat_total,
            gross_total,
        )

    def finish_booking(
        self,
        booking_id,
        status,
        source,
        venue,
        starts,
        ends,
        moments,
        event_id,
        net_total,
        vat_total,
        gross_total,
    ) -> None:
        rng, cat = self.rng, self.cat
        paid = 0
        payment_type = rng.choice(cat.payment_types)
        if status in ("released", "seated", "arrived") and rng.random() < 0.6:
            paid = gross_total
        elif status == "approved" and rng.random() < 0.25:
            paid = gross_total * 30 // 100
        if paid:
            when = moments.get("approved", moments["created"])
            self.out.row(
                "bookings_payment",
                (
                    booking_id,
                    d.money(paid),
                    f"PAY-{booking_id}",
                    d.ts(when),
                    "",
                    d.ts(when),
                    payment_type,
                    cat.user_id,
                ),
            )
        last = max(moments.values())
        actor = {"staff": "user", "api": "api_key", "public_form": "customer"}[source]
        self.log(booking_id, "created", "", "pending", actor, moments["created"])
        for before, after in PATHS[status]:
            self.log(booking_id, after, before, after, "user", moments[after])
        customer = rng.randint(1, self.customers)
        self.out.row(
            "bookings_booking",
            (
                booking_id,
                d.reference_of(booking_id),
                status,
                source,
                rng.choice(TITLES),
                "",
                "",
                "",
                "",
                "",
                "{}",
                "t",
                "f",
                d.money(net_total),
                d.money(vat_total),
                d.money(gross_total),
                d.money(paid),
                d.money(gross_total - paid),
                d.token_hash(booking_id) if source == "public_form" else "",
                d.ts(starts),
                d.ts(ends),
                d.ts(moments.get("approved")),
                d.ts(moments.get("canceled")),
                d.ts(moments.get("arrived")),
                d.ts(moments.get("seated")),
                d.ts(moments.get("released")),
                d.ts(moments["created"]),
                d.ts(last),
                venue["form"] if source == "public_form" else None,
                cat.user_id if source == "staff" else None,
                event_id,
                cat.org.pk,
                payment_type,
                venue["id"],
                customer,
                None,
            ),
        )

    def log(self, booking_id, action, before, after, actor, when) -> None:
        cat = self.cat
        self.out.row(
            "bookings_logentry",
            (
                booking_id,
                action,
                before,
                after,
                actor,
                cat.user_id if actor == "user" else None,
                cat.api_key["id"] if actor == "api_key" else None,
                "",
                "",
                "{}",
                d.ts(when),
            ),
        )

    def ticket_rows(self) -> None:
        """Bookings of event tickets only (one event line each), events never oversold."""
        rng, cat = self.rng, self.cat
        for _ in range(self.lines // 10):
            event = rng.choice(cat.ticket_events)
            quantity = rng.randint(1, 4)
            if event["sold"] + quantity > event["capacity"]:
                continue
            starts = event["starts"]
            ends = starts + timedelta(hours=3)
            if ends < self.now:
                status = "approved" if rng.random() < 0.85 else "canceled"
            else:
                status = rng.choice(("approved", "approved", "approved", "pending", "canceled"))
            holds = status in HOLDING
            if holds:
                event["sold"] += quantity
            price_id, price = rng.choice(event["prices"])
            gross = price * quantity
            net, vat = d.split_cents(gross, 10)
            self.booking_id += 1
            booking_id = self.booking_id
            created = min(self.now, starts - timedelta(days=rng.randint(1, 60)))
            moments = {"created": created}
            for _before, after in PATHS[status]:
                moments[after] = min(self.now, created + timedelta(hours=1))
            self.out.row(
                "bookings_eventbooking",
                (
                    booking_id,
                    event["id"],
                    price_id,
                    quantity,
                    "t" if holds else "f",
                    d.money(price),
                    cat.rates[10],
                    10,
                    "f",
                    "0.00",
                    "f",
                    d.money(net),
                    d.money(vat),
                    d.money(gross),
                    d.ts(created),
                    d.ts(created),
                ),
            )
            self.finish_booking(
                booking_id,
                status,
                "api",
                event["venue"],
                starts,
                ends,
                moments,
                None,
                net,
                vat,
                gross,
            )


def set_sequences(url: str) -> None:
    with psycopg.connect(url) as conn:
        for table in (
            "bookings_customer",
            "venues_event",
            "bookings_booking",
            "bookings_spacebooking",
            "bookings_eventbooking",
            "bookings_inventorybooking",
            "bookings_payment",
            "bookings_logentry",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()


def seed(url: str, lines: int, random_seed: int = 14) -> dict:
    started = time.monotonic()
    rng = random.Random(random_seed)
    say(f"Seeding {url.rsplit('/', 1)[-1]} with {lines:,} space lines")
    recreate_database(url)
    step = time.monotonic()
    migrate(url)
    say(f"  migrate                      {time.monotonic() - step:>25.1f} s")
    step = time.monotonic()
    cat = Catalogue(url, lines, rng)
    say(f"  catalogue (ORM)              {time.monotonic() - step:>25.1f} s")
    step = time.monotonic()
    out = Writers(url)
    try:
        gen = Generator(cat, lines, rng, out)
        gen.customers_rows()
        gen.space_rows()
        gen.ticket_rows()
    except BaseException:
        out.abandon()
        raise
    generated = round(time.monotonic() - step, 1)
    say(f"  rows generated and streamed  {generated:>25.1f} s  (COPY into every table at once)")
    timings = out.finish()
    set_sequences(url)
    copied = round(time.monotonic() - step, 1)
    say(f"  generated and copied         {copied:>25.1f} s")
    step = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    analyzed = round(time.monotonic() - step, 1)
    say(f"  ANALYZE                      {analyzed:>25.1f} s")
    total = round(time.monotonic() - started, 1)
    base_day = (cat.now + timedelta(days=365 * YEARS_AHEAD + 30)).date()
    with psycopg.connect(url) as conn:
        d.meta_create(conn)
        d.meta_set(conn, "params", {"lines": lines, "version": d.SEED_VERSION, "seed": random_seed})
        d.meta_set(conn, "api_key", cat.api_key)
        d.meta_set(conn, "staff", {"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
        d.meta_set(conn, "contended_space", cat.contended_space)
        d.meta_set(conn, "base_day", base_day.isoformat())
        d.meta_set(conn, "seeded_at", cat.now.isoformat())
        d.meta_set(conn, "run_counter", 0)
        conn.commit()
        step = time.monotonic()
        added = d.insert_approve_pool(conn, run_id=1, count=POOL_SIZE)
        say(f"  approve pool (run 1)         {added:>10,} rows  {time.monotonic() - step:>7.1f} s")
        summary = {
            "lines": lines,
            "space_lines": gen.space_lines,
            "rows": out.counts,
            "copy_seconds": timings,
            "generate_and_copy_seconds": copied,
            "generate_seconds": generated,
            "analyze_seconds": analyzed,
            "total_seconds": total,
        }
        d.meta_set(conn, "seed_summary", summary)
        conn.commit()
    say(f"Seeded in {total:.1f} s ({date.today().isoformat()})")
    return summary


POOL_SIZE = 3000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="space lines to make")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="the bench database (dropped and created again; its name starts with vd_bench)",
    )
    parser.add_argument("--random-seed", type=int, default=14)
    args = parser.parse_args(argv)
    seed(args.database_url, args.lines, args.random_seed)


if __name__ == "__main__":
    main()
