"""Every admin page opens with realistic data (the demo organisation) for a superuser and a
manager, and a change list costs the same number of queries for 1 row as for 30."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.demo import ORG_SLUG, DemoBuilder
from tests import factories
from tests.backoffice.pages import admin_url
from tests.test_hardening import inline_code_in
from venues.models import Membership, Organization, OrganizationAPIKey

pytestmark = pytest.mark.django_db

# Every model the admin offers (the access logs of django-axes are superusers' only).
MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"venues", "bookings"}),
    key=lambda model: model._meta.label,
)
USERS = ["admin", "manager"]  # the demo's superuser and its manager


@pytest.fixture
def demo_client(client, request):
    DemoBuilder().run()
    manager = get_user_model().objects.get(username="manager")
    # The demo has one organisation, one API key and one calendar feed; lists need more
    # than one row.
    demo = Organization.objects.get(slug=ORG_SLUG)
    OrganizationAPIKey.objects.create_key(name="Door app", organization=demo, scopes=["read"])
    factories.CalendarFeedFactory(venue=demo.venues.first())
    second = factories.OrganizationFactory(name="Harbourlight Events")
    factories.MembershipFactory(user=manager, organization=second, role=Membership.Role.MANAGER)
    client.force_login(get_user_model().objects.get(username=request.param))
    return client


def rows(client, model, per_page: int | None = None) -> list:
    model_admin = admin.site._registry[model]
    if per_page is not None:
        model_admin.list_per_page = per_page
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200, model._meta.label
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("demo_client", USERS, indirect=True)
def test_every_page_opens_and_no_change_list_costs_more_queries_for_more_rows(demo_client):
    # One test, as the demo takes seconds to build.
    every_change_list_change_page_and_add_page_opens(demo_client)
    a_change_list_costs_as_many_queries_for_30_rows_as_for_1(demo_client)


def every_change_list_change_page_and_add_page_opens(demo_client):
    opened = []
    for model in MODELS:
        model_admin = admin.site._registry[model]
        shown = rows(demo_client, model)
        for obj in shown[:3]:
            page = demo_client.get(admin_url(model, "change", quote(obj.pk)))
            assert page.status_code == 200, (model._meta.label, obj.pk)
            assert inline_code_in(page.content.decode()) == []
            opened.append(model._meta.label)
        add = demo_client.get(admin_url(model, "add"))
        assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)
    # The demo fills every model an organisation keeps, so every change page was opened.
    assert {model._meta.label for model in MODELS} - set(opened) == set()


def a_change_list_costs_as_many_queries_for_30_rows_as_for_1(demo_client):
    counts = {}
    for model in MODELS:
        model_admin = admin.site._registry[model]
        per_page = model_admin.list_per_page
        try:
            rows(demo_client, model, per_page=1)  # warm what is read once per session

            def queries(page_size: int, model=model) -> tuple[int, int]:
                with CaptureQueriesContext(connection) as captured:
                    shown = rows(demo_client, model, per_page=page_size)
                return len(shown), len(captured)

            counts[model._meta.label] = (queries(1), queries(30))
        finally:
            model_admin.list_per_page = per_page
    # {model: ((1 row, its queries), (up to 30 rows, their queries))}
    assert [label for label, ((one, _), (many, _)) in counts.items() if one != 1 or many < 2] == []
    grows = {label: count for label, count in counts.items() if count[0][1] != count[1][1]}
    assert grows == {}
