"""Catalogue admins save and delete through the services the API uses, and show their
refusals on the form (or as a message, for deletes): never a 500, nothing saved."""

from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError

from backoffice.admin.through_services import ServiceForm
from bookings.models import Customer
from bookings.services import EventLineIn, ProductLineIn, SpaceLineIn, booking_create
from bookings.services import catalogue as catalogue_services
from core.errors import PermissionDenied
from tests import factories as f
from tests.backoffice.pages import admin_url, form_data, messages_of, when, with_new_row
from tests.bookings import conftest as booking_world
from venues.models import (
    Blockout,
    BookingForm,
    CustomField,
    Discount,
    Event,
    InventoryProduct,
    OpeningHours,
    PaymentType,
    Price,
    Space,
    SpaceLayout,
    VatRate,
    Venue,
)

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


# -- inline rows through their services --------------------------------------------------------


def rows_of(response, prefix: str) -> list:
    """The inline formset `prefix` of a page shown again."""
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    ]
    return formset


def test_a_layout_row_below_the_places_held_is_refused_on_its_row_and_nothing_is_written(
    manager, world
):
    layout = f.SpaceLayoutFactory(space=world.room, name="Theatre", capacity=30)
    booking = booking_create(
        actor=world.actors["manager"],
        organization=world.organization,
        venue=world.venue,
        customer=world.customer,
        source="staff",
        space_lines=[
            SpaceLineIn(
                space=world.room,
                layout=layout,
                starts_at=at("2030-03-04 10:00"),
                ends_at=at("2030-03-04 12:00"),
                places=25,
            )
        ],
        approve=True,
    ).booking
    url = admin_url(Space, "change", world.room.pk)
    data = form_data(manager.get(url)) | {"name": "Renamed room", "layouts-0-capacity": "20"}

    response = manager.post(url, data)

    layouts = rows_of(response, "layouts")
    assert layouts.forms[0].errors == {
        "capacity": [
            f"{booking.reference} holds 25 places with this layout from 2030-03-04 10:00 to "
            "12:00 (Europe/Madrid); the capacity cannot be lower."
        ]
    }
    assert not errors_of(response)  # the space's own fields were fine
    layout.refresh_from_db()
    world.room.refresh_from_db()
    assert (layout.capacity, world.room.name) == (30, world.room.name)
    assert world.room.name != "Renamed room"  # the space's save rolled back with the row


def test_a_blockout_added_on_the_space_page_goes_through_the_service(manager, world):
    booking = world.book(approve=True)
    f.BlockoutFactory(
        space=world.room, starts_at=at("2020-01-01 08:00"), ends_at=at("2020-01-01 09:00")
    )  # over: not offered on the page
    url = admin_url(Space, "change", world.room.pk)
    page = manager.get(url)
    assert rows_of(page, "blockouts").initial_form_count() == 0
    data = with_new_row(
        form_data(page),
        "blockouts",
        {  # as typed, in the venue's wall-clock time
            "starts_at_0": "2030-03-04",
            "starts_at_1": "08:00",
            "ends_at_0": "2030-03-04",
            "ends_at_1": "18:00",
            "reason": "maintenance",
            "note": "Floor polish",
        },
    )

    response = manager.post(url, data, follow=True)

    blockout = Blockout.objects.get(note="Floor polish")
    assert (blockout.space, blockout.created_by) == (world.room, world.actors["manager"].user)
    assert blockout.starts_at == at("2030-03-04 08:00")  # read in the venue's zone
    assert any(booking.reference in message for message in messages_of(response))


def test_a_question_row_refused_for_deletion_stays_and_the_page_names_it(
    manager, world, monkeypatch
):
    question = f.CustomFieldFactory(form=world.form, label="Diet", key="diet")

    def refuse(**kwargs):
        raise ValidationError("Not while the form is open.")

    monkeypatch.setattr(catalogue_services, "custom_field_delete", refuse)
    url = admin_url(BookingForm, "change", world.form.pk)
    data = form_data(manager.get(url)) | {"custom_fields-0-DELETE": "on"}

    response = manager.post(url, data)

    assert response.status_code == 200
    assert rows_of(response, "custom_fields").non_form_errors() == [
        f"{question}: Not while the form is open."
    ]
    assert CustomField.objects.filter(pk=question.pk).exists()


# -- questions: options one per line, in order -------------------------------------------------


def test_question_options_are_shown_one_per_line_and_read_back_as_a_list(manager, world):
    question = f.CustomFieldFactory(
        form=world.form, key="diet", field_type="choice", choices=["Vegan", "Halal"]
    )
    url = admin_url(BookingForm, "change", world.form.pk)
    page = manager.get(url)
    row = rows_of(page, "custom_fields").forms[0]
    assert row["choices"].value() == "Vegan\nHalal"
    assert "<textarea" in str(row["choices"])

    unchanged = manager.post(url, form_data(page))
    question.refresh_from_db()
    assert unchanged.status_code == 302
    assert question.choices == ["Vegan", "Halal"]

    typed = form_data(page) | {"custom_fields-0-choices": " Vegan\r\n\r\nKosher \r\nHalal\r\n"}
    assert manager.post(url, typed).status_code == 302
    question.refresh_from_db()
    assert question.choices == ["Vegan", "Kosher", "Halal"]


@pytest.mark.parametrize(
    ("field_type", "choices", "error"),
    [
        ("choice", "Vegan\nHalal\nVegan", "Options given twice: Vegan."),
        ("multi_choice", "\n  \n", "A choice question needs its options."),
        ("text", "Vegan", "Only choice fields have options."),
    ],
    ids=["twice", "none for a choice", "options for text"],
)
def test_question_options_the_service_refuses_show_on_the_row(
    manager, world, field_type, choices, error
):
    url = admin_url(BookingForm, "change", world.form.pk)
    data = with_new_row(
        form_data(manager.get(url)),
        "custom_fields",
        {
            "position": "10",
            "label": "Diet",
            "key": "diet",
            "field_type": field_type,
            "section": "event",
            "choices": choices,
        },
    )

    response = manager.post(url, data)

    assert rows_of(response, "custom_fields").forms[-1].errors == {"choices": [error]}
    assert not CustomField.objects.filter(key="diet").exists()


def test_questions_are_listed_as_the_form_asks_them_and_a_new_one_goes_last(manager, world):
    later = f.CustomFieldFactory(form=world.form, section="event", position=20, label="Later")
    first = f.CustomFieldFactory(form=world.form, section="event", position=10, label="First")
    contact = f.CustomFieldFactory(form=world.form, section="contact", position=30, label="Ask")

    formset = rows_of(manager.get(admin_url(BookingForm, "change", world.form.pk)), "custom_fields")

    assert [row.instance for row in formset.initial_forms] == [contact, first, later]
    assert formset.empty_form["position"].value() == 40


def test_a_viewer_reads_question_options_as_a_list(client, world):
    f.CustomFieldFactory(
        form=world.form, key="diet", field_type="choice", choices=["Vegan", "Halal"]
    )
    client.force_login(world.actors["viewer"].user)

    page = client.get(admin_url(BookingForm, "change", world.form.pk)).content.decode()

    assert "Vegan, Halal" in page
    assert "[&quot;Vegan&quot;" not in page


# -- roles ----------------------------------------------------------------------------------------

CATALOGUE = [
    Venue,
    Space,
    SpaceLayout,
    Blockout,
    OpeningHours,
    Event,
    InventoryProduct,
    Price,
    VatRate,
    Discount,
    PaymentType,
    BookingForm,
    CustomField,
    Customer,
]
# What front-desk staff keep (Action.WRITE); the rest of the catalogue is a manager's.
FRONT_DESK_WRITES = {Blockout, Event, Customer}


def catalogue_object(world, model):
    return {
        Venue: world.venue,
        Space: world.room,
        Event: world.event,
        InventoryProduct: world.product,
        Price: world.ticket,
        BookingForm: world.form,
        Customer: world.customer,
        VatRate: world.room.vat_rate,
    }.get(model) or (
        getattr(f, f"{model.__name__}Factory")(
            **{
                SpaceLayout: {"space": world.room},
                Blockout: {"space": world.room},
                OpeningHours: {"venue": world.venue},
                Discount: {"organization": world.organization},
                PaymentType: {"organization": world.organization},
                CustomField: {"form": world.form},
            }[model]
        )
    )


def saves_offered(page) -> bool:
    return 'name="_save"' in page.content.decode()


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.__name__)
def test_a_viewer_sees_every_catalogue_page_read_only(client, world, model):
    obj = catalogue_object(world, model)
    client.force_login(world.actors["viewer"].user)
    url = admin_url(model, "change", obj.pk)

    page = client.get(url)
    posted = client.post(url, form_data(page))

    assert page.status_code == 200
    assert not saves_offered(page)
    assert not page.context["adminform"].form.fields  # every field shown as text
    assert posted.status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.__name__)
def test_front_desk_staff_change_only_what_the_policy_lets_them_write(client, world, model):
    obj = catalogue_object(world, model)
    client.force_login(world.actors["front_desk"].user)
    url = admin_url(model, "change", obj.pk)

    page = client.get(url)

    writes = model in FRONT_DESK_WRITES
    assert saves_offered(page) is writes
    assert client.get(admin_url(model, "add")).status_code == (200 if writes else 403)
    if not writes:
        assert client.post(url, form_data(page)).status_code == 403


def test_front_desk_staff_change_an_event_but_not_its_prices(client, world):
    client.force_login(world.actors["front_desk"].user)
    url = admin_url(Event, "change", world.event.pk)
    page = client.get(url)
    (prices,) = page.context["inline_admin_formsets"]
    assert not prices.has_change_permission
    assert not prices.has_add_permission
    data = form_data(page) | {"title": "Late show", "prices-0-amount_gross": "1.00"}

    assert client.post(url, data).status_code == 302

    world.event.refresh_from_db()
    world.ticket.refresh_from_db()
    assert world.event.title == "Late show"
    assert world.ticket.amount_gross == Decimal("30")


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda model: model.__name__)
def test_a_manager_changes_the_whole_catalogue_of_their_organisation(manager, world, model):
    obj = catalogue_object(world, model)
    url = admin_url(model, "change", obj.pk)

    page = manager.get(url)
    response = manager.post(url, form_data(page))

    assert saves_offered(page)
    assert manager.get(admin_url(model, "add")).status_code == 200
    assert response.status_code == 302, errors_of(response)


def test_a_booking_form_added_with_its_spaces_and_a_question_goes_through_the_services(
    manager, world
):
    response = manager.post(
        admin_url(BookingForm, "add"),
        {
            "organization": world.organization.pk,
            "venue": world.venue.pk,
            "slug": "terrace",
            "title": "Terrace",
            "spaces": [world.zone.pk],
            "min_notice_hours": "24",
            "max_days_ahead": "365",
            "slot_minutes": "30",
            "min_duration_minutes": "60",
            "cancellation_deadline_hours": "48",
            "custom_fields-TOTAL_FORMS": "1",
            "custom_fields-INITIAL_FORMS": "0",
            "custom_fields-0-position": "10",
            "custom_fields-0-label": "Seating",
            "custom_fields-0-key": "seating",
            "custom_fields-0-field_type": "choice",
            "custom_fields-0-section": "event",
            "custom_fields-0-choices": "Inside\nOutside",
        },
    )

    assert response.status_code == 302, errors_of(response)
    form = BookingForm.objects.get(slug="terrace")
    assert list(form.spaces.all()) == [world.zone]
    assert list(form.custom_fields.values_list("key", "choices")) == [
        ("seating", ["Inside", "Outside"])
    ]


def test_a_booking_form_offering_a_space_of_another_venue_is_refused_on_spaces(manager, world):
    elsewhere = f.SpaceFactory(venue=f.VenueFactory(organization=world.organization))
    url = admin_url(BookingForm, "change", world.form.pk)
    data = form_data(manager.get(url)) | {"spaces": [world.room.pk, elsewhere.pk]}

    response = manager.post(url, data)

    assert errors_of(response) == {"spaces": [f"Not at the form's venue: {elsewhere.name}."]}
    assert set(world.form.spaces.all()) == {world.room, world.zone}


def test_a_payment_type_that_bookings_name_is_not_deleted_and_the_service_says_why(manager, world):
    card = f.PaymentTypeFactory(organization=world.organization, name="Card")
    world.book(payment_type=card)

    response = manager.post(admin_url(PaymentType, "delete", card.pk), {"post": "yes"}, follow=True)

    assert "Bookings use this payment type; deactivate it instead." in messages_of(response)
    assert PaymentType.objects.filter(pk=card.pk).exists()
