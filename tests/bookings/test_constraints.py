"""The bookings' database constraints refuse bad rows and accept their valid neighbours.

Each refusal runs inside its own savepoint (`refused`), so the test transaction survives
and the accepted neighbour is then written in the same test. The exclusion constraint
against double-booking exclusive spaces exists on PostgreSQL only (docs/architecture.md).
"""

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal as D
from itertools import product
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from bookings.models import Booking, ChangeRequest, SpaceBooking
from bookings.services.catalogue import space_save
from bookings.services.common import sync_lines
from core.actors import Actor
from tests import factories as f
from tests.factories import BASE_TIME
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db

NO_OVERLAP = "bookings_spacebooking_no_overlap_in_exclusive_space"
LINE_FACTORIES = {
    "space": f.SpaceBookingFactory,
    "event": f.EventBookingFactory,
    "inventory": f.InventoryBookingFactory,
}


@contextmanager
def refused(match: str):
    """The database refuses what the block writes, naming `match` (constraint or column)."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield


def at(hour: int, minute: int = 0) -> datetime:
    """A time on the factories' base day (UTC)."""
    return BASE_TIME.replace(hour=hour, minute=minute)


# -- uniqueness ----------------------------------------------------------------------------


def test_booking_reference_is_unique():
    taken = f.BookingFactory()
    with refused("reference"):
        f.BookingFactory(reference=taken.reference)
    assert f.BookingFactory(reference="VD-ZZZZZZ").reference == "VD-ZZZZZZ"


def test_a_booking_has_at_most_one_open_change_request():
    first = f.ChangeRequestFactory()
    with refused("booking_id"):
        f.ChangeRequestFactory(booking=first.booking)
    f.ChangeRequestFactory()  # another booking's open request is no obstacle
    first.withdraw()
    first.save()
    second = f.ChangeRequestFactory(booking=first.booking)
    assert second.status == "pending"
    assert first.booking.change_requests.count() == 2


# -- check constraints ---------------------------------------------------------------------

CHECKS = [
    # factory, refused values, accepted neighbour, what the error names
    *(
        pytest.param(
            f.BookingFactory,
            {total: D("-0.01")},
            {total: D("0.00")},
            "bookings_booking_totals_not_negative",
            id=f"booking-{total.replace('_', '-')}",
        )
        for total in ("total_net", "total_vat", "total_gross")
    ),
    pytest.param(
        f.BookingFactory,
        {"starts_at": at(12), "ends_at": at(12)},
        {"starts_at": at(12), "ends_at": at(12, 1)},
        "bookings_booking_ends_after_start",
        id="booking-ends-at-start",
    ),
    pytest.param(
        f.BookingFactory,
        {"starts_at": at(12), "ends_at": at(11)},
        {"starts_at": at(12), "ends_at": None},
        "bookings_booking_ends_after_start",
        id="booking-ends-before-start",
    ),
    pytest.param(
        f.SpaceBookingFactory,
        {"ends_at": BASE_TIME},
        {"ends_at": BASE_TIME + timedelta(minutes=1)},
        "bookings_spacebooking_ends_after_start",
        id="space-line-ends-at-start",
    ),
    pytest.param(
        f.SpaceBookingFactory,
        {"ends_at": BASE_TIME - timedelta(hours=1)},
        {"ends_at": BASE_TIME + timedelta(minutes=1)},
        "bookings_spacebooking_ends_after_start",
        id="space-line-ends-before-start",
    ),
    pytest.param(
        f.SpaceBookingFactory,
        {"places": 0},
        {"places": 1},
        "bookings_spacebooking_places_positive",
        id="space-line-places",
    ),
    pytest.param(
        f.EventBookingFactory,
        {"quantity": 0},
        {"quantity": 1},
        "bookings_eventbooking_quantity_positive",
        id="event-line-quantity",
    ),
    pytest.param(
        f.InventoryBookingFactory,
        {"units": 0},
        {"units": 1},
        "bookings_inventorybooking_units_positive",
        id="inventory-line-units",
    ),
    pytest.param(
        f.InventoryBookingFactory,
        {"ends_at": BASE_TIME},
        {"ends_at": BASE_TIME + timedelta(minutes=1)},
        "bookings_inventorybooking_ends_after_start",
        id="inventory-line-ends-at-start",
    ),
    pytest.param(
        f.InventoryBookingFactory,
        {"ends_at": BASE_TIME - timedelta(hours=1)},
        {"ends_at": BASE_TIME + timedelta(minutes=1)},
        "bookings_inventorybooking_ends_after_start",
        id="inventory-line-ends-before-start",
    ),
    *(
        pytest.param(
            LINE_FACTORIES[kind],
            {field: bad},
            {field: good},
            f"bookings_{kind}booking_{constraint}",
            id=f"{kind}-line-{field.replace('_', '-')}-{bad}",
        )
        for kind, (field, bad, good, constraint) in product(
            LINE_FACTORIES,
            [
                ("unit_price_gross", D("-0.01"), D("0.00"), "amounts_not_negative"),
                ("discount_amount", D("-0.01"), D("0.00"), "amounts_not_negative"),
                ("gross", D("-0.01"), D("0.00"), "amounts_not_negative"),
                ("manual_price_gross", D("-0.01"), D("0.00"), "manual_price_not_negative"),
                ("vat_percent", D("-0.01"), D("0.00"), "vat_percent_range"),
                ("vat_percent", D("100.01"), D("100.00"), "vat_percent_range"),
            ],
        )
    ),
    pytest.param(
        f.PaymentFactory,
        {"amount": D("0.00")},
        {"amount": D("-20.00")},
        "bookings_payment_amount_not_zero",
        id="payment-zero-but-refund-fine",
    ),
    pytest.param(
        f.CustomerFactory,
        {"first_name": "", "last_name": "", "company": ""},
        {"first_name": "", "last_name": "", "company": "Acme"},
        "bookings_customer_has_a_name",
        id="customer-without-a-name",
    ),
    pytest.param(
        f.NotificationFactory,
        {"status": "sent", "sent_at": None},
        {"status": "sent", "sent_at": BASE_TIME},
        "bookings_notification_sent_has_time",
        id="notification-sent-without-time",
    ),
]


@pytest.mark.parametrize(("factory", "bad", "good", "match"), CHECKS)
def test_database_refuses_a_bad_row_and_accepts_its_neighbour(factory, bad, good, match):
    with refused(match):
        factory(**bad)
    row = factory(**good)
    assert type(row).objects.filter(pk=row.pk, **good).exists()


@pytest.mark.parametrize("kind", LINE_FACTORIES)
def test_a_manual_price_needs_both_amount_and_vat_rate(kind):
    make, vat_rate = LINE_FACTORIES[kind], f.VatRateFactory()
    for half in ({"manual_price_gross": D("80.00")}, {"manual_price_vat_rate": vat_rate}):
        with refused(f"bookings_{kind}booking_manual_price_complete"):
            make(use_manual_price=True, **half)
    line = make(
        use_manual_price=True, manual_price_gross=D("80.00"), manual_price_vat_rate=vat_rate
    )
    assert type(line).objects.filter(pk=line.pk, use_manual_price=True).exists()


def test_event_line_needs_a_price_unless_it_uses_a_manual_price():
    with refused("bookings_eventbooking_price_or_manual_price"):
        f.EventBookingFactory(price=None)
    line = f.EventBookingFactory(
        price=None,
        use_manual_price=True,
        manual_price_gross=D("25.00"),
        manual_price_vat_rate=f.VatRateFactory(),
    )
    assert type(line).objects.filter(pk=line.pk, price=None).exists()


def test_space_line_occupied_interval_cannot_start_after_the_line():
    line = f.SpaceBookingFactory()
    lines = SpaceBooking.objects.filter(pk=line.pk)  # save() would recompute the interval
    with refused("bookings_spacebooking_occupied_interval_valid"):
        lines.update(occupied_from=line.starts_at + timedelta(minutes=1))
    with refused("bookings_spacebooking_occupied_interval_valid"):
        lines.update(occupied_until=line.occupied_from - timedelta(minutes=1))
    # An empty interval is fine: released before it started.
    assert lines.update(occupied_until=line.occupied_from) == 1


@pytest.mark.parametrize(
    ("model", "factory", "valid"),
    [(Booking, f.BookingFactory, "no_show"), (ChangeRequest, f.ChangeRequestFactory, "withdrawn")],
)
def test_status_must_be_a_known_state(model, factory, valid):
    rows = model.objects.filter(pk=factory().pk)  # an update bypasses the protected FSM field
    with refused(f"bookings_{model._meta.model_name}_status_valid"):
        rows.update(status="bogus")
    assert rows.update(status=valid) == 1
    assert rows.get().status == valid


# -- exclusion constraint: no overlapping holders in an exclusive space (PostgreSQL) --------


def approved_booking(space) -> Booking:
    booking = f.BookingFactory(venue=space.venue)
    booking.approve()
    booking.save()
    sync_lines(booking)
    return booking


def add_line(booking, space, starts_at, ends_at, **extra) -> SpaceBooking:
    return f.SpaceBookingFactory(
        booking=booking, space=space, starts_at=starts_at, ends_at=ends_at, **extra
    )


@requires_postgres
def test_a_second_approved_line_overlapping_in_an_exclusive_space_is_refused():
    space = f.SpaceFactory()
    add_line(approved_booking(space), space, at(10), at(12))
    later = approved_booking(space)
    with refused(NO_OVERLAP):
        add_line(later, space, at(11, 59), at(14))
    assert add_line(later, space, at(12), at(14)).holds_capacity


@requires_postgres
def test_approving_a_booking_whose_line_overlaps_a_held_one_is_refused():
    space = f.SpaceFactory()
    add_line(approved_booking(space), space, at(10), at(12))
    request = f.BookingFactory(venue=space.venue)
    line = add_line(request, space, at(11), at(13))
    with refused(NO_OVERLAP):
        request.approve()
        request.save()
        sync_lines(request)
    assert Booking.objects.get(pk=request.pk).status == "pending"
    line.refresh_from_db()
    assert not line.holds_capacity


@requires_postgres
@pytest.mark.parametrize(("setdown", "setup"), [(30, 0), (0, 30), (15, 15)])
def test_setup_and_setdown_alone_can_make_lines_overlap(setdown, setup):
    space = f.SpaceFactory()
    add_line(approved_booking(space), space, at(10), at(12), setdown_minutes=setdown)
    later = approved_booking(space)
    with refused(NO_OVERLAP):
        add_line(later, space, at(12, 29), at(14), setup_minutes=setup)
    line = add_line(later, space, at(12, 30), at(14), setup_minutes=setup)
    assert line.occupied_from == at(12, 30 - setup)


@requires_postgres
def test_back_to_back_lines_are_allowed():
    space = f.SpaceFactory()
    add_line(approved_booking(space), space, at(10), at(12))
    add_line(approved_booking(space), space, at(12), at(14))
    assert space.space_bookings.filter(holds_capacity=True).count() == 2


@requires_postgres
def test_a_pending_request_may_overlap_a_held_line():
    space = f.SpaceFactory()
    add_line(approved_booking(space), space, at(10), at(12))
    request = add_line(f.BookingFactory(venue=space.venue), space, at(11), at(13))
    assert not request.holds_capacity
    assert space.space_bookings.count() == 2


@requires_postgres
def test_a_canceled_booking_no_longer_blocks_its_space():
    space = f.SpaceFactory()
    first = approved_booking(space)
    add_line(first, space, at(10), at(12))
    second = approved_booking(space)
    with refused(NO_OVERLAP):
        add_line(second, space, at(10), at(12))
    first.cancel()
    first.save()
    sync_lines(first)
    assert add_line(second, space, at(10), at(12)).holds_capacity


@requires_postgres
def test_the_same_times_in_another_space_are_fine():
    space = f.SpaceFactory()
    other_space = f.SpaceFactory(venue=space.venue)
    add_line(approved_booking(space), space, at(10), at(12))
    add_line(approved_booking(other_space), other_space, at(10), at(12))
    assert SpaceBooking.objects.filter(holds_capacity=True, starts_at=at(10)).count() == 2


@requires_postgres
def test_a_shared_space_allows_overlapping_lines():
    space = f.SpaceFactory(mode="shared")
    add_line(approved_booking(space), space, at(10), at(12))
    add_line(approved_booking(space), space, at(11), at(13))
    assert space.space_bookings.filter(holds_capacity=True, exclusive_space=False).count() == 2


@requires_postgres
def test_a_released_booking_frees_its_space_from_the_release_time():
    space = f.SpaceFactory()
    guests = approved_booking(space)
    line = add_line(guests, space, at(10), at(14), setdown_minutes=30)
    with mock.patch("django.utils.timezone.now", return_value=at(10, 5)):
        guests.arrive()
    with mock.patch("django.utils.timezone.now", return_value=at(11)):
        guests.release()
    guests.save()
    sync_lines(guests)
    line.refresh_from_db()
    assert line.holds_capacity
    assert line.occupied_until == guests.released_at == at(11)
    with refused(NO_OVERLAP):
        add_line(approved_booking(space), space, at(10, 30), at(11, 30))
    assert add_line(approved_booking(space), space, at(11), at(13)).holds_capacity


def test_making_a_shared_space_with_overlapping_holders_exclusive_is_refused():
    space = f.SpaceFactory(mode="shared")
    first = add_line(approved_booking(space), space, at(10), at(12))
    second = add_line(approved_booking(space), space, at(11), at(13))
    with pytest.raises(ValidationError) as refusal:
        space_save(actor=Actor.system(), space=space, changes={"mode": "exclusive"})
    assert first.booking.reference in str(refusal.value.message_dict["mode"])
    assert second.booking.reference in str(refusal.value.message_dict["mode"])
    assert type(space).objects.get(pk=space.pk).mode == "shared"
    assert not space.space_bookings.filter(exclusive_space=True).exists()


def test_making_a_shared_space_without_overlaps_exclusive_brings_its_lines_in_step():
    space = f.SpaceFactory(mode="shared")
    add_line(approved_booking(space), space, at(10), at(12))
    add_line(approved_booking(space), space, at(12), at(13))
    space_save(actor=Actor.system(), space=space, changes={"mode": "exclusive"})
    assert space.space_bookings.filter(exclusive_space=True).count() == 2


def test_saving_a_space_alone_writes_no_booking_line():
    space = f.SpaceFactory(mode="shared")
    add_line(approved_booking(space), space, at(10), at(12))
    space.mode = "exclusive"
    space.save()
    assert not space.space_bookings.filter(exclusive_space=True).exists()


# -- model validation of the exclusion constraint --------------------------------------------


def overlapping_holder():
    """An approved line in an exclusive space, and an unsaved approved line overlapping it."""
    space = f.SpaceFactory()
    add_line(approved_booking(space), space, at(10), at(12))
    return f.SpaceBookingFactory.build(
        booking=approved_booking(space), space=space, starts_at=at(11), ends_at=at(13)
    )


@requires_postgres
def test_full_clean_reports_an_overlap_as_space_overlap_on_postgres():
    line = overlapping_holder()
    with pytest.raises(ValidationError) as excinfo:
        line.full_clean()
    assert [e.code for e in excinfo.value.error_dict["__all__"]] == ["space_overlap"]
    line.starts_at = at(12)  # back to back
    line.full_clean()


@requires_postgres
def test_full_clean_skips_the_overlap_check_when_holds_capacity_is_excluded():
    line = overlapping_holder()
    line.full_clean(exclude=["holds_capacity"])  # neither crashes nor misjudges
    with pytest.raises(ValidationError, match="already booked"):
        line.full_clean(exclude=["name"])  # other exclusions still check


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL checks overlaps (tests above)"
)
def test_full_clean_does_not_check_overlaps_where_there_is_no_exclusion_constraint():
    line = overlapping_holder()
    line.full_clean()
    line.save()  # and the database has no constraint to refuse it
    assert SpaceBooking.objects.filter(space=line.space, holds_capacity=True).count() == 2
