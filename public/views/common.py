"""What every customer page shares."""

from django.shortcuts import render


def private(response):
    """The page is the customer's alone: never indexed, and its address (it may hold the
    manage token) never sent to another site as a referrer."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def link_not_found(request):
    return private(render(request, "public/link_not_found.html", status=404))
