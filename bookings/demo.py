"""Demo data: a conference centre and a club with ~50 bookings around today (seed_demo).

The schedule is written out by hand so that it reads like a real diary; times are
venue-local and days are relative to the day the seed runs. Bookings, decisions,
check-ins, payments and change requests go through the services like any other
door; afterwards their timestamps, log and (already sent) mail are dated back to when
they would have happened. Everything runs in one transaction; if the demo
organisation already exists nothing is changed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bookings import services, webhooks
from bookings.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ChangeRequest,
    Customer,
    LogEntry,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from bookings.pricing import money
from bookings.services.common import sync_lines
from core.actors import Actor, ActorKind
from venues import services as venue_services
from venues.models import (
    Blockout,
    BookingForm,
    CalendarFeed,
    CustomField,
    Discount,
    Event,
    InventoryProduct,
    Membership,
    OpeningHours,
    Organization,
    OrganizationAPIKey,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
    VatRate,
    Venue,
)

ORG_SLUG = "harbourlight"
DEMO_PASSWORD = "venuedesk-demo"  # noqa: S105 - printed for the demo on purpose
TZ = "Europe/Madrid"

# username, role (None: superuser), first name, last name
USERS = [
    ("admin", None, "Alex", "Admin"),
    ("manager", Membership.Role.MANAGER, "Marta", "Manager"),
    ("approver", Membership.Role.APPROVER, "Pau", "Approver"),
    ("frontdesk", Membership.Role.FRONT_DESK, "Fran", "Frontdesk"),
    ("viewer", Membership.Role.VIEWER, "Vera", "Viewer"),
]

CUSTOMERS = [
    # first, last, company, email, phone
    ("Laura", "Puig", "Puig & Associats", "laura.puig@example.com", "+34 611 204 310"),
    ("Daniel", "Okafor", "Brightwave Labs", "daniel.okafor@example.org", "+34 622 118 402"),
    ("Sofia", "Marin", "", "sofia.marin@example.com", "+34 633 550 919"),
    ("Jonas", "Becker", "Nordlicht GmbH", "j.becker@example.de", "+49 151 2233 4455"),
    ("Aisha", "Rahman", "Green Table Foundation", "aisha@example.org", "+34 644 901 220"),
    ("Marc", "Vidal", "", "marc.vidal@example.com", "+34 655 310 771"),
    ("Chloé", "Durand", "Atelier Durand", "chloe.durand@example.fr", "+33 6 12 34 56 78"),
    ("Tom", "Hughes", "Hughes Consulting", "tom@example.co.uk", "+44 7700 900123"),
    ("Nuria", "Soler", "", "nuria.soler@example.com", "+34 666 420 008"),
    ("Kenji", "Sato", "Sakura Travel", "k.sato@example.jp", "+81 90 1234 5678"),
    ("Elena", "Costa", "Costa Weddings", "elena@example.it", "+39 320 555 0101"),
    ("Pere", "Roca", "", "pere.roca@example.com", "+34 677 808 112"),
    ("Hannah", "Schmidt", "BioNova Pharma", "h.schmidt@example.de", "+49 160 998 7766"),
    ("Omar", "Haddad", "", "omar.haddad@example.com", "+34 688 230 945"),
    ("Marta", "Ferrer", "UPC Alumni Club", "marta.ferrer@example.edu", "+34 699 115 660"),
    ("Lucas", "Moreau", "", "lucas.moreau@example.fr", "+33 7 55 44 33 22"),
    ("Ines", "Garcia", "Garcia Events", "ines@example.es", "+34 600 777 321"),
    ("Ryan", "Walsh", "Walsh & Partners", "ryan.walsh@example.ie", "+353 85 123 4567"),
]


@dataclass
class Plan:
    """One demo booking: where, when (days from today, venue time), and what became of it."""

    venue: str
    day: int
    start: str
    hours: float
    status: str
    title: str
    customer: int
    space: str | None = None
    layout: str | None = None
    places: int = 0
    products: dict[str, int] = field(default_factory=dict)
    tickets: tuple[str, str, int] | None = None  # event key, price name, quantity
    source: str = BookingSource.PUBLIC_FORM
    paid: str = "none"  # none | deposit | full
    comment: str = ""
    message: str = ""


C, N = "conference", "club"
P, A, D, X = "pending", "approved", "denied", "canceled"
AR, SE, RE, NS = "arrived", "seated", "released", "no_show"

# fmt: off
SCHEDULE = [
    # -- the conference centre: meetings, conferences, a wedding -------------------------
    Plan(C, -27, "09:00", 8, RE, "Annual shareholders meeting", 0, "auditorium", "Theatre", 180,
         {"microphone": 4, "projector": 1}, source=BookingSource.STAFF, paid="full"),
    Plan(C, -26, "10:00", 3, RE, "Quarterly board review", 3, "boardroom", "Boardroom", 10,
         paid="full"),
    Plan(C, -24, "09:30", 6, RE, "UX research workshop", 1, "mirador", "Cabaret", 32,
         {"flipchart": 3, "coffee": 32}, paid="full"),
    Plan(C, -22, "18:00", 5, D, "Product launch party", 5, "terrace", "Cocktail", 110,
         comment="The owners use the terrace that evening.",
         message="We are sorry: the terrace is not available that evening."),
    Plan(C, -20, "09:00", 4, NS, "Investor breakfast", 7, "boardroom", "Boardroom", 12,
         source=BookingSource.API),
    Plan(C, -19, "14:00", 4, X, "Team offsite", 12, "mirador", "U-shape", 24,
         comment="Customer moved it to another city.",
         message="Your booking has been canceled as you asked."),
    Plan(C, -17, "19:00", 5, RE, "Charity gala dinner", 4, "auditorium", "Banquet", 140,
         {"microphone": 2}, paid="full"),
    Plan(C, -13, "09:00", 9, RE, "Medical congress — day 1", 12, "auditorium", "Theatre", 200,
         {"microphone": 6, "projector": 2}, source=BookingSource.STAFF, paid="full"),
    Plan(C, -12, "09:00", 9, RE, "Medical congress — day 2", 12, "auditorium", "Classroom", 110,
         {"microphone": 6, "projector": 2}, source=BookingSource.STAFF, paid="full"),
    Plan(C, -10, "16:00", 3, RE, "Book presentation", 6, "mirador", "Theatre", 55,
         {"microphone": 1}, paid="full"),
    Plan(C, -6, "10:00", 2, X, "Supplier negotiation", 7, "boardroom", "Boardroom", 6,
         source=BookingSource.API, comment="Double-booked by the client."),
    Plan(C, -3, "09:00", 8, RE, "Sales kick-off", 17, "mirador", "Theatre", 60,
         {"projector": 1, "coffee": 60}, paid="deposit"),
    Plan(C, 0, "09:00", 4, AR, "Design sprint", 1, "boardroom", "Boardroom", 12,
         {"flipchart": 2}, paid="deposit"),
    Plan(C, 0, "10:00", 6, SE, "Language school exams", 14, "mirador", "Classroom", 40,
         paid="full"),
    Plan(C, 0, "19:30", 4, A, "Alumni evening", 14, "terrace", "Cocktail", 90,
         {"microphone": 1}),
    Plan(C, 2, "09:00", 3, A, "Board meeting", 3, "boardroom", "Boardroom", 9,
         source=BookingSource.STAFF, paid="deposit"),
    Plan(C, 3, "09:00", 8, A, "Tech conference", 1, "auditorium", "Theatre", 190,
         {"microphone": 5, "projector": 2}, paid="deposit"),
    Plan(C, 3, "14:00", 3, P, "Press briefing", 8, "mirador", "Theatre", 40, {"microphone": 1}),
    Plan(C, 3, "15:00", 3, P, "Client training", 11, "mirador", "Classroom", 24,
         {"projector": 1}),
    Plan(C, 5, "18:00", 5, A, "Wedding reception", 10, "terrace", "Banquet", 80, paid="deposit"),
    Plan(C, 6, "09:30", 7, A, "Strategy workshop", 13, "mirador", "U-shape", 28,
         {"flipchart": 4, "coffee": 28}, source=BookingSource.API),
    Plan(C, 8, "10:00", 2, D, "Job interviews", 15, "boardroom", "Boardroom", 4,
         comment="Boardroom reserved for the owners that morning.",
         message="That morning is not available; any other day this week is."),
    Plan(C, 9, "09:00", 9, P, "Startup pitch day", 1, "auditorium", "Theatre", 160,
         {"microphone": 3, "projector": 1}),
    Plan(C, 10, "19:00", 4, X, "Farewell dinner", 9, "terrace", "Banquet", 60,
         comment="Canceled by phone.", message="As agreed, your booking is canceled."),
    Plan(C, 12, "09:00", 4, A, "Book club annual meeting", 5, "boardroom", "Boardroom", 12),
    Plan(C, 15, "10:00", 6, P, "Photography course", 6, "mirador", "Classroom", 18),
    Plan(C, 19, "18:30", 5, P, "Product launch", 12, "auditorium", "Banquet", 130,
         {"microphone": 2}),
    Plan(C, 24, "09:00", 8, A, "Architecture symposium", 17, "auditorium", "Theatre", 170,
         {"microphone": 4, "projector": 2}, source=BookingSource.STAFF),
    Plan(C, 31, "17:00", 6, P, "Christmas party", 7, "terrace", "Cocktail", 110),
    # -- the club: tables, VIP zone and tickets for club nights ---------------------------
    Plan(N, -22, "22:00", 4, RE, "Birthday", 2, "table-1", places=6, products={"bottle": 1},
         paid="full"),
    Plan(N, -22, "22:30", 4, RE, "Team night out", 1, "vip", places=14, paid="full"),
    Plan(N, -15, "23:00", 3, NS, "Table for 4", 15, "table-2", places=4),
    Plan(N, -15, "22:00", 5, RE, "Bachelor party", 16, "table-3", places=8,
         products={"bottle": 2}, paid="full"),
    Plan(N, -8, "22:00", 4, RE, "Anniversary", 8, "table-1", places=2, paid="full"),
    Plan(N, -8, "22:00", 0, RE, "Club night tickets", 11, tickets=("night-past", "General", 4),
         paid="full"),
    Plan(N, -8, "22:00", 0, X, "Club night tickets", 13, tickets=("night-past", "VIP", 2),
         comment="Refunded at the customer's request.", paid="full"),
    Plan(N, -1, "22:00", 4, RE, "Friday drinks", 13, "vip", places=20, products={"bottle": 3},
         paid="full"),
    Plan(N, -1, "23:00", 3, NS, "Table for 6", 9, "table-4", places=6),
    Plan(N, 0, "21:00", 4, A, "Birthday dinner", 2, "table-2", places=6, products={"bottle": 1},
         paid="deposit"),
    Plan(N, 0, "21:30", 4, A, "Company celebration", 3, "vip", places=30, paid="deposit"),
    Plan(N, 0, "22:00", 4, A, "Friends' night", 11, "vip", places=18),
    Plan(N, 0, "22:00", 3, P, "Table for 4", 5, "table-3", places=4, source=BookingSource.STAFF),
    Plan(N, 0, "22:00", 0, A, "Club night tickets", 16, tickets=("night-0", "General", 3),
         paid="full"),
    Plan(N, 1, "22:00", 4, A, "Graduation", 15, "table-1", places=8, products={"bottle": 2}),
    Plan(N, 6, "22:00", 0, A, "Club night tickets", 4, tickets=("night-1", "VIP", 6),
         source=BookingSource.API, paid="full"),
    Plan(N, 6, "22:00", 0, P, "Club night tickets", 8, tickets=("night-1", "Early bird", 2),
         source=BookingSource.STAFF),
    Plan(N, 7, "22:30", 4, A, "Engagement party", 10, "vip", places=25, products={"bottle": 4},
         paid="deposit"),
    Plan(N, 7, "23:00", 3, D, "Table for 8", 6, "table-4", places=8, source=BookingSource.STAFF,
         comment="Terrace closed for a private event.",
         message="Sorry, the terrace tables are closed that night."),
    Plan(N, 13, "22:00", 0, A, "Club night tickets", 17, tickets=("night-2", "General", 5)),
    Plan(N, 14, "22:00", 4, P, "Birthday", 0, "table-2", places=5, source=BookingSource.STAFF),
]
# fmt: on

# Product key -> name; event key -> (title, days from today, venue-local start).
PRODUCTS = {
    "projector": ("Projector and screen", 3, "45.00", None),
    "microphone": ("Wireless microphone", 6, "15.00", None),
    "flipchart": ("Flip chart", 8, "10.00", "conference"),
    "coffee": ("Coffee break (per person)", 400, "6.50", "conference"),
    "bottle": ("Bottle service (premium)", 12, "180.00", "club"),
}
CLUB_NIGHTS = {
    "night-past": ("Nocturne Fridays: Disco Inferno", -8),
    "night-0": ("Nocturne Live: Jazz after dark", 0),
    "night-1": ("Nocturne Fridays: House Classics", 6),
    "night-2": ("Nocturne Fridays: Latin Night", 13),
}


class DemoBuilder:
    """Creates the demo organisation; `run()` returns the demo logins."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or timezone.localdate(timezone=ZoneInfo(TZ))
        self.now = timezone.now()
        self.users: dict[str, object] = {}
        self.api_key_secret = ""
        self.calendar_feed_path = ""

    def run(self) -> bool:
        """Create the demo data unless it exists; True if it was created now."""
        with transaction.atomic():
            self._users()
            created = not Organization.objects.filter(slug=ORG_SLUG).exists()
            if created:
                self._organization()
            self._memberships()
            if created:
                self._catalogue()
                self._bookings()
                self._calendar_feed()
        return created

    @staticmethod
    def logins() -> list[tuple[str, str]]:
        return [(username, role or "superuser") for username, role, *_ in USERS]

    @staticmethod
    def form_addresses() -> list[tuple[str, str]]:
        """(path, what it shows) of each active public booking form of the demo."""
        WAITS = "requests wait for approval"  # noqa: N806
        return [
            (
                reverse("public:booking-form", args=[form.organization.slug, form.slug]),
                f"{form.title} ({WAITS if form.requires_approval else 'confirmed at once'})",
            )
            for form in BookingForm.objects.filter(
                organization__slug=ORG_SLUG, is_active=True
            ).select_related("organization")
        ]

    # -- people -----------------------------------------------------------------------

    def _users(self) -> None:
        user_model = get_user_model()
        for username, role, first, last in USERS:
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@harbourlight.example",
                    "is_staff": True,
                    "is_superuser": role is None,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            self.users[username] = user

    def _memberships(self) -> None:
        org = Organization.objects.get(slug=ORG_SLUG)
        for username, role, *_ in USERS:
            if role is not None:
                Membership.objects.get_or_create(
                    user=self.users[username], organization=org, defaults={"role": role}
                )

    # -- catalogue --------------------------------------------------------------------

    def _organization(self) -> None:
        self.org = Organization.objects.create(
            name="Harbourlight Venues",
            slug=ORG_SLUG,
            email="hello@harbourlight.example",
            phone="+34 930 000 100",
            website="https://harbourlight.example",
            currency="EUR",
        )
        self.api_key, self.api_key_secret = OrganizationAPIKey.objects.create_key(
            name="Partner app (demo)", organization=self.org, scopes=["read", "write", "approve"]
        )
        # The partner app's receiver: told about every change (the history below marks
        # what it was sent as delivered, then switches both off: their hosts are examples).
        WebhookEndpoint.objects.create(
            organization=self.org,
            url="https://partner.harbourlight.example/venuedesk/webhooks",
            description="Partner app (demo)",
            sealed_secret=webhooks.seal_secret(webhooks.new_secret()),
        )
        WebhookEndpoint.objects.create(
            organization=self.org,
            url="https://crm.harbourlight.example/hooks/venuedesk",
            description="CRM: confirmed and canceled bookings",
            event_types=["booking.approved", "booking.canceled"],
            sealed_secret=webhooks.seal_secret(webhooks.new_secret()),
        )

    def _calendar_feed(self) -> None:
        """The conference centre's feed for the front desk's calendar app (address shown once)."""
        feed = CalendarFeed(venue=self.conference, name="Front desk calendar (demo)")
        token = venue_services.calendar_feed_create(actor=Actor.system(), feed=feed)
        self.calendar_feed_path = reverse("calendar-feed", args=[token])

    def _catalogue(self) -> None:
        org = self.org
        self.vat = {
            percent: VatRate.objects.create(organization=org, name=name, percent=Decimal(percent))
            for name, percent in [("General", "21"), ("Reduced", "10"), ("Exempt", "0")]
        }
        self.conference = Venue.objects.create(
            organization=org,
            name="Harbourlight Conference Centre",
            slug="conference-centre",
            description="Function spaces by the sea, from a boardroom to a 220-seat auditorium.",
            address="Moll de la Fusta 12",
            postal_code="08039",
            city="Barcelona",
            country="ES",
            phone="+34 930 000 101",
            email="events@harbourlight.example",
            timezone=TZ,
        )
        self.club = Venue.objects.create(
            organization=org,
            name="Nocturne Club",
            slug="nocturne",
            description="A club with a main floor, a VIP mezzanine and reserved tables.",
            address="Carrer de la Marina 210",
            postal_code="08013",
            city="Barcelona",
            country="ES",
            phone="+34 930 000 102",
            email="tables@harbourlight.example",
            timezone=TZ,
        )
        # The same hours every day, as the schedule moves with the day the seed runs:
        # the conference centre 07:00 to midnight, the club 19:00 to 04:00 (past midnight).
        for weekday in range(7):
            OpeningHours.objects.create(
                venue=self.conference, weekday=weekday, opens_at=time(7), closes_at=time(0)
            )
            OpeningHours.objects.create(
                venue=self.club, weekday=weekday, opens_at=time(19), closes_at=time(4)
            )

        self.spaces: dict[str, Space] = {}
        general = self.vat["21"]
        # fmt: off
        conference_spaces = [
            ("auditorium", "Auditorium", Space.Kind.HALL, 220, 60, 45, "180.00",
             [("Theatre", 220), ("Classroom", 120), ("Banquet", 150)]),
            ("mirador", "Mirador Room", Space.Kind.ROOM, 60, 30, 30, "75.00",
             [("Theatre", 60), ("Classroom", 40), ("U-shape", 30), ("Cabaret", 40)]),
            ("boardroom", "Boardroom", Space.Kind.ROOM, 14, 15, 15, "40.00",
             [("Boardroom", 14)]),
            ("terrace", "Sea Terrace", Space.Kind.OUTDOOR, 120, 45, 45, "120.00",
             [("Cocktail", 120), ("Banquet", 80)]),
        ]
        # fmt: on
        for position, (key, name, kind, capacity, setup, setdown, price, layouts) in enumerate(
            conference_spaces
        ):
            space = Space.objects.create(
                venue=self.conference,
                name=name,
                slug=key,
                kind=kind,
                capacity=capacity,
                mode=Space.Mode.EXCLUSIVE,
                setup_minutes=setup,
                setdown_minutes=setdown,
                hourly_price=Decimal(price),
                vat_rate=general,
                position=position,
            )
            for layout_position, (layout_name, layout_capacity) in enumerate(layouts):
                SpaceLayout.objects.create(
                    space=space,
                    name=layout_name,
                    capacity=layout_capacity,
                    position=layout_position,
                )
            self.spaces[key] = space
        club_spaces = [
            ("main-floor", "Main Floor", Space.Kind.ZONE, 300, Space.Mode.SHARED, "0.00"),
            ("vip", "VIP Mezzanine", Space.Kind.ZONE, 60, Space.Mode.SHARED, "60.00"),
            ("table-1", "Table 1 (booth)", Space.Kind.TABLE, 8, Space.Mode.EXCLUSIVE, "40.00"),
            ("table-2", "Table 2", Space.Kind.TABLE, 6, Space.Mode.EXCLUSIVE, "30.00"),
            ("table-3", "Table 3", Space.Kind.TABLE, 8, Space.Mode.EXCLUSIVE, "40.00"),
            ("table-4", "Table 4 (terrace)", Space.Kind.TABLE, 8, Space.Mode.EXCLUSIVE, "40.00"),
        ]
        for position, (key, name, kind, capacity, mode, price) in enumerate(club_spaces):
            self.spaces[key] = Space.objects.create(
                venue=self.club,
                name=name,
                slug=key,
                kind=kind,
                capacity=capacity,
                mode=mode,
                setdown_minutes=15 if kind == Space.Kind.TABLE else 0,
                hourly_price=Decimal(price),
                vat_rate=general,
                position=position,
            )

        Blockout.objects.create(
            space=self.spaces["auditorium"],
            starts_at=self._at(self.conference, 4, "08:00"),
            ends_at=self._at(self.conference, 4, "14:00"),
            reason=Blockout.Reason.MAINTENANCE,
            note="Stage lighting replacement",
            created_by=self.users["manager"],
        )
        Blockout.objects.create(
            space=self.spaces["terrace"],
            starts_at=self._at(self.conference, 21, "00:00"),
            ends_at=self._at(self.conference, 23, "00:00"),
            reason=Blockout.Reason.PRIVATE_USE,
            note="Owners' family event",
            created_by=self.users["manager"],
        )

        venue_by_key = {"conference": self.conference, "club": self.club}
        self.products = {
            key: InventoryProduct.objects.create(
                organization=org,
                name=name,
                units_total=units,
                unit_price=Decimal(price),
                vat_rate=general,
                venue=venue_by_key.get(venue_key),
            )
            for key, (name, units, price, venue_key) in PRODUCTS.items()
        }

        reduced = self.vat["10"]
        self.events: dict[str, Event] = {}
        self.prices: dict[tuple[str, str], Price] = {}
        for key, (title, day) in CLUB_NIGHTS.items():
            event = Event.objects.create(
                organization=org,
                venue=self.club,
                space=self.spaces["main-floor"],
                title=title,
                description="Resident DJs from 22:00. Tickets include one drink.",
                starts_at=self._at(self.club, day, "22:00"),
                ends_at=self._at(self.club, day + 1, "05:00"),
                capacity=250,
                is_public=True,
            )
            self.events[key] = event
            for position, (name, amount) in enumerate(
                [("Early bird", "10.00"), ("General", "15.00"), ("VIP", "35.00")]
            ):
                self.prices[key, name] = Price.objects.create(
                    organization=org,
                    event=event,
                    name=name,
                    amount_gross=Decimal(amount),
                    vat_rate=reduced,
                    position=position,
                )
        summit = Event.objects.create(
            organization=org,
            venue=self.conference,
            space=self.spaces["auditorium"],
            title="Mediterranean Product Design Summit",
            description="A day of talks on product design. Lunch included.",
            starts_at=self._at(self.conference, 17, "09:00"),
            ends_at=self._at(self.conference, 17, "18:00"),
            capacity=180,
            is_public=True,
        )
        for position, (name, amount) in enumerate([("Standard", "120.00"), ("Student", "60.00")]):
            Price.objects.create(
                organization=org,
                event=summit,
                name=name,
                amount_gross=Decimal(amount),
                vat_rate=general,
                position=position,
            )
        Price.objects.create(
            organization=org,
            product=self.products["coffee"],
            name="Member",
            amount_gross=Decimal("5.50"),
            vat_rate=reduced,
        )

        Discount.objects.create(
            organization=org,
            name="Early booking",
            kind=Discount.Kind.PERCENT,
            value=Decimal("10"),
            code="EARLY10",
            applies_to=Discount.AppliesTo.SPACES,
            valid_from=self.today,
            valid_until=self.today + timedelta(days=90),
        )
        Discount.objects.create(
            organization=org,
            name="Non-profit",
            kind=Discount.Kind.PERCENT,
            value=Decimal("15"),
            applies_to=Discount.AppliesTo.ALL,
        )
        Discount.objects.create(
            organization=org,
            name="Returning customer",
            kind=Discount.Kind.FIXED,
            value=Decimal("50.00"),
            code="WELCOMEBACK",
            applies_to=Discount.AppliesTo.SPACES,
        )
        self.payment_types = {
            kind: PaymentType.objects.create(organization=org, name=name, kind=kind)
            for kind, name in [
                (PaymentType.Kind.CARD, "Card"),
                (PaymentType.Kind.CASH, "Cash"),
                (PaymentType.Kind.INVOICE, "Invoice (30 days)"),
                (PaymentType.Kind.BANK_TRANSFER, "Bank transfer"),
            ]
        }
        self._forms()
        self.customers = [
            Customer.objects.create(
                organization=org,
                first_name=first,
                last_name=last,
                company=company,
                email=email,
                phone=phone,
            )
            for first, last, company, email, phone in CUSTOMERS
        ]

    def _forms(self) -> None:
        meetings = BookingForm.objects.create(
            organization=self.org,
            venue=self.conference,
            slug="meetings",
            title="Book a meeting or event space",
            intro="Tell us about your event; we answer every request within one working day.",
            requires_approval=True,
            min_notice_hours=48,
            max_days_ahead=365,
            slot_minutes=30,
            min_duration_minutes=60,
            max_duration_minutes=12 * 60,
            accepts_discount_codes=True,
            cancellation_deadline_hours=72,
            notify_emails="events@harbourlight.example\nmarta@harbourlight.example",
            payment_type=self.payment_types[PaymentType.Kind.INVOICE],
            confirmation_text="Thank you! We will confirm your booking by e-mail.",
        )
        meetings.spaces.set(
            [self.spaces[key] for key in ("auditorium", "mirador", "boardroom", "terrace")]
        )
        meetings.products.set(
            [self.products[key] for key in ("projector", "microphone", "flipchart", "coffee")]
        )
        fields = [
            (
                "Purchase order number",
                "po_number",
                CustomField.Type.TEXT,
                CustomField.Section.CONTACT,
                {
                    "help_text": "If your company needs one on the invoice, e.g. PO-12345.",
                    "max_length": 20,
                    "regex": r"PO-[0-9]{4,10}",
                    "regex_message": "Write it as PO- followed by 4 to 10 digits, e.g. PO-12345.",
                },
            ),
            (
                "Type of event",
                "event_type",
                CustomField.Type.CHOICE,
                CustomField.Section.EVENT,
                {
                    "required": True,
                    "choices": [
                        "Meeting",
                        "Conference",
                        "Workshop",
                        "Wedding",
                        "Private party",
                        "Other",
                    ],
                },
            ),
            (
                "Expected attendees",
                "attendees",
                CustomField.Type.NUMBER,
                CustomField.Section.EVENT,
                {"required": True},
            ),
            (
                "Catering",
                "catering",
                CustomField.Type.MULTI_CHOICE,
                CustomField.Section.EVENT,
                {"choices": ["Coffee break", "Lunch", "Dinner", "Drinks reception"]},
            ),
            (
                "Accessibility needs",
                "accessibility",
                CustomField.Type.LONG_TEXT,
                CustomField.Section.EVENT,
                {"max_length": 1000},
            ),
            (
                "Invoice e-mail",
                "invoice_email",
                CustomField.Type.EMAIL,
                CustomField.Section.CONTACT,
                {},
            ),
            (
                "I accept the terms of hire",
                "terms",
                CustomField.Type.CHECKBOX,
                CustomField.Section.EVENT,
                {"required": True, "required_message": "Please accept the terms of hire."},
            ),
        ]
        self._custom_fields(meetings, fields)

        tables = BookingForm.objects.create(
            organization=self.org,
            venue=self.club,
            slug="tables",
            title="Reserve a table",
            intro="Reserve a table or a place in the VIP mezzanine. Confirmed at once.",
            requires_approval=False,
            min_notice_hours=2,
            max_days_ahead=60,
            slot_minutes=30,
            min_duration_minutes=120,
            max_duration_minutes=6 * 60,
            cancellation_deadline_hours=24,
            notify_emails="tables@harbourlight.example",
            payment_type=self.payment_types[PaymentType.Kind.CARD],
        )
        tables.spaces.set(
            [self.spaces[key] for key in ("vip", "table-1", "table-2", "table-3", "table-4")]
        )
        tables.products.set([self.products["bottle"]])
        self._custom_fields(
            tables,
            [
                (
                    "Occasion",
                    "occasion",
                    CustomField.Type.CHOICE,
                    CustomField.Section.EVENT,
                    {"choices": ["Birthday", "Bachelor party", "Corporate", "Just for fun"]},
                ),
                (
                    "Date of birth of the host",
                    "host_birth_date",
                    CustomField.Type.DATE,
                    CustomField.Section.CONTACT,
                    {"help_text": "Guests must be 18 or older."},
                ),
            ],
        )
        self.forms = {"conference": meetings, "club": tables}

    @staticmethod
    def _custom_fields(form: BookingForm, fields: list) -> None:
        for position, (label, key, field_type, section, options) in enumerate(fields):
            CustomField.objects.create(
                form=form,
                label=label,
                key=key,
                field_type=field_type,
                section=section,
                position=position,
                **options,
            )

    # -- bookings, through the services ---------------------------------------------------

    def _bookings(self) -> None:
        """Book the schedule through the services, then date the history back."""
        self.times: dict[int, dict[str, datetime]] = {}
        self.tokens: dict[int, str] = {}
        bookings = [self._booking(number, plan) for number, plan in enumerate(SCHEDULE)]
        self._change_requests({booking.title: booking for booking in bookings})
        self._date_history(bookings)

    def _booking(self, number: int, plan: Plan) -> Booking:
        venue = self.conference if plan.venue == C else self.club
        customer = self.customers[plan.customer]
        start, end = self._times(plan)
        created_at = min(start, self.now) - timedelta(days=10 + number % 9, hours=number % 7)
        staff = plan.source == BookingSource.STAFF
        # History is imported by the system (a customer could not book the past).
        creator = {
            BookingSource.STAFF: Actor.staff(self.users["manager"]),
            BookingSource.API: Actor.api(self.api_key),
        }.get(plan.source, Actor.system())
        form = None if staff else self.forms[plan.venue]
        created = services.booking_create(
            actor=creator,
            organization=self.org,
            venue=venue,
            customer=customer,
            source=plan.source,
            booking_form=form,
            title=plan.title,
            answers=self._answers(plan, customer) if form else None,
            request_note="" if staff else "<p>Looking forward to it!</p>",
            payment_type=self.forms[plan.venue].payment_type,
            **self._lines(plan, start, end),
        )
        booking = created.booking
        self.tokens[booking.pk] = created.manage_token
        times = {"created": created_at, "approved": created_at}
        self.times[booking.pk] = times

        decided_at = min(created_at + timedelta(hours=20), self.now)
        approver = Actor.staff(self.users["approver"])
        desk = Actor.staff(self.users["frontdesk"])
        approve_first = plan.status in {A, AR, SE, RE, NS} or (
            plan.status == X and plan.comment.startswith(("Customer", "Refunded", "Canceled"))
        )
        if approve_first and booking.status == BookingStatus.PENDING:
            services.booking_approve(actor=approver, booking=booking)
            times["approved"] = decided_at
        self._payments(booking, plan, paid_at=times["approved"])
        steps = {
            D: [("denied", services.booking_deny, approver, decided_at)],
            X: [
                (
                    "canceled",
                    services.booking_cancel,
                    approver,
                    min(start - timedelta(days=2), self.now) if approve_first else decided_at,
                )
            ],
            AR: [("arrived", services.booking_arrive, desk, min(start, self.now))],
            SE: [
                ("seated", services.booking_seat, desk, min(start + timedelta(minutes=5), self.now))
            ],
            RE: [
                ("arrived", services.booking_arrive, desk, start - timedelta(minutes=10)),
                ("seated", services.booking_seat, desk, start),
                ("released", services.booking_release, desk, min(end, self.now)),
            ],
            NS: [("no_show", services.booking_mark_no_show, desk, start + timedelta(minutes=45))],
        }.get(plan.status, [])
        for position, (action, service, actor, at) in enumerate(steps):
            comment = plan.comment if position == len(steps) - 1 else ""
            if service in (services.booking_deny, services.booking_cancel):
                notice = services.Notice(comment=comment, message=plan.message)
                service(actor=actor, booking=booking, notice=notice)
            else:
                service(actor=actor, booking=booking, comment=comment)
            times[action] = at
        if plan.status == X and plan.paid != "none":
            paid = booking.payments.first()
            services.payment_record(
                actor=Actor.staff(self.users["manager"]),
                booking=booking,
                amount=-paid.amount,
                payment_type=paid.payment_type,
                reference=f"{booking.reference}-R",
                note="Refund after cancellation",
                paid_at=times["canceled"],
            )
        return booking

    def _answers(self, plan: Plan, customer: Customer) -> dict:
        if plan.venue == C:
            return {
                "event_type": "Conference" if plan.places > 100 else "Meeting",
                "attendees": plan.places,
                "catering": ["Coffee break"] if "coffee" in plan.products else [],
                "terms": True,
            }
        return {"occasion": "Birthday" if "Birthday" in plan.title else "Just for fun"}

    def _lines(self, plan: Plan, start: datetime, end: datetime) -> dict:
        space_lines = []
        if plan.space:
            space = self.spaces[plan.space]
            space_lines.append(
                services.SpaceLineIn(
                    space=space,
                    layout=space.layouts.filter(name=plan.layout).first() if plan.layout else None,
                    name=plan.title,
                    starts_at=start,
                    ends_at=end,
                    places=plan.places,
                    expected_attendees=plan.places if plan.venue == C else None,
                )
            )
        event_lines = []
        if plan.tickets:
            event_key, price_name, quantity = plan.tickets
            event_lines.append(
                services.EventLineIn(
                    event=self.events[event_key],
                    price=self.prices[event_key, price_name],
                    quantity=quantity,
                )
            )
        product_lines = [
            services.ProductLineIn(
                product=self.products[key], units=units, starts_at=start, ends_at=end
            )
            for key, units in plan.products.items()
        ]
        return {
            "space_lines": space_lines,
            "event_lines": event_lines,
            "product_lines": product_lines,
        }

    def _payments(self, booking: Booking, plan: Plan, *, paid_at: datetime) -> None:
        if plan.paid == "none" or booking.total_gross == 0:
            return
        deposit = plan.paid == "deposit"
        services.payment_record(
            actor=Actor.staff(self.users["manager"]),
            booking=booking,
            amount=money(booking.total_gross * 3 / 10) if deposit else booking.total_gross,
            payment_type=booking.payment_type or self.payment_types[PaymentType.Kind.CARD],
            reference=f"{booking.reference}-1",
            note="Deposit (30 %)" if deposit else "Paid",
            paid_at=paid_at,
        )
        booking.refresh_from_db()

    def _change_requests(self, by_title: dict[str, Booking]) -> None:
        approver = Actor.staff(self.users["approver"])

        wedding = by_title["Wedding reception"]
        line = wedding.space_bookings.get()
        services.change_request_submit(
            actor=Actor.customer(self.tokens[wedding.pk]),
            booking=wedding,
            changes={
                "space_lines": [
                    {
                        "id": line.pk,
                        "places": 95,
                        "layout_id": line.space.layouts.get(name="Cocktail").pk,
                        "ends_at": line.ends_at + timedelta(hours=1),
                    }
                ]
            },
            request_note=(
                "<p>We are now 95 guests: a cocktail reception instead of the seated dinner, "
                "please, and we would like to stay one hour longer.</p>"
            ),
        )
        self.times[wedding.pk]["change_requested"] = self.now - timedelta(hours=5)

        tech = by_title["Tech conference"]
        request = services.change_request_submit(
            actor=Actor.customer(self.tokens[tech.pk]),
            booking=tech,
            changes={
                "space_lines": [{"id": tech.space_bookings.get().pk, "places": 220}],
                "contact": {"contact_name": "Daniel Okafor"},
            },
            request_note="<p>Could we fit 220 people?</p>",
        )
        services.change_request_deny(
            actor=approver,
            change_request=request,
            notice=services.Notice(
                comment="Stage and camera platform take the front rows.",
                message="With your stage and camera platform, 200 guests is the most we can seat.",
            ),
        )
        self.times[tech.pk] |= {
            "change_requested": self.now - timedelta(days=2),
            "change_denied": self.now - timedelta(days=1, hours=20),
        }

        board = by_title["Board meeting"]
        request = services.change_request_submit(
            actor=Actor.staff(self.users["manager"]),
            booking=board,
            changes={
                "contact": {"contact_name": "Jonas Becker", "contact_email": "assistant@example.de"}
            },
            request_note="Send the confirmation to the assistant.",
        )
        services.change_request_approve(actor=approver, change_request=request)
        self.times[board.pk] |= {
            "change_requested": self.now - timedelta(days=1),
            "change_approved": self.now - timedelta(hours=22),
        }

    def _date_history(self, bookings: list[Booking]) -> None:
        """Move each booking's timestamps, log and sent mail to when they would have happened.

        The services ran just now; the schedule reaches weeks back. Public-form history
        was imported by the system, so its creation is attributed to the customer.
        """
        for booking in bookings:
            booking.refresh_from_db()
            times = self.times[booking.pk]
            entries = list(booking.log_entries.all())
            for entry in entries:
                entry.created_at = times.get(_TIME_OF.get(entry.action, ""), entry.created_at)
                if entry.action == LogEntry.Action.PAYMENT_RECORDED:
                    entry.created_at = booking.payments.get(pk=entry.data["payment"]).paid_at
                if (
                    entry.action == LogEntry.Action.CREATED
                    and booking.source == BookingSource.PUBLIC_FORM
                ):
                    entry.actor_kind = ActorKind.CUSTOMER
            LogEntry.objects.bulk_update(entries, ["created_at", "actor_kind"])
            stamps = {
                "created_at": times["created"],
                "updated_at": max(times.values()),
                "approved_at": times["approved"] if booking.approved_at else None,
            }
            for action in ("canceled", "arrived", "seated", "released"):
                if getattr(booking, f"{action}_at"):
                    stamps[f"{action}_at"] = times[action]
            Booking.objects.filter(pk=booking.pk).update(**stamps)
            booking.refresh_from_db()
            sync_lines(booking)  # the release time bounds the occupied time
            for notification in booking.notifications.all():
                at = times.get(_TIME_OF_NOTICE.get(notification.kind, ""), times["created"])
                Notification.objects.filter(pk=notification.pk).update(
                    status=Notification.Status.SENT,
                    attempts=1,
                    created_at=at,
                    next_attempt_at=at,
                    sent_at=at,
                    sealed_manage_url="",  # a sent message keeps no link
                )
            ChangeRequest.objects.filter(booking=booking).update(
                created_at=times.get("change_requested", times["created"])
            )
            WebhookDelivery.objects.filter(booking=booking).update(
                status=WebhookDelivery.Status.SENT,
                attempts=1,
                last_status_code=200,
                created_at=stamps["updated_at"],
                next_attempt_at=stamps["updated_at"],
                delivered_at=stamps["updated_at"],
            )
        # One the partner's receiver kept refusing, for staff to find in the admin.
        WebhookDelivery.objects.filter(
            pk=WebhookDelivery.objects.order_by("-pk").first().pk
        ).update(
            status=WebhookDelivery.Status.FAILED,
            attempts=10,
            last_status_code=503,
            last_error="HTTP 503 Service Unavailable: maintenance",
            delivered_at=None,
        )
        WebhookEndpoint.objects.filter(organization__slug=ORG_SLUG).update(is_active=False)

    def _times(self, plan: Plan) -> tuple[datetime, datetime]:
        venue = self.conference if plan.venue == C else self.club
        start = self._at(venue, plan.day, plan.start)
        if plan.tickets:
            event = self.events[plan.tickets[0]]
            return event.starts_at, event.ends_at
        return start, start + timedelta(minutes=int(plan.hours * 60))

    def _at(self, venue: Venue, day: int, clock: str) -> datetime:
        hour, minute = map(int, clock.split(":"))
        return datetime.combine(
            self.today + timedelta(days=day), time(hour, minute), tzinfo=venue.tzinfo
        )


# Which moment of a booking's history each log action and notification belongs to.
_TIME_OF = {
    LogEntry.Action.CREATED: "created",
    LogEntry.Action.APPROVED: "approved",
    LogEntry.Action.DENIED: "denied",
    LogEntry.Action.CANCELED: "canceled",
    LogEntry.Action.ARRIVED: "arrived",
    LogEntry.Action.SEATED: "seated",
    LogEntry.Action.RELEASED: "released",
    LogEntry.Action.NO_SHOW: "no_show",
    LogEntry.Action.CHANGE_REQUESTED: "change_requested",
    LogEntry.Action.CHANGE_DENIED: "change_denied",
    LogEntry.Action.CHANGE_APPROVED: "change_approved",
    LogEntry.Action.CHANGE_APPLIED: "change_approved",
}
_TIME_OF_NOTICE = {
    Notification.Kind.APPROVED: "approved",
    Notification.Kind.DENIED: "denied",
    Notification.Kind.CANCELED: "canceled",
    Notification.Kind.CHANGE_RECEIVED: "change_requested",
    Notification.Kind.CHANGE_DENIED: "change_denied",
    Notification.Kind.CHANGE_APPROVED: "change_approved",
}
