"""The center's one way of writing dates, times and durations, for pages, emails, calendar text and CSV.

Two settings choose the convention: CENTER_DATE_ORDER ("day-month": "Mon 7 Dec 2026", or "month-day":
"Mon, Dec 7, 2026") and CENTER_CLOCK ("24h": "14:30", or "12h": "2:30 PM"). Days are never zero-padded in
words ("7 Dec", not "07 Dec"); 24-hour times always are ("07:00"). Aware datetimes are shown in the center's
time zone. The template filters in infusion_center/templatetags/center_formats.py call these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

DAY_MONTH = "day-month"
MONTH_DAY = "month-day"
DATE_ORDERS = (DAY_MONTH, MONTH_DAY)
CLOCK_24 = "24h"
CLOCK_12 = "12h"
CLOCKS = (CLOCK_24, CLOCK_12)

DASH = "–"  # an en dash between the two ends of a range


class _Sources:
    """Where the convention, the center's time zone and plural forms come from. Django's settings, time zone and
    ngettext once the app has started (infusion_center/format_settings.py, called when the apps are ready); these
    defaults before then. Kept out of this module so the pure engine can write its texts in the center's format."""

    date_order: Callable[[], str] = staticmethod(lambda: DAY_MONTH)
    clock: Callable[[], str] = staticmethod(lambda: CLOCK_24)
    localtime: Callable[[dt.datetime], dt.datetime] = staticmethod(lambda value: value)
    ngettext: Callable[[str, str, int], str] = staticmethod(
        lambda singular, plural, number: singular if number == 1 else plural
    )


def configure(
    *,
    date_order: Callable[[], str],
    clock: Callable[[], str],
    localtime: Callable[[dt.datetime], dt.datetime],
    ngettext: Callable[[str, str, int], str],
) -> None:
    _Sources.date_order = staticmethod(date_order)
    _Sources.clock = staticmethod(clock)
    _Sources.localtime = staticmethod(localtime)
    _Sources.ngettext = staticmethod(ngettext)


def date_order() -> str:
    return _Sources.date_order()


def clock() -> str:
    return _Sources.clock()


def _local(value):
    """A date stays a date; an aware datetime moves to the center's time zone."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return _Sources.localtime(value)
    return value


def _day_month(value: dt.date, month: str) -> str:
    return f"{value.day} {month}" if date_order() == DAY_MONTH else f"{month} {value.day}"


def _with_year(text: str, year: int) -> str:
    return f"{text} {year}" if date_order() == DAY_MONTH else f"{text}, {year}"


def day_month(value) -> str:
    """7 Dec (Dec 7)."""
    value = _local(value)
    return _day_month(value, f"{value:%b}")


def date(value) -> str:
    """7 Dec 2026 (Dec 7, 2026)."""
    value = _local(value)
    return _with_year(_day_month(value, f"{value:%b}"), value.year)


def date_long(value) -> str:
    """Monday 7 December 2026 (Monday, December 7, 2026)."""
    value = _local(value)
    sep = " " if date_order() == DAY_MONTH else ", "
    return f"{value:%A}{sep}" + _with_year(_day_month(value, f"{value:%B}"), value.year)


def day(value) -> str:
    """Mon 7 Dec (Mon, Dec 7)."""
    value = _local(value)
    sep = " " if date_order() == DAY_MONTH else ", "
    return f"{value:%a}{sep}" + _day_month(value, f"{value:%b}")


def day_year(value) -> str:
    """Mon 7 Dec 2026 (Mon, Dec 7, 2026)."""
    value = _local(value)
    return _with_year(day(value), value.year)


def day_long(value) -> str:
    """Monday 7 December (Monday, December 7)."""
    value = _local(value)
    sep = " " if date_order() == DAY_MONTH else ", "
    return f"{value:%A}{sep}" + _day_month(value, f"{value:%B}")


def weekday(value) -> str:
    """Monday."""
    return f"{_local(value):%A}"


def weekday_short(value) -> str:
    """Mon."""
    return f"{_local(value):%a}"


def month_year(value) -> str:
    """December 2026."""
    return f"{_local(value):%B %Y}"


def month_year_short(value) -> str:
    """Dec 2026."""
    return f"{_local(value):%b %Y}"


def time(value, *, seconds: bool = False) -> str:
    """07:00 (7:00 AM); a datetime gives its time of day."""
    value = _local(value)
    if clock() == CLOCK_24:
        return f"{value:%H:%M:%S}" if seconds else f"{value:%H:%M}"
    hour = value.hour % 12 or 12
    text = f"{hour}:{value:%M:%S}" if seconds else f"{hour}:{value:%M}"
    return f"{text} {'AM' if value.hour < 12 else 'PM'}"


def minute_of_day(minute: int) -> str:
    """A minute after midnight as a time of day: 450 -> 07:30."""
    return time(dt.time(minute // 60 % 24, minute % 60))


def datetime(value, *, seconds: bool = False) -> str:
    """7 Dec 2026 07:00."""
    value = _local(value)
    return f"{date(value)} {time(value, seconds=seconds)}"


def day_time(value) -> str:
    """Mon 7 Dec 07:00."""
    value = _local(value)
    return f"{day(value)} {time(value)}"


def day_year_time(value) -> str:
    """Mon 7 Dec 2026 07:00."""
    value = _local(value)
    return f"{day_year(value)} {time(value)}"


def day_month_time(value) -> str:
    """7 Dec 07:00."""
    value = _local(value)
    return f"{day_month(value)} {time(value)}"


def date_range(first, last) -> str:
    """One day once; the month and year written once when both ends share them.

    7 Dec 2026 · 7–9 Dec 2026 · 30 Nov – 2 Dec 2026 · 30 Dec 2026 – 2 Jan 2027 (month-day: Dec 7–9, 2026 ·
    Nov 30 – Dec 2, 2026).
    """
    first, last = _local(first), _local(last)
    if isinstance(first, dt.datetime):
        first = first.date()
    if isinstance(last, dt.datetime):
        last = last.date()
    if first == last:
        return date(first)
    if first.year != last.year:
        return f"{date(first)} {DASH} {date(last)}"
    if first.month != last.month:
        return _with_year(f"{day_month(first)} {DASH} {day_month(last)}", last.year)
    if date_order() == DAY_MONTH:
        return f"{first.day}{DASH}{last.day} {last:%b %Y}"
    return f"{last:%b} {first.day}{DASH}{last.day}, {last.year}"


def time_range(start, end) -> str:
    """07:00–09:30; the same time once."""
    first, second = time(start), time(end)
    return first if first == second else f"{first}{DASH}{second}"


def duration(minutes) -> str:
    """45 min · 1 h · 1 h 30 min · 2 days 3 h (whole minutes, rounded)."""
    if isinstance(minutes, dt.timedelta):
        minutes = minutes.total_seconds() / 60
    total = round(minutes)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(count(days, "day"))
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return sign + " ".join(parts)


def count(number: int, singular: str, plural: str | None = None) -> str:
    """1 day, 2 days: a number with its noun in the right form (through Django's ngettext)."""
    return _Sources.ngettext("%(number)s " + singular, "%(number)s " + (plural or singular + "s"), number) % {
        "number": number
    }


def phase_and_infusion(phase_name: str, infusion_number: int) -> str:
    """'Maintenance, infusion 5'; a phase already named by its infusion ('Initial dose, infusion 1') once."""
    if f"infusion {infusion_number}" in phase_name.lower():
        return phase_name
    return f"{phase_name}, infusion {infusion_number}"


# What date and time fields accept and show (Django's *_INPUT_FORMATS, the first one is shown in inputs).
def date_input_formats(order: str | None = None) -> list[str]:
    order = order or date_order()
    numeric = ["%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y"] if order == DAY_MONTH else ["%m/%d/%Y", "%m/%d/%y"]
    words = ["%d %b %Y", "%d %B %Y", "%a %d %b %Y"] if order == DAY_MONTH else ["%b %d, %Y", "%B %d, %Y", "%b %d %Y"]
    return [*numeric, "%Y-%m-%d", *words]


def time_input_formats(clock_name: str | None = None) -> list[str]:
    formats_24 = ["%H:%M", "%H:%M:%S", "%H.%M"]
    formats_12 = ["%I:%M %p", "%I:%M%p", "%I %p", "%I%p"]
    return formats_12 + formats_24 if (clock_name or clock()) == CLOCK_12 else formats_24


def datetime_input_formats(order: str | None = None, clock_name: str | None = None) -> list[str]:
    return [f"{d} {t}" for d in date_input_formats(order) for t in time_input_formats(clock_name)] + [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]


def date_placeholder(order: str | None = None) -> str:
    return "dd/mm/yyyy" if (order or date_order()) == DAY_MONTH else "mm/dd/yyyy"


def time_placeholder(clock_name: str | None = None) -> str:
    return "hh:mm" if (clock_name or clock()) == CLOCK_24 else "h:mm AM/PM"
