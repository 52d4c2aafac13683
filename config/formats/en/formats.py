"""How dates and times read where a page shows one without a format of its own (the admin).

24-hour times, the weekday, and the zone the time is shown in ("Mon 30 Nov 2026, 22:00
CET"): the admin shows each object's times in its venue's zone, and names it.
Everything not set here is Django's English default.
"""

DATE_FORMAT = "D j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
