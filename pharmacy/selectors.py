"""Reads for the pharmacy: the preparation queue of today and tomorrow, and the waste report."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from pharmacy.models import Preparation
from pharmacy.rules import expected_infusion_start, release_refusal
from pharmacy.services import MIX_OVERRIDE_PREFIX
from scheduling.catalogue import drug_specs
from scheduling.engine.protocol import UNIT_MG_PER_M2, dose_mg
from scheduling.models import Appointment, Drug, ReadinessOverride

P = Preparation.Status


@dataclass
class QueueRow:
    appointment: Appointment
    expected_start: datetime.datetime
    dose_mg: Decimal | None  # today's dose from the catalogue and the body surface area
    dose_detail: str  # "12 mg/m² × 1.85 m²" for a dose by body surface area
    dose_changed: bool  # the booked dose differs from today's (height or weight changed since booking)
    readiness: object | None
    preparation: Preparation | None
    release_refusal: str

    @property
    def status(self) -> str:
        return self.preparation.status if self.preparation else P.TO_PREPARE

    @property
    def status_label(self) -> str:
        return self.preparation.get_status_display() if self.preparation else P.TO_PREPARE.label

    @property
    def visit_closed(self) -> bool:
        """The visit was cancelled or missed while a dose is made: it must be recorded as wasted."""
        return not self.appointment.is_active or self.appointment.status == Appointment.Status.NO_SHOW


def latest_preparations(appointment_ids) -> dict[int, Preparation]:
    latest: dict[int, Preparation] = {}
    for preparation in Preparation.objects.filter(appointment_id__in=list(appointment_ids)).order_by("id"):
        latest[preparation.appointment_id] = preparation
    return latest


def pharmacy_status_labels(appointment_ids) -> dict[int, tuple[str, str]]:
    """(status, label) of each appointment's dose that has a preparation; others are to prepare."""
    return {pk: (p.status, p.get_status_display()) for pk, p in latest_preparations(appointment_ids).items()}


def _dose(appointment: Appointment, specs) -> tuple[Decimal | None, str]:
    spec = specs[appointment.phase.drug_id]
    phase = next(p for p in spec.phases if p.id == appointment.phase_id)
    bsa = appointment.patient.body_surface_area
    detail = ""
    if phase.dose_unit == UNIT_MG_PER_M2:
        detail = f"{phase.dose_amount.normalize():f} mg/m² × {bsa if bsa else '?'} m²"
    return dose_mg(phase, bsa), detail


def preparation_queue(*, today: datetime.date | None = None, days: int = 2) -> list[QueueRow]:
    """Today's and tomorrow's doses of drugs that go through the pharmacy, by expected infusion start.

    Cancelled and missed visits stay listed while their dose is made and not yet recorded as wasted.
    """
    from scheduling.selectors.readiness import readiness_for_loaded_appointments

    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=tz)
    end = start + datetime.timedelta(days=days)
    open_preparation = Q(preparations__status__in=Preparation.OPEN_STATUSES)
    appointments = list(
        Appointment.objects.filter(premed_start__gte=start, premed_start__lt=end, phase__drug__pharmacy_prepared=True)
        .filter(Q(status__in=Appointment.ACTIVE_STATUSES) | open_preparation)
        .select_related("patient", "plan", "phase", "phase__drug", "chair")
        .distinct()
    )
    if not appointments:
        return []
    specs = drug_specs({a.phase.drug_id for a in appointments})
    readiness = readiness_for_loaded_appointments([a for a in appointments if a.is_active])
    latest = latest_preparations(a.pk for a in appointments)
    overridden = set(
        ReadinessOverride.objects.filter(
            appointment__in=appointments, reason__startswith=MIX_OVERRIDE_PREFIX, overridden_at__gte=start
        ).values_list("appointment_id", flat=True)
    )
    rows = []
    for appointment in appointments:
        amount, detail = _dose(appointment, specs)
        preparation = latest.get(appointment.pk)
        item_readiness = readiness.get(appointment.pk)
        refusal = ""
        if preparation is None or preparation.status == P.WASTED:
            blocks = item_readiness.blocks_start if item_readiness is not None else ()
            if blocks and appointment.pk in overridden:
                blocks = ()
            refusal = release_refusal(
                drug_name=appointment.phase.drug.name,
                mix_after_check_in=appointment.phase.drug.mix_after_check_in,
                appointment_status=appointment.status,
                visit_day=appointment.local_date,
                today=today,
                blocking_problems=blocks,
                dose_known=amount is not None,
            )
        rows.append(
            QueueRow(
                appointment=appointment,
                expected_start=expected_infusion_start(
                    premed_start=appointment.premed_start,
                    infusion_start=appointment.infusion_start,
                    checked_in_at=appointment.checked_in_at,
                    infusion_started_at=appointment.infusion_started_at,
                ),
                dose_mg=amount,
                dose_detail=detail,
                dose_changed=amount is not None and amount != appointment.dose_mg,
                readiness=item_readiness,
                preparation=preparation,
                release_refusal=refusal,
            )
        )
    rows.sort(key=lambda r: (r.expected_start, r.appointment.pk))
    return rows


@dataclass
class WasteLine:
    drug: Drug
    doses: int = 0
    mg: Decimal = Decimal("0")
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reason_counts(self) -> list[tuple[str, int]]:
        return sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))


def waste_report(*, month: datetime.date) -> list[WasteLine]:
    """Doses and mg wasted per drug in the (local) calendar month of `month`, with the reasons given."""
    tz = timezone.get_current_timezone()
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(following, datetime.time(), tzinfo=tz)
    lines: dict[int, WasteLine] = {}
    rows = (
        Preparation.objects.filter(status=P.WASTED, wasted_at__gte=start, wasted_at__lt=end)
        .select_related("appointment__phase__drug")
        .order_by("wasted_at")
    )
    reasons: dict[int, dict[str, int]] = defaultdict(dict)
    for preparation in rows:
        drug = preparation.appointment.phase.drug
        line = lines.setdefault(drug.pk, WasteLine(drug))
        line.doses += 1
        line.mg += preparation.dose_mg
        reason = preparation.waste_reason.strip()
        reasons[drug.pk][reason] = reasons[drug.pk].get(reason, 0) + 1
    for pk, line in lines.items():
        line.reasons = reasons[pk]
    return sorted(lines.values(), key=lambda line: line.drug.name)
