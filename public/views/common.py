"""What every customer page shares: private answers, the not-found page, the rate limit."""

from django.shortcuts import render

from core import ratelimit


def private(response):
    """The page is the customer's alone: never indexed, and its address (it may hold the
    manage token) never sent to another site as a referrer.

    `same-origin`, not `no-referrer`: the browser then still names our own origin when the
    page posts a form to us, which Django's CSRF check needs (with `no-referrer` a POST
    carries `Origin: null` and is refused); other sites get no referrer at all."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def link_not_found(request):
    return private(render(request, "public/link_not_found.html", status=404))


def too_many_requests(request, *, retry_after: int):
    """The 429 page: nothing was done, and how many seconds to wait before trying again."""
    context = {"retry_after": retry_after, "back_to": request.get_full_path()}
    return private(render(request, "public/too_many_requests.html", context, status=429))


def rate_limited(scope: str = "public_pages", *, methods=("POST",)):
    """Limit a page's `methods` per client to settings.VENUEDESK_PAGE_RATES[scope]; past it
    the view is not called and the client gets the 429 page with Retry-After.

        @rate_limited("public_pages", methods=("POST",))
        def booking_form(request, ...): ...
    """
    return ratelimit.rate_limited(scope, methods=methods, refuse=too_many_requests)
