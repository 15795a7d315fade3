"""Requirements that gate booking (e.g. the mitoxantrone echo): no current clearing result, no booking."""

from __future__ import annotations

import dataclasses
import datetime

from django.utils import timezone

from patients.models import Patient, Screening
from scheduling.engine.protocol import DrugSpec
from scheduling.engine.readiness import ScreeningResult, evaluate
from scheduling.selectors.center import center_tz

BOOKING_GATED = "{drug} can only be booked with a current result that clears its gating check. {problems}"


def booking_gate_refusals(*, patient: Patient, drug: DrugSpec, on_date: datetime.date, first_dose: bool) -> str:
    """Why the dose cannot be booked because of a gating requirement, in words; empty when it can.

    Reads the patient's results only when the drug has a gating requirement (no query otherwise).
    """
    gating = tuple(r for r in drug.requirements if r.gates_booking)
    if not gating:
        return ""
    codes = {r.kind for r in gating}
    rows = Screening.objects.filter(patient=patient, kind_id__in=codes).values_list(
        "kind_id", "taken_on", "result", "valid_days", "value"
    )
    screenings = [
        ScreeningResult(kind, taken, result, taken + datetime.timedelta(days=valid), value)
        for kind, taken, result, valid, value in rows
    ]
    readiness = evaluate(
        dataclasses.replace(drug, requirements=gating, cumulative_limit_mg_m2=None),
        on_date=on_date,
        today=timezone.localdate(timezone.now(), center_tz()),
        first_dose=first_dose,
        reproductive_potential=patient.reproductive_potential,
        screenings=screenings,
    )
    if not readiness.refuses_booking:
        return ""
    return BOOKING_GATED.format(problems=" ".join(readiness.refuses_booking), drug=drug.name)
