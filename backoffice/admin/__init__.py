"""The Django admin door: access (organisations, members, API keys, login records), the
catalogue, the bookings and their change requests.

Django's admin autodiscovery imports this package; each module registers its models.
"""

from backoffice.admin import access, bookings, catalogue, change_requests, webhooks  # noqa: F401
