"""Selectors for planning: the doses every active plan will need, the forecast, and the ceiling slot search uses.

Reads only. The rules are in the pure engine (scheduling/engine/forecast.py); this turns rows into its terms in a
fixed number of queries, whatever the number of plans.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping

from django.core.cache import cache
from django.utils import timezone

from scheduling.catalogue import drug_specs
from scheduling.engine.dosing import DoseCourse
from scheduling.engine.forecast import HORIZON_DAYS, Ceiling, DueDose, Forecast, forecast, project_doses
from scheduling.engine.forecast import with_extra_nurses as _with_extra_nurses
from scheduling.engine.history import DoseHistory
from scheduling.models import Appointment, ProposedMove, ReoptimisationProposal, TreatmentPlan
from scheduling.selectors.center import center_for_range, center_tz, day_bounds, gc_paused
from scheduling.selectors.history import doses_for_patients, ingredients_by_drug
from scheduling.selectors.rows import BookingRow, booking_rows

CEILING_TOKEN_KEY = "planning-ceiling-token"
CEILING_CACHE_SECONDS = 600  # the ceiling moves slowly: a new plan or a few bookings barely change it


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
    *, first: datetime.date | None = None, days: int = HORIZON_DAYS, extra_nurses: Mapping[int, int] | None = None
) -> Forecast:
    """The next `days` days: doses due, demand against capacity, and the ceiling. `extra_nurses` (weekday -> nurses
    more or fewer) is a "what if" on the staffing, never saved."""
    first = first or today()
    last = first + datetime.timedelta(days=days - 1)
    with gc_paused():
        center = center_for_range(first, last)
        if extra_nurses:
            center = _with_extra_nurses(center, extra_nurses)
        return forecast(center, doses_due(first, last), first, last)


_ceiling_memo: dict[str, tuple[float, str, Ceiling]] = {}


def search_ceiling() -> Ceiling:
    """The planning ceiling for slot search, from the six-month forecast, kept a few minutes in each process as
    the object itself (a large center's reservations are too many to unpickle from a cache at every search).
    A token in the cache ties the copy to the cache's life: clearing the cache makes the next search start afresh."""
    token = cache.get(CEILING_TOKEN_KEY)
    memo = _ceiling_memo.get(today().isoformat())
    if memo is not None and token is not None and memo[1] == token and memo[0] > time.monotonic():
        return memo[2]
    ceiling = center_forecast().ceiling
    token = uuid.uuid4().hex
    cache.set(CEILING_TOKEN_KEY, token, None)
    _ceiling_memo.clear()
    _ceiling_memo[today().isoformat()] = (time.monotonic() + CEILING_CACHE_SECONDS, token, ceiling)
    return ceiling


def latest_proposal() -> ReoptimisationProposal | None:
    return ReoptimisationProposal.objects.select_related("requested_by").first()


def proposal_moves(proposal: ReoptimisationProposal) -> list[ProposedMove]:
    return list(
        proposal.moves.select_related(
            "appointment__patient", "appointment__phase__drug", "from_chair", "to_chair", "decided_by"
        )
    )
