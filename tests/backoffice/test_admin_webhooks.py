"""Webhooks in the admin: endpoints made by managers through the services with the secret
shown once; deliveries read-only, in the venue's zone, sent again with "Retry now"."""

import re

import pytest
from werkzeug import Response

from bookings import webhooks
from bookings.models import WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.backoffice.pages import admin_url, messages_of, staff_member_of
from venues.models import Membership

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"\b(whsec_[A-Za-z0-9_-]{43})\b")


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = True
    settings.VENUEDESK_WEBHOOK_DELIVERY = "inline"


@pytest.fixture
def organization():
    return factories.OrganizationFactory()


def logged_in(client, organization, role=Membership.Role.MANAGER):
    client.force_login(staff_member_of(organization, role))
    return client


def test_a_manager_makes_an_endpoint_whose_secret_is_shown_once(client, organization, httpserver):
    manager = logged_in(client, organization)
    response = manager.post(
        admin_url(WebhookEndpoint, "add"),
        {
            "organization": organization.pk,
            "url": httpserver.url_for("/hooks"),
            "description": "CRM",
            "event_types": ["booking.approved", "booking.created"],
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    (shown,) = [SECRET.search(text).group(1) for text in messages_of(response) if "whsec_" in text]
    assert webhooks.open_secret(endpoint) == shown
    assert endpoint.event_types == ["booking.created", "booking.approved"]
    page = manager.get(admin_url(WebhookEndpoint, "change", endpoint.pk)).content.decode()
    assert shown not in page


def test_a_refused_address_is_shown_on_the_url_field(client, organization, settings):
    settings.VENUEDESK_WEBHOOKS_ALLOW_PRIVATE = False
    manager = logged_in(client, organization)
    response = manager.post(
        admin_url(WebhookEndpoint, "add"),
        {"organization": organization.pk, "url": "http://127.0.0.1:8000/x", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "public addresses only" in str(response.context["adminform"].form.errors["url"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Membership.Role.APPROVER, Membership.Role.VIEWER])
def test_only_managers_see_endpoints(client, organization, role):
    endpoint = factories.WebhookEndpointFactory(organization=organization)
    staff = logged_in(client, organization, role)
    assert staff.get(admin_url(WebhookEndpoint, "changelist")).status_code == 403
    assert staff.get(admin_url(WebhookEndpoint, "change", endpoint.pk)).status_code == 403


def test_a_failed_delivery_is_listed_and_retried_now(client, organization, httpserver):
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=httpserver.url_for("/hooks"),
        sealed_secret=webhooks.seal_secret(webhooks.new_secret()),
    )
    booking = factories.BookingFactory(venue__organization=organization)
    delivery = factories.WebhookDeliveryFactory(
        endpoint=endpoint,
        booking=booking,
        status=WebhookDelivery.Status.FAILED,
        attempts=10,
        last_status_code=500,
        last_error="HTTP 500 Internal Server Error",
    )
    httpserver.expect_request("/hooks", method="POST").respond_with_response(Response("ok"))
    manager = logged_in(client, organization)

    listing = manager.get(admin_url(WebhookDelivery, "changelist")).content.decode()
    assert "Failed for good" in listing

    response = manager.post(
        admin_url(WebhookDelivery, "changelist"),
        {"action": "retry_now", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert any("Sent 1" in text for text in messages_of(response))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.SENT, 1)
    assert len(httpserver.log) == 1


def test_a_viewer_sees_deliveries_but_is_not_offered_a_retry(client, organization):
    factories.WebhookDeliveryFactory(
        endpoint=factories.WebhookEndpointFactory(organization=organization),
        booking=factories.BookingFactory(venue__organization=organization),
    )
    viewer = logged_in(client, organization, Membership.Role.VIEWER)
    page = viewer.get(admin_url(WebhookDelivery, "changelist"))
    assert page.status_code == 200
    assert "retry_now" not in page.content.decode()


def test_another_organisations_deliveries_are_not_listed(client, organization):
    factories.WebhookDeliveryFactory()
    manager = logged_in(client, organization)
    page = manager.get(admin_url(WebhookDelivery, "changelist"))
    assert page.context["cl"].result_count == 0
