"""Production as the README describes it: check --deploy, gunicorn, static files, /healthz."""

import gzip
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "venues.example.org"


def production(tmp: Path, static_root: Path) -> dict[str, str]:
    """The production variables of the README ("Deploying"), on a SQLite file of its own."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "VENUEDESK_", "GUNICORN_", "CELERY_", "DATABASE_"))
    }
    return {
        **kept,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_SECURE_HSTS_PRELOAD": "true",
        "VENUEDESK_SITE_URL": f"https://{HOST}",
        "VENUEDESK_TRUSTED_PROXIES": "1",
    }


def manage(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """A STATIC_ROOT that collectstatic has filled (hashed and compressed names)."""
    static_root = tmp_path_factory.mktemp("static")
    tmp = tmp_path_factory.mktemp("collect")
    result = manage(production(tmp, static_root), "collectstatic", "--no-input", "-v0")
    assert result.returncode == 0, result.stderr
    return static_root


def test_check_deploy_with_the_production_variables_reports_nothing(tmp_path, collected):
    result = manage(production(tmp_path, collected), "check", "--deploy", "--fail-level", "DEBUG")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_says_when_static_files_are_not_collected(tmp_path):
    result = manage(production(tmp_path, tmp_path / "empty"), "check", "--deploy")

    assert result.returncode == 1
    assert "(core.E001) Static files are not collected" in result.stderr
    assert "manage.py collectstatic" in result.stderr


class Gunicorn:
    """gunicorn started as the systemd unit starts it (gunicorn.conf.py), always stopped."""

    def __init__(self, environment: dict[str, str], log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn"],
            env={
                **environment,
                "GUNICORN_BIND": "127.0.0.1:0",  # a free port, read from the log
                "GUNICORN_WORKERS": "1",
                "GUNICORN_GRACEFUL_TIMEOUT": "5",
            },
            cwd=ROOT,
            stdout=log.open("w"),  # the access log
            stderr=subprocess.STDOUT,  # the error log
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def address(self, timeout: float = 60) -> str:
        """http://127.0.0.1:<port> once a worker answers /healthz (fails if it never does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if found := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.output()):
                try:
                    if request(found[1] + "/healthz").status == 200:
                        return found[1]
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def request(url: str, **headers: str):
    """The answer to GET `url` as the proxy forwards it (over HTTPS, from a client)."""
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)


def through_the_proxy(url: str, **headers: str):
    return request(
        url,
        Host=HOST,
        **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
        **headers,
    )


@pytest.fixture
def gunicorn(tmp_path):
    started = []

    def start(static_root: Path) -> Gunicorn:
        server = Gunicorn(production(tmp_path, static_root), tmp_path / "gunicorn.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_gunicorn_serves_the_admin_login_and_its_static_files_with_debug_off(gunicorn, collected):
    server = gunicorn(collected)
    address = server.address()

    login = through_the_proxy(address + "/admin/login/")
    page = login.read().decode()
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page)[1]
    plain = through_the_proxy(address + stylesheet)
    compressed = through_the_proxy(address + stylesheet, **{"Accept-Encoding": "gzip"})

    assert login.status == 200
    assert "Strict-Transport-Security" in login.headers
    assert plain.status == 200
    assert "immutable" in plain.headers["Cache-Control"]
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.read()) == plain.read()
    server.stop()
    # The access log names the client the proxy saw, beside the proxy.
    assert re.search(r'203\.0\.113\.7 via 127\.0\.0\.1 .*"GET /admin/login/ ', server.output())


def test_without_the_proxy_headers_gunicorn_redirects_to_https_but_not_the_health_probe(
    gunicorn, collected
):
    address = gunicorn(collected).address()

    with pytest.raises(urllib.error.HTTPError) as redirected:
        urllib.request.build_opener(NoRedirects).open(
            urllib.request.Request(address + "/admin/login/", headers={"Host": HOST}), timeout=10
        )
    health = request(address + "/healthz")  # by address, plain HTTP: as a probe asks

    assert redirected.value.code == 301
    assert redirected.value.headers["Location"] == f"https://{HOST}/admin/login/"
    assert (health.status, health.read()) == (
        200,
        b'{"status": "ok", "checks": {"database": "ok"}}',
    )


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_gunicorn_refuses_to_start_when_static_files_are_not_collected(gunicorn, tmp_path):
    server = gunicorn(tmp_path / "empty")

    server.process.wait(timeout=60)

    assert server.process.returncode != 0
    assert "Static files are not collected. Run `manage.py collectstatic" in server.output()
