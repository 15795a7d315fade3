"""The day's load for the chair board: patients in chairs and starts in set-up against the nurse caps."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from scheduling.engine.capacity import Staffing
from scheduling.selectors.center import center_for_range

TICK_MINUTES = 15

__all__ = ["DayLoad", "Staffing", "day_load"]


@dataclass(frozen=True)
class DayLoad:
    day: datetime.date
    ticks: list[tuple[datetime.time, int, int]]  # (local time, patients in chairs, starts in set-up): highest in tick
    monitor_cap: int
    start_cap: int
    opens_at: datetime.time | None
    closes_at: datetime.time | None
    closed_chair_ids: set[int]
    center_closed_reason: str
    peak_in_chairs: int
    peak_starts: int
    staffing: Staffing


def _time(minute: int | None) -> datetime.time | None:
    if minute is None:
        return None
    return datetime.time(minute // 60, minute % 60) if minute < 24 * 60 else datetime.time(23, 59)


def day_load(*, day: datetime.date) -> DayLoad:
    profile = center_for_range(day, day).profile(day)
    rules = profile.rules
    staffing = rules.staffing
    ticks = []
    if rules.opens is not None and rules.closes is not None:
        for minute in range(rules.opens, rules.closes, TICK_MINUTES):
            end = min(minute + TICK_MINUTES, rules.closes)
            ticks.append((_time(minute), max(profile.in_chairs[minute:end]), max(profile.starts[minute:end])))
    return DayLoad(
        day=day,
        ticks=ticks,
        monitor_cap=staffing.monitor_cap,
        start_cap=staffing.start_cap,
        opens_at=_time(rules.opens),
        closes_at=_time(rules.closes),
        closed_chair_ids=set(rules.closed_chairs),
        center_closed_reason=rules.center_closed_reason,
        peak_in_chairs=profile.peak_in_chairs,
        peak_starts=profile.peak_starts,
        staffing=staffing,
    )
