"""When each reminder is due: pure functions of the appointment's times and the center's time zone (no ORM).

Times of day are the center's local wall-clock times; the results are aware datetimes in UTC, so a
reminder "the day before at 10:00" stays at 10:00 local across a daylight-saving change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = datetime.UTC
# Reminders computed for a time outside these local hours move to the next morning's send time.
DAYTIME_START = datetime.time(8, 0)
DAYTIME_END = datetime.time(20, 0)


@dataclass(frozen=True)
class ReminderClock:
    """The center's zone and the local times of day at which planned reminders go out."""

    zone: ZoneInfo
    preparation_days_before: int = 7
    preparation_time: datetime.time = datetime.time(10, 0)
    hydration_time: datetime.time = datetime.time(10, 0)
    check_in_time: datetime.time = datetime.time(10, 0)


@dataclass(frozen=True)
class BookingPlan:
    """Due times after booking; None means the moment has passed and the reminder is skipped."""

    confirmation: datetime.datetime
    preparation: datetime.datetime | None
    hydration: datetime.datetime | None


@dataclass(frozen=True)
class DischargePlan:
    reaction_monitoring: datetime.datetime
    check_in: datetime.datetime


def parse_time_of_day(value: str) -> datetime.time:
    """'10:00' -> time(10, 0) ('HH:MM' or 'HH:MM:SS'); raises ValueError on anything else."""
    return datetime.time.fromisoformat(value.strip())


def local_moment(day: datetime.date, at: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """The instant (UTC) at which the center's clocks show `at` on `day`.

    A wall time skipped by a spring-forward change resolves to the instant one hour later on the clock;
    a repeated autumn wall time resolves to its first occurrence.
    """
    local = datetime.datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    return local.astimezone(UTC)


def local_date(moment: datetime.datetime, zone: ZoneInfo) -> datetime.date:
    return moment.astimezone(zone).date()


def into_daytime(moment: datetime.datetime, *, zone: ZoneInfo, send_time: datetime.time) -> datetime.datetime:
    """Keep an email out of the night: before 08:00 it waits for `send_time` that day, after 20:00 the next day."""
    local = moment.astimezone(zone)
    if local.time() < DAYTIME_START:
        return max(moment, local_moment(local.date(), send_time, zone))
    if local.time() >= DAYTIME_END:
        return local_moment(local.date() + datetime.timedelta(days=1), send_time, zone)
    return moment


def plan_after_booking(*, premed_start: datetime.datetime, now: datetime.datetime, clock: ReminderClock) -> BookingPlan:
    """Confirmation now; preparation N days before (at once when that has passed); hydration the day before.

    A hydration reminder whose time has passed still goes out at once while the visit is on a later
    local day than today (a booking made the afternoon before); on the day itself it is skipped.
    """
    visit_day = local_date(premed_start, clock.zone)
    today = local_date(now, clock.zone)

    preparation = local_moment(
        visit_day - datetime.timedelta(days=clock.preparation_days_before), clock.preparation_time, clock.zone
    )
    if preparation <= now:
        # Booked inside the preparation window: the preparation email goes out with the booking instead of never
        # (on the visit's own day it comes too late to help).
        preparation = now if today < visit_day else None

    hydration: datetime.datetime | None = local_moment(
        visit_day - datetime.timedelta(days=1), clock.hydration_time, clock.zone
    )
    if hydration <= now:
        hydration = now if today < visit_day else None

    return BookingPlan(confirmation=now, preparation=preparation, hydration=hydration)


def plan_after_discharge(
    *, discharged_at: datetime.datetime, reaction_window_hours: int | None, clock: ReminderClock
) -> DischargePlan:
    """Reaction monitoring at discharge; the check-in the next day at the check-in time, or, for a drug whose
    reaction window is longer than a day (Lemtrada: 48 h), when that window ends (moved out of the night)."""
    if reaction_window_hours and reaction_window_hours > 24:
        # In UTC: adding hours to a local aware datetime would add wall-clock hours, wrong across a DST change.
        end = discharged_at.astimezone(UTC) + datetime.timedelta(hours=reaction_window_hours)
        check_in = into_daytime(end, zone=clock.zone, send_time=clock.check_in_time)
    else:
        next_day = local_date(discharged_at, clock.zone) + datetime.timedelta(days=1)
        check_in = local_moment(next_day, clock.check_in_time, clock.zone)
    return DischargePlan(reaction_monitoring=discharged_at, check_in=check_in)


def retry_delay_seconds(*, attempts: int, base_seconds: int, max_seconds: int) -> int:
    """Exponential backoff after the n-th failed attempt: base, 2 x base, 4 x base ... capped."""
    exponent = max(attempts - 1, 0)
    return min(base_seconds * (2 ** min(exponent, 30)), max_seconds)
