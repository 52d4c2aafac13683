"""The catalogue selectors: which organisations an actor sees, and only their rows, prefetched."""

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from core.actors import Actor
from tests import factories as f
from venues import selectors
from venues.models import Organization, OrganizationAPIKey

pytestmark = pytest.mark.django_db


def only(organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(pk=organization.pk)


# -- organization_list ------------------------------------------------------------------------


def test_an_api_key_sees_its_own_organisation_only():
    mine, _theirs = f.OrganizationFactory(), f.OrganizationFactory()
    key, _ = OrganizationAPIKey.objects.create_key(name="k", organization=mine, scopes=["read"])

    assert list(selectors.organization_list(actor=Actor.api(key))) == [mine]


@pytest.mark.parametrize("lapse", ["revoked", "expired"])
def test_a_revoked_or_expired_api_key_sees_no_organisation(lapse):
    key, _ = OrganizationAPIKey.objects.create_key(
        name="k", organization=f.OrganizationFactory(), scopes=["read"]
    )
    if lapse == "revoked":
        key.revoked = True
    else:
        key.expiry_date = timezone.now() - timedelta(days=1)
    key.save()

    assert not selectors.organization_list(actor=Actor.api(key)).exists()


def test_a_staff_member_sees_the_organisations_of_their_memberships():
    first, second, _other = (f.OrganizationFactory() for _ in range(3))
    user = f.UserFactory()
    f.MembershipFactory(user=user, organization=first, role="viewer")
    f.MembershipFactory(user=user, organization=second, role="manager")

    seen = selectors.organization_list(actor=Actor.staff(user))

    assert set(seen) == {first, second}


def test_a_superuser_sees_every_organisation():
    organizations = {f.OrganizationFactory() for _ in range(2)}
    boss = f.UserFactory(is_superuser=True)

    assert set(selectors.organization_list(actor=Actor.staff(boss))) == organizations


@pytest.mark.parametrize("lapse", ["inactive", "not staff"])
def test_an_inactive_or_non_staff_member_sees_no_organisation(lapse):
    user = f.UserFactory(is_active=lapse != "inactive", is_staff=lapse != "not staff")
    f.MembershipFactory(user=user, organization=f.OrganizationFactory())

    assert not selectors.organization_list(actor=Actor.staff(user)).exists()


@pytest.mark.parametrize("actor", [Actor.customer("some-token"), Actor.system()])
def test_customers_and_the_system_see_no_organisation_through_a_door(actor):
    f.OrganizationFactory()

    assert not selectors.organization_list(actor=actor).exists()


# -- catalogue lists ----------------------------------------------------------------------------


def make_form(organization):
    venue = f.VenueFactory(organization=organization)
    form = f.BookingFormFactory(venue=venue)
    f.CustomFieldFactory(form=form)
    return form


# selector -> a maker of one row of an organisation
CATALOGUE = {
    selectors.venue_list: lambda org: f.VenueFactory(organization=org),
    selectors.space_list: lambda org: f.SpaceFactory(venue__organization=org),
    selectors.blockout_list: lambda org: f.BlockoutFactory(space__venue__organization=org),
    selectors.event_list: lambda org: f.EventFactory(venue__organization=org),
    selectors.product_list: lambda org: f.InventoryProductFactory(organization=org),
    selectors.price_list: lambda org: f.PriceFactory(event__venue__organization=org),
    selectors.vat_rate_list: lambda org: f.VatRateFactory(organization=org),
    selectors.discount_list: lambda org: f.DiscountFactory(organization=org),
    selectors.payment_type_list: lambda org: f.PaymentTypeFactory(organization=org),
    selectors.booking_form_list: make_form,
}


@pytest.mark.parametrize("selector", CATALOGUE, ids=lambda selector: selector.__name__)
def test_a_catalogue_selector_returns_the_given_organisations_rows_and_no_others(selector):
    mine, theirs = f.OrganizationFactory(), f.OrganizationFactory()
    own = CATALOGUE[selector](mine)
    CATALOGUE[selector](theirs)

    assert list(selector(organizations=only(mine))) == [own]
    assert set(selector(organizations=Organization.objects.none())) == set()


def test_space_get_finds_a_space_of_the_given_organisations_and_not_another_ones():
    mine = f.SpaceFactory()
    theirs = f.SpaceFactory()
    organizations = only(mine.venue.organization)

    assert selectors.space_get(organizations=organizations, space_id=mine.pk) == mine
    assert selectors.space_get(organizations=organizations, space_id=theirs.pk) is None


# -- prefetching --------------------------------------------------------------------------------


def full_space(organization):
    space = f.SpaceFactory(venue__organization=organization)
    f.SpaceLayoutFactory.create_batch(2, space=space)


def full_event(organization):
    f.PriceFactory.create_batch(2, event=f.EventFactory(venue__organization=organization))


def full_product(organization):
    product = f.InventoryProductFactory(
        organization=organization, venue=f.VenueFactory(organization=organization)
    )
    f.PriceFactory.create_batch(2, event=None, product=product, organization=organization)


def full_form(organization):
    form = make_form(organization)
    form.spaces.set([f.SpaceFactory(venue=form.venue)])
    form.products.set([f.InventoryProductFactory(organization=organization)])


# selector -> (a maker of one row with everything the list shows, what a list shows of a row,
#              the queries for any number of rows)
PREFETCHED = {
    selectors.space_list: (
        full_space,
        lambda space: [space.venue.organization.name, *(x.name for x in space.layouts.all())],
        2,
    ),
    selectors.event_list: (
        full_event,
        lambda event: [event.venue.name, *(price.name for price in event.prices.all())],
        2,
    ),
    selectors.product_list: (
        full_product,
        lambda product: [product.venue.name, *(price.name for price in product.prices.all())],
        2,
    ),
    selectors.booking_form_list: (
        full_form,
        lambda form: [
            form.venue.name,
            *(field.key for field in form.custom_fields.all()),
            *(space.name for space in form.spaces.all()),
            *(product.name for product in form.products.all()),
        ],
        4,
    ),
}


@pytest.mark.parametrize("selector", PREFETCHED, ids=lambda selector: selector.__name__)
def test_a_catalogue_list_shows_three_rows_in_as_many_queries_as_one(
    selector, django_assert_num_queries
):
    make_row, shown_of, queries = PREFETCHED[selector]
    organization = f.OrganizationFactory()
    for _ in range(3):
        make_row(organization)

    with django_assert_num_queries(queries):
        shown = [shown_of(row) for row in selector(organizations=only(organization))]

    assert len(shown) == 3
    assert all(len(row) >= 3 for row in shown)
