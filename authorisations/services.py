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
from infusion_center.shared_figures import forget_shared_figures
from scheduling.engine.authorisation import AuthorisationSpec, Coverage, DoseSpec, allocate, coverage_issue
from scheduling.engine.readiness import Readiness
from scheduling.models import Appointment, TreatmentPlan


def authorisations_block() -> bool:
    """The center's choice: a dose without a covering authorisation is refused (True) or only warned about."""
    return bool(getattr(settings, "AUTHORISATIONS_BLOCK_BOOKING", False))


def expiry_warning_days() -> int:
    return int(getattr(settings, "AUTHORISATIONS_EXPIRY_WARNING_DAYS", 30))


@transaction.atomic
def authorisation_save(*, plan: TreatmentPlan, data: dict, user, authorisation: Authorisation | None = None):
    """Create or change an authorisation from validated form data; the history keeps who and what."""
    authorisation = authorisation or Authorisation(plan=plan, created_by=user)
    for name in Authorisation.EDITABLE_FIELDS:
        setattr(authorisation, name, data[name])
    authorisation.full_clean()
    authorisation._history_user = user
    authorisation.save()
    transaction.on_commit(lambda: forget_shared_figures("authorisations:front-desk-count"))  # the navigation badge
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


def _plans_and_authorisations(plan_ids: Iterable[int]):
    """One query: each plan's drug (name, whether it needs an authorisation) and its authorisations."""
    plans: dict[int, dict] = {}
    authorisations: dict[int, list[AuthorisationSpec]] = defaultdict(list)
    rows = TreatmentPlan.objects.filter(pk__in=set(plan_ids)).values(
        "pk",
        "drug__name",
        "drug__needs_prior_authorisation",
        "authorisations__id",
        "authorisations__number",
        "authorisations__payer",
        "authorisations__valid_from",
        "authorisations__valid_to",
        "authorisations__units_authorised",
        "authorisations__unit",
    )
    for row in rows:
        plans[row["pk"]] = row
        if row["authorisations__id"] is not None:
            authorisations[row["pk"]].append(
                AuthorisationSpec(
                    id=row["authorisations__id"],
                    number=row["authorisations__number"],
                    payer=row["authorisations__payer"],
                    valid_from=row["authorisations__valid_from"],
                    valid_to=row["authorisations__valid_to"],
                    units=row["authorisations__units_authorised"],
                    unit=row["authorisations__unit"],
                )
            )
    return plans, authorisations


def _doses(plan_ids: Iterable[int], *, exclude_ids: Sequence[int] = ()) -> dict[int, list[DoseSpec]]:
    """One query: the active doses of the plans (they count against the plans' authorisations)."""
    doses: dict[int, list[DoseSpec]] = defaultdict(list)
    rows = (
        Appointment.objects.filter(plan_id__in=list(plan_ids), status__in=Appointment.ACTIVE_STATUSES)
        .exclude(pk__in=list(exclude_ids))
        .values_list("pk", "plan_id", "premed_start", "dose_mg")
    )
    for pk, plan_id, premed_start, dose_mg in rows:
        doses[plan_id].append(DoseSpec(pk, _local_day(premed_start), premed_start, dose_mg))
    return doses


def _allocate(plan: dict, authorisations, doses) -> dict[object, Coverage]:
    return allocate(
        plan["drug__name"],
        needs_authorisation=plan["drug__needs_prior_authorisation"],
        authorisations=authorisations,
        doses=doses,
    )


def coverage_for_appointments(pairs: Iterable[tuple[int, int]]) -> dict[int, Coverage]:
    """The coverage of each (appointment id, plan id): one query, and one more when a plan has authorisations
    (their earlier doses take units first)."""
    pairs = list(pairs)
    plans, authorisations = _plans_and_authorisations(plan_id for _, plan_id in pairs)
    authorised = [plan_id for plan_id in plans if authorisations[plan_id]]
    doses = _doses(authorised) if authorised else {}
    result: dict[int, Coverage] = {}
    for plan_id in authorised:
        result.update(_allocate(plans[plan_id], authorisations[plan_id], doses[plan_id]))
    for pk, plan_id in pairs:
        if pk not in result and plan_id in plans:
            # no authorisation on the plan: the dose alone decides (a drug that needs one is not covered)
            marker = DoseSpec(pk, datetime.date.min, datetime.datetime.min.replace(tzinfo=datetime.UTC), Decimal(0))
            result[pk] = _allocate(plans[plan_id], [], [marker])[pk]
    return result


def with_authorisation_issues(appointments: Sequence[Appointment], readiness: dict[int, Readiness]) -> None:
    """Add each booked dose's authorisation problem to its readiness (amber; red when authorisations block)."""
    active = [a for a in appointments if a.pk in readiness]
    if not active:
        return
    coverage = coverage_for_appointments((a.pk, a.plan_id) for a in active)
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
    plans, authorisations = _plans_and_authorisations([plan.pk])
    plan_row = plans.get(plan.pk)
    if plan_row is None:
        return []
    earlier = _doses([plan.pk], exclude_ids=exclude_ids)[plan.pk] if authorisations[plan.pk] else []
    new = [DoseSpec(("new", k), _local_day(start), start, dose_mg) for k, start in enumerate(starts)]
    coverage = _allocate(plan_row, authorisations[plan.pk], [*earlier, *new])
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
    coverage = coverage_for_appointments((a.pk, a.plan_id) for a in appointments)
    warnings = []
    for appointment in appointments:
        found = coverage.get(appointment.pk)
        if found is not None and found.problem and found.problem not in warnings:
            warnings.append(found.problem)
    return warnings


def usage_for_plans(plan_ids: Iterable[int]) -> dict[int, Decimal]:
    """Doses or mg each authorisation of the plans is already counted for (booked and given doses)."""
    plans, authorisations = _plans_and_authorisations(plan_ids)
    authorised = [plan_id for plan_id in plans if authorisations[plan_id]]
    doses = _doses(authorised) if authorised else {}
    used: dict[int, Decimal] = defaultdict(Decimal)
    for plan_id in authorised:
        coverage = _allocate(plans[plan_id], authorisations[plan_id], doses[plan_id])
        units = {a.id: a.unit for a in authorisations[plan_id]}
        for dose in doses[plan_id]:
            chosen = coverage[dose.key].authorisation_id
            if chosen is not None:
                used[chosen] += Decimal(1) if units[chosen] == Authorisation.Unit.DOSES else dose.dose_mg
    return used
