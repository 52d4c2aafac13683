"""The booking selectors: only the given organisations' rows, prefetched; what is free."""

from datetime import timedelta

import pytest
from django.db.models import Prefetch, QuerySet

from bookings import models as bookings
from bookings import selectors
from bookings.services import ProductLineIn, SpaceLineIn, booking_approve, change_request_submit
from core.actors import Actor, ActorKind
from tests import factories as f
from tests.bookings.conftest import at
from venues.models import Organization

pytestmark = pytest.mark.django_db


def only(organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(pk=organization.pk)


def booking_with_everything(organization: Organization, number: int = 0) -> bookings.Booking:
    """A booking of `organization` with a line of each kind, a payment, a log entry and a
    change request."""
    venue = f.VenueFactory(organization=organization)
    booking = f.BookingFactory(venue=venue)
    start = f.BASE_TIME + timedelta(days=number)
    f.SpaceBookingFactory(booking=booking, starts_at=start)
    f.EventBookingFactory(booking=booking)
    f.InventoryBookingFactory(booking=booking, starts_at=start)
    f.PaymentFactory(booking=booking, payment_type=f.PaymentTypeFactory(organization=organization))
    staff = f.UserFactory()
    f.LogEntryFactory(booking=booking, user=staff, actor_kind=ActorKind.USER)
    f.ChangeRequestFactory(booking=booking)
    booking.compute_span()
    booking.save()
    return booking


# selector -> the rows of a booking it lists
OF_BOOKING = {
    selectors.customer_list: lambda booking: [booking.customer],
    selectors.booking_summary_list: lambda booking: [booking],
    selectors.booking_list: lambda booking: [booking],
    selectors.booking_detail_list: lambda booking: [booking],
    selectors.payment_list: lambda booking: list(booking.payments.all()),
    selectors.log_entry_list: lambda booking: list(booking.log_entries.all()),
    selectors.event_booking_list: lambda booking: list(booking.event_bookings.all()),
    selectors.inventory_booking_list: lambda booking: list(booking.inventory_bookings.all()),
    selectors.change_request_list: lambda booking: list(booking.change_requests.all()),
}


@pytest.mark.parametrize("selector", OF_BOOKING, ids=lambda selector: selector.__name__)
def test_a_booking_selector_returns_the_given_organisations_rows_and_no_others(selector):
    mine = booking_with_everything(f.OrganizationFactory())
    booking_with_everything(f.OrganizationFactory())

    listed = list(selector(organizations=only(mine.organization)))

    assert listed == OF_BOOKING[selector](mine)
    assert len(listed) == 1
    assert list(selector(organizations=Organization.objects.none())) == []


def test_booking_get_finds_a_booking_of_the_given_organisations_and_not_another_ones():
    mine = booking_with_everything(f.OrganizationFactory())
    theirs = booking_with_everything(f.OrganizationFactory())
    organizations = only(mine.organization)

    assert selectors.booking_get(organizations=organizations, booking_id=mine.pk) == mine
    with pytest.raises(bookings.Booking.DoesNotExist):
        selectors.booking_get(organizations=organizations, booking_id=theirs.pk)


@pytest.mark.parametrize("selector", [selectors.payment_list, selectors.log_entry_list])
def test_payments_and_log_entries_narrow_to_one_booking(selector):
    organization = f.OrganizationFactory()
    first = booking_with_everything(organization, 1)
    second = booking_with_everything(organization, 2)
    organizations = only(organization)

    rows = list(selector(organizations=organizations, booking=first))

    assert len(list(selector(organizations=organizations))) == 2
    assert [row.booking_id for row in rows] == [first.pk]
    assert second.pk not in {row.booking_id for row in rows}


# -- prefetching --------------------------------------------------------------------------------


def shown_in_a_list(booking: bookings.Booking) -> list:
    return [
        booking.customer.email,
        booking.venue_id,
        booking.organization_id,
        *(line.places for line in booking.space_bookings.all()),
        *(line.quantity for line in booking.event_bookings.all()),
        *(line.units for line in booking.inventory_bookings.all()),
        *(payment.amount for payment in booking.payments.all()),
    ]


def test_iterating_bookings_with_their_lines_and_payments_takes_two_queries_for_any_number(
    django_assert_num_queries,
):
    organization = f.OrganizationFactory()
    for number in range(3):
        booking_with_everything(organization, number)

    # The organisations' ids, the bookings, their lines and payments together.
    with django_assert_num_queries(3):
        shown = [
            shown_in_a_list(b) for b in selectors.booking_list(organizations=only(organization))
        ]

    assert len(shown) == 3
    assert all(len(row) == 7 for row in shown)


def test_bookings_with_lines_hold_the_same_rows_in_the_same_order_as_prefetch_related():
    organization = f.OrganizationFactory()
    listed = []
    for number in range(3):
        booking = booking_with_everything(organization, number)
        # A second line of each kind, earlier, so that the order has something to keep.
        start = f.BASE_TIME + timedelta(days=number, hours=-5)
        f.SpaceBookingFactory(booking=booking, starts_at=start)
        f.EventBookingFactory(booking=booking)
        f.InventoryBookingFactory(booking=booking, starts_at=start)
        f.PaymentFactory(booking=booking, paid_at=start)
        listed.append(booking.pk)
    relations = {
        "space_bookings": ("starts_at", "pk"),
        "event_bookings": ("pk",),
        "inventory_bookings": ("starts_at", "pk"),
        "payments": ("paid_at", "pk"),
    }
    expected = bookings.Booking.objects.filter(pk__in=listed).prefetch_related(
        *(
            Prefetch(
                name,
                queryset=getattr(bookings.Booking, name).rel.related_model.objects.order_by(*order),
            )
            for name, order in relations.items()
        )
    )

    read = {
        booking.pk: booking for booking in selectors.booking_list(organizations=only(organization))
    }

    assert set(read) == set(listed)
    for booking in expected:
        for name in relations:
            rows = list(getattr(read[booking.pk], name).all())
            wanted = list(getattr(booking, name).all())
            assert rows == wanted
            assert [vars_of(row) for row in rows] == [vars_of(row) for row in wanted]
            assert all(row.booking is read[booking.pk] for row in rows)


def vars_of(row) -> dict:
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def test_a_filter_on_lines_read_with_their_bookings_still_reads_only_that_bookings_lines(
    django_assert_num_queries,
):
    organization = f.OrganizationFactory()
    first = booking_with_everything(organization, 1)
    booking_with_everything(organization, 2)
    read = selectors.booking_list(organizations=only(organization)).get(pk=first.pk)

    with django_assert_num_queries(2):
        filtered = list(read.space_bookings.filter(places__gte=1))
        assert read.payments.filter(amount__gt=0).count() == 1

    assert filtered == list(first.space_bookings.all())
    assert read.space_bookings.count() == 1


def test_the_booking_detail_adds_one_query_for_the_log_and_who_acted(django_assert_num_queries):
    organization = f.OrganizationFactory()
    for number in range(3):
        booking_with_everything(organization, number)

    with django_assert_num_queries(3):
        actors = [
            [booking.venue.name, booking.organization.name]
            + [entry.actor_display for entry in booking.log_entries.all()]
            for booking in selectors.booking_detail_list(organizations=only(organization))
        ]

    assert len(actors) == 3
    assert all(actor.startswith("user") for names in actors for actor in names[2:])


@pytest.mark.parametrize(
    ("selector", "shown_of"),
    [
        (
            selectors.event_booking_list,
            lambda line: (
                line.booking.reference,
                line.booking.organization.name,
                line.event.title,
                line.price.name,
            ),
        ),
        (
            selectors.inventory_booking_list,
            lambda line: (
                line.booking.reference,
                line.booking.organization.name,
                line.product.name,
            ),
        ),
        (
            selectors.change_request_list,
            lambda change: (change.booking.reference, change.booking.organization.name),
        ),
        (
            selectors.log_entry_list,
            lambda entry: (entry.booking_id, entry.actor_display),
        ),
    ],
    ids=["event_booking_list", "inventory_booking_list", "change_request_list", "log_entry_list"],
)
def test_lines_change_requests_and_log_list_with_their_booking_in_one_query(
    selector, shown_of, django_assert_num_queries
):
    organization = f.OrganizationFactory()
    for number in range(3):
        booking_with_everything(organization, number)

    with django_assert_num_queries(1):
        shown = [shown_of(row) for row in selector(organizations=only(organization))]

    assert len(shown) == 3


# -- availability -------------------------------------------------------------------------------


def test_space_availability_leaves_out_a_held_booking_and_lists_the_blockouts(world):
    world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    blockout = f.BlockoutFactory(
        space=world.room, starts_at=at("2030-03-04 15:00"), ends_at=at("2030-03-04 16:00")
    )
    f.BlockoutFactory(  # another day
        space=world.room, starts_at=at("2030-03-05 15:00"), ends_at=at("2030-03-05 16:00")
    )

    free = selectors.space_availability_get(
        space=world.room, start=at("2030-03-04 08:00"), end=at("2030-03-04 18:00")
    )

    assert free.windows == [
        (at("2030-03-04 08:00"), at("2030-03-04 10:00")),
        (at("2030-03-04 12:00"), at("2030-03-04 15:00")),
        (at("2030-03-04 16:00"), at("2030-03-04 18:00")),
    ]
    assert free.blockouts == [blockout]


def test_the_slots_for_a_change_leave_out_the_bookings_own_hold_as_the_service_does(world):
    created = world.book_as_customer(
        space_lines=[
            SpaceLineIn(
                space=world.room,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=8,
            )
        ]
    )
    booking = booking_approve(actor=world.actors["approver"], booking=created.booking)

    def starts(**ignoring):
        slots = selectors.form_slot_list(
            form=world.form,
            space=world.room,
            day=at("2030-03-04 00:00").date(),
            minutes=120,
            **ignoring,
        )
        return {f"{slot.starts_at:%H:%M}" for slot in slots}

    assert "10:30" not in starts()  # for anyone else, the approved booking holds it
    assert {"08:00", "10:00", "10:30", "12:00"} <= starts(ignoring=booking)
    # What is offered is what the service takes: the move is stored for staff, no conflict.
    line = booking.space_bookings.get()
    change = change_request_submit(
        actor=Actor.customer(created.manage_token),
        booking=booking,
        changes={
            "space_lines": [
                {
                    "id": line.pk,
                    "starts_at": "2030-03-04T10:30:00+01:00",
                    "ends_at": "2030-03-04T12:30:00+01:00",
                }
            ]
        },
    )
    assert change.status == bookings.ChangeRequest.Status.PENDING


def test_product_availability_gives_the_peak_units_held_and_those_free(world):
    def units(count, start, end):
        return ProductLineIn(
            product=world.product, units=count, starts_at=at(start), ends_at=at(end)
        )

    world.book(approve=True, product_lines=[units(2, "2030-03-04 10:00", "2030-03-04 12:00")])
    world.book(
        space=world.zone,
        places=1,
        approve=True,
        product_lines=[units(1, "2030-03-04 11:00", "2030-03-04 12:00")],
    )
    world.book(  # pending, so it holds nothing
        space=world.zone, places=1, product_lines=[units(3, "2030-03-04 09:00", "2030-03-04 10:00")]
    )

    busy = selectors.product_availability_get(
        product=world.product, start=at("2030-03-04 09:00"), end=at("2030-03-04 13:00")
    )
    early = selectors.product_availability_get(
        product=world.product, start=at("2030-03-04 09:00"), end=at("2030-03-04 11:00")
    )

    assert (busy.units_held, busy.units_free, busy.peak_at) == (3, 0, at("2030-03-04 11:00"))
    assert (early.units_held, early.units_free, early.peak_at) == (2, 1, at("2030-03-04 10:00"))
