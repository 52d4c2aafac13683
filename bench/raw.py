"""The raw baselines: the same rows a list page or an availability answer needs, read with
plain psycopg and serialised with json.dumps (used in-process and by bench.views)."""

import json
from datetime import datetime
from decimal import Decimal

BOOKING_SQL = """
SELECT b.id, b.reference, b.status, b.source, b.venue_id, b.booking_form_id, b.customer_id,
       c.first_name, c.last_name, c.company, c.email, c.phone,
       b.title, b.contact_name, b.contact_email, b.contact_phone, b.notify_email, b.notify_sms,
       b.payment_type_id, b.internal_note, b.request_note, b.answers, b.starts_at, b.ends_at,
       b.total_net, b.total_vat, b.total_gross, b.amount_paid, b.balance,
       e.id, e.title, e.venue_id, e.space_id, e.starts_at, e.ends_at, e.status,
       b.approved_at, b.canceled_at, b.arrived_at, b.seated_at, b.released_at,
       b.created_at, b.updated_at
FROM bookings_booking b
JOIN bookings_customer c ON c.id = b.customer_id
LEFT JOIN venues_event e ON e.id = b.event_id
WHERE b.organization_id = %s {where}
ORDER BY b.starts_at DESC, b.id DESC
LIMIT %s
"""
PRICE = (
    "unit_price_gross, vat_rate_id, vat_percent, exclude_vat, discount_id, "
    "discount_amount, use_manual_price, manual_price_gross, manual_price_vat_rate_id, "
    "net, vat, gross"
)
LINES_SQL = {
    "spaces": "SELECT booking_id, id, space_id, layout_id, name, starts_at, ends_at, "
    "setup_minutes, setdown_minutes, places, expected_attendees, guaranteed_attendees, "
    "actual_attendees, signage, show_signage, overrides_opening_hours, holds_capacity, "
    f"{PRICE} FROM bookings_spacebooking WHERE booking_id = ANY(%s) ORDER BY starts_at, id",
    "events": "SELECT booking_id, id, event_id, price_id, quantity, holds_capacity, "
    f"{PRICE} FROM bookings_eventbooking WHERE booking_id = ANY(%s) ORDER BY id",
    "inventory_products": "SELECT booking_id, id, product_id, price_id, units, starts_at, "
    f"ends_at, holds_capacity, {PRICE} FROM bookings_inventorybooking "
    "WHERE booking_id = ANY(%s) ORDER BY starts_at, id",
    "payments": "SELECT booking_id, id, amount, payment_type_id, reference, paid_at, note, "
    "created_at FROM bookings_payment WHERE booking_id = ANY(%s) ORDER BY paid_at, id",
}
# The raw GiST question availability needs: the holders of one exclusive space that
# overlap a range, answered by the exclusion constraint's index. The id is cast to
# bigint: psycopg sends a small int as smallint, and btree_gist's `=` on bigint takes
# only bigint, so without the cast the planner falls back to the space_id btree index.
HOLDERS_SQL = """
SELECT occupied_from, occupied_until, places FROM bookings_spacebooking
WHERE space_id = %s::bigint AND holds_capacity AND exclusive_space
  AND tstzrange(occupied_from, occupied_until, '[)') && tstzrange(%s, %s, '[)')
"""


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def booking_page(
    cursor, organization_id: int, *, venue_id=None, start=None, end=None, per_page: int = 50
) -> tuple[str, int]:
    """A page of bookings with their lines and payments as JSON, and the queries it took."""
    where, params = "", [organization_id]
    if venue_id is not None:
        where += " AND b.venue_id = %s"
        params.append(venue_id)
    if start is not None:
        where += " AND b.starts_at >= %s AND b.starts_at < %s"
        params += [start, end]
    cursor.execute(BOOKING_SQL.format(where=where), [*params, per_page])
    results, by_id = [], {}
    for row in cursor.fetchall():
        booking = {
            "id": row[0],
            "reference": row[1],
            "status": row[2],
            "source": row[3],
            "venue_id": row[4],
            "booking_form_id": row[5],
            "customer_id": row[6],
            "customer": {
                "id": row[6],
                "first_name": row[7],
                "last_name": row[8],
                "company": row[9],
                "email": row[10],
                "phone": row[11],
            },
            "title": row[12],
            "contact": {"name": row[13], "email": row[14], "phone": row[15]},
            "notify_email": row[16],
            "notify_sms": row[17],
            "payment_type_id": row[18],
            "internal_note": row[19],
            "request_note": row[20],
            "answers": row[21],
            "starts_at": row[22],
            "ends_at": row[23],
            "total_net": row[24],
            "total_vat": row[25],
            "total_gross": row[26],
            "amount_paid": row[27],
            "balance": row[28],
            "event": None
            if row[29] is None
            else {
                "id": row[29],
                "title": row[30],
                "venue_id": row[31],
                "space_id": row[32],
                "starts_at": row[33],
                "ends_at": row[34],
                "status": row[35],
            },
            "approved_at": row[36],
            "canceled_at": row[37],
            "arrived_at": row[38],
            "seated_at": row[39],
            "released_at": row[40],
            "created_at": row[41],
            "updated_at": row[42],
            "spaces": [],
            "events": [],
            "inventory_products": [],
            "payments": [],
        }
        results.append(booking)
        by_id[row[0]] = booking
    ids = list(by_id)
    for key, sql in LINES_SQL.items():
        cursor.execute(sql, [ids])
        names = [column.name for column in cursor.description]
        for row in cursor.fetchall():
            by_id[row[0]][key].append(dict(zip(names[1:], row[1:], strict=True)))
    body = {"count": len(results), "page": 1, "results": results}
    return json.dumps(body, default=_default), 1 + len(LINES_SQL)


def holders(cursor, space_id: int, start, end) -> list:
    cursor.execute(HOLDERS_SQL, [space_id, start, end])
    return cursor.fetchall()
