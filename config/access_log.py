"""gunicorn's access log without the secrets that travel in addresses.

A customer's manage link (/manage/<token>/) is the key to their booking, and a calendar
feed's address carries its token: a log line, or the Referer a page sends for its own
stylesheet, would hand them to whoever reads the log. gunicorn.conf.py logs through this.
"""

import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# The segment after /manage/ (but the "resend" page), and any segment that looks like a
# random token (32 or more URL-safe characters with a capital letter: slugs have none),
# maybe with an extension (feed.ics).
_MANAGE_TOKEN = re.compile(r"(/manage/)(?!resend/)[^/?#\s]+")
_RANDOM_SEGMENT = re.compile(r"(?<=/)(?=[\w-]*[A-Z])[\w-]{32,}(?=[./?#\s]|$)")
# Query values whose name says they are a secret (?token=…, ?key=…, ?signature=…).
_SECRET_PARAMETER = re.compile(r"([?&][\w-]*(?:token|key|secret|signature)[\w-]*=)[^&#\s]*", re.I)


def redact(text: str | None) -> str | None:
    """`text` (a request line, a path, a query, a Referer) with its secrets replaced."""
    if not text:
        return text
    text = _MANAGE_TOKEN.sub(rf"\g<1>{REDACTED}", text)
    text = _RANDOM_SEGMENT.sub(REDACTED, text)
    return _SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", text)


class RedactingLogger(Logger):
    """gunicorn's logger; the request line, path, query and Referer go through `redact`."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", "{referer}i", "{raw_uri}e", "{path_info}e"):
            if name in atoms:
                atoms[name] = redact(atoms[name])
        if atoms.get("q"):
            atoms["q"] = redact("?" + atoms["q"])[1:]
        return atoms
