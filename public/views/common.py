"""What every customer page shares."""

from django.shortcuts import render


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
