"""Selectors that turn the center's rows into the engine's plain `Center` for a range of days."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL

from scheduling.engine.capacity import Booking, Center, ChairSpec, ClosureSpec, Staffing, WeekdayHours
from scheduling.models import Appointment, Chair, Closure, NurseStaffing, OpeningHours

UTC = datetime.UTC
EPOCH_DAY = datetime.date(1970, 1, 1)


def center_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[local midnight of date_from, local midnight after date_to), aware."""
    tz = center_tz()
    start = datetime.datetime.combine(date_from, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    return start, end


def center_for_range(date_from: datetime.date, date_to: datetime.date, *, exclude_ids: Iterable[int] = ()) -> Center:
    """The center for these days in five queries, whatever the size of the history: only the range is read."""
    chairs = tuple(ChairSpec(pk, name) for pk, name in Chair.objects.filter(is_active=True).values_list("pk", "name"))
    hours = {
        h.weekday: WeekdayHours(
            h.opens_at, h.closes_at, Staffing(h.nurses_on_duty, h.setup_minutes, h.patients_per_nurse)
        )
        for h in OpeningHours.objects.all()
    }
    overrides = {
        s.date: Staffing(s.nurses_on_duty, s.setup_minutes, s.patients_per_nurse)
        for s in NurseStaffing.objects.filter(date__gte=date_from, date__lte=date_to)
    }
    closures = tuple(
        ClosureSpec(c.starts_on, c.ends_on, c.reason, c.chair_id)
        for c in Closure.objects.filter(starts_on__lte=date_to, ends_on__gte=date_from)
    )
    start, end = day_bounds(date_from, date_to)
    bookings = tuple(Booking(*row) for row in _booking_rows(start, end, exclude_ids))
    return Center(
        tz=center_tz(), chairs=chairs, hours=hours, staffing_overrides=overrides, closures=closures, bookings=bookings
    )


def _booking_rows(start: datetime.datetime, end: datetime.datetime, exclude_ids: Iterable[int]) -> list[tuple]:
    """(pk, chair, patient, premed_start, observation_end[, local]) of active appointments starting in [start, end).

    On PostgreSQL the times come as epoch seconds, with the local (day, start minute, end minute) worked out by the
    database: thousands of rows convert far faster than timestamp text and time-zone conversions in Python.
    """
    queryset = Appointment.objects.filter(
        status__in=Appointment.ACTIVE_STATUSES, premed_start__gte=start, premed_start__lt=end
    ).exclude(pk__in=list(exclude_ids))
    if connection.vendor != "postgresql":
        return list(queryset.values_list("pk", "chair_id", "patient_id", "premed_start", "observation_end"))
    # the local wall-clock epoch gives the local day and minute with integer arithmetic
    tz_name = settings.TIME_ZONE
    rows = queryset.annotate(
        start_epoch=RawSQL("EXTRACT(EPOCH FROM scheduling_appointment.premed_start)::bigint", ()),
        end_epoch=RawSQL("EXTRACT(EPOCH FROM scheduling_appointment.observation_end)::bigint", ()),
        local_epoch=RawSQL(
            "EXTRACT(EPOCH FROM (scheduling_appointment.premed_start AT TIME ZONE %s))::bigint", (tz_name,)
        ),
    ).values_list("pk", "chair_id", "patient_id", "start_epoch", "end_epoch", "local_epoch")
    stamp = datetime.datetime.fromtimestamp
    result = []
    for pk, chair, patient, start_s, end_s, local_s in rows:
        days, seconds = divmod(local_s, 86400)
        minute = seconds // 60
        local = (EPOCH_DAY + datetime.timedelta(days=days), minute, minute + (end_s - start_s) // 60)
        result.append((pk, chair, patient, stamp(start_s, UTC), stamp(end_s, UTC), local))
    return result
