"""The shared fixed-window counter and the pages' rate-limit decorator (core.ratelimit)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from core import ratelimit

TEN_TWENTY = datetime(2030, 3, 4, 10, 20, tzinfo=UTC).timestamp()


@pytest.fixture
def clock(monkeypatch):
    """core.ratelimit's clock, stopped at 10:20:00 UTC; move it with clock["now"] += s."""
    stopped = {"now": TEN_TWENTY}
    monkeypatch.setattr(ratelimit, "now", lambda: stopped["now"])
    return stopped


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("20/minute", (20, 60)), ("5/hour", (5, 3600)), ("1/s", (1, 1)), ("100/day", (100, 86400))],
)
def test_rates_are_read_as_drf_writes_them(rate, parsed):
    assert ratelimit.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["20", "x/minute", "20/fortnight", ""])
def test_a_rate_that_cannot_be_read_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(rate)


def test_the_limit_holds_in_a_window_and_starts_again_in_the_next(clock):
    allowed = [ratelimit.hit("k", limit=3, seconds=60).allowed for _ in range(5)]
    assert allowed == [True, True, True, False, False]

    clock["now"] += 60
    assert ratelimit.hit("k", limit=3, seconds=60).allowed


def test_a_refusal_says_how_long_until_the_window_ends(clock):
    clock["now"] += 45.5
    ratelimit.hit("k", limit=1, seconds=60)
    assert ratelimit.hit("k", limit=1, seconds=60) == ratelimit.RateResult(False, 14.5)


def test_keys_count_apart(clock):
    ratelimit.hit("a", limit=1, seconds=60)
    assert not ratelimit.hit("a", limit=1, seconds=60).allowed
    assert ratelimit.hit("b", limit=1, seconds=60).allowed


def refuse(request, *, retry_after):
    return HttpResponse(f"wait {retry_after}")


def view(request):
    return HttpResponse("done")


def requests(method, count, address="198.51.100.7"):
    limited = ratelimit.rate_limited("forms", refuse=refuse, methods=("POST",))(view)
    factory = RequestFactory()
    return [limited(getattr(factory, method)("/form/", REMOTE_ADDR=address)) for _ in range(count)]


def test_the_decorator_refuses_past_the_rate_with_429_and_retry_after(settings, clock):
    settings.VENUEDESK_PAGE_RATES = {"forms": "2/minute"}
    clock["now"] += 50.2

    answers = requests("post", 3)

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2]["Retry-After"] == "10"  # rounded up: never too early
    assert answers[2].content == b"wait 10"


def test_the_decorator_counts_only_the_methods_it_names(settings, clock):
    settings.VENUEDESK_PAGE_RATES = {"forms": "1/minute"}
    assert [answer.status_code for answer in requests("get", 3)] == [200, 200, 200]
    assert [answer.status_code for answer in requests("post", 2)] == [200, 429]


def test_the_decorator_counts_each_client_apart(settings, clock):
    settings.VENUEDESK_PAGE_RATES = {"forms": "1/minute"}
    assert [answer.status_code for answer in requests("post", 2)] == [200, 429]
    assert [answer.status_code for answer in requests("post", 1, "198.51.100.8")] == [200]


def test_a_scope_without_a_rate_is_not_limited_and_an_unknown_scope_is_an_error(settings, clock):
    settings.VENUEDESK_PAGE_RATES = {"forms": None}
    assert [answer.status_code for answer in requests("post", 3)] == [200, 200, 200]

    settings.VENUEDESK_PAGE_RATES = {}
    with pytest.raises(ImproperlyConfigured):
        requests("post", 1)
