"""Selectors for planning: the doses every active plan will need, the forecast, and the ceiling slot search uses.

Reads only. The rules are in the pure engine (scheduling/engine/forecast.py); this turns rows into its terms in a
fixed number of queries, whatever the number of plans. Working the six-month forecast out takes seconds at a large
center, so requests never do it for the default view: the refresh task (services/planning_refresh.py) stores it as
a `PlanningSnapshot`, and slot search and the forecast page read that.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import pickle
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from infusion_center import heap
from scheduling.catalogue import drug_specs
from scheduling.engine.dosing import DoseCourse
from scheduling.engine.forecast import (
    HORIZON_DAYS,
    Ceiling,
    DayForecast,
    DueDose,
    Forecast,
    forecast,
    project_doses,
    restaffed,
)
from scheduling.engine.forecast import with_extra_nurses as _with_extra_nurses
from scheduling.engine.history import DoseHistory
from scheduling.models import Appointment, PlanningSnapshot, ProposedMove, ReoptimisationProposal, TreatmentPlan
from scheduling.selectors.center import center_for_range, center_tz, day_bounds, gc_paused
from scheduling.selectors.history import doses_for_patients, ingredients_by_drug
from scheduling.selectors.rows import BookingRow, booking_rows

logger = logging.getLogger(__name__)


def today() -> datetime.date:
    return timezone.localdate(timezone.now(), center_tz())


def doses_due(first: datetime.date, last: datetime.date) -> list[DueDose]:
    """Every dose the active plans need from `first` to `last`: the booked ones on their day, and the ones still
    to book (maintenance repeated at its interval) with their windows. Six queries."""
    start, end = day_bounds(first, last)
    booked = booking_rows(
        Appointment.objects.filter(
            status__in=Appointment.ACTIVE_STATUSES, premed_start__gte=start, premed_start__lt=end
        ).order_by("premed_start")
    )
    tz = center_tz()
    doses: list[DueDose] = _booked_doses(booked, tz)
    plans = list(TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE).select_related("patient", "drug"))
    if not plans:
        return doses
    specs = drug_specs({p.drug_id for p in plans})
    # Each plan continues after the patient's whole history of the ingredient (given here or elsewhere, and every
    # booked dose as the engine derives it), across plans: the same history booking and re-derivation use.
    histories = doses_for_patients({p.patient_id for p in plans}, specs=dict(specs))
    ingredients = ingredients_by_drug()
    for plan in plans:
        drug = specs.get(plan.drug_id)
        if drug is None:
            continue
        ingredient = ingredients[plan.drug_id]
        found = histories.get((plan.patient_id, ingredient))
        planned = found.planned() if found is not None else DoseHistory(ingredient)
        doses += project_doses(
            drug,
            plan_start=plan.start_date,
            courses=[DoseCourse(d.phase_order, d.first_day, d.last_day, d.infusions) for d in planned.doses],
            prior_infusions=planned.infusions,
            until=last,
            key=f"plan{plan.pk}",
            patient_id=plan.patient_id,
            body_surface_area=plan.patient.body_surface_area,
            prior_reaction=planned.prior_reaction,
            prior_serious_reaction=planned.prior_serious_reaction,
            course_days=plan.course_days,
        )
    return doses


def _booked_doses(rows: list[BookingRow], tz) -> list[DueDose]:
    """Booked doses (a course's days together) on their booked day."""
    groups: dict[object, list[BookingRow]] = defaultdict(list)
    for row in rows:
        groups[row.course_key].append(row)
    names = {pk: spec.name for pk, spec in drug_specs({row.drug_id for row in rows}).items()}
    doses = []
    for group in groups.values():
        group.sort(key=lambda r: r.course_day)
        start = timezone.localtime(group[0].premed_start, tz)
        day = start.date()
        minutes = tuple(r.chair_minutes for r in group)
        doses.append(
            DueDose(
                key=f"appt{group[0].pk}",
                label=names[group[0].drug_id],
                earliest=day,
                target=day,
                latest=day,
                chair_minutes=minutes,
                patient_id=group[0].patient_id,
                booked_on=day,
                booked_minute=start.hour * 60 + start.minute,
            )
        )
    return doses


def center_forecast(
    *,
    first: datetime.date | None = None,
    days: int = HORIZON_DAYS,
    extra_nurses: Mapping[int, int] | None = None,
    plan: bool = True,
) -> Forecast:
    """The next `days` days: doses due, demand against capacity, and the ceiling. `extra_nurses` (weekday -> nurses
    more or fewer) is a "what if" on the staffing, never saved. `plan=False` leaves out the ceiling's plan of the
    coming weeks (most of the time at a large center), which only slot search uses."""
    first = first or today()
    last = first + datetime.timedelta(days=days - 1)
    with gc_paused():
        center = center_for_range(first, last)
        if extra_nurses:
            center = _with_extra_nurses(center, extra_nurses)
        return forecast(center, doses_due(first, last), first, last, plan=plan)


@dataclass(frozen=True)
class WeekSummary:
    """One week of the forecast as the page shows it."""

    monday: datetime.date
    doses: int
    drugs: str  # the week's doses by drug, most first ("Tysabri 12, Ocrevus 4")
    chair_minutes: int
    capacity_minutes: int
    starts: int
    start_capacity: int
    nurse_minutes: float
    nurse_capacity: int
    over: tuple[tuple[datetime.date, tuple[str, ...]], ...]  # the days over capacity, with what each exceeds


@dataclass(frozen=True)
class ForecastSummary:
    """What the forecast page shows of a forecast: its weeks and the ceiling's figures (none of the doses, holds
    and reservations behind them, which a large center has by the hundred thousand)."""

    first: datetime.date
    last: datetime.date
    weeks: tuple[WeekSummary, ...]
    ceiling: Ceiling  # without its reservations and holds
    days: tuple[DayForecast, ...] = ()  # each day's demand, for a "what if" on the staffing (`what_if`)

    @property
    def dose_count(self) -> int:
        return sum(w.doses for w in self.weeks)

    @property
    def over_count(self) -> int:
        return sum(len(w.over) for w in self.weeks)


def forecast_summary(result: Forecast) -> ForecastSummary:
    weeks = []
    for week in result.weeks:
        labels = sum((d.labels for d in week.days), start=Counter())
        weeks.append(
            WeekSummary(
                monday=week.monday,
                doses=week.doses,
                drugs=", ".join(f"{name} {count}" for name, count in labels.most_common(4)),
                chair_minutes=week.chair_minutes,
                capacity_minutes=week.capacity_minutes,
                starts=week.starts,
                start_capacity=week.start_capacity,
                nurse_minutes=week.nurse_minutes,
                nurse_capacity=week.nurse_capacity,
                over=tuple((d.day, tuple(d.over)) for d in week.over_days),
            )
        )
    c = result.ceiling
    figures = Ceiling(in_chairs=c.in_chairs, starts=c.starts, forced_by=c.forced_by, planned=c.planned)
    return ForecastSummary(
        first=result.first, last=result.last, weeks=tuple(weeks), ceiling=figures, days=tuple(result.days)
    )


def what_if(
    extra_nurses: Mapping[int, int], baseline: ForecastSummary | None
) -> tuple[ForecastSummary, ForecastSummary]:
    """(as staffed, with the change): the forecast with `extra_nurses` (weekday -> nurses more or fewer), never
    saved, showing the baseline's ceiling (the one slot search plans against). From the stored forecast's demand
    per day when there is one (the center's hours and staffing read again, no dose); without, worked out from
    the plans, without the plan of the coming weeks."""
    if baseline is None or not baseline.days:
        baseline = forecast_summary(center_forecast(plan=False))  # the doses read once, then restaffed below
    with gc_paused():
        center = _with_extra_nurses(center_for_range(baseline.first, baseline.last), extra_nurses)
        changed = restaffed(center, baseline.days, baseline.ceiling)
    return baseline, dataclasses.replace(forecast_summary(changed), ceiling=baseline.ceiling)


@dataclass(frozen=True)
class StoredForecast:
    computed_at: datetime.datetime
    summary: ForecastSummary


def _latest_snapshot() -> dict | None:
    """The newest stored forecast's id and times, if it is today's (one indexed query)."""
    row = PlanningSnapshot.objects.values("pk", "computed_at", "for_date").first()
    if row is None or row["for_date"] != today():
        return None  # none yet, or yesterday's: its first day and its doses due are a day out
    return row


def _unpickled(pk: int, field: str):
    """A stored pickle, or None when it cannot be read (written by another version of the code): the next
    refresh replaces it."""
    data = PlanningSnapshot.objects.filter(pk=pk).values_list(field, flat=True).first()
    if data is None:
        return None
    try:
        return pickle.loads(bytes(data))
    except Exception:
        logger.warning("The stored forecast %s cannot be read; waiting for the next one", pk, exc_info=True)
        return None


# The process's copies of the newest snapshot's ceiling and forecast page: read from the database and unpickled
# once per snapshot, not per request. A snapshot is never changed, only replaced by a newer one (another id), so a
# copy under its id and time is current while that snapshot is the newest.
_ceiling_memo: dict[tuple[int, datetime.datetime], Ceiling] = {}
_summary_memo: dict[tuple[int, datetime.datetime], ForecastSummary] = {}


def _snapshot_copy(row: dict, field: str, memo: dict):
    key = (row["pk"], row["computed_at"])
    found = memo.get(key)
    if found is None:
        found = _unpickled(row["pk"], field)
        if found is None:
            return None
        memo.clear()
        memo[key] = found
        heap.freeze_after_response()  # a large center's ceiling is a hundred thousand objects
    return found


def search_ceiling() -> Ceiling | None:
    """The planning ceiling for slot search, as the refresh task last stored it; None when there is none for today
    (slot search then ranks without it: the forecast is never worked out in a request). One query while the
    process's copy is current."""
    row = _latest_snapshot()
    return _snapshot_copy(row, "ceiling", _ceiling_memo) if row is not None else None


def stored_forecast() -> StoredForecast | None:
    """Today's forecast as the refresh task last stored it, for the forecast page; None when there is none yet."""
    row = _latest_snapshot()
    summary = _snapshot_copy(row, "summary", _summary_memo) if row is not None else None
    return StoredForecast(row["computed_at"], summary) if summary is not None else None


def latest_proposal() -> ReoptimisationProposal | None:
    return ReoptimisationProposal.objects.select_related("requested_by").first()


def proposal_moves(proposal: ReoptimisationProposal) -> list[ProposedMove]:
    return list(
        proposal.moves.select_related(
            "appointment__patient", "appointment__phase__drug", "from_chair", "to_chair", "decided_by"
        )
    )
