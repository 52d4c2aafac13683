"""A small organisation to run the booking services against (Europe/Madrid, far future)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bookings.services import CustomerIn, SpaceLineIn, booking_create
from core.actors import Actor
from tests import factories as f
from venues.models import Membership, OrganizationAPIKey

MADRID = ZoneInfo("Europe/Madrid")


def at(text: str) -> datetime:
    """A Madrid wall-clock time, e.g. at("2030-03-04 10:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


@dataclass
class World:
    organization: object
    venue: object
    room: object  # exclusive, 40 people, 100.00/h, 21 % VAT
    zone: object  # shared, 10 places
    product: object  # 3 units
    event: object  # 5 tickets
    ticket: object  # a 30.00 price of the event
    form: object  # public form, approval required
    customer: object
    actors: dict  # role or scope name -> Actor

    def book(
        self,
        *,
        start="2030-03-04 10:00",
        end="2030-03-04 12:00",
        space=None,
        places=10,
        approve=False,
        actor="manager",
        **extra,
    ):
        """A staff booking of one space line (pending unless approve=True)."""
        return booking_create(
            actor=self.actors[actor],
            organization=self.organization,
            venue=self.venue,
            customer=self.customer,
            source="staff",
            title="Team meeting",
            space_lines=[
                SpaceLineIn(
                    space=space or self.room, starts_at=at(start), ends_at=at(end), places=places
                )
            ],
            approve=approve,
            **extra,
        ).booking

    def book_as_customer(self, *, space_lines=(), product_lines=(), **extra):
        """A booking through the public form, as an anonymous customer (CreatedBooking)."""
        return booking_create(
            actor=Actor.customer(),
            organization=self.organization,
            venue=self.venue,
            customer=self.public_customer(),
            source="public_form",
            booking_form=self.form,
            space_lines=list(space_lines),
            product_lines=list(product_lines),
            **extra,
        )

    def public_customer(self, email="guest@example.com") -> CustomerIn:
        return CustomerIn(first_name="Gina", last_name="Guest", email=email, phone="+34 600 1")


@pytest.fixture
def world(db) -> World:
    organization = f.OrganizationFactory(name="Harbour", email="hello@harbour.example")
    venue = f.VenueFactory(organization=organization, timezone="Europe/Madrid")
    vat = f.VatRateFactory(organization=organization, percent=Decimal("21"))
    room = f.SpaceFactory(
        venue=venue, capacity=40, mode="exclusive", vat_rate=vat, hourly_price=Decimal("100.00")
    )
    zone = f.SpaceFactory(
        venue=venue, capacity=10, mode="shared", vat_rate=vat, hourly_price=Decimal("0.00")
    )
    product = f.InventoryProductFactory(organization=organization, units_total=3, vat_rate=vat)
    event = f.EventFactory(
        venue=venue,
        organization=organization,
        capacity=5,
        starts_at=at("2030-03-08 22:00"),
        ends_at=at("2030-03-09 04:00"),
    )
    ticket = f.PriceFactory(
        event=event, organization=organization, amount_gross=Decimal("30"), vat_rate=vat
    )
    form = f.BookingFormFactory(
        venue=venue,
        organization=organization,
        requires_approval=True,
        min_notice_hours=24,
        max_days_ahead=3650,
        slot_minutes=30,
        min_duration_minutes=60,
        notify_emails="staff@harbour.example",
    )
    form.spaces.set([room, zone])
    form.products.set([product])
    actors = {}
    for role in Membership.Role.values:
        user = f.UserFactory(username=role)
        f.MembershipFactory(user=user, organization=organization, role=role)
        actors[role] = Actor.staff(user)
    for scope in OrganizationAPIKey.Scope.values:
        key, _ = OrganizationAPIKey.objects.create_key(
            name=f"{scope} key", organization=organization, scopes=[scope]
        )
        actors[f"key:{scope}"] = Actor.api(key)
    stranger = f.UserFactory(username="stranger")
    f.MembershipFactory(user=stranger, role=Membership.Role.MANAGER)  # of another organisation
    actors["stranger"] = Actor.staff(stranger)
    customer = f.CustomerFactory(organization=organization, email="ada@example.com")
    return World(organization, venue, room, zone, product, event, ticket, form, customer, actors)
