"""Renderers for API answers that are not JSON."""

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
