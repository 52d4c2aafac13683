"""Every word a customer reads is marked for translation, and a catalogue really translates it.

English ships: the project has no catalogue. These tests do what a translator would: extract
the messages with `makemessages` (into a copy of the sources, so the working tree is left
alone), check that the customer's words are in the catalogue in their marked form, then
"translate" every message as "[de] <the English>", compile that with msgfmt and read the
booking form, the manage page and the e-mails in German. They need GNU gettext (Debian's
`gettext` package: xgettext, msgfmt), as makemessages itself does; .ci/run installs it.
"""

import ast
import contextlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from bookings.models import Notification
from bookings.notifications import queue
from tests import factories as f
from tests.bookings import conftest as booking_world
from tests.public.test_booking_form import DAY, booking_data, form_path

pytestmark = pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgfmt")),
    reason="needs GNU gettext (apt-get install gettext), as makemessages does",
)

world = booking_world.world
ROOT = Path(settings.BASE_DIR)
# What makemessages reads: the apps and the templates (not the tests, nor .venv).
SOURCES = ("api", "backoffice", "bookings", "config", "core", "public", "templates", "venues")
PSEUDO = "[de] "


@dataclass
class Message:
    """One entry of a .po file."""

    msgid: str = ""
    plural: str | None = None
    context: str | None = None
    flags: list[str] = field(default_factory=list)


def read_po(path: Path) -> list[Message]:
    """The entries of a .po file (msgid, msgid_plural, msgctxt and flags; no header)."""
    entries, current, part = [], Message(), None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#,"):
            current.flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
            keyword, _, quoted = line.partition(" ")
            part = keyword if keyword in ("msgctxt", "msgid", "msgid_plural") else None
            if part:
                setattr(
                    current, {"msgctxt": "context", "msgid_plural": "plural"}.get(part, part), ""
                )
                _append(current, part, quoted)
        elif line.startswith('"') and part:
            _append(current, part, line)
        elif not line.strip():
            if current.msgid:
                entries.append(current)
            current, part = Message(), None
    return entries


def _append(message: Message, part: str, quoted: str) -> None:
    name = {"msgctxt": "context", "msgid_plural": "plural"}.get(part, part)
    setattr(message, name, getattr(message, name) + ast.literal_eval(quoted))


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped.replace(chr(9), chr(92) + "t")}"'


def write_pseudo_po(messages: list[Message], path: Path) -> None:
    """A German catalogue that translates every message as "[de] <the English>"."""
    lines = [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        "",
    ]
    for message in messages:
        if message.flags:
            lines.append("#, " + ", ".join(message.flags))
        if message.context is not None:
            lines.append(f"msgctxt {_quoted(message.context)}")
        lines.append(f"msgid {_quoted(message.msgid)}")
        if message.plural is None:
            lines.append(f"msgstr {_quoted(PSEUDO + message.msgid)}")
        else:
            lines.append(f"msgid_plural {_quoted(message.plural)}")
            lines.append(f"msgstr[0] {_quoted(PSEUDO + message.msgid)}")
            lines.append(f"msgstr[1] {_quoted(PSEUDO + message.plural)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> list[Message]:
    """The project's messages as `makemessages -l de` extracts them."""
    work = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    locale = work / "locale"
    with override_settings(LOCALE_PATHS=[locale]), contextlib.chdir(work):
        call_command("makemessages", locale=["de"], verbosity=0)
    return read_po(locale / "de" / "LC_MESSAGES" / "django.po")


@pytest.fixture(scope="module")
def german(catalogue, tmp_path_factory) -> Path:
    """A locale folder whose compiled German catalogue translates every message."""
    locale = tmp_path_factory.mktemp("locale")
    po = locale / "de" / "LC_MESSAGES" / "django.po"
    write_pseudo_po(catalogue, po)
    # --check-format: each translation keeps the placeholders of its message.
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)],
        check=True,
        capture_output=True,
    )
    return locale


@pytest.fixture
def in_german(settings, german):
    settings.LOCALE_PATHS = [german]
    settings.LANGUAGE_CODE = "de"


# -- the catalogue ------------------------------------------------------------------------------

# A message of each kind a customer reads, as the catalogue holds it.
CUSTOMER_MESSAGES = [
    # pages: templates, forms, views
    "There is a problem",
    "Free times on %(day)s",
    "Show free times",
    "First name",
    "Request received — not confirmed yet",
    "We have sent the link to this page to %(email)s. Keep it: it is how you see, change or "
    "cancel your booking.",
    # what the services say on the manage page's change form and the booking form
    "Say what should change.",
    "This booking has no such space line.",
    "No such space at this venue.",
    "This booking form is not taking bookings.",
    # e-mails: a subject, a greeting, a sentence with markup, a long one written over lines
    "We received your booking request %(reference)s — %(venue)s",
    "Hello %(name)s,",
    'Questions? Call us on <a href="tel:%(tel)s" style="color:#1d4ed8;">%(phone)s</a>.',
    'Good news: your booking <strong style="white-space:nowrap;">%(reference)s</strong> at '
    "%(venue)s on %(day)s at %(time)s is <strong>approved</strong>. The place is now reserved "
    "for you.",
    "Waiting for our confirmation",
    # an SMS
    "%(venue)s: we received your booking request %(reference)s for %(start)s. We will let you "
    "know once it is confirmed.",
]
# Messages with a plural, by their singular.
CUSTOMER_PLURALS = {
    "%(places)s person": "%(places)s people",
    "%(free)s free time on %(day)s": "%(free)s free times on %(day)s",
    "Your booking link — %(organization)s": "Your booking links — %(organization)s",
}


def test_the_catalogue_holds_the_words_customers_read(catalogue):
    extracted = {message.msgid: message for message in catalogue}

    missing = [msgid for msgid in CUSTOMER_MESSAGES if msgid not in extracted]
    assert missing == []
    for singular, plural in CUSTOMER_PLURALS.items():
        assert extracted[singular].plural == plural
    # {% blocktranslate trimmed %} made one line of what the templates write over several.
    assert not [message.msgid for message in catalogue if "\n" in message.msgid]


def test_messages_with_placeholders_are_checked_as_python_formats(catalogue):
    """msgfmt --check-format then refuses a translation that loses or renames a placeholder."""
    with_placeholders = [m for m in catalogue if re.search(r"%\(\w+\)[sd]", m.msgid)]

    assert with_placeholders
    assert [m.msgid for m in with_placeholders if "python-format" not in m.flags] == []


# -- a catalogue at work ------------------------------------------------------------------------


def test_the_booking_form_reads_in_german(client, world, in_german):
    page = client.get(form_path(world)).content.decode()

    assert '<html lang="de">' in page
    for words in ("Show free times", "Your details", "First name", "Send request"):
        assert f"{PSEUDO}{words}" in page
    assert ">Show free times<" not in page


def test_the_slot_list_announces_its_free_times_in_german(client, world, in_german):
    path = f"{form_path(world)}slots/"
    response = client.get(path, {"space": world.room.pk, "day": DAY, "minutes": 120, "places": 8})

    status = re.search(r'data-status="([^"]*)"', response.content.decode()).group(1)
    assert re.fullmatch(r"\[de\] \d+ free times on Montag 4 März 2030", status)


def test_a_booking_made_in_german_is_confirmed_and_mailed_in_german(
    client, world, in_german, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_path(world), booking_data(world), follow=True)

    page = response.content.decode()
    assert f"{PSEUDO}Request received — not confirmed yet" in page
    assert f"{PSEUDO}We have sent the link to this page to grace@example.com." in page
    assert f"{PSEUDO}History" in page
    [mail] = [mail for mail in mailoutbox if mail.to == ["grace@example.com"]]
    assert mail.subject.startswith(f"{PSEUDO}We received your booking request VD-")
    assert f"{PSEUDO}Hello Grace Hopper," in mail.body
    assert f"{PSEUDO}Status: {PSEUDO}Waiting for our confirmation" in mail.body
    assert f"{PSEUDO}8 people" in mail.body
    [html] = [body for body, kind in mail.alternatives if kind == "text/html"]
    assert '<html lang="de">' in html
    assert f"{PSEUDO}View or change your booking" in html
    staff = Notification.objects.get(kind=Notification.Kind.STAFF_NEW_REQUEST)
    assert staff.subject.startswith(f"{PSEUDO}New booking request VD-")


def test_a_message_is_written_in_the_site_s_language_whatever_the_request_is_served_in(
    world, in_german
):
    booking = world.book(approve=True)
    change_request = f.ChangeRequestFactory(
        booking=booking, changes={"contact": {"contact_phone": "+34 600 000 000"}}
    )

    with translation.override("en"):
        [mail] = queue(
            booking=booking, kind=Notification.Kind.CHANGE_RECEIVED, change_request=change_request
        )

    assert mail.subject.startswith(f"{PSEUDO}We received your change request for booking VD-")
    # Words made in Python (the field's name, the status) as well as the templates' words.
    assert f"- {PSEUDO}Contact phone: +34 600 000 000" in mail.body_text
    assert f"{PSEUDO}Status: {PSEUDO}Confirmed" in mail.body_text


def test_english_is_not_touched_by_another_language_s_catalogue(client, world, settings, german):
    settings.LOCALE_PATHS = [german]

    page = client.get(form_path(world)).content.decode()

    assert '<html lang="en">' in page
    assert ">Show free times<" in page
    assert PSEUDO not in page
