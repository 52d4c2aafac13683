"""client_address(): REMOTE_ADDR, or the entry our trusted proxies added to X-Forwarded-For."""

import pytest
from django.test import RequestFactory

from core.http import client_address

PROXY = "10.0.0.1"


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "client"),
    [
        (0, None, PROXY),
        (0, "198.51.100.7", PROXY),  # without a trusted proxy the header is the client's word
        (1, None, PROXY),
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (1, " 192.0.2.1 ,198.51.100.7 ", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", PROXY),  # fewer entries than proxies: not all of ours were passed
        (1, "", PROXY),
        (1, "unknown", PROXY),
        (1, "198.51.100.7, garbage", PROXY),
        (1, "999.1.1.1", PROXY),
        (1, "\x00\n", PROXY),
        (1, "198.51.100.7:4711", "198.51.100.7"),  # some proxies add the port
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "2001:DB8:0:0::7", "2001:db8::7"),
    ],
)
def test_the_client_address_trusts_only_what_the_trusted_proxies_added(
    settings, proxies, forwarded_for, client
):
    settings.VENUEDESK_TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    assert client_address(RequestFactory().get("/", **meta)) == client
