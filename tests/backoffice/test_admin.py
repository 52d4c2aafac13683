"""The admin: every page of both apps opens, tenants stay apart, statuses stay read-only."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import (
    Booking,
    ChangeRequest,
    Customer,
    EventBooking,
    IdempotencyKey,
    InventoryBooking,
    LogEntry,
    Notification,
    Payment,
    SpaceBooking,
    WebhookDelivery,
)
from tests import factories
from tests.backoffice.pages import admin_url, form_data, staff_member_of, with_new_row
from tests.test_hardening import inline_code_in
from venues.models import (
    Blockout,
    Event,
    Membership,
    Organization,
    OrganizationAPIKey,
    Space,
    Venue,
)

pytestmark = pytest.mark.django_db

ADMIN_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"venues", "bookings"}),
    key=lambda model: model._meta.label,
)
# Written by the services only: shown in the admin, never added or changed there (issue 9).
READ_ONLY_MODELS = {
    Booking,
    SpaceBooking,
    EventBooking,
    InventoryBooking,
    Payment,
    LogEntry,
    ChangeRequest,
    Notification,
    WebhookDelivery,
}


def make(model):
    """One saved object of `model`: a newly registered model needs a factory (or a line here)."""
    if model is OrganizationAPIKey:
        organization = factories.OrganizationFactory()
        return model.objects.create_key(name="Door app", organization=organization)[0]
    return getattr(factories, f"{model.__name__}Factory")()


# A replay cache of API answers, with no business data and no organisation to scope by.
NOT_IN_ADMIN = {IdempotencyKey}


def test_every_model_of_both_apps_is_registered():
    models = [
        *apps.get_app_config("venues").get_models(),
        *apps.get_app_config("bookings").get_models(),
    ]
    missing = [model for model in models if not admin.site.is_registered(model)]
    assert missing == sorted(NOT_IN_ADMIN, key=str)
    assert len(ADMIN_MODELS) == len(models) - len(NOT_IN_ADMIN)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_changelist_change_and_add_pages_of_every_model_open(admin_client, model):
    obj = make(model)

    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert obj.pk in [row.pk for row in changelist.context["cl"].result_list]
    change = admin_client.get(admin_url(model, "change", quote(obj.pk)))
    assert change.status_code == 200
    add_status = 403 if model in READ_ONLY_MODELS else 200
    add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == add_status
    # The content security policy would block inline code: a page must have none.
    pages = [changelist, change, add] if add_status == 200 else [changelist, change]
    assert [inline_code_in(page.content.decode()) for page in pages] == [[]] * len(pages)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_staff_never_reach_another_organisations_objects(client, model):
    foreign = make(model)
    client.force_login(staff_member_of(factories.OrganizationFactory()))

    changelist = client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert foreign.pk not in [row.pk for row in changelist.context["cl"].result_list]
    assert client.get(admin_url(model, "change", quote(foreign.pk))).status_code in (302, 404)
    add_status = 403 if model in READ_ONLY_MODELS or model is Organization else 200
    assert client.get(admin_url(model, "add")).status_code == add_status


def test_staff_see_only_the_bookings_of_their_organisations(client):
    own, foreign = factories.BookingFactory(), factories.BookingFactory()
    client.force_login(staff_member_of(own.organization))

    changelist = client.get(admin_url(Booking, "changelist"))
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [own]
    assert own.reference in changelist.content.decode()
    assert foreign.reference not in changelist.content.decode()
    assert client.get(admin_url(Booking, "change", own.pk)).status_code == 200
    assert client.get(admin_url(Booking, "change", foreign.pk)).status_code in (302, 404)


def test_staff_are_offered_only_their_organisations_objects_as_choices(client):
    own, foreign = factories.SpaceFactory(), factories.SpaceFactory()
    client.force_login(staff_member_of(own.venue.organization))

    event_fields = client.get(admin_url(Event, "add")).context["adminform"].form.fields
    assert list(event_fields["venue"].queryset) == [own.venue]
    assert list(event_fields["space"].queryset) == [own]
    venue_fields = client.get(admin_url(Venue, "add")).context["adminform"].form.fields
    assert list(venue_fields["organization"].queryset) == [own.venue.organization]
    assert foreign.venue not in event_fields["venue"].queryset


def test_autocomplete_offers_staff_only_their_organisations_spaces(client):
    own, foreign = factories.SpaceFactory(), factories.SpaceFactory()
    client.force_login(staff_member_of(own.venue.organization))

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "venues", "model_name": "event", "field_name": "space", "term": ""},
    )
    assert response.status_code == 200
    offered = [row["id"] for row in response.json()["results"]]
    assert str(own.pk) in offered
    assert str(foreign.pk) not in offered


def test_api_keys_are_created_hashed_and_revoked_in_bulk(admin_client):
    organization = factories.OrganizationFactory()

    response = admin_client.post(
        admin_url(OrganizationAPIKey, "add"),
        {"name": "Door app", "organization": organization.pk, "scopes": ["read"]},
    )
    assert response.status_code == 302
    key = OrganizationAPIKey.objects.get(name="Door app")
    assert key.hashed_key
    assert key.organization == organization
    admin_client.post(
        admin_url(OrganizationAPIKey, "changelist"),
        {"action": "revoke", ACTION_CHECKBOX_NAME: [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked


@pytest.mark.parametrize(
    "factory",
    [factories.BookingFactory, factories.EventFactory, factories.ChangeRequestFactory],
    ids=lambda factory: factory._meta.model.__name__,
)
def test_fsm_status_is_shown_but_never_editable(admin_client, factory):
    obj = factory()

    page = admin_client.get(admin_url(type(obj), "change", obj.pk))
    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields
    assert 'name="status"' not in page.content.decode()


def test_booking_change_page_never_shows_the_manage_token_hash(admin_client):
    booking = factories.BookingFactory()
    booking.issue_manage_token()
    booking.save()

    content = admin_client.get(admin_url(Booking, "change", booking.pk)).content.decode()
    assert booking.manage_token_hash not in content
    assert "manage_token_hash" not in content


def test_booking_changelist_queries_do_not_grow_with_the_bookings(admin_client):
    url = admin_url(Booking, "changelist")
    admin_client.get(url)  # warm caches (session, content types) outside the count

    def queries_with(count: int) -> int:
        factories.BookingFactory.create_batch(count - Booking.objects.count())
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).context["cl"].result_count == count
        return len(queries)

    assert queries_with(2) == queries_with(12)


def test_log_entries_cannot_be_deleted_in_the_admin(admin_client):
    entry = factories.LogEntryFactory()

    assert admin_client.get(admin_url(LogEntry, "delete", entry.pk)).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_prices_added_inline_take_the_organisation_of_their_event(admin_client):
    event = factories.EventFactory()
    url = admin_url(Event, "change", event.pk)
    data = with_new_row(
        form_data(admin_client.get(url)),
        "prices",
        {"name": "Member", "amount_gross": "12.50", "position": "0", "is_active": "on"},
    )

    assert admin_client.post(url, data).status_code == 302
    price = event.prices.get(name="Member")
    assert price.organization == event.organization  # price_save's, as the form has none
    assert price.amount_gross == Decimal("12.50")


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_changelist_queries_do_not_grow_with_the_rows(admin_client, model):
    url = admin_url(model, "changelist")
    make(model)
    admin_client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(3):
        make(model)
    assert queries() == few


def test_the_unscoped_api_key_admin_of_the_library_is_not_offered():
    from rest_framework_api_key.models import APIKey

    assert APIKey not in admin.site._registry


def test_a_viewer_may_look_but_not_change(client):
    booking = factories.BookingFactory()
    venue = booking.venue
    client.force_login(staff_member_of(booking.organization, Membership.Role.VIEWER))

    assert client.get(admin_url(Booking, "changelist")).status_code == 200
    page = client.get(admin_url(Venue, "change", venue.pk))
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()  # shown read-only
    assert client.get(admin_url(Venue, "add")).status_code == 403
    client.post(admin_url(Venue, "change", venue.pk), {"name": "Renamed"})
    venue.refresh_from_db()
    assert venue.name != "Renamed"


def test_front_desk_may_change_what_the_policy_lets_it_write_and_no_more(client):
    venue = factories.VenueFactory()
    client.force_login(staff_member_of(venue.organization, Membership.Role.FRONT_DESK))
    for model in (Blockout, Event, Customer):
        assert client.get(admin_url(model, "add")).status_code == 200, model
    for model in (Venue, Space):
        assert client.get(admin_url(model, "add")).status_code == 403, model


def test_roles_count_in_the_organisation_of_the_object(client):
    own_venue, other_venue = factories.VenueFactory(), factories.VenueFactory()
    user = staff_member_of(own_venue.organization, Membership.Role.MANAGER)
    factories.MembershipFactory(
        user=user, organization=other_venue.organization, role=Membership.Role.VIEWER
    )
    client.force_login(user)

    own_page = client.get(admin_url(Venue, "change", own_venue.pk)).content.decode()
    other_page = client.get(admin_url(Venue, "change", other_venue.pk)).content.decode()
    assert 'name="name"' in own_page
    assert 'name="name"' not in other_page


def test_a_staff_user_without_membership_sees_nothing(client):
    factories.BookingFactory()
    client.force_login(factories.UserFactory(is_staff=True))
    assert client.get(admin_url(Booking, "changelist")).status_code == 403
    assert client.get(reverse("admin:index")).context["app_list"] == []


def test_bookings_are_never_deleted_in_the_admin(admin_client):
    booking = factories.BookingFactory()
    assert admin_client.get(admin_url(Booking, "delete", booking.pk)).status_code == 403
    assert Booking.objects.filter(pk=booking.pk).exists()


def test_the_booking_list_filters_cost_the_same_for_2_spaces_as_for_12(admin_client):
    # Each filter's choices are named in one query (the space's name says its venue).
    url = admin_url(Booking, "changelist")
    booking = factories.BookingFactory()

    def queries_with(spaces: int) -> int:
        while SpaceBooking.objects.count() < spaces:
            factories.SpaceBookingFactory(
                booking=booking, space=factories.SpaceFactory(venue=booking.venue)
            )
        admin_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    assert queries_with(2) == queries_with(12)


def test_a_managers_change_page_asks_about_its_object_once(client, admin_client):
    # Every inline row asks whether the user may change it; the answer is kept per request.
    space = factories.SpaceFactory()
    for _ in range(3):
        factories.SpaceLayoutFactory(space=space)
    url = admin_url(Space, "change", space.pk)
    client.force_login(staff_member_of(space.venue.organization))

    def queries(user_client) -> int:
        user_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert user_client.get(url).status_code == 200
        return len(captured)

    few = queries(client)
    for _ in range(5):
        factories.SpaceLayoutFactory(space=space)
    assert queries(client) == few
    assert few <= queries(admin_client) + 6  # the roles, and one answer per question asked
