"""The API's JSON parser: every string checked and the nesting bounded, before any view sees it.

JSON can carry what no text column or e-mail can hold — a NUL, a lone surrogate
("\\ud800") — in any string, keys included, and nest deep enough to exhaust the stack.
Checking once here covers every field, also those a serializer passes on as a dict
(answers, event overrides, change requests). The body's size is bounded by Django's
DATA_UPLOAD_MAX_MEMORY_SIZE; the exception handler answers 413 above it.
"""

from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from core.sanitize import forbidden_character

MAX_DEPTH = 16  # objects and lists inside each other; the deepest body the API takes is 4


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"JSON parse error - objects and lists nest at most {MAX_DEPTH} deep."
            ) from None
        refusal = _first_refusal(data)
        if refusal is not None:
            path, detail = refusal
            raise ValidationError({path: [detail]})
        return data


def _first_refusal(data) -> tuple[str, ErrorDetail] | None:
    """(path, error) of the first value nested too deep or string that cannot be stored."""
    stack = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            forbidden = forbidden_character(value)
            if forbidden is not None:
                return path or "non_field_errors", _detail(forbidden)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            message = f"Objects and lists nest at most {MAX_DEPTH} deep."
            return path or "non_field_errors", ErrorDetail(message, code="max_depth")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                forbidden = forbidden_character(key)
                if forbidden is not None:
                    return path or "non_field_errors", _detail(forbidden)
            stack.append((f"{path}.{key}" if path else str(key), item, depth + 1))
    return None


def _detail(error) -> ErrorDetail:
    message = error.message % error.params if error.params else error.message
    return ErrorDetail(message, code=error.code)
