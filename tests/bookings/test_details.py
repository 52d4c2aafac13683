"""services.booking_update against the database: what changes, what is logged, what is refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from bookings import services
from bookings.models import Booking, LogEntry
from core.actors import Actor
from core.errors import PermissionDenied, StaleBooking
from tests import factories as f
from tests.bookings.conftest import at

pytestmark = pytest.mark.django_db


def details_log(booking) -> list[LogEntry]:
    return list(booking.log_entries.filter(action=LogEntry.Action.DETAILS_UPDATED))


def test_booking_update_changes_title_note_payment_type_and_flags_and_logs_old_and_new(world):
    booking = world.book()
    card = f.PaymentTypeFactory(organization=world.organization)
    services.booking_update(
        actor=world.actors["front_desk"],
        booking=booking,
        client_updated_at=booking.updated_at,
        changes={
            "title": " Board meeting  ",
            "internal_note": "Greet at the door.\n",
            "payment_type": card,
            "notify_email": False,
            "notify_sms": True,
        },
    )
    booking = Booking.objects.get(pk=booking.pk)
    assert (booking.title, booking.internal_note, booking.payment_type) == (
        "Board meeting",
        "Greet at the door.\n",
        card,
    )
    assert (booking.notify_email, booking.notify_sms) == (False, True)
    [entry] = details_log(booking)
    assert entry.user == world.actors["front_desk"].user
    assert entry.data == {
        "fields": ["internal_note", "notify_email", "notify_sms", "payment_type_id", "title"],
        "changed": {
            "title": ["Team meeting", "Board meeting"],
            "payment_type_id": [None, card.pk],
            "notify_email": [True, False],
            "notify_sms": [False, True],
        },
    }


def test_booking_update_changes_the_customer_and_contact_and_logs_them(world):
    booking = world.book()
    other = f.CustomerFactory(organization=world.organization)
    services.booking_update(
        actor=world.actors["key:write"],
        booking=booking,
        changes={"customer": other, "contact_name": " Pat ", "contact_email": "pat@example.com"},
    )
    booking.refresh_from_db()
    assert (booking.customer, booking.contact_name, booking.contact_email) == (
        other,
        "Pat",
        "pat@example.com",
    )
    [entry] = details_log(booking)
    assert entry.data["changed"]["customer_id"] == [world.customer.pk, other.pk]
    assert entry.api_key == world.actors["key:write"].api_key


def test_booking_update_changes_only_what_is_named_and_logs_nothing_when_nothing_changes(world):
    booking = world.book(internal_note="Keep me")
    before = Booking.objects.get(pk=booking.pk).updated_at
    services.booking_update(
        actor=world.actors["manager"],
        booking=booking,
        changes={"title": "Team meeting", "notify_email": True},
    )
    booking = Booking.objects.get(pk=booking.pk)
    assert (booking.updated_at, booking.internal_note) == (before, "Keep me")
    assert details_log(booking) == []


def test_booking_update_with_none_clears_the_payment_type(world):
    cash = f.PaymentTypeFactory(organization=world.organization)
    booking = world.book(payment_type=cash)
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"payment_type": None}
    )
    assert Booking.objects.get(pk=booking.pk).payment_type is None
    assert details_log(booking)[0].data["changed"] == {"payment_type_id": [cash.pk, None]}


def test_booking_update_logs_that_the_internal_note_changed_but_not_what_it_says(world):
    booking = world.book(internal_note="Old secret")
    services.booking_update(
        actor=world.actors["manager"], booking=booking, changes={"internal_note": "New secret"}
    )
    [entry] = details_log(booking)
    assert entry.data == {"fields": ["internal_note"], "changed": {}}
    assert "secret" not in str(entry.data)


def test_booking_update_refuses_a_stale_copy_and_changes_nothing(world):
    booking = world.book()
    seen = booking.updated_at - timedelta(seconds=5)
    with pytest.raises(StaleBooking):
        services.booking_update(
            actor=world.actors["manager"],
            booking=booking,
            client_updated_at=seen,
            changes={"title": "Late"},
        )
    booking.refresh_from_db()
    assert booking.title == "Team meeting"
    assert details_log(booking) == []


def test_booking_update_accepts_a_copy_seen_to_the_second(world):
    booking = world.book()
    seen = booking.updated_at.replace(microsecond=0)
    services.booking_update(
        actor=world.actors["manager"],
        booking=booking,
        client_updated_at=seen,
        changes={"title": "On time"},
    )
    assert Booking.objects.get(pk=booking.pk).title == "On time"


def test_booking_update_refuses_another_organisations_payment_type_and_writes_nothing(world):
    booking = world.book()
    foreign = f.PaymentTypeFactory()
    with pytest.raises(ValidationError) as refused:
        services.booking_update(
            actor=world.actors["manager"],
            booking=booking,
            changes={"payment_type": foreign, "title": "Half"},
        )
    assert set(refused.value.message_dict) == {"payment_type"}
    booking.refresh_from_db()
    assert (booking.payment_type, booking.title) == (None, "Team meeting")
    assert details_log(booking) == []


def test_booking_update_refuses_another_organisations_customer(world):
    booking = world.book()
    with pytest.raises(ValidationError) as refused:
        services.booking_update(
            actor=world.actors["manager"],
            booking=booking,
            changes={"customer": f.CustomerFactory()},
        )
    assert set(refused.value.message_dict) == {"customer"}
    assert Booking.objects.get(pk=booking.pk).customer == world.customer


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"contact_name": "x" * 201}, "contact_name"),
        ({"contact_phone": "1" * 41}, "contact_phone"),
        ({"contact_email": "not an address"}, "contact_email"),
        ({"contact_name": "Nul\x00l"}, "contact_name"),
        ({"internal_note": 12}, "internal_note"),
        ({"notify_sms": "yes"}, "notify_sms"),
        ({"customer": None}, "customer"),
        ({"payment_type": "card"}, "payment_type"),
        ({"status": "approved"}, "status"),
        ({"request_note": "mine"}, "request_note"),
        ({"answers": {}}, "answers"),
    ],
)
def test_booking_update_refuses_what_the_model_or_the_service_does_not_take(world, changes, field):
    booking = world.book()
    with pytest.raises(ValidationError) as refused:
        services.booking_update(actor=world.actors["manager"], booking=booking, changes=changes)
    assert field in refused.value.message_dict
    assert details_log(booking) == []
    assert Booking.objects.get(pk=booking.pk).status == "pending"


@pytest.mark.parametrize("who", ["viewer", "key:read", "key:approve", "stranger"])
def test_booking_update_needs_the_write_right(world, who):
    booking = world.book()
    with pytest.raises(PermissionDenied):
        services.booking_update(actor=world.actors[who], booking=booking, changes={"title": "No"})
    assert Booking.objects.get(pk=booking.pk).title == "Team meeting"


def test_a_customer_cannot_use_booking_update_even_with_the_manage_token(world):
    created = world.book_as_customer(
        space_lines=[
            services.SpaceLineIn(
                space=world.room, starts_at=at("2030-03-04 10:00"), ends_at=at("2030-03-04 12:00")
            )
        ]
    )
    for actor in (Actor.customer(created.manage_token), Actor.customer()):
        with pytest.raises(PermissionDenied):
            services.booking_update(
                actor=actor, booking=created.booking, changes={"notify_sms": True}
            )
    assert Booking.objects.get(pk=created.booking.pk).notify_sms is False


def test_booking_update_takes_a_booking_id(world):
    booking = world.book()
    updated = services.booking_update(
        actor=Actor.system(), booking=booking.pk, changes={"title": "By id"}
    )
    assert (updated.pk, Booking.objects.get(pk=booking.pk).title) == (booking.pk, "By id")
