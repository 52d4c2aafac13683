"""Validating answers to a booking form's custom fields, the same way for every door.

The public form, the staff pages and the API all pass what they received to
`clean_answers()` and store what it returns in `Booking.answers` (or a change
request's `changes["answers"]`).

Decisions every door shares:

- A missing answer takes the field's `default`, validated as if it had been typed (a
  bad default is reported on the field); a field without a default is left out. A
  checkbox without an answer or default is False (not ticked).
- A blank answer ("", whitespace, None, []) to an optional field is left out; to a
  required field it is an error. In partial mode (change requests) only the answers
  given are checked and returned, and a blank optional answer comes back as None,
  meaning "clear it" (as in JSON Merge Patch).
- Text is never coerced: 42 for a text field is refused, so an API client that
  confuses types hears about it instead of storing "42" by accident.
- Numbers are stored as an int when whole (12, "12.0" → 12), otherwise as the
  normalised decimal string ("12.50" → "12.5"), so no float rounding enters the data.
- `max_length` and `regex` apply to text, long text and e-mail answers.
"""

import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from core.sanitize import forbidden_character
from venues.models import BookingForm, CustomField

Type = CustomField.Type

REQUIRED_MESSAGE = _("This field is required.")
REGEX_MESSAGE = _("This answer is not in the expected format.")
NUMBER_LIMIT = Decimal(10) ** 12
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
CHECKBOX_WORDS = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}

# _clean_answer's result when there is no answer to store.
_BLANK = object()


def _error(message: str, code: str, **params: Any) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _check_text_options(field: CustomField, text: str) -> str:
    """Apply the field's max_length (in characters) and regex (the whole answer must match)."""
    if field.max_length is not None and len(text) > field.max_length:
        raise _error(
            _("Keep this to %(max_length)d characters (it has %(length)d)."),
            "max_length",
            max_length=field.max_length,
            length=len(text),
        )
    if field.regex and re.fullmatch(field.regex, text) is None:
        raise _error(field.regex_message or REGEX_MESSAGE, "invalid_format")
    return text


def _require_string(value: Any) -> str:
    if not isinstance(value, str):
        raise _error(_("Enter text."), "invalid_type")
    return value


def clean_text(field: CustomField, value: Any) -> str:
    """A string, stripped; line breaks inside become single spaces."""
    return _check_text_options(field, LINE_BREAKS.sub(" ", _require_string(value).strip()))


def clean_long_text(field: CustomField, value: Any) -> str:
    """A string, stripped; line breaks are kept (and written as \\n)."""
    text = _require_string(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return _check_text_options(field, text)


def clean_email(field: CustomField, value: Any) -> str:
    """An address Django's validate_email accepts, stripped and otherwise kept as typed."""
    address = _require_string(value).strip()
    validate_email(address)
    return _check_text_options(field, address)


def clean_number(field: CustomField, value: Any) -> int | str:
    """An int, float, Decimal or numeric string ("12", "-12.5", " 3 ").

    Whole numbers come back as int, others as a normalised decimal string. Booleans,
    NaN, infinity, exponents in strings and magnitudes above 10^12 are refused.
    """
    invalid = _error(_("Enter a number, such as 12 or 12.5."), "invalid_number")
    if isinstance(value, bool):
        raise invalid
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise invalid
        number = Decimal(repr(value))  # the shortest spelling: 0.1, not 0.1000000000000000055…
    elif isinstance(value, str) and NUMBER_PATTERN.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        raise invalid
    if not number.is_finite():
        raise invalid
    if abs(number) > NUMBER_LIMIT:
        raise _error(
            _("Enter a number between -%(limit)s and %(limit)s."), "out_of_range", limit="10^12"
        )
    if number == number.to_integral_value():
        return int(number)
    return format(number.normalize(), "f")


def clean_date(field: CustomField, value: Any) -> str:
    """A date object or a "YYYY-MM-DD" string that is a real date; stored as YYYY-MM-DD."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass  # 2030-02-30: the right shape, but no such day
    raise _error(_("Enter a date in the format YYYY-MM-DD, e.g. 2030-03-04."), "invalid_date")


def _options(field: CustomField) -> str:
    return ", ".join(field.choices)


def clean_choice(field: CustomField, value: Any) -> str:
    """Exactly one of the field's choices (case and spaces count)."""
    if not isinstance(value, str) or value not in field.choices:
        raise _error(_("Choose one of: %(options)s."), "invalid_choice", options=_options(field))
    return value


def clean_multi_choice(field: CustomField, value: Any) -> list[str]:
    """A list of distinct choices (a single string is a one-item list), in the field's order."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise _error(_("Give a list of options."), "invalid_type")
    unknown = [item for item in value if item not in field.choices]
    if unknown:
        raise _error(
            _("Not an option: %(unknown)s. Choose from: %(options)s."),
            "invalid_choice",
            unknown=", ".join(unknown),
            options=_options(field),
        )
    repeated = [choice for choice, times in Counter(value).items() if times > 1]
    if repeated:
        raise _error(
            _("Chosen more than once: %(repeated)s."),
            "duplicate_choice",
            repeated=", ".join(repeated),
        )
    return [choice for choice in field.choices if choice in value]


def clean_checkbox(field: CustomField, value: Any) -> bool:
    """True or False, or one of "true"/"on"/"1" and "false"/"off"/"0"; empty is False."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return False
        if word in CHECKBOX_WORDS:
            return CHECKBOX_WORDS[word]
    raise _error(_("Give true or false."), "invalid_type")


CLEANERS: dict[str, Callable[[CustomField, Any], Any]] = {
    Type.TEXT: clean_text,
    Type.LONG_TEXT: clean_long_text,
    Type.NUMBER: clean_number,
    Type.DATE: clean_date,
    Type.EMAIL: clean_email,
    Type.CHOICE: clean_choice,
    Type.MULTI_CHOICE: clean_multi_choice,
    Type.CHECKBOX: clean_checkbox,
}


def _forbidden_character(value: Any) -> ValidationError | None:
    if isinstance(value, str):
        return forbidden_character(value)
    if isinstance(value, list | tuple):
        return next(filter(None, map(_forbidden_character, value)), None)
    return None


def _is_blank(value: Any) -> bool:
    return (
        value is None
        or value == []
        or value == ()
        or (isinstance(value, str) and not value.strip())
    )


def _clean_answer(field: CustomField, value: Any) -> Any:
    """One answer through the character, required and type checks; _BLANK when there is none."""
    forbidden = _forbidden_character(value)
    if forbidden is not None:
        raise forbidden
    required = _error(field.required_message or REQUIRED_MESSAGE, "required")
    if field.field_type != Type.CHECKBOX and _is_blank(value):
        if field.required:
            raise required
        return _BLANK
    cleaned = CLEANERS[field.field_type](field, value)
    if field.field_type == Type.CHECKBOX and field.required and not cleaned:
        raise required
    return cleaned


def clean_answers(form: BookingForm, answers: dict, *, partial: bool = False) -> dict:
    """Validate answers to `form`'s custom fields; return them normalised, in form order.

    Raises ValidationError({key: [messages]}) naming every bad answer at once, unknown
    keys included ("Unknown field."); a non-dict raises ValidationError({"answers": ...}).
    With `partial` (change requests) only the keys given are checked and returned; a
    given required answer still may not be blank. See the module docstring for
    defaults, blanks and the stored shape of each type.
    """
    if not isinstance(answers, dict):
        raise ValidationError(
            {"answers": _error(_("Give the answers as an object keyed by field key."), "invalid")}
        )
    fields = list(form.custom_fields.all())
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for field in fields:
        given = field.key in answers
        if not given and partial:
            continue
        value = answers[field.key] if given else (field.default or None)
        try:
            answer = _clean_answer(field, value)
        except ValidationError as error:
            errors[field.key] = error.error_list
            continue
        if answer is not _BLANK:
            cleaned[field.key] = answer
        elif partial:
            cleaned[field.key] = None
    known_keys = {field.key for field in fields}
    for key in answers:
        if key not in known_keys:
            errors[str(key)] = [_error(_("Unknown field."), "unknown_field")]
    if errors:
        raise ValidationError(errors)
    return cleaned


# -- showing answers ----------------------------------------------------------------------------


def answer_text(answer) -> str:
    """An answer as a person reads it: "Yes"/"No", a list joined by commas, "—" for none."""
    if answer is None or answer == "":
        return "—"
    if isinstance(answer, bool):
        return str(_("Yes") if answer else _("No"))
    if isinstance(answer, list):
        return ", ".join(map(str, answer))
    return str(answer)


def answers_with_labels(booking) -> list[tuple[str, str]]:
    """A booking's answers under their questions' labels, in the form's order (answers to
    questions since removed under their key). The form's fields are read through
    `booking.booking_form.custom_fields.all()`: prefetch them for a list."""
    answers = dict(booking.answers or {})
    shown = []
    if booking.booking_form is not None:
        for question in booking.booking_form.custom_fields.all():
            if question.key in answers:
                shown.append((question.label, answer_text(answers.pop(question.key))))
    shown += [(key, answer_text(value)) for key, value in answers.items()]
    return shown
