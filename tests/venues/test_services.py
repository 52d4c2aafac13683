"""Catalogue and customer services against the database: rights, rules, nothing half-written."""

import pytest
from django.core.exceptions import ValidationError

from bookings.models import Customer
from bookings.services import (
    EventLineIn,
    ProductLineIn,
    booking_create,
    customer_delete,
    customer_save,
)
from bookings.services.catalogue import blockout_delete, blockout_save, event_save, product_save
from core.errors import InUse, PermissionDenied
from tests import factories as f
from tests.bookings import conftest as booking_world
from venues.models import Blockout, Event, Venue
from venues.services import venue_delete, venue_save

pytestmark = pytest.mark.django_db

world = booking_world.world
at = booking_world.at


def sell_tickets(world, quantity: int, *, approve: bool = True):
    return booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=quantity)],
        approve=approve,
    ).booking


# -- venues -----------------------------------------------------------------------------------


def test_a_manager_creates_a_venue_and_front_desk_staff_cannot(world):
    venue = venue_save(
        actor=world.actors["manager"],
        venue=Venue(organization=world.organization),
        changes={"name": "Annex", "slug": "annex", "timezone": "Europe/Madrid"},
    )
    assert Venue.objects.get(pk=venue.pk).name == "Annex"
    with pytest.raises(PermissionDenied):
        venue_save(
            actor=world.actors["front_desk"],
            venue=Venue(organization=world.organization),
            changes={"name": "Shed", "slug": "shed", "timezone": "Europe/Madrid"},
        )
    assert not Venue.objects.filter(slug="shed").exists()


def test_a_venue_slug_is_unique_within_the_organisation(world):
    with pytest.raises(ValidationError) as refused:
        venue_save(
            actor=world.actors["manager"],
            venue=Venue(organization=world.organization),
            changes={"name": "Twin", "slug": world.venue.slug, "timezone": "Europe/Madrid"},
        )
    assert "slug" in refused.value.message_dict


def test_a_venue_with_events_is_in_use_and_stays(world):
    with pytest.raises(InUse) as refused:
        venue_delete(actor=world.actors["manager"], venue=world.venue)
    assert refused.value.code == "venue_in_use"
    assert Venue.objects.filter(pk=world.venue.pk).exists()


def test_editing_fields_outside_the_venue_is_a_programming_error(world):
    with pytest.raises(TypeError, match="organization"):
        venue_save(actor=world.actors["manager"], venue=world.venue, changes={"organization": None})


# -- blockouts --------------------------------------------------------------------------------


def test_a_blockout_over_an_approved_booking_is_saved_with_a_warning(world):
    approved = world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    pending = world.book(start="2030-03-04 13:00", end="2030-03-04 14:00")
    world.book(start="2030-03-04 16:00", end="2030-03-04 17:00")  # after the blockout
    saved = blockout_save(
        actor=world.actors["front_desk"],
        blockout=Blockout(),
        changes={
            "space": world.room,
            "starts_at": at("2030-03-04 11:00"),
            "ends_at": at("2030-03-04 15:00"),
        },
    )
    assert saved.blockout.pk is not None
    assert len(saved.warnings) == 2
    assert approved.reference in saved.warnings[0]
    assert "from 2030-03-04 10:00 to 12:00 (Europe/Madrid)" in saved.warnings[0]
    assert saved.warnings[1] == (
        f"Pending requests for {world.room.name} then will no longer fit: {pending.reference}."
    )


def test_a_blockout_on_a_free_space_has_no_warnings(world):
    world.book(start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True)
    saved = blockout_save(
        actor=world.actors["key:write"],
        blockout=Blockout(),
        changes={
            "space": world.room,
            "starts_at": at("2030-03-04 12:00"),  # back to back: no overlap
            "ends_at": at("2030-03-04 15:00"),
        },
    )
    assert saved.warnings == []


def test_a_blockout_must_end_after_it_starts_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as refused:
        blockout_save(
            actor=world.actors["front_desk"],
            blockout=Blockout(),
            changes={
                "space": world.room,
                "starts_at": at("2030-03-04 15:00"),
                "ends_at": at("2030-03-04 15:00"),
            },
        )
    assert list(refused.value.message_dict) == ["ends_at"]
    assert not Blockout.objects.exists()


def test_a_read_key_and_another_organisations_manager_cannot_set_blockouts(world):
    blockout = f.BlockoutFactory(space=world.room)
    for actor in ("key:read", "stranger", "viewer"):
        with pytest.raises(PermissionDenied):
            blockout_save(
                actor=world.actors[actor], blockout=blockout, changes={"note": "mine now"}
            )
        with pytest.raises(PermissionDenied):
            blockout_delete(actor=world.actors[actor], blockout=blockout)
    blockout.refresh_from_db()
    assert blockout.note != "mine now"


# -- events -----------------------------------------------------------------------------------


def test_an_events_capacity_cannot_drop_below_the_tickets_held(world):
    sell_tickets(world, 3)
    sell_tickets(world, 2, approve=False)  # pending: holds nothing
    with pytest.raises(ValidationError) as refused:
        event_save(actor=world.actors["key:write"], event=world.event, changes={"capacity": 2})
    assert "3 tickets are held" in refused.value.message_dict["capacity"][0]
    world.event.refresh_from_db()
    assert world.event.capacity == 5
    event = event_save(actor=world.actors["key:write"], event=world.event, changes={"capacity": 3})
    assert Event.objects.get(pk=event.pk).capacity == 3


def test_an_event_with_bookings_stays_at_its_venue(world):
    sell_tickets(world, 1, approve=False)
    other = f.VenueFactory(organization=world.organization)
    with pytest.raises(ValidationError) as refused:
        event_save(actor=world.actors["manager"], event=world.event, changes={"venue": other})
    assert list(refused.value.message_dict) == ["venue"]
    assert Event.objects.get(pk=world.event.pk).venue == world.venue


def test_a_new_event_takes_its_venues_organisation(world):
    event = event_save(
        actor=world.actors["front_desk"],
        event=Event(),
        changes={
            "venue": world.venue,
            "title": "Quiz",
            "starts_at": at("2030-06-01 20:00"),
            "ends_at": at("2030-06-01 22:00"),
        },
    )
    assert (event.organization, event.status) == (world.organization, Event.Status.SCHEDULED)
    with pytest.raises(PermissionDenied):
        event_save(
            actor=world.actors["stranger"],
            event=Event(),
            changes={
                "venue": world.venue,
                "title": "Intruder",
                "starts_at": at("2030-06-01 20:00"),
                "ends_at": at("2030-06-01 22:00"),
            },
        )
    assert not Event.objects.filter(title="Intruder").exists()


# -- customers --------------------------------------------------------------------------------


def test_customer_details_are_trimmed_and_a_name_or_company_is_required(world):
    customer = customer_save(
        actor=world.actors["key:write"],
        customer=Customer(organization=world.organization),
        changes={"company": "  Acme  ", "email": " buyer@acme.example "},
    )
    assert (customer.company, customer.email) == ("Acme", "buyer@acme.example")
    with pytest.raises(ValidationError) as refused:
        customer_save(actor=world.actors["key:write"], customer=customer, changes={"company": ""})
    assert list(refused.value.message_dict) == ["last_name"]
    assert Customer.objects.get(pk=customer.pk).company == "Acme"


def test_a_customer_with_bookings_is_kept(world):
    world.book()
    with pytest.raises(InUse):
        customer_delete(actor=world.actors["key:write"], customer=world.customer)
    assert Customer.objects.filter(pk=world.customer.pk).exists()
    lonely = f.CustomerFactory(organization=world.organization)
    customer_delete(actor=world.actors["front_desk"], customer=lonely)
    assert not Customer.objects.filter(pk=lonely.pk).exists()
    with pytest.raises(PermissionDenied):
        customer_delete(
            actor=world.actors["viewer"],
            customer=f.CustomerFactory(organization=world.organization),
        )


# -- products -------------------------------------------------------------------------------


def rent_units(world, units, *, start="2030-03-04 10:00", end="2030-03-04 12:00", approve=True):
    return world.book(
        start=start,
        end=end,
        space=world.zone,
        places=2,
        product_lines=[
            ProductLineIn(product=world.product, units=units, starts_at=at(start), ends_at=at(end))
        ],
        approve=approve,
    )


def test_a_products_stock_cannot_drop_below_the_units_held_at_one_moment(world):
    rent_units(world, 2)
    rent_units(world, 1, start="2030-03-04 11:00", end="2030-03-04 13:00", approve=False)
    with pytest.raises(ValidationError) as refused:
        product_save(
            actor=world.actors["manager"], product=world.product, changes={"units_total": 1}
        )
    assert "2 units are held by approved bookings at 2030-03-04 10:00" in str(
        refused.value.message_dict["units_total"]
    )
    world.product.refresh_from_db()
    assert world.product.units_total == 3
    product_save(actor=world.actors["manager"], product=world.product, changes={"units_total": 2})
    world.product.refresh_from_db()
    assert world.product.units_total == 2


def test_only_a_manager_changes_a_product(world):
    with pytest.raises(PermissionDenied):
        product_save(actor=world.actors["key:write"], product=world.product, changes={"name": "x"})
    with pytest.raises(PermissionDenied):
        product_save(actor=world.actors["approver"], product=world.product, changes={"name": "x"})
