"""Catalogue admins save and delete through the services the API uses, and show their
refusals on the form (or as a message, for deletes): never a 500, nothing saved."""

import pytest
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError

from backoffice.admin.through_services import ServiceForm
from bookings.models import Customer
from bookings.services import EventLineIn, ProductLineIn
from core.errors import PermissionDenied
from tests import factories as f
from tests.backoffice.pages import admin_url, form_data, messages_of, when
from tests.bookings import conftest as booking_world
from venues.models import Blockout, Event, InventoryProduct, Space, Venue

world = booking_world.world
at = booking_world.at


@pytest.fixture
def manager(client, world):
    client.force_login(world.actors["manager"].user)
    return client


def errors_of(response) -> dict:
    """The form's errors of a page shown again, by field (None: the form's own)."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return {name or None: list(messages) for name, messages in form.errors.items()}


def test_an_event_capacity_below_the_tickets_held_is_an_error_on_capacity(manager, world):
    world.book(
        event_lines=[EventLineIn(event=world.event, price=world.ticket, quantity=3)],
        approve=True,
    )
    url = admin_url(Event, "change", world.event.pk)

    response = manager.post(url, form_data(manager.get(url)) | {"capacity": "2", "title": "Gala"})

    assert errors_of(response) == {
        "capacity": ["3 tickets are held by approved bookings; the capacity cannot be lower."]
    }
    world.event.refresh_from_db()
    assert (world.event.capacity, world.event.title) == (5, world.event.title)
    assert world.event.title != "Gala"


def test_a_product_stock_below_the_units_held_is_an_error_on_units_total(manager, world):
    world.book(
        product_lines=[
            ProductLineIn(
                product=world.product,
                units=2,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
            )
        ],
        approve=True,
    )
    url = admin_url(InventoryProduct, "change", world.product.pk)

    response = manager.post(url, form_data(manager.get(url)) | {"units_total": "1"})

    assert list(errors_of(response)) == ["units_total"]
    assert "2 units are held by approved bookings" in errors_of(response)["units_total"][0]
    world.product.refresh_from_db()
    assert world.product.units_total == 3


def test_an_event_added_in_the_admin_takes_its_venues_organisation(manager, world):
    response = manager.post(
        admin_url(Event, "add"),
        {
            "venue": world.venue.pk,
            "title": "Jazz night",
            **when("starts_at", at("2030-05-01 21:00")),
            **when("ends_at", at("2030-05-01 23:30")),
            "capacity": "80",
            "prices-TOTAL_FORMS": "0",
            "prices-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    event = Event.objects.get(title="Jazz night")
    assert event.organization == world.organization  # set by event_save: the form has none


def test_a_blockout_over_an_approved_booking_is_saved_with_the_services_warning(manager, world):
    booking = world.book(approve=True)

    response = manager.post(
        admin_url(Blockout, "add"),
        {
            "space": world.room.pk,
            **when("starts_at", at("2030-03-04 08:00")),
            **when("ends_at", at("2030-03-04 18:00")),
            "reason": "maintenance",
            "note": "Floor polish",
        },
        follow=True,
    )

    blockout = Blockout.objects.get(note="Floor polish")
    assert blockout.created_by == world.actors["manager"].user
    (warning,) = [
        message for message in response.context["messages"] if booking.reference in str(message)
    ]
    assert warning.level == messages.WARNING
    assert str(warning).startswith(f"{booking.reference} (approved) keeps {world.room.name} ")
    assert str(warning).endswith("inside this blockout.")


def test_a_space_whose_holders_overlap_cannot_become_exclusive(manager, world):
    first = world.book(space=world.zone, places=4, approve=True)
    second = world.book(space=world.zone, places=4, start="2030-03-04 11:00", approve=True)
    url = admin_url(Space, "change", world.zone.pk)

    response = manager.post(url, form_data(manager.get(url)) | {"mode": "exclusive"})

    (message,) = errors_of(response)["mode"]
    assert first.reference in message
    assert second.reference in message
    assert message.endswith("it cannot become exclusive.")
    world.zone.refresh_from_db()
    assert world.zone.mode == Space.Mode.SHARED


def test_a_space_made_exclusive_in_the_admin_brings_its_lines_in_step(manager, world):
    booking = world.book(space=world.zone, places=4, approve=True)
    url = admin_url(Space, "change", world.zone.pk)

    response = manager.post(url, form_data(manager.get(url)) | {"mode": "exclusive"})

    assert response.status_code == 302
    assert booking.space_bookings.get().exclusive_space is True  # space_save's step


def test_a_venue_with_events_is_not_deleted_and_the_service_says_why(manager, world):
    url = admin_url(Venue, "delete", world.venue.pk)
    page = manager.get(url)
    (protected,) = page.context["protected"]
    assert str(world.event) in protected  # the page says what keeps the venue
    assert not page.context["perms_lacking"]

    response = manager.post(url, {"post": "yes"}, follow=True)

    assert response.redirect_chain[-1][0] == admin_url(Venue, "change", world.venue.pk)
    assert "The venue has events, bookings or products; deactivate it instead." in (
        messages_of(response)
    )
    assert Venue.objects.filter(pk=world.venue.pk).exists()


def test_a_venue_nobody_refers_to_is_deleted_through_the_service(manager, world):
    empty = f.VenueFactory(organization=world.organization)

    response = manager.post(admin_url(Venue, "delete", empty.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Venue.objects.filter(pk=empty.pk).exists()


def test_a_customer_without_a_name_or_company_is_refused_as_the_service_refuses(manager, world):
    url = admin_url(Customer, "change", world.customer.pk)
    blank = {"first_name": "", "last_name": "", "company": ""}

    response = manager.post(url, form_data(manager.get(url)) | blank)

    assert errors_of(response) == {"last_name": ["Give a name or a company."]}
    world.customer.refresh_from_db()
    assert world.customer.last_name


def test_a_customer_with_bookings_is_not_deleted_and_the_service_says_why(manager, world):
    world.book()

    response = manager.post(
        admin_url(Customer, "delete", world.customer.pk), {"post": "yes"}, follow=True
    )

    assert "The customer has bookings and cannot be deleted." in messages_of(response)
    assert Customer.objects.filter(pk=world.customer.pk).exists()


@pytest.mark.parametrize(
    "model", [Venue, Space, Blockout, Event, Customer], ids=lambda model: model.__name__
)
def test_catalogue_changelists_offer_no_bulk_delete_around_the_services(manager, world, model):
    obj = {
        Venue: world.venue,
        Space: world.room,
        Event: world.event,
        Customer: world.customer,
        Blockout: f.BlockoutFactory(space=world.room),
    }[model]
    url = admin_url(model, "changelist")

    page = manager.get(url)
    response = manager.post(url, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [obj.pk]})

    action_form = page.context["action_form"]
    offered = dict(action_form.fields["action"].choices) if action_form else {}
    assert "delete_selected" not in offered
    assert response.status_code in (200, 302)
    assert model.objects.filter(pk=obj.pk).exists()


def test_events_are_never_deleted_in_the_admin(manager, world):
    url = admin_url(Event, "delete", world.event.pk)

    assert manager.get(url).status_code == 403
    assert manager.post(url, {"post": "yes"}).status_code == 403
    assert Event.objects.filter(pk=world.event.pk).exists()


def test_a_venue_added_in_the_admin_keeps_the_opening_hours_entered_with_it(manager, world):
    response = manager.post(
        admin_url(Venue, "add"),
        {
            "organization": world.organization.pk,
            "name": "Boathouse",
            "slug": "boathouse",
            "timezone": "Europe/Madrid",
            "is_active": "on",
            "opening_hours-TOTAL_FORMS": "1",
            "opening_hours-INITIAL_FORMS": "0",
            "opening_hours-0-weekday": "0",
            "opening_hours-0-opens_at": "09:00",
            "opening_hours-0-closes_at": "18:00",
        },
    )

    assert response.status_code == 302
    venue = Venue.objects.get(slug="boathouse")
    assert venue.organization == world.organization
    assert [str(period) for period in venue.opening_hours.all()] == ["Monday 09:00–18:00"]


def test_a_venue_refused_by_the_service_keeps_its_new_opening_hours_unsaved(manager, world):
    url = admin_url(Venue, "change", world.venue.pk)
    data = form_data(manager.get(url)) | {
        "timezone": "Mars/Olympus",
        "opening_hours-TOTAL_FORMS": "1",
        "opening_hours-0-weekday": "1",
        "opening_hours-0-opens_at": "09:00",
        "opening_hours-0-closes_at": "18:00",
    }

    response = manager.post(url, data)

    assert list(errors_of(response)) == ["timezone"]
    world.venue.refresh_from_db()
    assert world.venue.timezone == "Europe/Madrid"
    assert not world.venue.opening_hours.exists()  # the inline rolled back with the refusal


class VenueNameForm(ServiceForm):
    class Meta:
        model = Venue
        fields = ["name"]


@pytest.mark.parametrize(
    ("refusal", "errors"),
    [
        (ValidationError({"name": "Another venue has it."}), {"name": ["Another venue has it."]}),
        (ValidationError({"timezone": "No such zone."}), {"__all__": ["Timezone: No such zone."]}),
        (ValidationError("Not now."), {"__all__": ["Not now."]}),
        (
            PermissionDenied("You may not change the catalogue."),
            {"__all__": ["You may not change the catalogue."]},
        ),
    ],
    ids=["a field of the form", "a field not on the form", "no field", "a domain error"],
)
def test_a_services_refusal_shows_on_the_field_it_names_or_above_the_form(refusal, errors):
    form_class = type("RefusedVenueNameForm", (VenueNameForm,), {"refusal": refusal})
    form = form_class({"name": "Hall"})

    assert not form.is_valid()
    assert {name: list(messages) for name, messages in form.errors.items()} == errors
