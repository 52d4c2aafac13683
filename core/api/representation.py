"""Output serializers answered without DRF's per-field machinery, byte for byte the same.

DRF asks every field of every row for its source (`Field.get_attribute`, which inspects
callables' signatures), builds a queryset for every nested list (`.all()`) and runs each
field's `to_representation`. `FastRepresentation` turns a serializer's readable fields
once into a plan of (name, attribute, conversion) and then answers a row with plain
attribute reads and the conversions DRF would apply: ISO 8601 times in the current time
zone ("Z" for UTC), decimals quantized to their places as strings, nested serializers by
their own plans, nested lists from what prefetch_related (or bookings.selectors) already
holds in memory. A field the plan does not know answers through DRF itself, so the
output never differs (tests compare both ways on every serializer that uses it).
"""

import decimal
import functools
from collections.abc import Callable
from types import MethodType
from typing import Any

from django.db.models import Manager
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

Plan = list[tuple[str, Callable[[Any, Any], Any]]]


def related_rows(instance, name: str):
    """The rows of `instance`'s relation `name`: what is already in memory (prefetched),
    else its manager's `.all()` (which queries). The prefetched rows are not cloned into a
    new queryset, which is what makes this cheaper than `.all()` row after row."""
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is not None and name in cache:
        return cache[name]
    rows = getattr(instance, name)
    return rows.all() if isinstance(rows, Manager) else rows


def _time_of(field: serializers.DateTimeField) -> Callable:
    """An aware time as DRF's DateTimeField answers it with DATETIME_FORMAT "iso-8601": in
    the current time zone, "Z" for UTC; anything else as DRF answers it."""

    def convert(value):
        if isinstance(value, str):
            return value
        if value.utcoffset() is None:
            return field.to_representation(value)
        try:
            value = value.astimezone(timezone.get_current_timezone())
        except OverflowError:
            return field.to_representation(value)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _decimal_of(field: serializers.DecimalField) -> Callable | None:
    if (
        field.decimal_places is None
        or not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        or field.localize
        or field.normalize_output
        or field.rounding is not None
    ):
        return None
    exponent = decimal.Decimal(".1") ** field.decimal_places
    precision = field.max_digits

    def convert(value):
        if not isinstance(value, decimal.Decimal):
            value = decimal.Decimal(str(value).strip())
        if value.as_tuple().exponent != exponent.as_tuple().exponent or precision is None:
            context = decimal.getcontext().copy()
            if precision is not None:
                context.prec = precision
            value = value.quantize(exponent, context=context)
        return f"{value:f}"

    return convert


def _same(field: serializers.Field, base: type, *methods: str) -> bool:
    """`field` is a `base` that answers as `base` does (no method of these overridden)."""
    return isinstance(field, base) and all(
        getattr(type(field), method) is getattr(base, method) for method in methods
    )


def _conversion(field: serializers.Field) -> Callable | None:
    """How to turn a field's (non-None) attribute into its answer; None: ask DRF."""
    if _same(field, serializers.DateTimeField, "to_representation", "enforce_timezone"):
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if not isinstance(output_format, str) or output_format.lower() != "iso-8601":
            return None
        if getattr(field, "timezone", None) is not None:
            return None
        return _time_of(field)
    if _same(field, serializers.DecimalField, "to_representation", "quantize"):
        return _decimal_of(field)
    if _same(field, serializers.BooleanField, "to_representation"):
        return lambda value: value if type(value) is bool else field.to_representation(value)
    if _same(field, serializers.IntegerField, "to_representation"):
        return int
    if _same(field, serializers.BigIntegerField, "to_representation"):
        if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING):
            return str
        return int
    if _same(field, serializers.ChoiceField, "to_representation"):
        return field.to_representation
    if _same(field, serializers.CharField, "to_representation"):
        return str
    if _same(field, serializers.JSONField, "to_representation") and not field.binary:
        return _itself
    if type(field) is serializers.ReadOnlyField:
        return _itself
    return None


def _itself(value):
    return value


# What DRF calls when a source names it (a model's get_FOO_display is a partial).
CALLED = (MethodType, functools.partial)


def _read(attribute: str) -> Callable:
    """`instance.attribute`, called when it is a method (as DRF's source does)."""

    def read(instance):
        value = getattr(instance, attribute)
        if type(value) in CALLED:
            value = value()
        return value

    return read


def _planned(serializer: serializers.BaseSerializer) -> bool:
    """A serializer whose answer is its fields' (to_representation not overridden)."""
    answer = type(serializer).to_representation
    return isinstance(serializer, serializers.Serializer) and answer in (
        serializers.Serializer.to_representation,
        FastRepresentation.to_representation,
    )


class _Planner:
    """Builds a serializer's plan: [(name, answer(instance, owner))], `owner` being the
    serializer object that answers now. `bound` turns true when an entry keeps a field or
    serializer object of the one planned (DRF's own answer for a field the plan does not
    know, a method field of a nested serializer): such a plan serves that object only."""

    def __init__(self):
        self.bound = False

    def plan(self, serializer: serializers.Serializer, top: bool = True) -> Plan:
        return [(field.field_name, self.entry(field, top)) for field in serializer._readable_fields]

    def generic(self, field: serializers.Field) -> Callable:
        """DRF's own answer for one field (SkipField leaves the field out)."""
        self.bound = True

        def answer(instance, owner):
            attribute = field.get_attribute(instance)
            if attribute is None:
                return None
            return field.to_representation(attribute)

        return answer

    def entry(self, field: serializers.Field, top: bool) -> Callable:
        source = field.source
        if type(field) is serializers.SerializerMethodField:
            name = field.method_name
            if top:
                return lambda instance, owner: getattr(owner, name)(instance)
            self.bound = True
            method = getattr(field.parent, name)
            return lambda instance, owner: method(instance)
        if isinstance(field, serializers.ListSerializer):
            if (
                type(field).to_representation is not serializers.ListSerializer.to_representation
                or not _planned(field.child)
                or source == "*"
                or "." in source
            ):
                return self.generic(field)
            child = self.plan(field.child, top=False)
            return lambda instance, owner: [
                answer_with(child, row) for row in related_rows(instance, source)
            ]
        if isinstance(field, serializers.BaseSerializer):
            if not _planned(field) or (source != "*" and "." in source):
                return self.generic(field)
            child = self.plan(field, top=False)
            if source == "*":
                return lambda instance, owner: answer_with(child, instance)
            read = _read(source)

            def nested(instance, owner):
                value = read(instance)
                return None if value is None else answer_with(child, value)

            return nested
        conversion = _conversion(field)
        if conversion is None or source == "*" or "." in source:
            return self.generic(field)
        read = _read(source)

        def plain(instance, owner):
            value = read(instance)
            return None if value is None else conversion(value)

        return plain


def plan_of(serializer: serializers.Serializer) -> tuple[Plan, bool]:
    """The serializer's readable fields as [(name, answer(instance, owner))], and whether
    the plan serves any object of its class (else only `serializer`)."""
    planner = _Planner()
    plan = planner.plan(serializer)
    return plan, not planner.bound


def answer_with(plan: Plan, instance, owner=None) -> dict:
    answer = {}
    for name, entry in plan:
        try:
            answer[name] = entry(instance, owner)
        except SkipField:
            continue
    return answer


class FastRepresentation(serializers.Serializer):
    """Answers with the plan of this serializer's fields, for model instances (a dict goes
    through DRF). The plan is built once per class, when it keeps nothing of the object
    it was built from (else once per object: a list's child builds it once for all its
    rows); so a serializer using this must not change its fields per object or request.
    `drf_representation()` is DRF's own answer, for comparison."""

    def to_representation(self, instance):
        if isinstance(instance, dict):
            return super().to_representation(instance)
        plan = type(self).__dict__.get("_fast_class_plan") or self.__dict__.get("_fast_plan")
        if plan is None:
            plan, for_any = plan_of(self)
            if for_any:
                type(self)._fast_class_plan = plan
            else:
                self._fast_plan = plan
        return answer_with(plan, instance, self)

    def drf_representation(self, instance):
        return super().to_representation(instance)
