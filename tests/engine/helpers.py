"""Small builders for engine tests."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from scheduling.engine.capacity import Booking, Center, ChairSpec, ClosureSpec, Staffing, WeekdayHours
from tests.clock import local

NY = ZoneInfo("America/New_York")


def center(
    *,
    chairs=3,
    weekdays=range(5),
    opens=datetime.time(7),
    closes=datetime.time(19),
    nurses=3,
    setup=15,
    per_nurse=4,
    closures=(),
    overrides=None,
    bookings=(),
    tz=NY,
) -> Center:
    staffing = Staffing(nurses, setup, per_nurse)
    return Center(
        tz=tz,
        chairs=tuple(ChairSpec(i, f"Chair {i}") for i in range(1, chairs + 1)),
        hours={d: WeekdayHours(opens, closes, staffing) for d in weekdays},
        staffing_overrides=overrides or {},
        closures=tuple(closures),
        bookings=tuple(bookings),
    )


def booking(pk, chair, patient, day, start_hhmm, minutes, tz=NY) -> Booking:
    h, m = start_hhmm
    start = local(day, h, m, tz=tz).astimezone(datetime.UTC)
    return Booking(pk, chair, patient, start, start + datetime.timedelta(minutes=minutes))


def closure(start, end, reason="Staff training", chair=None) -> ClosureSpec:
    return ClosureSpec(start, end, reason, chair)
