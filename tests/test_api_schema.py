"""The OpenAPI schema is valid, declares the API key and the error responses; docs work offline."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture
def schema(tmp_path) -> dict:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_the_schema_validates_without_warnings_and_declares_the_api_key(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "An API key of your organisation (scopes: read, write, approve).",
    }


def test_the_schema_declares_error_responses(schema):
    approve = schema["paths"]["/api/v1/bookings/{id}/approve/"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "415"} <= set(approve)


@pytest.mark.django_db
def test_swagger_ui_is_served_without_a_cdn(admin_client):
    page = admin_client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in page or "/static/drf_spectacular_sidecar/" in page
    assert "cdn.jsdelivr" not in page
