"""Organisations and members in the admin: saved through venues.services, whose refusals
show on the page with nothing changed."""

from tests.backoffice.pages import admin_url, form_data, messages_of
from tests.bookings import conftest as booking_world
from venues.models import Membership

world = booking_world.world
Role = Membership.Role


def test_the_admin_shows_the_last_manager_rule_on_the_role_field(client, world):
    client.force_login(world.actors["manager"].user)
    own = Membership.objects.get(user=world.actors["manager"].user, role=Role.MANAGER)
    url = admin_url(Membership, "change", own.pk)

    page = client.post(url, form_data(client.get(url)) | {"role": Role.VIEWER})

    assert page.status_code == 200
    assert "at least one manager" in str(page.context["adminform"].form.errors["role"])
    own.refresh_from_db()
    assert own.role == Role.MANAGER
    deleted = client.post(admin_url(Membership, "delete", own.pk), {"post": "yes"}, follow=True)
    assert any("at least one manager" in message for message in messages_of(deleted))
    assert Membership.objects.filter(pk=own.pk).exists()
