"""Local times of a venue: a naive time is read in the venue's time zone, an aware one is kept."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

# Times and dates outside these years are refused wherever they come in: nothing is booked
# there, and setup minutes or a time-zone shift would carry a year-1 or year-9999 value
# past what Python and the database can hold.
FIRST_YEAR, LAST_YEAR = 1900, 2999
YEAR_OUT_OF_RANGE = f"Give a date between the years {FIRST_YEAR} and {LAST_YEAR}."

# The largest id a 64-bit database column holds: ids beyond it are refused where they come in.
MAX_ID = 2**63 - 1


def year_in_range(value: date) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


def check_year(value: date, field: str | None = None) -> None:
    """Refuse a date or time outside FIRST_YEAR..LAST_YEAR, naming the field if given."""
    if not year_in_range(value):
        error = ValidationError(YEAR_OUT_OF_RANGE, code="out_of_range")
        raise ValidationError({field: error}) if field else error


def in_venue_time(value: datetime, tz: ZoneInfo, *, field: str = "starts_at") -> datetime:
    """`value` as an aware datetime: naive values are venue-local, aware ones are kept.

    A local time that does not exist (the hour skipped when clocks go forward) is
    refused; one that happens twice (clocks go back) means the first occurrence.
    """
    check_year(value, field)
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
