"""The rest of the catalogue through its services: layouts, opening hours, prices, forms and
their questions, VAT rates, discounts, payment types. Who may, the rules, nothing half-written."""

from datetime import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bookings.services import EventLineIn, SpaceLineIn, booking_create
from bookings.services.catalogue import (
    booking_form_delete,
    custom_field_delete,
    custom_field_save,
    layout_delete,
    layout_save,
    payment_type_delete,
    price_delete,
    price_save,
)
from core.errors import PermissionDenied
from tests import factories as f
from tests.bookings import conftest as booking_world
from venues.models import (
    BookingForm,
    CustomField,
    Discount,
    OpeningHours,
    PaymentType,
    Price,
    SpaceLayout,
    VatRate,
)
from venues.services import (
    booking_form_save,
    discount_save,
    opening_hours_delete,
    opening_hours_save,
    payment_type_save,
    vat_rate_delete,
    vat_rate_save,
)

pytestmark = pytest.mark.django_db

world = booking_world.world
at = booking_world.at


def book_layout(world, layout, places, *, approve=True):
    return booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=layout.space,
                layout=layout,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=places,
            )
        ],
        approve=approve,
    ).booking


# -- layouts ----------------------------------------------------------------------------------


def test_a_manager_adds_a_layout_and_front_desk_staff_cannot(world):
    layout = layout_save(
        actor=world.actors["manager"],
        layout=SpaceLayout(space=world.room),
        changes={"name": "Theatre", "capacity": 30},
    )
    assert SpaceLayout.objects.get(pk=layout.pk).capacity == 30
    with pytest.raises(PermissionDenied):
        layout_save(
            actor=world.actors["front_desk"],
            layout=SpaceLayout(space=world.room),
            changes={"name": "Banquet", "capacity": 20},
        )
    assert not SpaceLayout.objects.filter(name="Banquet").exists()


def test_a_layout_capacity_below_the_places_held_is_refused_naming_the_booking(world):
    layout = f.SpaceLayoutFactory(space=world.room, name="Theatre", capacity=30)
    booking = book_layout(world, layout, 25)

    with pytest.raises(ValidationError) as refused:
        layout_save(actor=world.actors["manager"], layout=layout, changes={"capacity": 20})

    assert refused.value.message_dict["capacity"] == [
        f"{booking.reference} holds 25 places with this layout from 2030-03-04 10:00 to 12:00 "
        "(Europe/Madrid); the capacity cannot be lower."
    ]
    layout.refresh_from_db()
    assert layout.capacity == 30


def test_a_layout_capacity_may_drop_below_a_pending_request(world):
    layout = f.SpaceLayoutFactory(space=world.room, capacity=30)
    book_layout(world, layout, 25, approve=False)  # holds nothing yet: approving re-checks

    layout_save(actor=world.actors["manager"], layout=layout, changes={"capacity": 20})

    layout.refresh_from_db()
    assert layout.capacity == 20


def test_a_layout_in_use_stays_with_its_space_and_is_not_deleted(world):
    layout = f.SpaceLayoutFactory(space=world.room, capacity=30)
    book_layout(world, layout, 5, approve=False)

    with pytest.raises(ValidationError) as moved:
        layout_save(actor=world.actors["manager"], layout=layout, changes={"space": world.zone})
    with pytest.raises(ValidationError) as deleted:
        layout_delete(actor=world.actors["manager"], layout=layout)

    assert "space" in moved.value.message_dict
    assert deleted.value.messages == ["Booked lines use this layout; it cannot be deleted."]
    layout.refresh_from_db()
    assert layout.space == world.room


# -- opening hours ----------------------------------------------------------------------------


def test_opening_hours_are_saved_and_deleted_by_managers_only(world):
    period = opening_hours_save(
        actor=world.actors["manager"],
        period=OpeningHours(venue=world.venue),
        changes={"weekday": 0, "opens_at": time(9), "closes_at": time(18)},
    )
    with pytest.raises(PermissionDenied):
        opening_hours_delete(actor=world.actors["approver"], period=period)
    opening_hours_delete(actor=world.actors["manager"], period=period)
    assert not OpeningHours.objects.exists()


def test_a_second_period_opening_at_the_same_time_is_refused(world):
    first = {"weekday": 0, "opens_at": time(9), "closes_at": time(12)}
    opening_hours_save(
        actor=world.actors["manager"], period=OpeningHours(venue=world.venue), changes=first
    )
    with pytest.raises(ValidationError):
        opening_hours_save(
            actor=world.actors["manager"],
            period=OpeningHours(venue=world.venue),
            changes=first | {"closes_at": time(18)},
        )
    assert OpeningHours.objects.count() == 1


# -- prices -----------------------------------------------------------------------------------


def test_a_price_takes_the_organisation_of_its_event(world):
    price = price_save(
        actor=world.actors["manager"],
        price=Price(event=world.event),
        changes={"name": "Member", "amount_gross": Decimal("20")},
    )
    assert price.organization == world.organization


def test_prices_are_the_catalogue_front_desk_staff_do_not_set_them(world):
    with pytest.raises(PermissionDenied):
        price_save(
            actor=world.actors["front_desk"], price=world.ticket, changes={"amount_gross": 1}
        )
    world.ticket.refresh_from_db()
    assert world.ticket.amount_gross == Decimal("30")


def test_a_price_in_use_keeps_its_event_and_is_not_deleted_but_may_change_its_amount(world):
    booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=1)],
    )
    other = f.EventFactory(venue=world.venue, organization=world.organization)

    with pytest.raises(ValidationError) as moved:
        price_save(actor=world.actors["manager"], price=world.ticket, changes={"event": other})
    with pytest.raises(ValidationError) as deleted:
        price_delete(actor=world.actors["manager"], price=world.ticket)
    price_save(actor=world.actors["manager"], price=world.ticket, changes={"amount_gross": 35})

    assert "event" in moved.value.message_dict
    assert deleted.value.messages == ["Booked lines use this price; deactivate it instead."]
    world.ticket.refresh_from_db()
    assert (world.ticket.event, world.ticket.amount_gross) == (world.event, Decimal("35"))


# -- booking forms and their questions --------------------------------------------------------


def test_a_booking_form_offers_only_spaces_of_its_venue(world):
    elsewhere = f.SpaceFactory(venue=f.VenueFactory(organization=world.organization))

    with pytest.raises(ValidationError) as refused:
        booking_form_save(
            actor=world.actors["manager"],
            form=world.form,
            changes={"title": "Renamed", "spaces": [world.room, elsewhere]},
        )

    assert refused.value.message_dict == {"spaces": [f"Not at the form's venue: {elsewhere.name}."]}
    world.form.refresh_from_db()
    assert world.form.title != "Renamed"
    assert set(world.form.spaces.all()) == {world.room, world.zone}


def test_a_booking_form_is_created_with_its_spaces(world):
    form = booking_form_save(
        actor=world.actors["manager"],
        form=BookingForm(organization=world.organization),
        changes={"venue": world.venue, "slug": "terrace", "title": "Terrace"}
        | {"spaces": [world.zone]},
    )
    assert list(form.spaces.all()) == [world.zone]
    with pytest.raises(PermissionDenied):
        booking_form_save(actor=world.actors["approver"], form=form, changes={"title": "Mine now"})


def question(world, **changes) -> CustomField:
    return custom_field_save(
        actor=world.actors["manager"],
        field=CustomField(form=world.form),
        changes={"label": "Diet", "key": "diet"} | changes,
    )


def test_a_choice_question_needs_options_each_once_and_none_blank(world):
    for choices, message in [
        ([], "A choice question needs its options."),
        (["Vegan", "  "], "An option is blank."),
        (["Vegan", "Halal", "Vegan"], "Options given twice: Vegan."),
    ]:
        with pytest.raises(ValidationError) as refused:
            question(world, field_type="choice", choices=choices)
        assert refused.value.message_dict == {"choices": [message]}
    assert not CustomField.objects.filter(key="diet").exists()

    assert question(world, field_type="choice", choices=["Vegan", "Halal"]).choices == [
        "Vegan",
        "Halal",
    ]


def test_a_question_key_is_free_in_its_form(world):
    question(world)
    with pytest.raises(ValidationError) as refused:
        question(world, label="Allergies")
    assert refused.value.message_dict == {"key": ["Another question of this form has this key."]}


def test_a_key_that_bookings_answered_keeps_its_name(world):
    field = question(world)
    other = question(world, key="parking", label="Parking")
    booking = world.book()
    booking.answers = {"diet": "Vegan"}
    booking.booking_form = world.form
    booking.save(update_fields=["answers", "booking_form"])

    with pytest.raises(ValidationError) as refused:
        custom_field_save(actor=world.actors["manager"], field=field, changes={"key": "food"})
    custom_field_save(actor=world.actors["manager"], field=other, changes={"key": "car_park"})

    assert "Bookings hold answers under 'diet'" in refused.value.message_dict["key"][0]
    field.refresh_from_db()
    assert field.key == "diet"


def test_a_key_answered_in_a_change_request_keeps_its_name(world):
    field = question(world, key="parking", label="Parking")
    booking = world.book()
    booking.booking_form = world.form
    booking.save(update_fields=["booking_form"])
    f.ChangeRequestFactory(booking=booking, changes={"answers": {"parking": "Yes"}})

    with pytest.raises(ValidationError) as refused:
        custom_field_save(actor=world.actors["manager"], field=field, changes={"key": "car"})

    assert "key" in refused.value.message_dict


def test_a_booking_form_that_bookings_came_through_is_not_deleted(world):
    empty = f.BookingFormFactory(venue=world.venue, organization=world.organization)
    booking = world.book()
    booking.booking_form = world.form
    booking.save(update_fields=["booking_form"])

    with pytest.raises(ValidationError) as refused:
        booking_form_delete(actor=world.actors["manager"], form=world.form)
    with pytest.raises(PermissionDenied):
        booking_form_delete(actor=world.actors["approver"], form=empty)
    booking_form_delete(actor=world.actors["manager"], form=empty)

    assert refused.value.messages == ["Bookings came through this form; deactivate it instead."]
    assert list(BookingForm.objects.all()) == [world.form]


def test_questions_are_the_catalogue_of_managers(world):
    field = question(world)
    with pytest.raises(PermissionDenied):
        custom_field_delete(actor=world.actors["front_desk"], field=field)
    custom_field_delete(actor=world.actors["manager"], field=field)
    assert not CustomField.objects.filter(pk=field.pk).exists()


# -- VAT rates, discounts, payment types ------------------------------------------------------


def test_a_vat_rate_in_use_is_not_deleted(world):
    (vat,) = VatRate.objects.filter(organization=world.organization)
    with pytest.raises(ValidationError) as refused:
        vat_rate_delete(actor=world.actors["manager"], vat_rate=vat)
    assert "deactivate it instead" in refused.value.messages[0]
    unused = vat_rate_save(
        actor=world.actors["manager"],
        vat_rate=VatRate(organization=world.organization),
        changes={"name": "Reduced", "percent": Decimal("10")},
    )
    vat_rate_delete(actor=world.actors["manager"], vat_rate=unused)
    assert list(VatRate.objects.filter(organization=world.organization)) == [vat]


def test_a_discount_code_is_free_in_the_organisation_whatever_its_case(world):
    f.DiscountFactory(organization=world.organization, code="SUMMER")
    with pytest.raises(ValidationError):
        discount_save(
            actor=world.actors["manager"],
            discount=Discount(organization=world.organization),
            changes={"name": "Again", "kind": "percent", "value": 5, "code": "summer"},
        )
    with pytest.raises(PermissionDenied):
        discount_save(
            actor=world.actors["front_desk"],
            discount=Discount(organization=world.organization),
            changes={"name": "Mine", "kind": "percent", "value": 5},
        )
    assert Discount.objects.count() == 1


def test_a_payment_type_that_bookings_name_is_not_deleted(world):
    card = payment_type_save(
        actor=world.actors["manager"],
        payment_type=PaymentType(organization=world.organization),
        changes={"name": "Card", "kind": "card"},
    )
    world.book(payment_type=card)

    with pytest.raises(ValidationError) as refused:
        payment_type_delete(actor=world.actors["manager"], payment_type=card)

    assert refused.value.messages == ["Bookings use this payment type; deactivate it instead."]
    assert PaymentType.objects.filter(pk=card.pk).exists()
