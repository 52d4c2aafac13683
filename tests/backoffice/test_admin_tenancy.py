"""A manager of one organisation never sees, opens or picks another organisation's objects
anywhere in the admin: change lists, change pages, the choices of every form and inline
row, autocomplete, and the booking's and change request's own pages."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.urls import reverse

from bookings.demo import ORG_SLUG, DemoBuilder
from bookings.models import Booking, BookingStatus, ChangeRequest
from tests import factories
from tests.backoffice.pages import admin_url
from venues.models import Organization, OrganizationAPIKey

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"venues", "bookings"}),
    key=lambda model: model._meta.label,
)


def make_foreign(model):
    """One object of `model` in a fresh organisation (every factory makes its own)."""
    if model is OrganizationAPIKey:
        organization = factories.OrganizationFactory()
        return model.objects.create_key(name="Door app", organization=organization)[0]
    return getattr(factories, f"{model.__name__}Factory")()


@pytest.fixture
def demo_manager(client):
    """The demo's manager, logged in, and one foreign object of every model: {model: obj}."""
    DemoBuilder().run()
    foreign = {model: make_foreign(model) for model in MODELS}
    foreign[ChangeRequest] = factories.ChangeRequestFactory(booking=foreign[Booking])
    client.force_login(get_user_model().objects.get(username="manager"))
    assert not Organization.objects.filter(
        pk=foreign[Booking].organization_id, slug=ORG_SLUG
    ).exists()
    return client, foreign


def foreign_pks(model) -> set:
    """Every object of `model` outside the demo organisation."""
    demo = Organization.objects.get(slug=ORG_SLUG)
    if model is Organization:
        return set(model.objects.exclude(pk=demo.pk).values_list("pk", flat=True))
    if model is get_user_model():
        return set(
            model.objects.exclude(memberships__organization=demo).values_list("pk", flat=True)
        )
    path = admin.site._registry[model].organization_path
    return set(model.objects.exclude(**{path: demo.pk}).values_list("pk", flat=True))


def offered_foreign(form: forms.BaseForm) -> dict:
    """{field: foreign pks offered} for every model choice field of `form`."""
    found = {}
    for name, field in form.fields.items():
        if not isinstance(field, forms.ModelChoiceField) or field.widget.is_hidden:
            continue  # an inline row's own id and parent are hidden, not offered
        model = field.queryset.model
        if model not in admin.site._registry and model is not get_user_model():
            continue
        offered = set(field.queryset.values_list("pk", flat=True)) & foreign_pks(model)
        if offered:
            found[name] = offered
    return found


def forms_of(page) -> list[forms.BaseForm]:
    context = page.context
    found = [context["adminform"].form] if "adminform" in context else []
    for inline in context.get("inline_admin_formsets", []):
        found.extend(inline.formset.forms)
        found.append(inline.formset.empty_form)
    if "form" in context and isinstance(context["form"], forms.BaseForm):
        found.append(context["form"])
    return found


def test_no_change_list_shows_and_no_change_page_opens_another_organisations_object(
    demo_manager,
):
    client, foreign = demo_manager
    shown, opened = {}, {}
    for model in MODELS:
        rows = client.get(admin_url(model, "changelist")).context["cl"].result_list
        shown[model._meta.label] = {row.pk for row in rows} & foreign_pks(model)
        page = client.get(admin_url(model, "change", quote(foreign[model].pk)))
        opened[model._meta.label] = page.status_code
    assert {label: pks for label, pks in shown.items() if pks} == {}
    assert {label: code for label, code in opened.items() if code not in (302, 404)} == {}


def test_no_form_or_inline_row_offers_another_organisations_object(demo_manager):
    client, _ = demo_manager
    demo = Organization.objects.get(slug=ORG_SLUG)
    offered = {}
    for model in MODELS:
        model_admin = admin.site._registry[model]
        own = model.objects.filter(**{model_admin.organization_path: demo.pk}).first()
        urls = [admin_url(model, "add")]
        if own is not None:
            urls.append(admin_url(model, "change", quote(own.pk)))
        for url in urls:
            page = client.get(url)
            if page.status_code != 200:
                continue
            for form in forms_of(page):
                if found := offered_foreign(form):
                    offered[url] = found
    assert offered == {}


def test_the_booking_pages_own_forms_offer_only_the_organisations_objects(demo_manager):
    client, _ = demo_manager
    booking = Booking.objects.filter(
        organization__slug=ORG_SLUG, status=BookingStatus.PENDING
    ).first()
    base = admin_url(Booking, "change", booking.pk).removesuffix("change/")
    offered = {}
    for path in ("lines/space/add/", "lines/event/add/", "lines/product/add/", "payments/add/"):
        page = client.get(base + path)
        assert page.status_code == 200, path
        for form in forms_of(page):
            if found := offered_foreign(form):
                offered[path] = found
    assert offered == {}


def test_the_booking_and_change_request_pages_of_another_organisation_are_404(demo_manager):
    client, foreign = demo_manager
    booking, change_request = foreign[Booking], foreign[ChangeRequest]
    base = admin_url(Booking, "change", booking.pk).removesuffix("change/")
    paths = [
        f"{base}move/approve/",
        f"{base}move/cancel/",
        f"{base}lines/space/add/",
        f"{base}payments/add/",
        admin_url(ChangeRequest, "change", change_request.pk).removesuffix("change/")
        + "decide/approve/",
    ]
    codes = {path: client.get(path).status_code for path in paths}
    codes |= {f"POST {path}": client.post(path, {}).status_code for path in paths}
    assert {path: code for path, code in codes.items() if code != 404} == {}


def test_autocomplete_offers_only_the_organisations_objects(demo_manager):
    client, _ = demo_manager
    offered = {}
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            related = model._meta.get_field(field_name).related_model
            response = client.get(
                reverse("admin:autocomplete"),
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field_name,
                    "term": "",
                },
            )
            assert response.status_code == 200, (model, field_name)
            ids = {int(row["id"]) for row in response.json()["results"]}
            assert ids, f"the demo has {related._meta.verbose_name_plural} to offer"
            if ids & foreign_pks(related):
                offered[f"{model._meta.label}.{field_name}"] = ids & foreign_pks(related)
    assert offered == {}
