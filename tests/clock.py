"""The one way tests name a wall-clock moment: a day and a time of day in the center's zone (or a given one)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo


def center_zone() -> ZoneInfo:
    """The center's zone (settings.TIME_ZONE); read when asked, so engine tests can import this module freely."""
    from django.conf import settings

    return ZoneInfo(settings.TIME_ZONE)


def local(
    day: datetime.date | int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    tz: datetime.tzinfo | None = None,
) -> datetime.datetime:
    """`hour:minute` on `day` as an aware moment in `tz` (the center's zone unless given). An int `day` counts days
    from today in that zone, so `local(10, 9)` is 09:00 ten days from now. The wall-clock time is kept across a
    daylight-saving change (`zoneinfo` picks the offset of that day)."""
    zone = tz or center_zone()
    if isinstance(day, int):
        day = datetime.datetime.now(zone).date() + datetime.timedelta(days=day)
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=zone)
