"""Starting a treatment plan: a patient on a drug's regimen."""

from __future__ import annotations

import datetime

from django.db import transaction

from infusion_center.refusals import RefusalError
from patients.models import Patient
from scheduling.engine.dosing import course_days_allowed
from scheduling.models import Chair, Drug, TreatmentPlan

PLAN_DRUG_INACTIVE = "{drug} is no longer in use at the center; choose another drug."
PLAN_ALREADY_ACTIVE = "{patient} already has an active plan on {drug}."
PLAN_COURSE_DAYS = "{drug} is given over {low}-{high} days; choose a number of days in that range."


class PlanError(RefusalError):
    """A plan refused, with a message a scheduler understands."""


@transaction.atomic
def plan_start(
    *,
    patient: Patient,
    drug: Drug,
    start_date: datetime.date,
    user,
    course_days: int | None = None,
    preferred_chair: Chair | None = None,
    notes: str = "",
) -> TreatmentPlan:
    drug = Drug.objects.select_for_update().get(pk=drug.pk)
    if not drug.is_active:
        raise PlanError(PLAN_DRUG_INACTIVE.format(drug=drug.name))
    if TreatmentPlan.objects.filter(patient=patient, drug=drug, status=TreatmentPlan.Status.ACTIVE).exists():
        raise PlanError(PLAN_ALREADY_ACTIVE.format(patient=patient.full_name, drug=drug.name))
    if course_days is not None:
        ranged = [p for p in drug.phases.all() if p.consecutive_days_max]
        if ranged and not any(
            course_days_allowed(p.consecutive_days, p.consecutive_days_max, course_days) for p in ranged
        ):
            phase = ranged[0]
            raise PlanError(
                PLAN_COURSE_DAYS.format(drug=drug.name, low=phase.consecutive_days, high=phase.consecutive_days_max)
            )
    plan = TreatmentPlan(
        patient=patient,
        drug=drug,
        start_date=start_date,
        course_days=course_days,
        preferred_chair=preferred_chair,
        notes=notes,
        created_by=user,
    )
    plan.full_clean()
    plan._history_user = user
    plan.save()
    return plan
