"""The staff navigation's figures, on every staff page."""

from bookings.selectors import pending_request_count
from core.actors import Actor
from venues.selectors import organization_list


def staff_navigation(request) -> dict:
    """The count of pending requests in the member's organisations, for the navigation of
    staff pages (one query; nothing on other pages)."""
    if not request.path.startswith("/staff/") or not request.user.is_authenticated:
        return {}
    organizations = organization_list(actor=Actor.staff(request.user))
    return {"pending_count": pending_request_count(organizations=organizations)}
