"""Reads each patient's dose history per active ingredient into the engine's `DoseHistory` (fixed query count).

Given here = an appointment whose infusion started; elsewhere = an `OutsideDose`; booked = an appointment of an
active plan not started yet. Cancelled and no-show appointments are not doses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from patients.models import Patient
from scheduling.catalogue import drug_specs
from scheduling.engine.history import (
    BOOKED,
    ELSEWHERE,
    GIVEN,
    BookedCourse,
    Derivation,
    Dose,
    DoseHistory,
    as_history_dose,
    derive,
)
from scheduling.engine.protocol import DrugSpec, mg_per_m2
from scheduling.memo import memoised
from scheduling.models import Appointment, Drug, InfusionReaction, OutsideDose, TreatmentPlan
from scheduling.selectors.center import center_tz
from scheduling.selectors.rows import BookingRow, booking_rows

S = Appointment.Status
# Booked and not started: these follow the history; once the infusion starts the dose is given.
PENDING_STATUSES = (S.SCHEDULED, S.CHECKED_IN, S.PREMEDICATED)


def ingredient_key(drug: Drug) -> str:
    return (drug.ingredient or "").strip().lower() or f"drug-{drug.pk}"


INGREDIENTS = "drug-ingredients"  # the memo of each drug's ingredient (dropped with the catalogue's)


def ingredients_by_drug() -> dict[int, str]:
    """Each drug's ingredient key, from the process's copy while it is current (scheduling/memo.py)."""
    return dict(
        memoised(INGREDIENTS, lambda: {drug.pk: ingredient_key(drug) for drug in Drug.objects.only("pk", "ingredient")})
    )


def drug_ids_sharing(drug_ids: Iterable[int]) -> set[int]:
    """The drugs that share a dose history with any of `drug_ids`."""
    keys = ingredients_by_drug()
    wanted = {keys[pk] for pk in drug_ids if pk in keys}
    return {pk for pk, key in keys.items() if key in wanted}


@dataclass
class PatientDoses:
    """One patient's history of one ingredient: the doses given, and the booked doses with their derivation."""

    patient_id: int
    ingredient: str
    given: DoseHistory
    booked: list[BookedCourse] = field(default_factory=list)
    derivations: list[Derivation] = field(default_factory=list)
    body_surface_area: Decimal | None = None

    def planned(self) -> DoseHistory:
        """The given doses plus every booked dose as the engine says it will be given (what to book next after)."""
        doses = [
            as_history_dose(d.expected, d.course.days[0], key=d.course.key, bsa=self.body_surface_area)
            for d in self.derivations
            if d.expected is not None
        ]
        return DoseHistory(
            self.ingredient,
            (*self.given.doses, *doses),
            self.given.prior_reaction,
            self.given.prior_serious_reaction,
        )

    def derivation_for(self, appointment_id: int) -> Derivation | None:
        for derivation in self.derivations:
            if appointment_id in derivation.course.key:
                return derivation
        return None


def _sum(values: list[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum(values, Decimal("0"))


def doses_for_patients(
    patient_ids: Iterable[int], *, specs: dict[int, DrugSpec] | None = None
) -> dict[tuple[int, str], PatientDoses]:
    """(patient, ingredient) -> PatientDoses for every ingredient the patients have a dose or a booking of."""
    patient_ids = list(set(patient_ids))
    if not patient_ids:
        return {}
    keys = ingredients_by_drug()
    tz = center_tz()
    today = timezone.localdate(timezone.now(), tz)
    bsa = {p.pk: p.body_surface_area for p in Patient.objects.filter(pk__in=patient_ids)}
    rows = booking_rows(
        Appointment.objects.filter(patient_id__in=patient_ids, status__in=Appointment.ACTIVE_STATUSES).order_by(
            "premed_start", "pk"
        )
    )
    outside = list(OutsideDose.objects.filter(patient_id__in=patient_ids).select_related("phase"))
    reactions: dict[tuple[int, str], list[str]] = defaultdict(list)
    for patient_id, drug_id, severity in InfusionReaction.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "drug_id", "severity"
    ):
        reactions[(patient_id, keys.get(drug_id, ""))].append(severity)
    if specs is None:
        specs = drug_specs({r.drug_id for r in rows} | {o.drug_id for o in outside})

    groups: dict[tuple[int, str], dict[object, list[BookingRow]]] = defaultdict(dict)
    day_of: dict[int, datetime.date] = {}
    for row in rows:
        day_of[row.pk] = timezone.localtime(row.premed_start, tz).date()
        groups[(row.patient_id, keys[row.drug_id])].setdefault(row.course_key, []).append(row)
    given: dict[tuple[int, str], list[Dose]] = defaultdict(list)
    for record in outside:
        pair = (record.patient_id, keys[record.drug_id])
        patient_bsa = bsa.get(record.patient_id)
        per_day = record.dose_mg_per_m2
        if per_day is None and patient_bsa:
            per_day = mg_per_m2(record.dose_mg, patient_bsa)
        given[pair].append(
            Dose(
                drug_id=record.drug_id,
                phase_order=record.phase.order,
                first_day=record.given_on,
                last_day=record.given_on + datetime.timedelta(days=record.days - 1),
                source=ELSEWHERE,
                infusions=record.days,
                mg_per_m2=per_day * record.days if per_day is not None else None,
                key=("outside", record.pk),
                phase_id=record.phase_id,
            )
        )
    result: dict[tuple[int, str], PatientDoses] = {}
    pairs = set(groups) | set(given)
    for pair in pairs:
        patient_id, ingredient = pair
        patient_bsa = bsa.get(patient_id)
        booked: list[BookedCourse] = []
        for group in groups.get(pair, {}).values():
            group.sort(key=lambda r: (r.course_day, r.premed_start))
            first = group[0]
            days = [day_of[r.pk] for r in group]
            if any(r.status in Appointment.GIVEN_STATUSES for r in group):
                # a course counts as given from its first infusion; its later days are that same dose
                given[pair].append(
                    Dose(
                        drug_id=first.drug_id,
                        phase_order=first.phase_order,
                        first_day=min(days),
                        last_day=max(days),
                        source=GIVEN,
                        infusions=len(group),
                        mg_per_m2=_sum([r.mg_per_m2(patient_bsa) for r in group]),
                        key=tuple(r.pk for r in group),
                        phase_id=first.phase_id,
                    )
                )
                continue
            if any(r.status not in PENDING_STATUSES for r in group):
                continue
            if max(days) < today and all(r.status == S.SCHEDULED for r in group):
                continue  # its days are over and it was never started: not a dose (a no-show not yet recorded)
            key = tuple(r.pk for r in group)
            booked.append(
                BookedCourse(
                    key=key,
                    drug_id=first.drug_id,
                    phase_id=first.phase_id,
                    days=tuple(days),
                    plan_start=first.plan_start,
                    plan_active=first.plan_status == TreatmentPlan.Status.ACTIVE,
                    plan_status=TreatmentPlan.Status(first.plan_status).label.lower(),
                    course_days=first.plan_course_days,
                    label=f"{first.phase_name}, {first.dose_mg.normalize():f} mg",
                )
            )
        severities = reactions.get(pair, [])
        history = DoseHistory(
            ingredient,
            tuple(given[pair]),
            prior_reaction=bool(severities),
            prior_serious_reaction=any(s in InfusionReaction.SERIOUS for s in severities),
        )
        missing = {c.drug_id for c in booked} - set(specs)
        if missing:
            specs.update(drug_specs(missing))
        doses = PatientDoses(
            patient_id=patient_id,
            ingredient=ingredient,
            given=history,
            booked=booked,
            body_surface_area=patient_bsa,
        )
        doses.derivations = derive(specs, history, booked, body_surface_area=patient_bsa)
        result[pair] = doses
    return result


def doses_for(patient_id: int, drug: Drug, *, specs: dict[int, DrugSpec] | None = None) -> PatientDoses:
    """One patient's history of the drug's ingredient (empty when there is none yet)."""
    ingredient = ingredient_key(drug)
    found = doses_for_patients([patient_id], specs=specs).get((patient_id, ingredient))
    if found is not None:
        return found
    patient = Patient.objects.only("height_cm", "weight_kg").get(pk=patient_id)
    return PatientDoses(patient_id, ingredient, DoseHistory(ingredient), body_surface_area=patient.body_surface_area)


def given_before(
    triples: Iterable[tuple[int, int, datetime.datetime]], *, ingredients: dict[int, str] | None = None
) -> set[tuple[int, int, datetime.datetime]]:
    """Of (patient, drug, moment) triples, those where a dose of the drug's ingredient was given before the
    moment (here or elsewhere): a dose booked and never given does not make the next one 'not the first'.
    Two queries (one without `ingredients`, drug id -> ingredient key, e.g. from the drug specs)."""
    triples = list(triples)
    if not triples:
        return set()
    keys = ingredients if ingredients is not None else ingredients_by_drug()
    patient_ids = {p for p, _d, _m in triples}
    tz = center_tz()

    def key(drug_id: int, ingredient: str) -> str:
        return (ingredient or "").strip().lower() or f"drug-{drug_id}"

    first: dict[tuple[int, str], datetime.datetime] = {}
    for patient_id, drug_id, ingredient, moment in (
        Appointment.objects.filter(patient_id__in=patient_ids, status__in=Appointment.GIVEN_STATUSES)
        .order_by("premed_start")
        .values_list("patient_id", "plan__drug_id", "plan__drug__ingredient", "premed_start")
    ):
        first.setdefault((patient_id, key(drug_id, ingredient)), moment)
    for patient_id, drug_id, ingredient, given_on in OutsideDose.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "drug_id", "drug__ingredient", "given_on"
    ):
        moment = datetime.datetime.combine(given_on, datetime.time(), tzinfo=tz)
        pair = (patient_id, key(drug_id, ingredient))
        if pair not in first or moment < first[pair]:
            first[pair] = moment
    found = set()
    for patient_id, drug_id, moment in triples:
        pair = (patient_id, keys.get(drug_id, ""))
        if pair in first and first[pair] < moment:
            found.add((patient_id, drug_id, moment))
    return found


__all__ = [
    "BOOKED",
    "PENDING_STATUSES",
    "PatientDoses",
    "doses_for",
    "doses_for_patients",
    "drug_ids_sharing",
    "given_before",
    "ingredient_key",
]
