"""Builders for web-app tests: chairs, and an Ocrevus history given elsewhere."""

from __future__ import annotations

import datetime
from decimal import Decimal

from scheduling.models import Chair, RegimenPhase, TreatmentPlan
from tests.factories import ChairFactory, OutsideDoseFactory


def chairs(count: int) -> list[Chair]:
    return [ChairFactory() for _ in range(count)]


def ocrevus_initial_doses_elsewhere(plan: TreatmentPlan, *, maintenance_due: datetime.date) -> None:
    """Ocrevus infusions 1 and 2 given at another center, so the maintenance dose is due on `maintenance_due`."""
    first = maintenance_due - datetime.timedelta(days=168)
    for order, day in ((1, first), (2, first + datetime.timedelta(days=14))):
        OutsideDoseFactory(
            patient=plan.patient,
            drug=plan.drug,
            phase=RegimenPhase.objects.get(drug=plan.drug, order=order),
            given_on=day,
            dose_mg=Decimal("300"),
            source="Referring hospital discharge letter",
            recorded_by=None,
        )
