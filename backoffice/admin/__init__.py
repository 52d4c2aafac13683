"""The Django admin door: the catalogue, the bookings, and the security logs.

Django's admin autodiscovery imports this package; each module registers its models.
"""

from backoffice.admin import bookings, catalogue, change_requests  # noqa: F401
