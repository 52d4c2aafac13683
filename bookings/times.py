"""Local times of a venue: a naive time is read in the venue's time zone, an aware one is kept."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError


def in_venue_time(value: datetime, tz: ZoneInfo, *, field: str = "starts_at") -> datetime:
    """`value` as an aware datetime: naive values are venue-local, aware ones are kept.

    A local time that does not exist (the hour skipped when clocks go forward) is
    refused; one that happens twice (clocks go back) means the first occurrence.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    local = value.replace(tzinfo=tz, fold=0)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        raise ValidationError(
            {
                field: f"{value:%Y-%m-%d %H:%M} does not exist in {tz.key} "
                "(the clocks go forward then)."
            }
        )
    return local


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day as aware datetimes (23 or 25 hours on DST days)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end
