"""The staff dashboard: per venue, what needs a decision or a welcome now."""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingStatus, ChangeRequest, Notification
from bookings.selectors import VenueFigures, failed_notification_counts, venue_figures_list
from staff.views.common import staff_page
from venues.models import Organization


@dataclass
class VenueCard:
    figures: VenueFigures
    pending_url: str
    change_requests_url: str
    arrivals_url: str
    soon_url: str


@dataclass
class OrganizationSection:
    organization: Organization
    failed_notifications: int
    failed_notifications_url: str
    venues: list[VenueCard]


def _link(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}"


def _bookings_link(venue_id: int, start, end) -> str:
    """The admin's booking list: approved bookings of a venue starting in [start, end)."""
    return _link(
        "admin:bookings_booking_changelist",
        status__exact=BookingStatus.APPROVED,
        venue__id__exact=venue_id,
        starts_at__gte=start.isoformat(),
        starts_at__lt=end.isoformat(),
    )


def _card(figures: VenueFigures, now) -> VenueCard:
    venue_id = figures.venue.pk
    return VenueCard(
        figures=figures,
        pending_url=_link("staff:queue", venue=venue_id),
        change_requests_url=_link(
            "admin:bookings_changerequest_changelist",
            status__exact=ChangeRequest.Status.PENDING,
            booking__venue__id__exact=venue_id,
        ),
        # Today's arrivals are the front desk's list of the venue.
        arrivals_url=reverse("staff:front-desk-venue", args=[venue_id]),
        soon_url=_bookings_link(venue_id, now, now + timedelta(hours=1)),
    )


@staff_page
def dashboard(request):
    """For each venue the member may see: pending requests (and the oldest's wait), open
    change requests, today's arrivals, what starts within the hour; per organisation, the
    notifications that failed. Each figure links to its list. A few queries, however many
    bookings."""
    now = timezone.now()
    failed = failed_notification_counts(organizations=request.organizations)
    sections: dict[int, OrganizationSection] = {}
    for figures in venue_figures_list(organizations=request.organizations, now=now):
        organization = figures.venue.organization
        if organization.pk not in sections:
            sections[organization.pk] = OrganizationSection(
                organization=organization,
                failed_notifications=failed.get(organization.pk, 0),
                failed_notifications_url=_link(
                    "admin:bookings_notification_changelist",
                    status__exact=Notification.Status.FAILED,
                    organization__id__exact=organization.pk,
                ),
                venues=[],
            )
        sections[organization.pk].venues.append(_card(figures, now))
    return render(
        request,
        "staff/dashboard.html",
        {"nav": "dashboard", "sections": list(sections.values()), "now": now},
    )
