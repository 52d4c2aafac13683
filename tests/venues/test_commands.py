"""manage.py create_api_key."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests import factories as f
from venues.models import OrganizationAPIKey

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_working_key_once_and_stores_its_hash():
    organization = f.OrganizationFactory(slug="harbour")
    out = StringIO()
    call_command(
        "create_api_key", organization="harbour", name="Door app", scopes="read, write", stdout=out
    )
    secret = out.getvalue().strip().splitlines()[-1]
    key = OrganizationAPIKey.objects.get(name="Door app")
    assert (key.organization, key.scopes) == (organization, ["read", "write"])
    assert secret not in key.hashed_key
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    assert client.get("/api/v1/bookings").status_code == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"organization": "nobody", "name": "x", "scopes": "read"}, "No organisation"),
        ({"organization": "harbour", "name": "x", "scopes": "read,delete"}, "Scopes"),
        ({"organization": "harbour", "name": " ", "scopes": "read"}, "name"),
    ],
)
def test_create_api_key_refuses_bad_options(options, message):
    f.OrganizationFactory(slug="harbour")
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", stdout=StringIO(), **options)
    assert not OrganizationAPIKey.objects.exists()
