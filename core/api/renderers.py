"""Renderers: the API's JSON (written by orjson) and answers that are not JSON."""

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer


class CalendarRenderer(BaseRenderer):
    """An iCalendar file (bytes built by bookings.calendars), for `Accept: text/calendar`
    or anything. An error still answers in the API's one JSON error shape."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data, renderer_context=renderer_context)


# The types orjson hands back to DRF's own encoder, so that they come out as DRF writes them
# (times as "…Z", no microsecond change; dataclasses refused as DRF refuses them).
_PASSED_TO_DRF = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_LINE_SEPARATORS = (b"\xe2\x80\xa8", b"\xe2\x80\xa9")  # U+2028, U+2029 in UTF-8


class OrjsonRenderer(JSONRenderer):
    """DRF's JSONRenderer answer, byte for byte, written by orjson (several times faster).

    Compact UTF-8 as DRF writes it by default (UNICODE_JSON, COMPACT_JSON, STRICT_JSON),
    U+2028 and U+2029 escaped as DRF escapes them; what orjson does not write itself goes
    through DRF's encoder (`default`). An indented answer (`Accept: application/json;
    indent=4`) and anything orjson refuses (an integer over 64 bits, a key that is not a
    string) are written by DRF. One difference: a float orjson writes without DRF's
    exponent padding ("1e16", not "1e+16") — the same number; the API answers none.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        context = renderer_context or {}
        plain = self.compact and not self.ensure_ascii and self.strict
        if not plain or self.get_indent(accepted_media_type, context) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self.encoder_class().default, option=_PASSED_TO_DRF)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATORS[0] in body or _LINE_SEPARATORS[1] in body:
            body = body.replace(_LINE_SEPARATORS[0], b"\\u2028")
            body = body.replace(_LINE_SEPARATORS[1], b"\\u2029")
        return body
