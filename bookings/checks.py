"""System checks of the notification settings: a bad value would stall, lose or leak delivery."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def notification_delivery_settings(app_configs=None, **kwargs) -> list[Error | Warning]:
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
    if mode == "celery" and not settings.CELERY_BROKER_URL:
        errors.append(
            Warning(
                "VENUEDESK_NOTIFICATION_DELIVERY is 'celery' but CELERY_BROKER_URL is not set: "
                "the tasks run in the request that commits, which then waits on the mail server.",
                hint="Set CELERY_BROKER_URL, or leave VENUEDESK_NOTIFICATION_DELIVERY empty.",
                id="bookings.W002",
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


# Backends that keep messages on this machine: fine for development, but in production
# customers get no mail, and their private links end up in logs or files.
LOCAL_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(Tags.security, deploy=True)
def email_goes_out(app_configs=None, **kwargs) -> list[Warning]:
    if settings.EMAIL_BACKEND not in LOCAL_EMAIL_BACKENDS:
        return []
    return [
        Warning(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: customers get no e-mail, and the "
            "private links to their bookings are written to the log or to files.",
            hint="Set DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
            "DJANGO_EMAIL_HOST (see the README).",
            id="bookings.W001",
        )
    ]
