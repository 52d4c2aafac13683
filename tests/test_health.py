"""/healthz, the deployment checks, the access log's redaction and the 500 page."""

import json
import os
from unittest import mock

import pytest
import redis
from django.core.checks import run_checks
from django.db import OperationalError
from django.template.loader import render_to_string

from config import health
from config.access_log import redact

REDIS_URL = os.environ.get("VENUEDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REFUSING = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture(autouse=True)
def _fresh_redis_clients():
    health.redis_client.cache_clear()
    yield
    health.redis_client.cache_clear()


def answer(client, **extra):
    response = client.get("/healthz", **extra)
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_healthy_is_200_naming_each_check(client):
    response = client.get("/healthz")

    assert (response.status_code, json.loads(response.content)) == (
        200,
        {"status": "ok", "checks": {"database": "ok"}},
    )
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_503_naming_it(client):
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("down")):
        assert answer(client) == (503, {"status": "unavailable", "checks": {"database": "failed"}})


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_503_naming_it(client, settings):
    settings.CELERY_BROKER_URL = REFUSING

    assert answer(client) == (
        503,
        {"status": "unavailable", "checks": {"database": "ok", "broker": "failed"}},
    )


@pytest.mark.django_db
def test_a_redis_cache_that_does_not_answer_is_503_naming_it(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REFUSING}
    }

    assert answer(client)[1]["checks"] == {"database": "ok", "cache": "failed"}


@pytest.fixture
def redis_server():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise  # .ci/run starts Redis: its absence there is a failure
        pytest.skip(f"no Redis at {REDIS_URL} (set VENUEDESK_TEST_REDIS_URL)")
    yield
    client.close()


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_server")
def test_a_broker_that_answers_is_checked_and_ok(client, settings):
    settings.CELERY_BROKER_URL = REDIS_URL

    assert answer(client) == (200, {"status": "ok", "checks": {"database": "ok", "broker": "ok"}})


@pytest.mark.django_db
def test_a_probe_by_address_over_plain_http_is_answered_not_refused_or_redirected(client, settings):
    settings.ALLOWED_HOSTS = ["venues.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    assert answer(client, HTTP_HOST="10.0.0.5:8000")[0] == 200
    assert client.get("/admin/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    assert client.get("/admin/login/", HTTP_HOST="venues.example.org").status_code == 301


def test_only_get_and_head_are_answered(client):
    assert client.post("/healthz").status_code == 404


# -- deployment checks ---------------------------------------------------------------------


def deploy_check_ids() -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=True)}


@pytest.fixture
def manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    return tmp_path


def test_static_files_not_collected_are_an_error_of_check_deploy(manifest_storage):
    from core.checks import static_files_collected

    [error] = static_files_collected()

    assert error.id == "core.E001"
    assert error.msg == "Static files are not collected."
    assert "manage.py collectstatic" in error.hint


def test_a_static_file_added_since_collectstatic_is_an_error_naming_it(manifest_storage):
    from core.checks import static_files_collected

    (manifest_storage / "staticfiles.json").write_text(
        json.dumps(
            {"version": "1.1", "paths": {"css/venuedesk.css": "css/venuedesk.0123456789ab.css"}}
        )
    )

    [error] = static_files_collected()

    assert error.id == "core.E001"
    assert "static file(s) are not collected, e.g. " in error.msg


def test_the_500_page_renders_when_static_files_are_not_collected(manifest_storage):
    page = render_to_string("500.html")

    assert 'href="/static/css/venuedesk.css"' in page


def test_links_in_e_mails_must_lead_to_the_site_over_https(settings):
    settings.VENUEDESK_SITE_URL = "http://127.0.0.1:8000"
    warned = "core.W001" in deploy_check_ids()
    settings.VENUEDESK_SITE_URL = "https://venues.example.org"

    assert (warned, "core.W001" in deploy_check_ids()) == (True, False)


def test_an_https_redirect_without_a_trusted_proxy_is_a_warning(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    warned = "core.W002" in deploy_check_ids()
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert (warned, "core.W002" in deploy_check_ids()) == (True, False)


# -- the access log -------------------------------------------------------------------------

# Fixed, not random: pytest-xdist workers must collect the same test ids.
TOKEN = "H3_tCSTbuWU_SFWPPUMP9cA8BkbL56xQ1SfW4GjXf3w"


@pytest.mark.parametrize(
    ("logged", "written"),
    [
        (f"GET /manage/{TOKEN}/change/ HTTP/1.1", "GET /manage/[redacted]/change/ HTTP/1.1"),
        (
            f"https://venues.example.org/manage/{TOKEN}/",
            "https://venues.example.org/manage/[redacted]/",
        ),
        ("/manage/resend/sent/", "/manage/resend/sent/"),
        (f"/api/v1/venues/3/feed/{TOKEN}.ics", "/api/v1/venues/3/feed/[redacted].ics"),
        (
            "GET /x/?token=abc&page=2&api_key=k HTTP/1.1",
            "GET /x/?token=[redacted]&page=2&api_key=[redacted] HTTP/1.1",
        ),
        (
            "/book/harbourlight-conference-centre-meetings/",
            "/book/harbourlight-conference-centre-meetings/",
        ),
        ("/static/admin/css/base.5af66c1b1797.css", "/static/admin/css/base.5af66c1b1797.css"),
        ("-", "-"),
    ],
)
def test_the_access_log_leaves_out_the_secrets_in_addresses(logged, written):
    assert redact(logged) == written
