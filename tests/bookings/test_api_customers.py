"""The customers API: create, read, search, change and delete, within the caller's organisation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bookings.models import Customer
from tests import factories as f
from venues.models import Membership, OrganizationAPIKey

pytestmark = pytest.mark.django_db


def client_with(organization, *scopes) -> APIClient:
    _, key = OrganizationAPIKey.objects.create_key(
        name="test", organization=organization, scopes=list(scopes)
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def staff_of(*organizations, role=Membership.Role.FRONT_DESK) -> APIClient:
    user = f.UserFactory()
    for organization in organizations:
        f.MembershipFactory(user=user, organization=organization, role=role)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def api(world) -> APIClient:
    return client_with(world.organization, "read", "write")


def url(path: str) -> str:
    return f"/api/v1/{path}"


def first_error(response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["attr"], error["code"]


def test_a_write_key_creates_a_customer_of_its_organisation(world, api):
    response = api.post(
        url("customers"),
        {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example"},
        format="json",
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["organization_id"], body["email"]) == (world.organization.pk, "grace@navy.example")
    assert Customer.objects.get(pk=body["id"]).organization == world.organization


def test_customers_are_listed_searched_and_shown(world, api):
    f.CustomerFactory(
        organization=world.organization, first_name="Alan", last_name="Turing", company="NPL"
    )
    assert api.get(url("customers")).json()["count"] == 2
    for term in ("turing", "npl", "alan tur"):
        found = api.get(url("customers"), {"search": term}).json()["results"]
        assert [customer["last_name"] for customer in found] == ["Turing"], term
    by_email = api.get(url("customers"), {"search": "ada@example"}).json()["results"]
    assert [customer["id"] for customer in by_email] == [world.customer.pk]
    detail = api.get(url(f"customers/{world.customer.pk}")).json()
    assert detail["email"] == "ada@example.com"


def test_a_customer_is_changed_with_patch_and_put(world, api):
    path = url(f"customers/{world.customer.pk}")
    response = api.patch(path, {"phone": "+34 600 000 002"}, format="json")
    assert (response.status_code, response.json()["phone"]) == (200, "+34 600 000 002")
    response = api.put(path, {"company": "Analytical Engines", "email": ""}, format="json")
    assert response.status_code == 200
    customer = Customer.objects.get(pk=world.customer.pk)
    assert (customer.company, customer.email, customer.first_name) == (
        "Analytical Engines",
        "",
        "Ada",  # PUT leaves out what it does not send: every field is optional
    )


def test_a_customer_without_bookings_is_deleted(world, api):
    customer = f.CustomerFactory(organization=world.organization)
    assert api.delete(url(f"customers/{customer.pk}")).status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_a_customer_with_bookings_is_not_deleted(world, api):
    world.book()
    response = api.delete(url(f"customers/{world.customer.pk}"))
    assert first_error(response) == (409, None, "customer_has_bookings")
    assert Customer.objects.filter(pk=world.customer.pk).exists()


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"email": "nobody@example.com"}, "last_name"),
        ({"last_name": "X", "email": "not an address"}, "email"),
        ({"last_name": "X", "shoe_size": 44}, "shoe_size"),
    ],
)
def test_a_bad_customer_is_400_naming_the_field(world, api, body, attr):
    response = api.post(url("customers"), body, format="json")
    assert first_error(response)[:2] == (400, attr)
    assert Customer.objects.count() == 1


def test_a_read_key_cannot_create_change_or_delete_a_customer(world):
    reader = client_with(world.organization, "read")
    path = url(f"customers/{world.customer.pk}")
    assert reader.post(url("customers"), {"last_name": "X"}, format="json").status_code == 403
    assert reader.patch(path, {"last_name": "X"}, format="json").status_code == 403
    assert reader.delete(path).status_code == 403
    assert Customer.objects.get(pk=world.customer.pk).last_name != "X"


def test_staff_of_one_organisation_need_not_name_it(world):
    response = staff_of(world.organization).post(
        url("customers"), {"last_name": "Lamarr"}, format="json"
    )
    assert (response.status_code, response.json()["organization_id"]) == (
        201,
        world.organization.pk,
    )


def test_staff_of_several_organisations_must_name_one_of_theirs(world):
    other = f.OrganizationFactory()
    client = staff_of(world.organization, other)
    missing = client.post(url("customers"), {"last_name": "Lamarr"}, format="json")
    assert first_error(missing)[:2] == (400, "organization_id")
    foreign = client.post(
        url("customers"),
        {"last_name": "Lamarr", "organization_id": f.OrganizationFactory().pk},
        format="json",
    )
    assert first_error(foreign)[:2] == (400, "organization_id")
    named = client.post(
        url("customers"), {"last_name": "Lamarr", "organization_id": other.pk}, format="json"
    )
    assert (named.status_code, named.json()["organization_id"]) == (201, other.pk)


def test_a_customer_cannot_move_to_another_organisation(world, api):
    response = api.patch(
        url(f"customers/{world.customer.pk}"),
        {"organization_id": f.OrganizationFactory().pk},
        format="json",
    )
    assert first_error(response)[:2] == (400, "organization_id")


def test_the_list_runs_as_many_queries_for_five_customers_as_for_one(world, api):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url("customers")).status_code == 200
        return len(captured.captured_queries)

    api.get(url("customers"))  # the key's first use is written now, outside the counts
    one = queries()
    f.CustomerFactory.create_batch(4, organization=world.organization)
    assert api.get(url("customers")).json()["count"] == 5
    assert queries() == one


def test_another_organisations_customers_are_hidden(world):
    stranger = client_with(f.OrganizationFactory(), "read", "write")
    assert stranger.get(url("customers")).json()["count"] == 0
    assert stranger.get(url(f"customers/{world.customer.pk}")).status_code == 404
    assert stranger.delete(url(f"customers/{world.customer.pk}")).status_code == 404
    assert Customer.objects.filter(pk=world.customer.pk).exists()
