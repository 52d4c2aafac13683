"""The bookings API's bodies, whole: every field by name and in order, and the same answer
from the serializers' field plan (core.api.representation) as from DRF's own machinery."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.bookings import serializers as s
from bookings import selectors
from bookings.models import LogEntry, Payment
from bookings.services import ContactIn, EventLineIn, ProductLineIn, SpaceLineIn, booking_create
from core.actors import ActorKind
from core.api.representation import plan_of
from tests import factories as f
from tests.bookings.conftest import at
from venues.models import Organization, OrganizationAPIKey

pytestmark = pytest.mark.django_db


def everything(world):
    """Bookings that exercise every field: pending and approved (with its Event), lines of
    each kind with a manual price, null and set attendee figures, a refund, times with
    microseconds, log entries by a user and by a key, answers and text beyond ASCII."""
    approved = world.book(approve=True)
    mixed = booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        title="Café\u2028night — ünïcode",
        contact=ContactIn(name="Zoë", email="zoe@example.com", phone="+34 600"),
        request_note="<p>Hello</p>",
        space_lines=[
            SpaceLineIn(
                space=world.zone,
                starts_at=at("2030-03-05 18:00"),
                ends_at=at("2030-03-05 23:30"),
                places=4,
                expected_attendees=4,
                use_manual_price=True,
                manual_price_gross=Decimal("99.99"),
                manual_price_vat_rate=world.room.vat_rate,
            )
        ],
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=2)],
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=1,
                starts_at=at("2030-03-05 18:00"),
                ends_at=at("2030-03-05 20:00"),
            )
        ],
    ).booking
    paid = timezone.now().replace(microsecond=123456)
    f.PaymentFactory(booking=mixed, amount=Decimal("50.00"), paid_at=paid)
    f.PaymentFactory(booking=mixed, amount=Decimal("-10.50"), paid_at=paid + timedelta(hours=1))
    key = OrganizationAPIKey.objects.filter(organization=world.organization).first()
    f.LogEntryFactory(
        booking=mixed, actor_kind=ActorKind.API_KEY, api_key=key, user=None, data={"x": [1]}
    )
    # Answers as a form would have kept them (this booking came without a form).
    type(mixed).objects.filter(pk=mixed.pk).update(
        answers={"attendees": 12, "note": "ça va", "terms": True}
    )
    return [approved, world.book(start="2030-03-06 10:00", end="2030-03-06 11:00"), mixed]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
@pytest.mark.parametrize(
    "serializer_class", [s.BookingSerializer, s.BookingDetailSerializer], ids=["list", "detail"]
)
def test_the_field_plan_answers_exactly_as_drf_does(world, zone, serializer_class):
    everything(world)
    organizations = Organization.objects.filter(pk=world.organization.pk)
    bookings = list(selectors.booking_detail_list(organizations=organizations))
    assert len(bookings) == 3

    with timezone.override(zone):
        serializer = serializer_class(bookings, many=True)
        planned = serializer.data
        drf = [serializer.child.drf_representation(booking) for booking in bookings]

        _, for_any = plan_of(serializer_class())

    assert for_any  # the plan answers for every booking, not only some
    assert [list(row.items()) for row in planned] == [list(row.items()) for row in drf]
    times = [row["created_at"] for row in planned]
    assert all(time.endswith("Z") for time in times) == (zone == "UTC")


BOOKING_FIELDS = [
    "id",
    "reference",
    "status",
    "status_label",
    "allowed_statuses",
    "source",
    "venue_id",
    "booking_form_id",
    "customer_id",
    "customer",
    "title",
    "contact",
    "notify_email",
    "notify_sms",
    "payment_type_id",
    "internal_note",
    "request_note",
    "answers",
    "starts_at",
    "ends_at",
    "total_net",
    "total_vat",
    "total_gross",
    "amount_paid",
    "balance",
    "vat_breakdown",
    "event",
    "spaces",
    "events",
    "inventory_products",
    "payments",
    "approved_at",
    "canceled_at",
    "arrived_at",
    "seated_at",
    "released_at",
    "created_at",
    "updated_at",
]
PRICE_FIELDS = [
    "unit_price_gross",
    "vat_rate_id",
    "vat_percent",
    "exclude_vat",
    "discount_id",
    "discount_amount",
    "use_manual_price",
    "manual_price_amount_gross",
    "manual_price_vat_id",
    "net",
    "vat",
    "gross",
]


def iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def prices(line) -> dict:
    return {
        "unit_price_gross": money(line.unit_price_gross),
        "vat_rate_id": line.vat_rate_id,
        "vat_percent": money(line.vat_percent),
        "exclude_vat": line.exclude_vat,
        "discount_id": line.discount_id,
        "discount_amount": money(line.discount_amount),
        "use_manual_price": line.use_manual_price,
        "manual_price_amount_gross": money(line.manual_price_gross),
        "manual_price_vat_id": line.manual_price_vat_rate_id,
        "net": money(line.net),
        "vat": money(line.vat),
        "gross": money(line.gross),
    }


def test_the_list_and_the_detail_answer_every_field_by_name_in_order(world):
    mixed = everything(world)[2]
    _, key = OrganizationAPIKey.objects.create_key(
        name="bodies", organization=world.organization, scopes=["read"]
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)

    detail = client.get(f"/api/v1/bookings/{mixed.pk}").json()
    listed = client.get("/api/v1/bookings").json()

    mixed.refresh_from_db()
    customer = mixed.customer
    space = mixed.space_bookings.get()
    ticket = mixed.event_bookings.get()
    product = mixed.inventory_bookings.get()
    payments = list(Payment.objects.filter(booking=mixed).order_by("paid_at", "pk"))
    log = list(LogEntry.objects.filter(booking=mixed).order_by("created_at", "pk"))
    expected = {
        "id": mixed.pk,
        "reference": mixed.reference,
        "status": "pending",
        "status_label": "Pending",
        "allowed_statuses": ["approved", "denied", "canceled"],
        "source": "staff",
        "venue_id": world.venue.pk,
        "booking_form_id": None,
        "customer_id": customer.pk,
        "customer": {
            "id": customer.pk,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "company": customer.company,
            "email": "ada@example.com",
            "phone": customer.phone,
        },
        "title": "Café\u2028night — ünïcode",
        "contact": {"name": "Zoë", "email": "zoe@example.com", "phone": "+34 600"},
        "notify_email": True,
        "notify_sms": False,
        "payment_type_id": None,
        "internal_note": "",
        "request_note": "<p>Hello</p>",
        "answers": {"attendees": 12, "note": "ça va", "terms": True},
        "starts_at": iso(mixed.starts_at),
        "ends_at": iso(mixed.ends_at),
        "total_net": money(mixed.total_net),
        "total_vat": money(mixed.total_vat),
        "total_gross": money(mixed.total_gross),
        "amount_paid": money(mixed.amount_paid),
        "balance": money(mixed.balance),
        "vat_breakdown": detail["vat_breakdown"],  # its figures: tests/bookings/test_pricing.py
        "event": None,
        "spaces": [
            {
                "id": space.pk,
                "space_id": world.zone.pk,
                "layout_id": None,
                "name": space.name,
                "starts_at": iso(space.starts_at),
                "ends_at": iso(space.ends_at),
                "setup_minutes": space.setup_minutes,
                "setdown_minutes": space.setdown_minutes,
                "places_used": 4,
                "expected_attendees": 4,
                "guaranteed_attendees": None,
                "actual_attendees": None,
                "signage": "",
                "show_signage": False,
                "overrides_opening_hours": False,
                "holds_capacity": False,
                **prices(space),
            }
        ],
        "events": [
            {
                "id": ticket.pk,
                "event_id": world.event.pk,
                "price_id": world.ticket.pk,
                "quantity": 2,
                "holds_capacity": False,
                **prices(ticket),
            }
        ],
        "inventory_products": [
            {
                "id": product.pk,
                "inventory_product_id": world.product.pk,
                "price_id": None,
                "units": 1,
                "starts_at": iso(product.starts_at),
                "ends_at": iso(product.ends_at),
                "holds_capacity": False,
                **prices(product),
            }
        ],
        "payments": [
            {
                "id": payment.pk,
                "amount": money(payment.amount),
                "payment_type_id": payment.payment_type_id,
                "reference": payment.reference,
                "paid_at": iso(payment.paid_at),
                "note": payment.note,
                "created_at": iso(payment.created_at),
            }
            for payment in payments
        ],
        "approved_at": None,
        "canceled_at": None,
        "arrived_at": None,
        "seated_at": None,
        "released_at": None,
        "created_at": iso(mixed.created_at),
        "updated_at": iso(mixed.updated_at),
    }
    expected_log = [
        {
            "id": entry.pk,
            "action": entry.action,
            "from_status": entry.from_status,
            "to_status": entry.to_status,
            "actor_kind": entry.actor_kind,
            "actor": entry.actor_display,
            "comment": entry.comment,
            "message": entry.message,
            "data": entry.data,
            "created_at": iso(entry.created_at),
        }
        for entry in log
    ]

    assert list(detail) == [*BOOKING_FIELDS, "log"]
    assert {name: detail[name] for name in BOOKING_FIELDS} == expected
    assert detail["log"] == expected_log
    assert [entry["actor"] for entry in detail["log"]][-1].startswith("API key ")
    assert detail["payments"][0]["paid_at"].endswith(".123456Z")
    assert [list(line) for line in detail["spaces"]] == [list(expected["spaces"][0])]
    assert [list(line) for line in detail["inventory_products"]] == [
        list(expected["inventory_products"][0])
    ]
    assert [list(line) for line in detail["events"]] == [list(expected["events"][0])]
    (row,) = [row for row in listed["results"] if row["id"] == mixed.pk]
    assert list(row) == BOOKING_FIELDS
    assert row == expected
