"""Row builders shared by the seed and the runner: references, money, COPY text, the
bench's own far-future rows (pending bookings to approve), and the bench_meta table."""

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

# Bump when the seed's data changes shape: `make bench` then seeds again.
SEED_VERSION = 3
META_TABLE = "bench_meta"

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# An odd multiplier modulo 2**30 is a bijection: unique references, unrelated-looking ids.
_MULTIPLIER = 0x2F1D_3A5B
_MASK = (1 << 30) - 1

# The slots the bench's own writes use, in the venue's local time (inside opening hours).
BENCH_SLOT_HOURS = (9, 11, 13, 15, 17, 19)
BENCH_SLOT_MINUTES = 60
# Days of the far future each run owns: [create days | approve-pool days | contended day].
DAYS_PER_RUN = 40
CREATE_DAYS = 20


def reference_of(number: int, salt: int = 0) -> str:
    """A unique VD-XXXXXX for `number` (< 2**30); `salt` picks another disjoint family."""
    value = ((number + (salt << 27)) * _MULTIPLIER) & _MASK
    chars = []
    for _ in range(6):
        chars.append(REFERENCE_ALPHABET[value & 31])
        value >>= 5
    return "VD-" + "".join(chars)


def token_hash(booking_id: int) -> str:
    return hashlib.sha256(f"bench-manage-token-{booking_id}".encode()).hexdigest()


def split_cents(gross_cents: int, vat_percent: int) -> tuple[int, int]:
    """(net, vat) in cents: VAT computed out of the gross, half up (bookings.pricing)."""
    vat = (2 * gross_cents * vat_percent + (100 + vat_percent)) // (2 * (100 + vat_percent))
    return gross_cents - vat, vat


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


_TIMES: dict = {}


def ts(moment: datetime | None) -> str:
    """A moment in COPY's text format; the seed's moments repeat a lot, so they are kept."""
    if moment is None:
        return r"\N"
    text = _TIMES.get(moment)
    if text is None:
        if len(_TIMES) > 2_000_000:
            _TIMES.clear()
        text = _TIMES[moment] = moment.isoformat(sep=" ")
    return text


def copy_line(values) -> str:
    """One row in COPY's text format (our values never hold tabs, newlines or backslashes)."""
    return "\t".join(
        [r"\N" if v is None else (v if v.__class__ is str else str(v)) for v in values]
    )


def local_moment(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


# -- bench_meta: what was seeded, and the run counter ----------------------------------------


def meta_create(conn: psycopg.Connection) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value jsonb)")


def meta_set(conn: psycopg.Connection, key: str, value) -> None:
    conn.execute(
        f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (key, json.dumps(value)),
    )


def meta_get(conn: psycopg.Connection, key: str, default=None):
    try:
        row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = %s", (key,)).fetchone()
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        return default
    return default if row is None else row[0]


def run_days(base_day: date, run_id: int) -> dict:
    """The far-future days a run's writes use (each run its own, so runs never collide)."""
    first = base_day + timedelta(days=run_id * DAYS_PER_RUN)
    return {
        "create": first,
        "approve": first + timedelta(days=CREATE_DAYS),
        "contended": first + timedelta(days=DAYS_PER_RUN - 1),
    }


def exclusive_spaces(conn: psycopg.Connection) -> list[dict]:
    """The active exclusive spaces with what a line on them needs, in a stable order."""
    rows = conn.execute(
        """
        SELECT s.id, s.venue_id, v.timezone, s.setup_minutes, s.setdown_minutes,
               s.hourly_price, s.vat_rate_id, coalesce(r.percent, 0), s.capacity,
               v.organization_id
        FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id
        LEFT JOIN venues_vatrate r ON r.id = s.vat_rate_id
        WHERE s.mode = 'exclusive' AND s.is_active AND s.slug NOT LIKE 'bench-%%'
        ORDER BY s.id
        """
    ).fetchall()
    keys = ("id", "venue_id", "timezone", "setup", "setdown", "hourly_price", "vat_rate_id")
    keys += ("vat_percent", "capacity", "organization_id")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def slot_of(index: int, spaces: list[dict], first_day: date) -> tuple[dict, datetime, datetime]:
    """The index-th distinct (space, local slot) from `first_day` on: never the same twice."""
    space = spaces[index % len(spaces)]
    per_day = len(spaces) * len(BENCH_SLOT_HOURS)
    day = first_day + timedelta(days=index // per_day)
    hour = BENCH_SLOT_HOURS[(index // len(spaces)) % len(BENCH_SLOT_HOURS)]
    zone = ZoneInfo(space["timezone"])
    starts = local_moment(day, hour, 0, zone)
    return space, starts, starts + timedelta(minutes=BENCH_SLOT_MINUTES)


def insert_approve_pool(conn: psycopg.Connection, *, run_id: int, count: int) -> int:
    """Pending bookings (one space line each, logged as created) on free far-future slots
    of this run, for the approve scenario; returns how many were added."""
    base_day = date.fromisoformat(meta_get(conn, "base_day"))
    first_day = run_days(base_day, run_id)["approve"]
    spaces = exclusive_spaces(conn)
    customer_ids = [r[0] for r in conn.execute("SELECT id FROM bookings_customer LIMIT 500")]
    api_key_id = meta_get(conn, "api_key")["id"]
    now = datetime.now(UTC)
    existing = conn.execute(
        "SELECT count(*) FROM bookings_booking WHERE title = %s", (f"bench approve {run_id}",)
    ).fetchone()[0]
    if existing >= count:
        return 0
    booking_rows, line_rows, log_rows = [], [], []
    next_booking = conn.execute(
        "SELECT nextval(pg_get_serial_sequence('bookings_booking', 'id'))"
    ).fetchone()[0]
    for index in range(existing, count):
        space, starts, ends = slot_of(index, spaces, first_day)
        gross = int(space["hourly_price"] * 100) * BENCH_SLOT_MINUTES // 60
        net, vat = split_cents(gross, int(space["vat_percent"]))
        booking_id = next_booking + index - existing
        booking_rows.append(
            (
                booking_id,
                reference_of(booking_id, salt=1),
                "pending",
                "api",
                f"bench approve {run_id}",
                "",
                "",
                "",
                "",
                "",
                "{}",
                "t",
                "f",
                money(net),
                money(vat),
                money(gross),
                "0.00",
                money(gross),
                "",
                ts(starts),
                ts(ends),
                None,
                None,
                None,
                None,
                None,
                ts(now),
                ts(now),
                None,
                None,
                None,
                space["organization_id"],
                None,
                space["venue_id"],
                customer_ids[index % len(customer_ids)],
                None,
            )
        )
        line_rows.append(
            (
                booking_id,
                space["id"],
                ts(starts),
                ts(ends),
                space["setup"],
                space["setdown"],
                ts(starts - timedelta(minutes=space["setup"])),
                ts(ends + timedelta(minutes=space["setdown"])),
                money(gross),
                space["vat_rate_id"],
                int(space["vat_percent"]),
                money(net),
                money(vat),
                money(gross),
                ts(now),
            )
        )
        log_rows.append((booking_id, api_key_id, ts(now)))
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('bookings_booking', 'id'), %s)",
        (next_booking + count - existing - 1,),
    )
    with conn.cursor().copy(f"COPY bookings_booking ({BOOKING_COLUMNS}) FROM STDIN") as copy:
        for row in booking_rows:
            copy.write(copy_line(row) + "\n")
    with conn.cursor().copy(
        "COPY bookings_spacebooking (booking_id, space_id, starts_at, ends_at, setup_minutes, "
        "setdown_minutes, occupied_from, occupied_until, unit_price_gross, vat_rate_id, "
        "vat_percent, net, vat, gross, created_at, updated_at, holds_capacity, exclude_vat, "
        "discount_amount, use_manual_price, name, signage, show_signage, places, "
        "overrides_opening_hours, exclusive_space) FROM STDIN"
    ) as copy:
        for row in line_rows:
            copy.write(copy_line((*row, row[-1], "f", "f", "0.00", "f", "", "", "f", 1, "f", "t")))
            copy.write("\n")
    with conn.cursor().copy(
        "COPY bookings_logentry (booking_id, api_key_id, created_at, action, from_status, "
        "to_status, actor_kind, comment, message, data) FROM STDIN"
    ) as copy:
        for row in log_rows:
            copy.write(copy_line((*row, "created", "", "pending", "api_key", "", "", "{}")) + "\n")
    conn.commit()
    return len(booking_rows)


BOOKING_COLUMNS = (
    "id, reference, status, source, title, contact_name, contact_email, contact_phone, "
    "internal_note, request_note, answers, notify_email, notify_sms, total_net, total_vat, "
    "total_gross, amount_paid, balance, manage_token_hash, starts_at, ends_at, approved_at, "
    "canceled_at, arrived_at, seated_at, released_at, created_at, updated_at, booking_form_id, "
    "created_by_id, event_id, organization_id, payment_type_id, venue_id, customer_id, "
    "reminder_sent_at"
)
