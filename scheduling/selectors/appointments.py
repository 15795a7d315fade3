"""Reads for the staff pages, each in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Prefetch
from django.utils import timezone

from patients.models import Patient
from scheduling.models import (
    Appointment,
    Chair,
    Closure,
    InfusionReaction,
    NurseStaffing,
    OpeningHours,
    OutsideDose,
    PremedicationGiven,
    ReadinessOverride,
    TreatmentPlan,
)
from scheduling.selectors.center import day_bounds
from scheduling.selectors.rows import BookingRow, booking_rows

# What the chair board reads of each appointment (its block, its tooltip and its readiness); nothing else is
# loaded, since the board shows a few hundred blocks and refreshes every minute. A field read but not listed
# here costs one query per block: tests/web/test_query_counts.py catches that.
BOARD_FIELDS = (
    "patient_id",
    "plan_id",
    "phase_id",
    "chair_id",
    "course_day",
    "dose_mg",
    "short_infusion",
    "premed_start",
    "infusion_start",
    "infusion_end",
    "observation_end",
    "status",
    "checked_in_at",
    "infusion_started_at",
    "infusion_ended_at",
    "discharged_at",
    "patient__first_name",
    "patient__last_name",
    "patient__height_cm",
    "patient__weight_kg",
    "patient__reproductive_potential",
    "plan__drug_id",
    "phase__drug_id",
    "phase__dose_amount",
    "phase__dose_unit",
    "phase__observation_minutes",
    "phase__drug__name",
    "phase__drug__brand_name",
    "phase__drug__reaction_restarts_observation",
    "phase__drug__pharmacy_prepared",
    "attention_reason",
    "attention_accepted_at",
    "chair__name",
    "chair__notes",
)


def appointments_for_board(day: datetime.date) -> list[Appointment]:
    """The day's appointments that are not cancelled, by chair and start, with what the board shows."""
    start, end = day_bounds(day)
    return list(
        Appointment.objects.filter(premed_start__gte=start, premed_start__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient", "plan", "phase", "phase__drug", "chair")
        .only(*BOARD_FIELDS)
        .order_by("chair__position", "premed_start")
    )


def chairs_for_board() -> list[Chair]:
    return list(Chair.objects.filter(is_active=True).order_by("position", "name"))


def closures_between(first: datetime.date, last: datetime.date) -> list[Closure]:
    return list(Closure.objects.filter(starts_on__lte=last, ends_on__gte=first).select_related("chair"))


def opening_hours_by_weekday() -> dict[int, OpeningHours]:
    return {hours.weekday: hours for hours in OpeningHours.objects.all()}


def staffing_overrides_between(first: datetime.date, last: datetime.date) -> dict[datetime.date, NurseStaffing]:
    return {s.date: s for s in NurseStaffing.objects.filter(date__gte=first, date__lte=last)}


def appointment_for_detail(*, pk: int) -> Appointment:
    return (
        Appointment.objects.select_related("patient", "plan", "phase", "phase__drug", "chair", "created_by")
        .prefetch_related(
            "phase__premedications",
            Prefetch(
                "premedications_given",
                queryset=PremedicationGiven.objects.select_related("premedication", "given_by"),
            ),
            Prefetch("reactions", queryset=InfusionReaction.objects.select_related("recorded_by")),
            Prefetch("overrides", queryset=ReadinessOverride.objects.select_related("overridden_by")),
        )
        .get(pk=pk)
    )


def appointment_history(appointment: Appointment) -> list:
    """The audit trail of one appointment, newest first, with who made each change."""
    return list(appointment.history.select_related("history_user").order_by("-history_date")[:50])


def patient_overview(*, patient: Patient) -> dict:
    """Everything the patient page shows beyond the profile: plans, appointments, reactions."""
    from scheduling.selectors.readiness import readiness_for_appointments, readiness_for_plans

    today = timezone.localdate()
    now = timezone.now()
    plans = list(
        TreatmentPlan.objects.filter(patient=patient).select_related("drug", "preferred_chair").order_by("-created_at")
    )
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("phase", "phase__drug", "chair")
        .order_by("-premed_start")
    )
    reactions = list(
        InfusionReaction.objects.filter(patient=patient).select_related("drug", "appointment").order_by("-occurred_at")
    )
    upcoming = [a for a in reversed(appointments) if a.observation_end >= now and a.is_active]
    past = [a for a in appointments if not (a.observation_end >= now and a.is_active)]
    readiness = readiness_for_appointments(upcoming)
    booked_plan_ids = {a.plan_id for a in upcoming if a.status == Appointment.Status.SCHEDULED}
    for plan in plans:
        plan.patient = patient  # already loaded; avoids a query per plan
    next_doses = next_doses_for_plans([p for p in plans if p.status == TreatmentPlan.Status.ACTIVE])
    plan_readiness = readiness_for_plans(
        (plan, next_dose, max(next_dose.target, today)) for plan, next_dose in next_doses if next_dose is not None
    )
    plan_rows = [
        {
            "plan": plan,
            "next": next_dose,
            "readiness": plan_readiness.get(plan.pk),
            "booked": plan.pk in booked_plan_ids,
        }
        for plan, next_dose in next_doses
    ]
    plan_rows += [
        {"plan": plan, "next": None, "readiness": None, "booked": False}
        for plan in plans
        if plan.status != TreatmentPlan.Status.ACTIVE
    ]
    screenings = list(patient.screenings.all())
    latest_by_kind: dict[str, object] = {}
    for screening in screenings:
        latest_by_kind.setdefault(screening.kind_id, screening)
    return {
        "outside_doses": list(
            OutsideDose.objects.filter(patient=patient).select_related("drug", "phase", "recorded_by")
        ),
        "plan_rows": plan_rows,
        "upcoming": [(a, readiness.get(a.pk)) for a in upcoming],
        "past": past,
        "reactions": reactions,
        "screening_rows": [
            {"screening": s, "expired": not s.is_valid_on(today), "latest": latest_by_kind.get(s.kind_id) is s}
            for s in screenings
        ],
        "today": today,
    }


def next_doses_for_plans(plans: list[TreatmentPlan]) -> list[tuple[TreatmentPlan, object]]:
    """Each plan's next dose (as `plan_state.plan_next_dose` computes it) in a fixed number of queries.

    The given-dose history of every plan's patient and drug, the reaction history and the drug specs are read
    in one batch each, then the booking service's own state and engine call compute each plan's next dose.
    """
    from scheduling.catalogue import drug_specs
    from scheduling.engine.history import DoseHistory
    from scheduling.selectors.history import PatientDoses, doses_for_patients, ingredients_by_drug
    from scheduling.selectors.plan_state import PlanState, next_dose_of

    if not plans:
        return []
    specs = drug_specs({plan.drug_id for plan in plans})
    patient_ids = {plan.patient_id for plan in plans}
    rows_by_pair: dict[tuple[int, int], list[BookingRow]] = defaultdict(list)
    for row in booking_rows(
        Appointment.objects.filter(patient_id__in=patient_ids, status__in=Appointment.ACTIVE_STATUSES).order_by(
            "premed_start"
        )
    ):
        rows_by_pair[(row.patient_id, row.drug_id)].append(row)
    severities: dict[tuple[int, int], list[str]] = defaultdict(list)
    for patient_id, drug_id, severity in InfusionReaction.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "drug_id", "severity"
    ):
        severities[(patient_id, drug_id)].append(severity)
    histories = doses_for_patients(patient_ids, specs=dict(specs))
    ingredients = ingredients_by_drug()
    result = []
    for plan in plans:
        if plan.status in (TreatmentPlan.Status.COMPLETED, TreatmentPlan.Status.STOPPED):
            result.append((plan, None))
            continue
        pair = (plan.patient_id, plan.drug_id)
        state = PlanState(
            plan=plan,
            drug=specs[plan.drug_id],
            rows=rows_by_pair.get(pair, []),
            prior_reaction=bool(severities.get(pair)),
            prior_serious_reaction=any(s in InfusionReaction.SERIOUS for s in severities.get(pair, [])),
            body_surface_area=plan.patient.body_surface_area,
        )
        ingredient = ingredients[plan.drug_id]
        state.doses = histories.get((plan.patient_id, ingredient)) or PatientDoses(
            plan.patient_id, ingredient, DoseHistory(ingredient), body_surface_area=plan.patient.body_surface_area
        )
        result.append((plan, next_dose_of(state, given_only=True)))
    return result
