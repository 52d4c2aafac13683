"""Schemathesis against the live OpenAPI schema, with a valid API key: no server errors, and
every response as the schema documents it, for valid requests and for requests the schema
says are invalid (negative data). Bounded: a few dozen examples per operation and mode."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from venues.models import OrganizationAPIKey

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def api_key(world) -> str:
    world.book()
    world.book(approve=True, start="2030-03-05 10:00", end="2030-03-05 12:00")
    _, key = OrganizationAPIKey.objects.create_key(
        name="fuzz", organization=world.organization, scopes=["read", "write", "approve"]
    )
    return key


@pytest.fixture
def connection_kept_between_requests():
    # As Django's test client does: requests must not close the test's connection.
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.mark.usefixtures("connection_kept_between_requests")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(api_key, mode):
    from config.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case):
            case.call_and_validate(
                headers={"X-Api-Key": api_key},
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            answers_as_documented()
        except Unsatisfiable:
            # Nothing to send that the schema forbids (e.g. no parameters and no body).
            assert mode == GenerationMode.NEGATIVE, operation.label
            continue
        except Exception as failure:
            raise AssertionError(f"{operation.label}: {failure}") from failure
        tried += 1
    assert tried > 30
