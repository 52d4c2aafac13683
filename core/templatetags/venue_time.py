"""Times in a venue's own zone, as pages show them: `{{ moment|venue_time:venue }}`."""

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def venue_time(moment, venue) -> str:
    """'Sat 14 Jun 2026, 18:00' in the venue's zone (the page names the zone once)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, venue.tzinfo)
    return f"{formats.date_format(local, 'D j M Y')}, {local:%H:%M}"


@register.simple_tag
def span(start, end, venue) -> str:
    """'Sat 14 Jun 2026, 18:00–20:00' (or with both dates when it crosses midnight)."""
    if start is None or end is None:
        return ""
    tz = venue.tzinfo
    local_start, local_end = timezone.localtime(start, tz), timezone.localtime(end, tz)
    if local_start.date() == local_end.date():
        return f"{venue_time(start, venue)}–{local_end:%H:%M}"
    return f"{venue_time(start, venue)} – {venue_time(end, venue)}"


@register.filter
def venue_clock(moment, venue) -> str:
    """'18:00' in the venue's zone, for lists of one day (the page names the day and zone)."""
    if moment is None:
        return ""
    return f"{timezone.localtime(moment, venue.tzinfo):%H:%M}"
