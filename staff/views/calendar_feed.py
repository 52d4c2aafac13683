"""A venue's calendar feed for staff calendar apps, at /calendars/<token>.ics.

Calendar apps subscribe by address and send no login, so the token in the address is the
key: a manager makes (and revokes) feeds in the admin (venues.services). An unknown and a
revoked token get the same 404.
"""

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from bookings.calendars import CONTENT_TYPE, venue_feed_ics
from bookings.models import Booking
from bookings.selectors import calendar_sequences, venue_feed_line_list
from core import ratelimit
from venues.selectors import calendar_feed_by_token

# Apps poll every few minutes to hours; a private cache (never a shared proxy's) may
# keep the answer this long.
MAX_AGE_SECONDS = 300


def too_many_requests(request, *, retry_after: int) -> HttpResponse:
    return HttpResponse("Too many requests.", content_type="text/plain; charset=utf-8")


@require_GET
@ratelimit.rate_limited("calendar_feeds", methods=("GET",), refuse=too_many_requests)
def calendar_feed(request, token: str):
    """The feed's venue's requests and bookings around now (bookings.selectors), one entry
    per space line in the venue's zone: three queries however many bookings."""
    feed = calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404("No such calendar.")
    venue = feed.venue
    lines = venue_feed_line_list(venue=venue)
    sequences = calendar_sequences(booking_ids=list({line.booking_id for line in lines}))

    def booking_url(booking: Booking) -> str:
        return request.build_absolute_uri(reverse("staff:booking", args=[booking.pk]))

    body = venue_feed_ics(
        venue=venue,
        name=feed.name,
        space_bookings=lines,
        sequences=sequences,
        booking_url=booking_url,
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Cache-Control"] = f"private, max-age={MAX_AGE_SECONDS}"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
