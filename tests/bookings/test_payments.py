"""services.payment_record against the database: the stale check of a payment form."""

from decimal import Decimal

import pytest

from bookings import services
from bookings.models import LogEntry, Payment
from core.errors import StaleBooking

pytestmark = pytest.mark.django_db


def test_payment_record_refuses_a_stale_booking_and_records_nothing(world):
    booking = world.book(approve=True)
    seen = booking.updated_at
    services.payment_record(
        actor=world.actors["front_desk"],
        booking=booking,
        amount=Decimal("50"),
        client_updated_at=seen,
    )

    with pytest.raises(StaleBooking):  # the same form sent again
        services.payment_record(
            actor=world.actors["front_desk"],
            booking=booking,
            amount=Decimal("50"),
            client_updated_at=seen,
        )

    booking.refresh_from_db()
    assert booking.amount_paid == Decimal("50.00")
    assert booking.balance == booking.total_gross - Decimal("50.00")
    assert Payment.objects.filter(booking=booking).count() == 1
    assert booking.log_entries.filter(action=LogEntry.Action.PAYMENT_RECORDED).count() == 1
