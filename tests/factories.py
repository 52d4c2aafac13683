"""factory-boy factories for every model; times are aware and in UTC."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from bookings import models as bookings
from core.actors import ActorKind
from venues import models as venues

BASE_TIME = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)  # a Monday


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = venues.Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = venues.Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = venues.Membership.Role.MANAGER


class VenueFactory(DjangoModelFactory):
    class Meta:
        model = venues.Venue

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Venue {n}")
    slug = factory.Sequence(lambda n: f"venue-{n}")
    timezone = "Europe/Madrid"


class VatRateFactory(DjangoModelFactory):
    class Meta:
        model = venues.VatRate

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"VAT {n}")
    percent = Decimal("21.00")


class SpaceFactory(DjangoModelFactory):
    class Meta:
        model = venues.Space

    venue = factory.SubFactory(VenueFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    slug = factory.Sequence(lambda n: f"room-{n}")
    capacity = 40
    mode = venues.Space.Mode.EXCLUSIVE
    hourly_price = Decimal("100.00")


class SpaceLayoutFactory(DjangoModelFactory):
    class Meta:
        model = venues.SpaceLayout

    space = factory.SubFactory(SpaceFactory)
    name = factory.Sequence(lambda n: f"Layout {n}")
    capacity = 30


class BlockoutFactory(DjangoModelFactory):
    class Meta:
        model = venues.Blockout

    space = factory.SubFactory(SpaceFactory)
    starts_at = BASE_TIME
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))


class OpeningHoursFactory(DjangoModelFactory):
    class Meta:
        model = venues.OpeningHours

    venue = factory.SubFactory(VenueFactory)
    weekday = 0
    opens_at = time(8, 0)
    closes_at = time(22, 0)


class EventFactory(DjangoModelFactory):
    class Meta:
        model = venues.Event

    venue = factory.SubFactory(VenueFactory)
    organization = factory.SelfAttribute("venue.organization")
    title = factory.Sequence(lambda n: f"Event {n}")
    starts_at = BASE_TIME
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    capacity = 100


class InventoryProductFactory(DjangoModelFactory):
    class Meta:
        model = venues.InventoryProduct

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    units_total = 5
    unit_price = Decimal("25.00")


class PriceFactory(DjangoModelFactory):
    class Meta:
        model = venues.Price

    event = factory.SubFactory(EventFactory)
    organization = factory.SelfAttribute("event.organization")
    product = None
    name = "Adult"
    amount_gross = Decimal("30.00")


class DiscountFactory(DjangoModelFactory):
    class Meta:
        model = venues.Discount

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Discount {n}")
    kind = venues.Discount.Kind.PERCENT
    value = Decimal("10.00")


class PaymentTypeFactory(DjangoModelFactory):
    class Meta:
        model = venues.PaymentType

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Payment type {n}")
    kind = venues.PaymentType.Kind.CARD


class CalendarFeedFactory(DjangoModelFactory):
    class Meta:
        model = venues.CalendarFeed

    venue = factory.SubFactory(VenueFactory)
    name = factory.Sequence(lambda n: f"Calendar {n}")
    token_hash = factory.Sequence(lambda n: venues.hash_feed_token(f"token {n}"))


class BookingFormFactory(DjangoModelFactory):
    class Meta:
        model = venues.BookingForm

    venue = factory.SubFactory(VenueFactory)
    organization = factory.SelfAttribute("venue.organization")
    slug = factory.Sequence(lambda n: f"form-{n}")
    title = factory.Sequence(lambda n: f"Booking form {n}")


class CustomFieldFactory(DjangoModelFactory):
    class Meta:
        model = venues.CustomField

    form = factory.SubFactory(BookingFormFactory)
    label = factory.Sequence(lambda n: f"Question {n}")
    key = factory.Sequence(lambda n: f"question_{n}")


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = bookings.Customer

    organization = factory.SubFactory(OrganizationFactory)
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Lovelace {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


class BookingFactory(DjangoModelFactory):
    """A pending booking; move it on with its transitions (status is protected)."""

    class Meta:
        model = bookings.Booking

    venue = factory.SubFactory(VenueFactory)
    organization = factory.SelfAttribute("venue.organization")
    customer = factory.SubFactory(
        CustomerFactory, organization=factory.SelfAttribute("..organization")
    )


class SpaceBookingFactory(DjangoModelFactory):
    class Meta:
        model = bookings.SpaceBooking

    booking = factory.SubFactory(BookingFactory)
    space = factory.SubFactory(SpaceFactory, venue=factory.SelfAttribute("..booking.venue"))
    starts_at = BASE_TIME
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    places = 10


class EventBookingFactory(DjangoModelFactory):
    class Meta:
        model = bookings.EventBooking

    booking = factory.SubFactory(BookingFactory)
    event = factory.SubFactory(EventFactory, venue=factory.SelfAttribute("..booking.venue"))
    price = factory.SubFactory(PriceFactory, event=factory.SelfAttribute("..event"))
    quantity = 2


class InventoryBookingFactory(DjangoModelFactory):
    class Meta:
        model = bookings.InventoryBooking

    booking = factory.SubFactory(BookingFactory)
    product = factory.SubFactory(
        InventoryProductFactory, organization=factory.SelfAttribute("..booking.organization")
    )
    units = 1
    starts_at = BASE_TIME
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = bookings.Payment

    booking = factory.SubFactory(BookingFactory)
    amount = Decimal("50.00")


class LogEntryFactory(DjangoModelFactory):
    class Meta:
        model = bookings.LogEntry

    booking = factory.SubFactory(BookingFactory)
    action = bookings.LogEntry.Action.CREATED
    actor_kind = ActorKind.SYSTEM


class ChangeRequestFactory(DjangoModelFactory):
    class Meta:
        model = bookings.ChangeRequest

    booking = factory.SubFactory(BookingFactory)
    submitted_by_kind = ActorKind.CUSTOMER
    changes = factory.LazyFunction(lambda: {"contact": {"contact_phone": "+34 600 000 000"}})


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = bookings.Notification

    booking = factory.SubFactory(BookingFactory)
    organization = factory.SelfAttribute("booking.organization")
    kind = bookings.Notification.Kind.REQUEST_RECEIVED
    recipient = "customer@example.com"
    subject = "We received your request"
    body_text = "Thank you."


class WebhookEndpointFactory(DjangoModelFactory):
    class Meta:
        model = bookings.WebhookEndpoint

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example/venuedesk")
    sealed_secret = "not-a-sealed-secret"


class WebhookDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = bookings.WebhookDelivery

    booking = factory.SubFactory(BookingFactory)
    endpoint = factory.SubFactory(
        WebhookEndpointFactory, organization=factory.SelfAttribute("..booking.organization")
    )
    event = "booking.created"
    payload = factory.LazyAttribute(
        lambda delivery: {
            "event": "booking.created",
            "data": {"booking": {"id": delivery.booking.pk}},
        }
    )
