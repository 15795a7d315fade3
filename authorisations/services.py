"""Authorisations: saving them, and checking the doses of plans against them (a fixed number of queries).

The rule itself is in `scheduling.engine.authorisation`; this module reads the rows it needs and answers for
booking (warn, or refuse when AUTHORISATIONS_BLOCK_BOOKING is on) and for the readiness light.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from authorisations.models import Authorisation
from scheduling.engine.authorisation import AuthorisationSpec, Coverage, DoseSpec, allocate, coverage_issue
from scheduling.engine.readiness import Readiness
from scheduling.models import Appointment, TreatmentPlan

EDITABLE_FIELDS = (
    "payer",
    "member_id",
    "number",
    "valid_from",
    "valid_to",
    "units_authorised",
    "unit",
    "document_reference",
    "notes",
)


def authorisations_block() -> bool:
    """The center's choice: a dose without a covering authorisation is refused (True) or only warned about."""
    return bool(getattr(settings, "AUTHORISATIONS_BLOCK_BOOKING", False))


def expiry_warning_days() -> int:
    return int(getattr(settings, "AUTHORISATIONS_EXPIRY_WARNING_DAYS", 30))


@transaction.atomic
def authorisation_save(*, plan: TreatmentPlan, data: dict, user, authorisation: Authorisation | None = None):
    """Create or change an authorisation from validated form data; the history keeps who and what."""
    authorisation = authorisation or Authorisation(plan=plan, created_by=user)
    for name in EDITABLE_FIELDS:
        setattr(authorisation, name, data[name])
    authorisation.full_clean()
    authorisation._history_user = user
    authorisation.save()
    return authorisation


def _spec(row: Authorisation) -> AuthorisationSpec:
    return AuthorisationSpec(
        id=row.pk,
        number=row.number,
        payer=row.payer,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        units=row.units_authorised,
        unit=row.unit,
    )


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _plan_inputs(plan_ids: Iterable[int], *, exclude_ids: Sequence[int] = ()):
    """Three queries: the plans' drugs, their authorisations and their active doses."""
    plan_ids = set(plan_ids)
    plans = {
        row["pk"]: row
        for row in TreatmentPlan.objects.filter(pk__in=plan_ids).values(
            "pk", "drug__name", "drug__needs_prior_authorisation"
        )
    }
    authorisations: dict[int, list[AuthorisationSpec]] = defaultdict(list)
    for row in Authorisation.objects.filter(plan_id__in=plan_ids).order_by("valid_to", "id"):
        authorisations[row.plan_id].append(_spec(row))
    doses: dict[int, list[DoseSpec]] = defaultdict(list)
    rows = (
        Appointment.objects.filter(plan_id__in=plan_ids, status__in=Appointment.ACTIVE_STATUSES)
        .exclude(pk__in=list(exclude_ids))
        .values_list("pk", "plan_id", "premed_start", "dose_mg")
    )
    for pk, plan_id, premed_start, dose_mg in rows:
        doses[plan_id].append(DoseSpec(pk, _local_day(premed_start), premed_start, dose_mg))
    return plans, authorisations, doses


def coverage_for_plans(plan_ids: Iterable[int]) -> dict[int, Coverage]:
    """The coverage of every active dose of the plans, by appointment id."""
    plans, authorisations, doses = _plan_inputs(plan_ids)
    result: dict[int, Coverage] = {}
    for plan_id, plan in plans.items():
        result.update(
            allocate(
                plan["drug__name"],
                needs_authorisation=plan["drug__needs_prior_authorisation"],
                authorisations=authorisations[plan_id],
                doses=doses[plan_id],
            )
        )
    return result


def with_authorisation_issues(appointments: Sequence[Appointment], readiness: dict[int, Readiness]) -> None:
    """Add each booked dose's authorisation problem to its readiness (amber; red when authorisations block)."""
    active = [a for a in appointments if a.pk in readiness]
    if not active:
        return
    coverage = coverage_for_plans({a.plan_id for a in active})
    blocks = authorisations_block()
    for appointment in active:
        issue = coverage_issue(coverage.get(appointment.pk), blocks=blocks)
        if issue is not None:
            readiness[appointment.pk] = Readiness((*readiness[appointment.pk].issues, issue))


def problems_for_new_doses(
    *,
    plan: TreatmentPlan,
    starts: Sequence[datetime.datetime],
    dose_mg: Decimal,
    exclude_ids: Sequence[int] = (),
) -> list[str]:
    """What is wrong with the authorisation of doses about to be booked (or moved: `exclude_ids` their old rows)."""
    plans, authorisations, doses = _plan_inputs([plan.pk], exclude_ids=exclude_ids)
    plan_row = plans.get(plan.pk)
    if plan_row is None:
        return []
    new = [DoseSpec(("new", k), _local_day(start), start, dose_mg) for k, start in enumerate(starts)]
    coverage = allocate(
        plan_row["drug__name"],
        needs_authorisation=plan_row["drug__needs_prior_authorisation"],
        authorisations=authorisations[plan.pk],
        doses=[*doses[plan.pk], *new],
    )
    problems = []
    for dose in new:
        problem = coverage[dose.key].problem
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def booking_refusal(
    *,
    plan: TreatmentPlan,
    starts: Sequence[datetime.datetime],
    dose_mg: Decimal | None,
    exclude_ids: Sequence[int] = (),
) -> str:
    """The reason to refuse a booking when the center makes authorisations block; empty otherwise."""
    if not authorisations_block() or dose_mg is None:
        return ""
    problems = problems_for_new_doses(plan=plan, starts=starts, dose_mg=dose_mg, exclude_ids=exclude_ids)
    if not problems:
        return ""
    return " ".join(problems) + " Record a covering authorisation before booking."


def booking_warnings(appointments: Sequence[Appointment]) -> list[str]:
    """The authorisation problems of doses just booked or moved, for the scheduler's warning."""
    if not appointments:
        return []
    coverage = coverage_for_plans({a.plan_id for a in appointments})
    warnings = []
    for appointment in appointments:
        found = coverage.get(appointment.pk)
        if found is not None and found.problem and found.problem not in warnings:
            warnings.append(found.problem)
    return warnings


def usage_for_plans(plan_ids: Iterable[int]) -> dict[int, Decimal]:
    """Doses or mg each authorisation of the plans is already counted for (booked and given doses)."""
    plans, authorisations, doses = _plan_inputs(plan_ids)
    used: dict[int, Decimal] = defaultdict(Decimal)
    for plan_id, plan in plans.items():
        coverage = allocate(
            plan["drug__name"],
            needs_authorisation=plan["drug__needs_prior_authorisation"],
            authorisations=authorisations[plan_id],
            doses=doses[plan_id],
        )
        units = {a.id: a.unit for a in authorisations[plan_id]}
        for dose in doses[plan_id]:
            chosen = coverage[dose.key].authorisation_id
            if chosen is not None:
                used[chosen] += Decimal(1) if units[chosen] == Authorisation.Unit.DOSES else dose.dose_mg
    return used
