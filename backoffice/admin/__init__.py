"""The Django admin door: access (organisations, members, API keys, login records), the
catalogue, the bookings and their change requests.

Django's admin autodiscovery imports this package; each module registers its models.
"""

from backoffice.admin import (  # noqa: F401
    access,
    bookings,
    calendar_feeds,
    catalogue,
    change_requests,
    webhooks,
)
