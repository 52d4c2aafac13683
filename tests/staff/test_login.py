"""Staff log in and out on their own page, styled like the rest."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_login_page_has_labelled_fields_and_no_navigation(client):
    response = client.get("/staff/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert "staff-nav" not in page


def test_a_wrong_password_is_summarised_and_the_title_says_error(client):
    f.UserFactory(username="pau", is_staff=True)
    response = client.post("/staff/login/", {"username": "pau", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Log in" in page
    assert 'id="error-summary"' in page


def test_a_member_logs_in_and_out(client):
    user = f.UserFactory(username="pau", is_staff=True)
    user.set_password("a long enough secret")
    user.save()
    response = client.post("/staff/login/", {"username": "pau", "password": "a long enough secret"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    response = client.post("/staff/logout/")
    assert response["Location"] == "/staff/login/"
