"""How long something has waited, read at a glance: `{{ booking.created_at|waited }}`."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext

register = template.Library()


def waited_text(since: datetime, now: datetime) -> str:
    """'under a minute', '25 min', '3 h 20 min', '14 h', '2 d 4 h', '9 d'."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    hours, days = minutes // 60, minutes // (60 * 24)
    if minutes < 1:
        return gettext("under a minute")
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    if hours < 10:
        if minutes % 60 == 0:
            return gettext("%(hours)d h") % {"hours": hours}
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes % 60}
    if hours < 48:
        return gettext("%(hours)d h") % {"hours": hours}
    if days < 7 and hours % 24:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours % 24}
    return gettext("%(days)d d") % {"days": days}


@register.filter
def waited(since: datetime | None) -> str:
    """How long since `since`, now (empty for none)."""
    if since is None:
        return ""
    return waited_text(since, timezone.now())
