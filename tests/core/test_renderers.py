"""The API's JSON renderer writes DRF's JSONRenderer bytes, only faster."""

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.api.renderers import OrjsonRenderer

MADRID = timezone(timedelta(hours=1))

BODIES = {
    "nested": {
        "results": [{"id": 1, "ok": True, "none": None, "n": -3, "list": [1, [2, {"a": "b"}]]}],
        "count": 1,
    },
    "text": {
        "plain": 'ünïcode — “quoted” \\ / "',
        "separators": "line\u2028paragraph\u2029end",
        "controls": "tab\tnew\nline\r\x00\x1f\x7f",
        "emoji": "🎉",
        "lazy": gettext_lazy("Pending"),
        "error": ErrorDetail("Unknown field.", code="unknown"),
    },
    "times": {
        "utc": datetime(2030, 3, 4, 10, 0, tzinfo=UTC),
        "micro": datetime(2030, 3, 4, 10, 0, 0, 123456, tzinfo=UTC),
        "offset": datetime(2030, 3, 4, 10, 0, tzinfo=MADRID),
        "naive": datetime(2030, 3, 4, 10, 0),
        "day": date(2030, 3, 4),
        "clock": time(10, 30, 5),
        "span": timedelta(hours=1, seconds=1),
    },
    "numbers": {
        "decimal": Decimal("12.50"),
        "float": 2.5,
        "big": 2**63 - 1,
        "small": -(2**63),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "tuple": (1, "two"),
    },
    "drf containers": ReturnDict(
        {"rows": ReturnList([{"a": 1}], serializer=None)}, serializer=None
    ),
    "a list": [1, "a", None],
    "over 64 bits": {"n": 2**64},
    "keys that are not text": {1: "one", None: "none", 2.5: "half"},
}


@pytest.mark.parametrize("body", sorted(BODIES))
def test_the_renderer_writes_drfs_bytes(body):
    data = BODIES[body]
    assert OrjsonRenderer().render(data, "application/json", {}) == JSONRenderer().render(
        data, "application/json", {}
    )


def test_an_indented_answer_is_drfs_too():
    data = BODIES["nested"]
    indented = OrjsonRenderer().render(data, "application/json; indent=4", {})
    assert indented == JSONRenderer().render(data, "application/json; indent=4", {})
    assert b"\n    " in indented


def test_nothing_renders_as_no_bytes():
    assert OrjsonRenderer().render(None) == b""


def test_what_drf_cannot_write_is_refused_as_drf_refuses_it():
    class Thing:
        pass

    with pytest.raises(TypeError):
        JSONRenderer().render({"thing": Thing()})
    with pytest.raises(TypeError):
        OrjsonRenderer().render({"thing": Thing()})
