"""Selectors that turn the center's rows into the engine's plain `Center` for a range of days."""

from __future__ import annotations

import datetime
import gc
from collections.abc import Iterable
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from scheduling.engine.capacity import Booking, Center, ChairSpec, ClosureSpec, Staffing, WeekdayHours
from scheduling.memo import memoised
from scheduling.models import Appointment, Chair, Closure, NurseStaffing, OpeningHours

EPOCH_DAY = datetime.date(1970, 1, 1)


def center_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(
    date_from: datetime.date, date_to: datetime.date | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """[local midnight of date_from, local midnight after date_to), aware: one local day when date_to is left
    out (23 or 25 hours long on DST changes)."""
    date_to = date_from if date_to is None else date_to
    tz = center_tz()
    start = datetime.datetime.combine(date_from, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    return start, end


def center_for_range(
    date_from: datetime.date, date_to: datetime.date, *, exclude_ids: Iterable[int] = (), with_bookings: bool = True
) -> Center:
    """The center for these days in five queries, whatever the size of the history: only the range is read (one
    query, the bookings, while the process's copy of the chairs, hours, staffing and closures is current)."""
    chairs, hours, all_overrides, all_closures = memoised(CENTER_RULES, _center_rules)
    overrides = {day: staffing for day, staffing in all_overrides.items() if date_from <= day <= date_to}
    closures = tuple(c for c in all_closures if c.starts_on <= date_to and c.ends_on >= date_from)
    start, end = day_bounds(date_from, date_to)
    with gc_paused():
        bookings = tuple(Booking(*row) for row in _booking_rows(start, end, exclude_ids)) if with_bookings else ()
    return Center(
        tz=center_tz(), chairs=chairs, hours=hours, staffing_overrides=overrides, closures=closures, bookings=bookings
    )


CENTER_RULES = "center-rules"  # the memo of chairs, hours, staffing and closures (dropped by any save or delete)


def _center_rules():
    chairs = tuple(ChairSpec(pk, name) for pk, name in Chair.objects.filter(is_active=True).values_list("pk", "name"))
    hours = {
        h.weekday: WeekdayHours(
            h.opens_at, h.closes_at, Staffing(h.nurses_on_duty, h.setup_minutes, h.patients_per_nurse)
        )
        for h in OpeningHours.objects.all()
    }
    overrides = {
        s.date: Staffing(s.nurses_on_duty, s.setup_minutes, s.patients_per_nurse) for s in NurseStaffing.objects.all()
    }
    closures = tuple(ClosureSpec(c.starts_on, c.ends_on, c.reason, c.chair_id) for c in Closure.objects.all())
    return chairs, hours, overrides, closures


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
    # the database works out the local day (days since 1970-01-01), start minute and length: plain integers
    tz_name = settings.TIME_ZONE
    local = "(scheduling_appointment.premed_start AT TIME ZONE %s)"
    rows = queryset.annotate(
        local_day=RawSQL(f"{local}::date - DATE '1970-01-01'", (tz_name,)),
        local_minute=RawSQL(f"(EXTRACT(EPOCH FROM {local})::bigint %% 86400) / 60", (tz_name,)),
        length=RawSQL(
            "EXTRACT(EPOCH FROM scheduling_appointment.observation_end - scheduling_appointment.premed_start)::bigint"
            " / 60",
            (),
        ),
    ).values_list("pk", "chair_id", "patient_id", "local_day", "local_minute", "length")
    days = {}
    result = []
    for pk, chair, patient, day_number, minute, length in rows:
        day = days.get(day_number)
        if day is None:
            day = days[day_number] = EPOCH_DAY + datetime.timedelta(days=day_number)
        result.append((pk, chair, patient, None, None, (day, minute, minute + length)))
    return result


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while thousands of small acyclic objects are built and dropped.

    They are freed by reference counting anyway; without the pause they trigger many young collections, and every
    tenth of those a full one that scans the whole process (tens of ms at random searches).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def center_resources(model: type[models.Model]) -> models.QuerySet:
    """The manager's list of chairs, opening hours, closures or staffing days (the last two from 30 days back)."""
    since = timezone.localdate() - datetime.timedelta(days=30)
    queryset = model.objects.all()
    if model is Closure:
        queryset = queryset.select_related("chair").filter(ends_on__gte=since)
    if model is NurseStaffing:
        queryset = queryset.filter(date__gte=since)
    return queryset


def center_resource(model: type[models.Model], pk: int) -> models.Model | None:
    return model.objects.filter(pk=pk).first()
