"""Helpers to open admin pages and post their forms back as a person would."""

from django.forms import MultiWidget
from django.urls import reverse
from django.utils import timezone

from tests import factories
from venues.models import Membership


def admin_url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def staff_member_of(organization, role=Membership.Role.MANAGER):
    """A staff user (not superuser, no Django permissions) with a role in one organisation."""
    user = factories.UserFactory(is_staff=True)
    factories.MembershipFactory(user=user, organization=organization, role=role)
    return user


def field_data(bound_field) -> dict:
    """What the browser posts for one form field as shown (split date and time included)."""
    field, widget, name = bound_field.field, bound_field.field.widget, bound_field.html_name
    value = field.prepare_value(bound_field.value())
    if isinstance(widget, MultiWidget):
        parts = value if isinstance(value, list | tuple) else widget.decompress(value)
        return {
            f"{name}{suffix}": part
            for suffix, part in zip(widget.widgets_names, parts, strict=True)
            if part is not None
        }
    if value is None or value is False:
        return {}
    return {name: "on" if value is True else value}


def form_data(page) -> dict:
    """What an admin change page posts back unchanged: its form and every inline row."""
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        data |= field_data(form[name])
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data |= {management.add_prefix(key): value for key, value in management.initial.items()}
        for row in formset.forms:
            for name in row.fields:
                data |= field_data(row[name])
    return data


def with_new_row(data: dict, prefix: str, row: dict) -> dict:
    """`data` with one more inline row (`prefix` is the formset's, e.g. "space_bookings")."""
    index = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    return {
        **data,
        f"{prefix}-TOTAL_FORMS": str(index + 1),
        f"{prefix}-INITIAL_FORMS": data.get(f"{prefix}-INITIAL_FORMS", "0"),
        **{f"{prefix}-{index}-{name}": value for name, value in row.items()},
    }


def when(name: str, moment) -> dict:
    """An aware datetime as the admin's split date and time inputs post it (server zone)."""
    local = timezone.localtime(moment)
    return {
        f"{name}_0": local.date().isoformat(),
        f"{name}_1": local.time().isoformat(timespec="minutes"),
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
