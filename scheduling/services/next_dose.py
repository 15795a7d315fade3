"""Keeps each active plan's stored next dose due (`PlanNextDose`) equal to the engine's answer.

`derive_patients` calls `next_doses_refresh` for the patients it re-derives, so every event that changes a dose
history (a booking, a move, a cancellation, a visit step, a reaction, a plan, an outside dose, a catalogue edit)
also refreshes the worklist's rows; screenings and a patient's measurements reach it through the signals. The
readiness stored with a row is judged on the dose's target date (today when overdue), so a nightly task refreshes
every row as the dates move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from scheduling.models import Appointment, PlanNextDose, TreatmentPlan

S = Appointment.Status
# A booking in one of these states keeps the plan off the worklist until its chair time ends.
HOLDS_THE_DOSE = (S.SCHEDULED, S.CHECKED_IN, S.PREMEDICATED, S.INFUSING, S.OBSERVING)
CHUNK = 500


def next_doses_for(plans: list[TreatmentPlan]) -> list[PlanNextDose]:
    """The rows the plans' next doses would be now (unsaved): a fixed number of queries per call."""
    from scheduling.selectors import appointments as selectors
    from scheduling.selectors.readiness import readiness_for_plans

    if not plans:
        return []
    now = timezone.now()
    today = timezone.localdate(now)
    doses = [(plan, dose) for plan, dose in selectors.next_doses_for_plans(plans) if dose is not None]
    bookings: dict[int, tuple[int, object]] = {}
    for plan_id, pk, observation_end in (
        Appointment.objects.filter(plan_id__in=[plan.pk for plan, _ in doses], status__in=HOLDS_THE_DOSE)
        .order_by("plan_id", "observation_end", "pk")
        .values_list("plan_id", "pk", "observation_end")
    ):
        bookings[plan_id] = (pk, observation_end)  # the last one wins
    readiness = readiness_for_plans((plan, dose, max(dose.target, today)) for plan, dose in doses)
    rows = []
    for plan, dose in doses:
        booking_id, booked_until = bookings.get(plan.pk, (None, None))
        judged = readiness[plan.pk]
        rows.append(
            PlanNextDose(
                plan_id=plan.pk,
                patient_id=plan.patient_id,
                drug_id=plan.drug_id,
                phase_id=dose.phase.id,
                infusion_number=dose.infusion_number,
                course_days=dose.course_days,
                dose_label=dose.dose_label[:40],
                earliest=dose.earliest,
                target=dose.target,
                latest=dose.latest,
                booking_id=booking_id,
                booked_until=booked_until,
                readiness_status=judged.status,
                readiness=[dataclasses.asdict(issue) for issue in judged.issues],
                refreshed_at=now,
            )
        )
    return rows


def next_doses_refresh(*, patient_ids: Iterable[int] | None = None, drug_ids: Iterable[int] | None = None) -> int:
    """Rewrite the stored next dose of the active plans of these patients (or drugs; every plan when neither is
    given), in the caller's transaction. Returns how many rows are stored."""
    plans = TreatmentPlan.objects.all()
    stale = PlanNextDose.objects.all()
    if patient_ids is not None:
        patient_ids = list(set(patient_ids))
        plans = plans.filter(patient_id__in=patient_ids)
        stale = stale.filter(patient_id__in=patient_ids)
    if drug_ids is not None:
        drug_ids = list(set(drug_ids))
        plans = plans.filter(drug_id__in=drug_ids)
        stale = stale.filter(drug_id__in=drug_ids)
    stored = 0
    with transaction.atomic():
        stale.exclude(plan__status=TreatmentPlan.Status.ACTIVE).delete()
        active = plans.filter(status=TreatmentPlan.Status.ACTIVE).order_by("pk").values_list("pk", flat=True)
        ids = list(active)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            loaded = list(TreatmentPlan.objects.filter(pk__in=chunk).select_related("patient", "drug"))
            rows = next_doses_for(loaded)
            PlanNextDose.objects.filter(plan_id__in=chunk).delete()
            PlanNextDose.objects.bulk_create(rows)
            stored += len(rows)
    return stored


def next_dose_booking_refresh(*, plan_id: int) -> None:
    """Only the plan's booking changed (booked, moved, its status): two queries, the next dose stays."""
    last = (
        Appointment.objects.filter(plan_id=plan_id, status__in=HOLDS_THE_DOSE)
        .order_by("-observation_end", "-pk")
        .values_list("pk", "observation_end")
        .first()
    )
    booking_id, booked_until = last or (None, None)
    PlanNextDose.objects.filter(plan_id=plan_id).update(booking_id=booking_id, booked_until=booked_until)


__all__ = ["next_dose_booking_refresh", "next_doses_for", "next_doses_refresh"]
