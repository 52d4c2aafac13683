"""Production as the README describes it: check --deploy, gunicorn, static files, /healthz."""

import gzip
import os
import re
import runpy
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


def production(database: Path, static_root: Path) -> dict[str, str]:
    """The production variables of the README ("Deploying"), on the SQLite file `database`."""
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
        "DATABASE_URL": f"sqlite:///{database}",
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
def installed(tmp_path_factory) -> dict[str, str]:
    """The production variables, once `migrate` and `collectstatic` have run with them."""
    tmp = tmp_path_factory.mktemp("installed")
    environment = production(tmp / "db.sqlite3", tmp / "static")
    for step in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        result = manage(environment, *step, "-v0")
        assert result.returncode == 0, result.stderr
    return environment


def test_check_deploy_with_the_production_variables_reports_nothing(installed):
    result = manage(installed, "check", "--deploy", "--fail-level", "DEBUG")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_says_when_static_files_are_not_collected(tmp_path):
    result = manage(production(tmp_path / "db.sqlite3", tmp_path / "empty"), "check", "--deploy")

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

    def start(environment: dict[str, str]) -> Gunicorn:
        server = Gunicorn(environment, tmp_path / "gunicorn.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_gunicorn_serves_the_admin_login_and_its_static_files_with_debug_off(gunicorn, installed):
    address = gunicorn(installed).address()

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


def access_log(output: str) -> list[str]:
    return [line for line in output.splitlines() if " via " in line]


def test_the_access_log_names_the_client_and_leaves_out_manage_links(gunicorn, installed):
    server = gunicorn(installed)
    address = server.address()
    token = secrets.token_urlsafe(32)

    through_the_proxy(address + "/admin/login/")
    with pytest.raises(urllib.error.HTTPError) as not_found:  # no booking has it
        through_the_proxy(address + f"/manage/{token}/")
    server.stop()

    logged = access_log(server.output())
    # The client the proxy saw, beside the proxy; the request; the status.
    assert any(
        re.search(
            r'^203\.0\.113\.7 via 127\.0\.0\.1 \[.*\] "GET /admin/login/ HTTP/1.1" 200 ', line
        )
        for line in logged
    ), logged
    assert not_found.value.code == 404
    assert any('"GET /manage/[redacted]/ HTTP/1.1" 404 ' in line for line in logged), logged
    assert not any(token in line for line in logged)


def test_gunicorn_listens_on_127_0_0_1_by_default_with_workers_for_the_cores(monkeypatch):
    for name in [name for name in os.environ if name.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert config["bind"] == "127.0.0.1:8000"
    assert config["workers"] == min(2 * (os.cpu_count() or 1) + 1, 12)
    assert config["preload_app"] is False
    assert config["wsgi_app"] == "config.wsgi:application"


def test_without_the_proxy_headers_gunicorn_redirects_to_https_but_not_the_health_probe(
    gunicorn, installed
):
    address = gunicorn(installed).address()

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
    server = gunicorn(production(tmp_path / "db.sqlite3", tmp_path / "empty"))

    server.process.wait(timeout=60)

    assert server.process.returncode != 0
    assert "Static files are not collected. Run `manage.py collectstatic" in server.output()
