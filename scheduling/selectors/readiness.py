"""Readiness of booked appointments (batched, a fixed number of queries) and of a plan's next dose."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import BigIntegerField, Case, F, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from authorisations.services import with_authorisation_issues
from patients.models import Screening
from scheduling.catalogue import drug_specs
from scheduling.engine.dosing import NextDose
from scheduling.engine.protocol import mg_per_m2
from scheduling.engine.readiness import Readiness, ScreeningResult, evaluate
from scheduling.models import Appointment, TreatmentPlan
from scheduling.selectors.center import center_tz
from scheduling.selectors.history import given_before
from scheduling.selectors.rows import BookingRow, booking_rows

__all__ = [
    "Readiness",
    "readiness_for_appointments",
    "readiness_for_loaded_appointments",
    "readiness_for_plans",
]


def _screenings(patient_ids: Iterable[int]) -> dict[int, list[ScreeningResult]]:
    by_patient: dict[int, list[ScreeningResult]] = defaultdict(list)
    rows = Screening.objects.filter(patient_id__in=list(patient_ids)).values_list(
        "patient_id", "kind", "taken_on", "result", "valid_days", "value"
    )
    for patient_id, kind, taken_on, result, valid_days, value in rows:
        by_patient[patient_id].append(
            ScreeningResult(kind, taken_on, result, taken_on + datetime.timedelta(days=valid_days), value)
        )
    return by_patient


def _history(
    patient_ids: Iterable[int], drug_ids: Iterable[int], *, first_only_drug_ids: Iterable[int] = ()
) -> dict[tuple[int, int], list[dict]]:
    """Active appointments per (patient, drug), by start.

    For the drugs in `first_only_drug_ids` (no lifetime limit: only "is this the first dose?" matters) only each
    patient's first appointment is read, not years of history: a window function numbers the rows of each
    (patient, drug) and keeps the first, while every row of the other drugs is a partition of its own.
    """
    rows = Appointment.objects.filter(
        patient_id__in=list(patient_ids), plan__drug_id__in=list(drug_ids), status__in=Appointment.ACTIVE_STATUSES
    )
    first_only = list(first_only_drug_ids)
    if first_only:
        rows = rows.annotate(
            nth=Window(
                RowNumber(),
                partition_by=[
                    F("patient_id"),
                    F("plan__drug_id"),
                    Case(
                        When(plan__drug_id__in=first_only, then=Value(0)),
                        default=F("pk"),
                        output_field=BigIntegerField(),
                    ),
                ],
                order_by=[F("premed_start").asc(), F("pk").asc()],
            )
        ).filter(nth=1)
    history: dict[tuple[int, int], list[BookingRow]] = defaultdict(list)
    for row in booking_rows(rows.order_by("premed_start")):
        history[(row.patient_id, row.drug_id)].append(row)
    return history


def _cumulative(rows: list[BookingRow], before: datetime.datetime, bsa: Decimal | None) -> Decimal | None:
    total = Decimal("0")
    for row in rows:
        if row.premed_start >= before:
            break
        value = row.mg_per_m2(bsa)
        if value is None:
            return None
        total += value
    return total


def readiness_for_appointments(appointments: Iterable[Appointment]) -> dict[int, Readiness]:
    """Readiness of each appointment on its own date, judged today: eight queries whatever their number (one
    more when a plan has insurance authorisations)."""
    ids = [a.pk for a in appointments]
    if not ids:
        return {}
    return readiness_for_loaded_appointments(
        list(Appointment.objects.filter(pk__in=ids).select_related("patient", "plan", "phase"))
    )


def readiness_for_loaded_appointments(rows: list[Appointment]) -> dict[int, Readiness]:
    """As `readiness_for_appointments`, for appointments already read with their patient, plan and phase
    (`select_related`), such as the chair board's: one query fewer, and no second copy of each row."""
    if not rows:
        return {}
    specs = drug_specs({a.plan.drug_id for a in rows})
    patient_ids = {a.patient_id for a in rows}
    screenings = _screenings(patient_ids)
    history = _history(
        patient_ids,
        specs,
        first_only_drug_ids=[pk for pk, spec in specs.items() if spec.cumulative_limit_mg_m2 is None],
    )
    tz = center_tz()
    today = timezone.localdate(timezone.now(), tz)
    course_days = {phase.id: phase.consecutive_days for spec in specs.values() for phase in spec.phases}
    # first dose: nothing of the ingredient given before (here or elsewhere); a booked, never-given dose is no dose
    not_first = given_before(
        ((a.patient_id, a.plan.drug_id, a.premed_start) for a in rows),
        ingredients={pk: spec.ingredient for pk, spec in specs.items()},
    )
    result: dict[int, Readiness] = {}
    for appointment in rows:
        drug = specs[appointment.plan.drug_id]
        patient = appointment.patient
        bsa = patient.body_surface_area
        phase = appointment.phase
        earlier = history[(patient.pk, drug.id)]
        first_dose = (patient.pk, drug.id, appointment.premed_start) not in not_first
        result[appointment.pk] = evaluate(
            drug,
            on_date=timezone.localtime(appointment.premed_start, tz).date(),
            today=today,
            first_dose=first_dose,
            reproductive_potential=patient.reproductive_potential,
            screenings=screenings.get(patient.pk, ()),
            dose_mg_per_m2=mg_per_m2(
                appointment.dose_mg, bsa, dose_unit=phase.dose_unit, dose_amount=phase.dose_amount
            ),
            cumulative_mg_per_m2=_cumulative(earlier, appointment.premed_start, bsa),
            course_start=appointment.course_day == 1 and course_days.get(appointment.phase_id, 1) > 1,
        )
    with_authorisation_issues(rows, result)
    return result


def readiness_for_plans(
    items: Iterable[tuple[TreatmentPlan, NextDose | None, datetime.date]],
) -> dict[int, Readiness]:
    """Readiness of each plan's next dose if it were given on its date: two queries whatever their number.

    Each item is (plan with its patient loaded, the plan's next dose as `plan_state.plan_next_dose` computes it,
    the date to judge). A plan with no next dose is ready (nothing to check).
    """
    items = list(items)
    result: dict[int, Readiness] = {plan.pk: Readiness() for plan, dose, _ in items if dose is None}
    items = [(plan, dose, on_date) for plan, dose, on_date in items if dose is not None]
    if not items:
        return result
    patient_ids = {plan.patient_id for plan, _, _ in items}
    screenings = _screenings(patient_ids)
    history = _history(patient_ids, {plan.drug_id for plan, _, _ in items})
    tz = center_tz()
    today = timezone.localdate(timezone.now(), tz)
    moments = {plan.pk: datetime.datetime.combine(on_date, datetime.time(), tzinfo=tz) for plan, _, on_date in items}
    not_first = given_before(
        ((plan.patient_id, plan.drug_id, moments[plan.pk]) for plan, _, _ in items),
        ingredients={plan.drug_id: dose.drug.ingredient for plan, dose, _ in items},
    )
    for plan, dose, on_date in items:
        patient = plan.patient
        bsa = patient.body_surface_area
        moment = moments[plan.pk]
        booked_before = [r for r in history[(patient.pk, plan.drug_id)] if r.premed_start < moment]
        this = dose.dose_mg_per_m2
        if this is None and dose.dose_mg is not None and bsa:
            this = mg_per_m2(dose.dose_mg, bsa)
        result[plan.pk] = evaluate(
            dose.drug,
            on_date=on_date,
            today=today,
            first_dose=(patient.pk, plan.drug_id, moment) not in not_first,
            reproductive_potential=patient.reproductive_potential,
            screenings=screenings.get(patient.pk, ()),
            dose_mg_per_m2=this,
            cumulative_mg_per_m2=_cumulative(booked_before, moment, bsa),
            course_start=dose.course_days > 1,
        )
    return result
