"""Settings from the environment: .env.example copies safely, empty means default, logs once."""

import os
import runpy
import subprocess
import sys
from pathlib import Path
from unittest import mock

import environ
import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "config" / "settings.py"
EXAMPLE = ROOT / ".env.example"

# Two environments to read the settings in: local development (SQLite, debug on) and
# production-like (PostgreSQL, debug off), so that both branches of the settings are read.
DEVELOPMENT = {"DJANGO_DEBUG": "true"}
PRODUCTION = {
    "DJANGO_SECRET_KEY": "not-a-real-key-only-for-this-test",
    "DATABASE_URL": "postgres://venuedesk@127.0.0.1:5432/venuedesk",
}


def read_settings(environment: dict[str, str]) -> dict[str, object]:
    """config/settings.py run afresh with exactly these variables, and no .env file."""
    with (
        mock.patch.object(environ.Env, "ENVIRON", dict(environment)),
        mock.patch.object(environ.Env, "read_env"),
    ):
        names = runpy.run_path(str(SETTINGS))
    return {name: value for name, value in names.items() if name.isupper()}


def outcome(environment: dict[str, str]) -> object:
    """The settings, or the refusal to start, that this environment gives."""
    try:
        return read_settings(environment)
    except Exception as error:  # the refusal to start is what is compared
        return repr(error)


def example_values() -> dict[str, str]:
    """The variables of .env.example as django-environ reads the file."""
    values: dict[str, str] = {}
    with mock.patch.object(environ.Env, "ENVIRON", values):
        environ.Env.read_env(EXAMPLE)
    return values


def variables_read(environment: dict[str, str]) -> set[str]:
    original = environ.Env.get_value
    with mock.patch.object(
        environ.Env, "get_value", autospec=True, side_effect=original
    ) as get_value:
        read_settings(environment)
    return {
        call.args[1] if len(call.args) > 1 else call.kwargs["var"] for call in get_value.mock_calls
    }


def test_an_empty_database_url_means_the_sqlite_file_in_the_project():
    database = read_settings({**DEVELOPMENT, "DATABASE_URL": ""})["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == ROOT / "db.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("base", [DEVELOPMENT, PRODUCTION], ids=["development", "production"])
@pytest.mark.parametrize("name", sorted(example_values()))
def test_a_variable_left_empty_means_its_default(name, base):
    unset = {key: value for key, value in base.items() if key != name}

    assert outcome({**unset, name: ""}) == outcome(unset)


@pytest.mark.parametrize("base", [DEVELOPMENT, PRODUCTION], ids=["development", "production"])
def test_the_example_copied_as_is_changes_no_setting(base):
    # The environment wins over .env, as django-environ's read_env only fills in what is unset.
    assert read_settings({**example_values(), **base}) == read_settings(base)


def test_the_example_lists_every_variable_the_settings_read():
    read = variables_read(DEVELOPMENT) | variables_read(PRODUCTION)

    assert read - set(example_values()) == set()
    assert set(example_values()) - read == set()


def printed_by_the_app(environment: dict[str, str]) -> str:
    """What a configured Django process prints when each kind of logger records a line."""
    probe = """
import logging
import django
django.setup()
logging.getLogger("django.request").warning("probe from django.request")
logging.getLogger("django.utils.autoreload").info("probe from django.utils.autoreload")
logging.getLogger("bookings.notifications").error("probe from bookings.notifications")
logging.getLogger("venuedesk.sms").info("probe from venuedesk.sms")
logging.getLogger("django.server").info("probe from django.server", extra={"status_code": 404})
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("base", [DEVELOPMENT, PRODUCTION], ids=["development", "production"])
def test_each_log_record_is_printed_once(base):
    printed = printed_by_the_app({**base, "DJANGO_LOG_LEVEL": "INFO"}).splitlines()

    for logger in (
        "django.request",
        "django.utils.autoreload",
        "bookings.notifications",
        "venuedesk.sms",
        "django.server",
    ):
        lines = [line for line in printed if line.endswith(f"probe from {logger}")]
        assert len(lines) == 1, (logger, printed)
    # runserver's request lines keep Django's format, with the time in front.
    [server_line] = [line for line in printed if line.endswith("probe from django.server")]
    assert server_line.startswith("[")
