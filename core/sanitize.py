"""Sanitising what people type: HTML in notes, and characters no text field may hold."""

import re
from urllib.parse import urlsplit

import nh3
from django.core.exceptions import ValidationError

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"
# Tags whose content goes too, not only the tag: their text is code or markup, not prose.
DROPPED_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "title"}


def _keep_absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    # nh3's url_schemes lets relative URLs through ("/admin/", "evil.example"); a
    # customer's link must say where it goes.
    if tag == "a" and attribute == "href":
        return value if urlsplit(value.strip()).scheme.lower() in LINK_SCHEMES else None
    return value


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_absolute_links_only,
    url_schemes=LINK_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitize_note(html: str, *, max_length: int = 5000) -> str:
    """Return a customer's note as HTML that is safe to show on staff pages and in e-mails.

    - Kept: p, br, strong, b, em, i, u, ul, ol, li, blockquote, and a with an absolute
      http/https/mailto href only; links get rel="nofollow noopener noreferrer".
    - Every other tag is removed but its text kept; script, style and similar tags
      lose their content too. Attributes other than a's href (onclick, style…) go.
    - NUL characters are removed and surrounding whitespace stripped. Plain text stays
      as typed, newlines included; the result is HTML, so "&" comes back as "&amp;".
    - Raises ValidationError({"request_note": ...}) when the input is longer than
      `max_length` characters (counted before sanitising), or is not text.
    """
    if not isinstance(html, str):
        raise ValidationError({"request_note": "Give the note as text."}, code="invalid")
    if len(html) > max_length:
        raise ValidationError(
            {
                "request_note": ValidationError(
                    "Keep the note to %(max_length)d characters (it has %(length)d).",
                    code="max_length",
                    params={"max_length": max_length, "length": len(html)},
                )
            }
        )
    return _cleaner.clean(html.replace("\x00", "")).strip()


# A lone UTF-16 surrogate is not a character: it cannot be encoded to UTF-8, so neither
# the database nor an e-mail can hold it. JSON can smuggle one in as "\ud800".
_SURROGATE = re.compile("[\ud800-\udfff]")


def forbidden_character(text: str) -> ValidationError | None:
    """Why `text` cannot be stored (a NUL or a lone surrogate in it), or None.

    The messages and codes are the ones Django REST framework's text fields use.
    """
    if "\x00" in text:
        return ValidationError(
            "Null characters are not allowed.", code="null_characters_not_allowed"
        )
    surrogate = _SURROGATE.search(text)
    if surrogate:
        return ValidationError(
            "Surrogate characters are not allowed: U+%(code_point)X.",
            code="surrogate_characters_not_allowed",
            params={"code_point": ord(surrogate.group())},
        )
    return None
