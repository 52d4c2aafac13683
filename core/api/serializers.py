"""The API's generic pieces: ids, times, strict input, the error item; nothing app-specific."""

from rest_framework import serializers

from core.times import MAX_ID, YEAR_OUT_OF_RANGE, year_in_range


class IdField(serializers.IntegerField):
    """A numeric id: a whole number from 1 to the largest a 64-bit column holds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class TimeField(serializers.DateTimeField):
    """An ISO 8601 time in the years the system books (core.times.FIRST_YEAR..LAST_YEAR)."""

    default_error_messages = {"out_of_range": YEAR_OUT_OF_RANGE}

    def check_year(self, value):
        # Before any time-zone shift, which could carry year 1 or 9999 out of range.
        if not year_in_range(value):
            self.fail("out_of_range")

    def enforce_timezone(self, value):
        self.check_year(value)
        return super().enforce_timezone(value)


class VenueTimeField(TimeField):
    """ISO 8601 with an offset, or a naive "YYYY-MM-DD HH:MM:SS" left naive on purpose:
    the service reads it in the venue's time zone (DRF would assume UTC)."""

    def enforce_timezone(self, value):
        self.check_year(value)
        return value


def refuse_unknown_fields(serializer: serializers.Serializer, data) -> None:
    """A typo in a field name is an error naming the field, not silently ignored."""
    if isinstance(data, dict):
        unknown = set(data) - set(serializer.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field."] for name in sorted(unknown)}
            )


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know."""

    def to_internal_value(self, data):
        refuse_unknown_fields(self, data)
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)
