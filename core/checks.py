"""Deployment checks (`manage.py check --deploy`): what would break the site in production."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, Warning, register
from django.core.files.storage import storages

# What collectstatic leaves out unless told otherwise (its --ignore defaults).
COLLECTSTATIC_IGNORES = ["CVS", ".*", "*~"]


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs) -> list[Error]:
    """With hashed names (debug off), a file missing from the manifest makes a page a 500.

    config/wsgi.py runs this too, so that the server refuses to start rather than answer
    every page with an error. Cheap: the finders list file names, nothing is read.
    """
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    hint = (
        f"Run `manage.py collectstatic --no-input` (into STATIC_ROOT, {settings.STATIC_ROOT}) "
        "after every install or upgrade, then restart."
    )
    if not storage.manifest_storage.exists(storage.manifest_name):
        return [Error("Static files are not collected.", hint=hint, id="core.E001")]
    collected = storage.load_manifest()[0]
    missing = sorted(
        name
        for finder in finders.get_finders()
        for path, source in finder.list(COLLECTSTATIC_IGNORES)
        if (name := f"{source.prefix}/{path}" if getattr(source, "prefix", None) else path)
        not in collected
    )
    if missing:
        return [
            Error(
                f"{len(missing)} static file(s) are not collected, e.g. {missing[0]}.",
                hint=hint,
                id="core.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def links_lead_to_the_site(app_configs=None, **kwargs) -> list[Warning]:
    """E-mails carry VENUEDESK_SITE_URL: a customer's manage link must reach the site, by HTTPS."""
    if urlsplit(settings.VENUEDESK_SITE_URL).scheme == "https":
        return []
    return [
        Warning(
            f"VENUEDESK_SITE_URL is {settings.VENUEDESK_SITE_URL}: the links in customers' "
            "e-mails lead there, not over HTTPS.",
            hint="Set VENUEDESK_SITE_URL to the public address, e.g. https://venues.example.org.",
            id="core.W001",
        )
    ]


@register(Tags.security, deploy=True)
def https_redirect_sees_https(app_configs=None, **kwargs) -> list[Warning]:
    """Behind a TLS proxy, the redirect needs the proxy's word, or it redirects for ever."""
    if not settings.SECURE_SSL_REDIRECT or settings.SECURE_PROXY_SSL_HEADER:
        return []
    return [
        Warning(
            "SECURE_SSL_REDIRECT is on but no proxy is trusted to say a request came over "
            "HTTPS: behind a TLS proxy, every request is redirected again and again.",
            hint="Set VENUEDESK_TRUSTED_PROXIES to the number of proxies in front of the app "
            "(1 for nginx on the same machine).",
            id="core.W002",
        )
    ]
