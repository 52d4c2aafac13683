"""Site-wide pages: the start page and the error pages."""

import pytest


def test_the_start_page_leads_to_the_staff_admin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_an_unknown_address_gets_the_venuedesk_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"venuedesk.css" in response.content


def test_admin_pages_carry_the_venuedesk_admin_stylesheet(admin_client):
    assert b"css/admin.css" in admin_client.get("/admin/").content
