"""Who the client is: its address, read through the proxies `VENUEDESK_TRUSTED_PROXIES` says
are ours, and the identity that rate limits and login lockouts count by."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The address of whoever sent the request, for anything that keys by client.

    With no trusted proxy it is REMOTE_ADDR: X-Forwarded-For is then whatever the client
    chose to send. With N trusted proxies, each of which appends the address it saw, the
    client is the Nth entry from the right; the entries left of it are the client's own
    words. A header that is missing, too short or not an address there means the request
    did not come through all of our proxies, and the nearest peer is all we know.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.VENUEDESK_TRUSTED_PROXIES
    if proxies <= 0:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < proxies:
        return remote_addr
    return _address(forwarded[-proxies]) or remote_addr


def _address(text: str) -> str | None:
    """The address in one X-Forwarded-For entry (some proxies add a port), normalised."""
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_identity(request) -> str:
    """What counts as one client for a rate limit or a login lockout: its address, with an
    IPv6 address widened to its /64 (one subscriber gets a whole /64: counting its
    addresses apart would hand it billions of limits) and an IPv4-mapped one unwrapped.
    """
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
