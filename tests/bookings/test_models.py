"""Booking model behaviour that needs the database: references, tokens, mirrored line fields."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django_fsm import ConcurrentTransition

from bookings.models import (
    REFERENCE_ALPHABET,
    Booking,
    SpaceBooking,
    generate_reference,
    hash_manage_token,
)
from bookings.services.catalogue import space_save
from bookings.services.common import sync_lines
from core.actors import Actor
from tests import factories as f

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(rf"^VD-[{REFERENCE_ALPHABET}]{{6}}$")


def test_reference_looks_like_vd_and_six_unambiguous_characters():
    references = {generate_reference() for _ in range(500)}
    assert all(REFERENCE.match(reference) for reference in references)
    assert not set("".join(references)) & set("01OI")
    assert len(references) > 490  # random, not a counter


def test_a_new_booking_gets_a_reference_unrelated_to_its_id():
    first, second = f.BookingFactory(), f.BookingFactory()
    assert REFERENCE.match(first.reference)
    assert REFERENCE.match(second.reference)
    assert str(first.pk) not in first.reference[3:]
    assert first.reference != second.reference


def test_reference_generation_skips_a_taken_reference():
    taken = f.BookingFactory()
    with mock.patch(
        "bookings.models.booking.generate_reference", side_effect=[taken.reference, "VD-ZZZZZZ"]
    ):
        assert f.BookingFactory().reference == "VD-ZZZZZZ"


def test_only_the_hash_of_the_manage_token_is_stored():
    booking = f.BookingFactory()
    token = booking.issue_manage_token()
    booking.save()
    sync_lines(booking)
    booking.refresh_from_db()
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    assert token not in booking.manage_token_hash
    assert booking.manage_token_hash == hash_manage_token(token)
    assert booking.manage_token_matches(token)
    assert not booking.manage_token_matches(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_a_booking_without_a_token_matches_no_token():
    assert not f.BookingFactory().manage_token_matches("")


def test_lines_hold_capacity_exactly_while_the_booking_does():
    booking = f.BookingFactory()
    space_line = f.SpaceBookingFactory(booking=booking)
    event_line = f.EventBookingFactory(booking=booking)
    product_line = f.InventoryBookingFactory(booking=booking)
    lines = [space_line, event_line, product_line]

    def held():
        for line in lines:
            line.refresh_from_db()
        return [line.holds_capacity for line in lines]

    assert held() == [False, False, False]
    booking.approve()
    booking.save()
    sync_lines(booking)
    assert held() == [True, True, True]
    booking.cancel()
    booking.save()
    sync_lines(booking)
    assert held() == [False, False, False]


def test_saving_a_booking_writes_no_other_row():
    booking = f.BookingFactory()
    line = f.SpaceBookingFactory(booking=booking)
    booking.approve()
    booking.save()
    line.refresh_from_db()
    assert line.holds_capacity is False  # the services bring lines in step, explicitly


def test_occupied_interval_includes_setup_and_setdown():
    line = f.SpaceBookingFactory(setup_minutes=45, setdown_minutes=30)
    assert line.occupied_from == line.starts_at - timedelta(minutes=45)
    assert line.occupied_until == line.ends_at + timedelta(minutes=30)


def test_release_ends_the_occupied_interval_at_the_release_time():
    line = f.SpaceBookingFactory(setdown_minutes=30)
    booking = line.booking
    booking.approve()
    booking.arrive()
    release_time = line.starts_at + timedelta(minutes=50)
    with mock.patch("django.utils.timezone.now", return_value=release_time):
        booking.release()
    booking.save()
    sync_lines(booking)
    line.refresh_from_db()
    assert line.holds_capacity
    assert line.occupied_until == release_time


def test_a_space_line_copies_the_space_mode_and_follows_its_changes():
    line = f.SpaceBookingFactory(space__mode="shared")
    assert line.exclusive_space is False
    space_save(actor=Actor.system(), space=line.space, changes={"mode": "exclusive"})
    line.refresh_from_db()
    assert line.exclusive_space is True


def test_span_covers_every_kind_of_line():
    booking = f.BookingFactory()
    space_line = f.SpaceBookingFactory(booking=booking)
    product_line = f.InventoryBookingFactory(
        booking=booking, starts_at=space_line.starts_at - timedelta(hours=1)
    )
    event_line = f.EventBookingFactory(
        booking=booking,
        event__starts_at=space_line.starts_at,
        event__ends_at=space_line.ends_at + timedelta(hours=5),
    )
    booking.compute_span()
    assert booking.starts_at == product_line.starts_at
    assert booking.ends_at == event_line.event.ends_at


def test_span_of_a_booking_without_lines_is_empty():
    booking = f.BookingFactory()
    booking.compute_span()
    assert (booking.starts_at, booking.ends_at) == (None, None)


def test_a_transition_on_a_stale_copy_cannot_be_saved():
    booking = f.BookingFactory()
    approver_copy = Booking.objects.get(pk=booking.pk)
    denier_copy = Booking.objects.get(pk=booking.pk)
    approver_copy.approve()
    approver_copy.save()
    denier_copy.deny()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        denier_copy.save()
    assert Booking.objects.get(pk=booking.pk).status == "approved"


def test_release_also_frees_the_products_from_the_release_time():
    line = f.InventoryBookingFactory()
    booking = line.booking
    booking.approve()
    booking.arrive()
    release_time = line.starts_at + timedelta(minutes=30)
    with mock.patch("django.utils.timezone.now", return_value=release_time):
        booking.release()
    booking.save()
    sync_lines(booking)
    line.refresh_from_db()
    assert (line.holds_capacity, line.occupied_until) == (True, release_time)


def test_loading_bookings_with_only_some_fields_costs_no_query_per_row(
    django_assert_num_queries,
):
    for _ in range(3):
        f.BookingFactory()
    with django_assert_num_queries(1):
        bookings = list(Booking.objects.only("reference", "status"))
    assert len(bookings) == 3


def test_a_line_missing_its_booking_and_space_gets_field_errors_not_a_crash():
    line = SpaceBooking(starts_at=f.BASE_TIME, ends_at=f.BASE_TIME + timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        line.full_clean()
    assert {"booking", "space"} <= set(refused.value.message_dict)


@pytest.mark.parametrize("field", ["venue", "customer", "booking_form", "payment_type"])
def test_a_booking_refuses_what_belongs_to_another_organisation(field):
    booking = f.BookingFactory()
    stranger = {
        "venue": f.VenueFactory,
        "customer": f.CustomerFactory,
        "booking_form": f.BookingFormFactory,
        "payment_type": f.PaymentTypeFactory,
    }[field]()
    setattr(booking, field, stranger)
    with pytest.raises(ValidationError) as refused:
        booking.full_clean()
    assert field in refused.value.message_dict
    assert "another organisation" in str(refused.value)


def test_a_booking_of_one_organisation_is_valid():
    booking = f.BookingFactory()
    booking.payment_type = f.PaymentTypeFactory(organization=booking.organization)
    booking.booking_form = f.BookingFormFactory(venue=booking.venue)
    booking.full_clean()


@pytest.mark.parametrize(
    ("make_line", "field"),
    [
        (lambda: f.SpaceBookingFactory(space=f.SpaceFactory()), "space"),
        (lambda: f.EventBookingFactory(event=f.EventFactory()), "event"),
        (lambda: f.InventoryBookingFactory(product=f.InventoryProductFactory()), "product"),
        (lambda: f.SpaceBookingFactory(vat_rate=f.VatRateFactory()), "vat_rate"),
        (lambda: f.EventBookingFactory(discount=f.DiscountFactory()), "discount"),
    ],
)
def test_a_line_refuses_catalogue_of_another_organisation(make_line, field):
    line = make_line()
    with pytest.raises(ValidationError) as refused:
        line.full_clean()
    assert field in refused.value.message_dict


def test_a_space_line_refuses_the_layout_of_another_space():
    line = f.SpaceBookingFactory()
    line.full_clean()
    line.layout = f.SpaceLayoutFactory(space__venue=line.space.venue)
    with pytest.raises(ValidationError, match="another space"):
        line.full_clean()


def test_an_event_line_refuses_the_price_of_another_event():
    line = f.EventBookingFactory()
    line.full_clean()
    line.price = f.PriceFactory(event__venue=line.event.venue)
    with pytest.raises(ValidationError, match="not a price of the event"):
        line.full_clean()


def test_a_product_kept_at_another_venue_cannot_be_booked():
    line = f.InventoryBookingFactory()
    line.full_clean()
    line.product.venue = f.VenueFactory(organization=line.booking.organization)
    with pytest.raises(ValidationError, match="another venue"):
        line.full_clean()


def test_full_clean_validates_without_touching_the_protected_status():
    booking = f.BookingFactory()
    booking.approve()
    booking.full_clean()
    change_request = f.ChangeRequestFactory(booking=booking)
    change_request.full_clean()
    assert (booking.status, change_request.status) == ("approved", "pending")
