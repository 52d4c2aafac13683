"""System checks of the notification settings: a bad value would stall or lose delivery."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def notification_delivery_settings(app_configs=None, **kwargs) -> list[Error]:
    from bookings.notifications import DELIVERY_MODES

    errors = []
    mode = settings.VENUEDESK_NOTIFICATION_DELIVERY
    if mode not in DELIVERY_MODES:
        errors.append(
            Error(
                f"VENUEDESK_NOTIFICATION_DELIVERY is {mode!r}.",
                hint=f"Use one of: {', '.join(DELIVERY_MODES)}.",
                id="bookings.E001",
            )
        )
    for name in ("EMAIL_TIMEOUT", "VENUEDESK_SMS_TIMEOUT"):
        timeout = getattr(settings, name)
        if not isinstance(timeout, int | float) or timeout <= 0:
            errors.append(
                Error(
                    f"{name} is {timeout!r}: a mail or SMS server that never answers would "
                    "hold a delivery worker for ever.",
                    hint="Set it to a number of seconds greater than 0 (e.g. 10).",
                    id="bookings.E002",
                )
            )
    return errors
