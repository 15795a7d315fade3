"""A plan read into the engine's terms: the patient's active bookings of the drug, prior reactions, body
surface area and dose history, and the next dose they give."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from scheduling.catalogue import drug_specs
from scheduling.engine import history as dose_history
from scheduling.engine.dosing import NextDose
from scheduling.engine.protocol import DrugSpec
from scheduling.models import Appointment, InfusionReaction, TreatmentPlan
from scheduling.selectors.center import center_tz
from scheduling.selectors.history import PatientDoses, doses_for
from scheduling.selectors.rows import BookingRow, booking_rows


@dataclass
class PlanState:
    plan: TreatmentPlan
    drug: DrugSpec
    rows: list[BookingRow]  # the patient's active appointments of this drug, by start
    prior_reaction: bool
    prior_serious_reaction: bool
    body_surface_area: Decimal | None
    doses: PatientDoses | None = None  # the patient's history of the drug's ingredient, across plans

    @property
    def usual_chair_id(self) -> int | None:
        if self.plan.preferred_chair_id:
            return self.plan.preferred_chair_id
        return self.rows[-1].chair_id if self.rows else None

    @property
    def usual_start_minute(self) -> int | None:
        if not self.rows:
            return None
        local = timezone.localtime(self.rows[-1].premed_start, center_tz())
        return local.hour * 60 + local.minute


def plan_state(plan: TreatmentPlan) -> PlanState:
    drug = drug_specs([plan.drug_id])[plan.drug_id]
    rows = booking_rows(
        Appointment.objects.filter(
            patient_id=plan.patient_id,
            plan__in=TreatmentPlan.objects.filter(patient_id=plan.patient_id, drug_id=plan.drug_id),
            status__in=Appointment.ACTIVE_STATUSES,
        ).order_by("premed_start")
    )
    severities = list(
        InfusionReaction.objects.filter(patient_id=plan.patient_id, drug_id=plan.drug_id).values_list(
            "severity", flat=True
        )
    )
    return PlanState(
        plan=plan,
        drug=drug,
        rows=rows,
        prior_reaction=bool(severities),
        prior_serious_reaction=any(s in InfusionReaction.SERIOUS for s in severities),
        body_surface_area=plan.patient.body_surface_area,
        doses=doses_for(plan.patient_id, plan.drug, specs={plan.drug_id: drug}),
    )


def dose_history_of(state: PlanState, *, given_only: bool) -> dose_history.DoseHistory:
    """The ingredient's doses given (here and elsewhere) and, unless `given_only`, booked as they will be given."""
    return state.doses.given if given_only else state.doses.planned()


def next_dose_of(state: PlanState, *, given_only: bool, course_days: int | None = None) -> NextDose | None:
    return dose_history.next_dose(
        state.drug,
        dose_history_of(state, given_only=given_only),
        plan_start=state.plan.start_date,
        body_surface_area=state.body_surface_area,
        course_days=course_days if course_days is not None else state.plan.course_days,
    )


def plan_next_dose(*, plan: TreatmentPlan) -> NextDose | None:
    """The plan's next dose counted from the doses actually given (None when there is nothing more to give)."""
    if plan.status in (TreatmentPlan.Status.COMPLETED, TreatmentPlan.Status.STOPPED):
        return None
    return next_dose_of(plan_state(plan), given_only=True)


def plan_next_dose_to_book(*, plan: TreatmentPlan, course_days: int | None = None) -> NextDose | None:
    """The next dose not yet booked: booked doses count as if given at their booked time."""
    if plan.status in (TreatmentPlan.Status.COMPLETED, TreatmentPlan.Status.STOPPED):
        return None
    return next_dose_of(plan_state(plan), given_only=False, course_days=course_days)


def plan_for_booking(pk: int) -> TreatmentPlan | None:
    """The plan with its patient and drug, as the booking pages show it."""
    return TreatmentPlan.objects.select_related("patient", "drug").filter(pk=pk).first()
