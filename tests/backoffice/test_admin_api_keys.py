"""API keys in the admin: made by managers with the key shown once, listed with their last
use (written by the API at most once a minute), revoked for good; nobody else sees them."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.utils import quote
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.actors import Actor
from core.errors import PermissionDenied
from tests import factories
from tests.backoffice.pages import admin_url, messages_of, staff_member_of
from venues import services
from venues.models import Membership, OrganizationAPIKey

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"\b([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})\b")


@pytest.fixture
def organization():
    return factories.OrganizationFactory()


@pytest.fixture
def manager(client, organization):
    client.force_login(staff_member_of(organization, Membership.Role.MANAGER))
    return client


def api_status(secret: str) -> int:
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=secret)
    return api.get("/api/v1/bookings").status_code


def key_updates(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("UPDATE") and "organizationapikey" in query["sql"]
    ]


def test_a_manager_makes_a_key_that_is_shown_once_and_stored_hashed(manager, organization):
    add = manager.get(admin_url(OrganizationAPIKey, "add"))
    content = add.content.decode()
    assert "shown <strong>once</strong>" in content
    assert content.count('type="checkbox" name="scopes"') == 3

    response = manager.post(
        admin_url(OrganizationAPIKey, "add"),
        {"name": "Door app", "organization": organization.pk, "scopes": ["write", "read"]},
        follow=True,
    )
    said = " ".join(messages_of(response))
    assert "shown only this once" in said
    (secret,) = SECRET.findall(said)
    key = OrganizationAPIKey.objects.get(name="Door app")
    assert (key.organization, key.scopes) == (organization, ["read", "write"])
    assert secret.split(".")[0] == key.prefix
    assert secret not in key.hashed_key
    assert api_status(secret) == 200
    # Never again: the key's page, read later, shows its prefix only.
    later = manager.get(admin_url(OrganizationAPIKey, "change", quote(key.pk))).content.decode()
    assert secret not in later
    assert key.prefix in later


@pytest.mark.parametrize("scopes", [[], ["read", "admin"]], ids=["none", "unknown"])
def test_scopes_must_be_chosen_from_the_three(manager, organization, scopes):
    response = manager.post(
        admin_url(OrganizationAPIKey, "add"),
        {"name": "Door app", "organization": organization.pk, "scopes": scopes},
    )
    assert response.status_code == 200
    assert "scopes" in response.context["adminform"].form.errors
    assert not OrganizationAPIKey.objects.exists()


def test_the_api_records_the_last_use_at_most_once_a_minute(manager, organization):
    key, secret = OrganizationAPIKey.objects.create_key(
        name="Door app", organization=organization, scopes=["read"]
    )
    assert key.last_used_at is None

    with CaptureQueriesContext(connection) as first:
        assert api_status(secret) == 200
    key.refresh_from_db()
    used = key.last_used_at
    assert used is not None
    assert len(key_updates(first)) == 1

    with CaptureQueriesContext(connection) as second:
        assert api_status(secret) == 200
    assert key_updates(second) == []
    assert len(second) == len(first) - 1  # the same request, less the write
    key.refresh_from_db()
    assert key.last_used_at == used

    OrganizationAPIKey.objects.filter(pk=key.pk).update(last_used_at=used - timedelta(minutes=2))
    assert api_status(secret) == 200
    key.refresh_from_db()
    assert key.last_used_at > used - timedelta(minutes=2)

    listed = manager.get(admin_url(OrganizationAPIKey, "changelist")).content.decode()
    shown = timezone.localtime(key.last_used_at, timezone.get_current_timezone())
    assert f"{shown:%H:%M}" in listed


def test_requests_racing_a_stale_last_use_write_it_once(organization):
    key, _ = OrganizationAPIKey.objects.create_key(
        name="Door app", organization=organization, scopes=["read"]
    )
    first, second = (OrganizationAPIKey.objects.get(pk=key.pk) for _ in range(2))
    services.api_key_used(first)
    with CaptureQueriesContext(connection) as queries:
        services.api_key_used(second)  # loaded before the first write: tries, changes nothing
    assert len(key_updates(queries)) == 1
    key.refresh_from_db()
    assert key.last_used_at == first.last_used_at


def test_a_key_revoked_on_its_page_is_refused_by_the_api_and_read_only(manager, organization):
    key, secret = OrganizationAPIKey.objects.create_key(
        name="Door app", organization=organization, scopes=["read"]
    )
    page = manager.get(admin_url(OrganizationAPIKey, "change", quote(key.pk))).content.decode()
    revoke_url = admin_url(OrganizationAPIKey, "revoke", quote(key.pk))
    assert revoke_url in page

    confirm = manager.get(revoke_url)
    assert "cannot be undone" in confirm.content.decode()
    key.refresh_from_db()
    assert not key.revoked  # asking is not doing
    response = manager.post(revoke_url, follow=True)
    assert "is revoked" in " ".join(messages_of(response))
    key.refresh_from_db()
    assert key.revoked
    assert api_status(secret) in (401, 403)

    page = manager.get(admin_url(OrganizationAPIKey, "change", quote(key.pk))).content.decode()
    assert 'name="name"' not in page
    assert revoke_url not in page
    manager.post(admin_url(OrganizationAPIKey, "change", quote(key.pk)), {"name": "Reused"})
    key.refresh_from_db()
    assert key.name == "Door app"


@pytest.mark.parametrize(
    "role", [Membership.Role.APPROVER, Membership.Role.FRONT_DESK, Membership.Role.VIEWER]
)
def test_only_managers_see_and_handle_keys(client, organization, role):
    key, secret = OrganizationAPIKey.objects.create_key(
        name="Door app", organization=organization, scopes=["read"]
    )
    client.force_login(staff_member_of(organization, role))

    assert client.get(admin_url(OrganizationAPIKey, "changelist")).status_code == 403
    assert client.get(admin_url(OrganizationAPIKey, "change", quote(key.pk))).status_code in (
        302,
        403,
    )
    assert client.get(admin_url(OrganizationAPIKey, "add")).status_code == 403
    assert client.post(admin_url(OrganizationAPIKey, "revoke", quote(key.pk))).status_code in (
        403,
        404,
    )
    index = client.get(reverse("admin:index")).content.decode()
    assert "API keys" not in index
    key.refresh_from_db()
    assert not key.revoked


def test_the_services_make_and_revoke_keys_for_managers_only(organization):
    manager = staff_member_of(organization, Membership.Role.MANAGER)
    approver = staff_member_of(organization, Membership.Role.APPROVER)
    with pytest.raises(PermissionDenied):
        services.api_key_create(
            actor=Actor.staff(approver),
            api_key=OrganizationAPIKey(organization=organization, name="x", scopes=["read"]),
        )
    key = OrganizationAPIKey(organization=organization, name="Door app", scopes=["read", "read"])
    secret = services.api_key_create(actor=Actor.staff(manager), api_key=key)
    assert OrganizationAPIKey.objects.get_from_key(secret) == key
    assert key.scopes == ["read"]
    with pytest.raises(PermissionDenied):
        services.api_key_revoke(actor=Actor.staff(approver), api_key=key)
    assert services.api_key_revoke(actor=Actor.staff(manager), api_key=key) is True
    assert services.api_key_revoke(actor=Actor.staff(manager), api_key=key) is False


def test_a_manager_sees_only_the_keys_of_organisations_they_manage(client, organization):
    user = staff_member_of(organization, Membership.Role.MANAGER)
    elsewhere = factories.OrganizationFactory()
    factories.MembershipFactory(user=user, organization=elsewhere, role=Membership.Role.VIEWER)
    own = OrganizationAPIKey.objects.create_key(name="Ours", organization=organization)[0]
    theirs = OrganizationAPIKey.objects.create_key(name="Theirs", organization=elsewhere)[0]
    client.force_login(user)

    listed = client.get(admin_url(OrganizationAPIKey, "changelist")).context["cl"].result_list

    assert [key.pk for key in listed] == [own.pk]
    assert client.get(admin_url(OrganizationAPIKey, "change", quote(theirs.pk))).status_code in (
        302,
        404,
    )
    with pytest.raises(PermissionDenied):
        services.api_key_update(
            actor=Actor.staff(user), api_key=theirs, changes={"name": "Mine now"}
        )


def test_changing_a_key_goes_through_the_service_and_keeps_its_scopes_tidy(manager, organization):
    key = OrganizationAPIKey.objects.create_key(
        name="Door app", organization=organization, scopes=["read"]
    )[0]
    url = admin_url(OrganizationAPIKey, "change", quote(key.pk))

    response = manager.post(url, {"name": "Door app 2", "scopes": ["write", "read", "write"]})

    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.scopes) == ("Door app 2", ["read", "write"])
    refused = manager.post(url, {"name": "Door app 3", "scopes": []})
    assert refused.status_code == 200
    key.refresh_from_db()
    assert key.name == "Door app 2"
