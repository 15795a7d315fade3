"""The demo center's infusion day: insurance authorisations (some ending soon, a few doses not covered), the
pharmacy queue of today and tomorrow in every state, some waste for the report, and nurses on the chairs.

Called by `demo_center` once its appointments exist. Deterministic for a given seed and day.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from authorisations.models import Authorisation
from daylist.models import ChairAssignment
from pharmacy.models import Preparation
from scheduling.models import Appointment, Chair, Drug, TreatmentPlan

# A US center: the biologics need a prior authorisation from the patient's insurer.
NEEDS_AUTHORISATION = ["Ocrevus (IV)", "Ocrevus Zunovo (SC)", "Tysabri", "Tyruko", "Lemtrada", "Briumvi"]
PAYERS = ["Blue Cross Blue Shield PPO", "Aetna Choice POS II", "UnitedHealthcare Choice Plus", "Medicare Part B"]
WASTE_REASONS = ["Patient did not attend", "Bag damaged in transport", "Infusion stopped after a reaction"]
P = Preparation.Status
S = Appointment.Status


def build_infusion_day(*, rng: random.Random, today: datetime.date, users: dict) -> None:
    drug_admin, scheduler, nurse, pharmacist = (
        users["demo-drugadmin"],
        users["demo-scheduler"],
        users["demo-nurse"],
        users["demo-pharmacy"],
    )
    for drug in Drug.objects.filter(name__in=NEEDS_AUTHORISATION, needs_prior_authorisation=False):
        drug.needs_prior_authorisation = True
        drug._history_user = drug_admin
        drug.save()
    _authorisations(rng, today, scheduler)
    _pharmacy(rng, today, pharmacist)
    _nurses_on_chairs(today, nurse, scheduler)


def _authorisations(rng: random.Random, today: datetime.date, scheduler) -> None:
    plans = list(
        TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE, drug__name__in=NEEDS_AUTHORISATION)
        .select_related("drug", "patient")
        .order_by("patient__mrn")
    )
    rows = []
    for index, plan in enumerate(plans):
        kind = index % 9
        if kind == 8:
            continue  # nothing on record yet: its booked doses show amber and are listed for the front desk
        payer = PAYERS[index % len(PAYERS)]
        start = today - datetime.timedelta(days=rng.randint(30, 150))
        end = start + datetime.timedelta(days=364)
        units = Decimal(13 if plan.drug.name in ("Tysabri", "Tyruko") else 4)
        if kind in (2, 5):  # ends within the warning window
            end = today + datetime.timedelta(days=rng.randint(4, 26))
        if kind == 7:  # one dose authorised and already taken: the next booked dose is beyond the units
            units = Decimal(1)
        number = f"PA-{rng.randint(100000, 999999)}"
        rows.append(
            Authorisation(
                plan=plan,
                payer=payer,
                member_id=f"{payer.split()[0][:3].upper()}{rng.randint(1000000, 9999999)}",
                number=number,
                valid_from=start,
                valid_to=end,
                units_authorised=units,
                unit=Authorisation.Unit.DOSES,
                document_reference=f"EHR document {rng.randint(40000, 99999)}",
                notes="Approved on first request." if index % 3 else "Approved after peer-to-peer review.",
                created_by=scheduler,
            )
        )
        if kind == 5:  # this one's renewal is already recorded
            rows.append(
                Authorisation(
                    plan=plan,
                    payer=payer,
                    member_id=rows[-1].member_id,
                    number=f"PA-{rng.randint(100000, 999999)}",
                    valid_from=end + datetime.timedelta(days=1),
                    valid_to=end + datetime.timedelta(days=365),
                    units_authorised=units,
                    document_reference=f"EHR document {rng.randint(40000, 99999)}",
                    notes="Renewal.",
                    created_by=scheduler,
                )
            )
    bulk_create_with_history(rows, Authorisation, default_user=scheduler)


def _pharmacy(rng: random.Random, today: datetime.date, pharmacist) -> None:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=tz)
    now = timezone.now()
    todays = list(
        Appointment.objects.filter(
            premed_start__gte=start,
            premed_start__lt=start + datetime.timedelta(days=2),
            phase__drug__pharmacy_prepared=True,
        )
        .exclude(status=S.CANCELLED)
        .select_related("phase__drug")
        .order_by("premed_start", "pk")
    )
    rows = []
    for appointment in todays:
        drug = appointment.phase.drug
        local_day = timezone.localtime(appointment.premed_start).date()
        released = min(now, max(appointment.premed_start - datetime.timedelta(minutes=50), start))
        base = {"appointment": appointment, "dose_mg": appointment.dose_mg, "released_by": pharmacist}
        if appointment.status in Appointment.GIVEN_STATUSES:
            given = appointment.infusion_started_at or appointment.infusion_start
            rows.append(
                Preparation(
                    **base,
                    status=P.GIVEN,
                    released_at=min(released, given),
                    started_at=min(released, given),
                    ready_at=given - datetime.timedelta(minutes=10),
                    given_at=given,
                )
            )
        elif appointment.status == S.NO_SHOW:
            if not drug.mix_after_check_in:  # prepared ahead, then not needed
                rows.append(
                    Preparation(
                        **base,
                        status=P.WASTED,
                        released_at=released,
                        started_at=released,
                        ready_at=released,
                        wasted_at=now,
                        waste_reason=WASTE_REASONS[0],
                    )
                )
        elif appointment.status in (S.CHECKED_IN, S.PREMEDICATED):
            status = P.READY if appointment.status == S.PREMEDICATED else P.IN_PREPARATION
            rows.append(
                Preparation(
                    **base,
                    status=status,
                    released_at=appointment.checked_in_at or released,
                    started_at=appointment.checked_in_at or released,
                    ready_at=now if status == P.READY else None,
                )
            )
        elif not drug.mix_after_check_in and (local_day == today or rng.random() < 0.5):
            # cheap doses booked later today or tomorrow: some prepared ahead already
            state = rng.choice([P.READY, P.RELEASED]) if local_day == today else P.RELEASED
            rows.append(
                Preparation(
                    **base,
                    status=state,
                    released_at=min(now, start + datetime.timedelta(hours=7)),
                    started_at=min(now, start + datetime.timedelta(hours=7)) if state == P.READY else None,
                    ready_at=now if state == P.READY else None,
                )
            )
    # Earlier waste for the monthly report: doses made and not given, then made again.
    past = list(
        Appointment.objects.filter(
            status=S.COMPLETED,
            premed_start__lt=start,
            premed_start__gte=start - datetime.timedelta(days=45),
            phase__drug__pharmacy_prepared=True,
        ).order_by("premed_start", "pk")
    )
    for index, appointment in enumerate(past[:: max(1, len(past) // 6)][:6]):
        made = appointment.premed_start - datetime.timedelta(minutes=90)
        rows.append(
            Preparation(
                appointment=appointment,
                dose_mg=appointment.dose_mg,
                released_by=pharmacist,
                status=P.WASTED,
                released_at=made,
                started_at=made,
                ready_at=made + datetime.timedelta(minutes=20),
                wasted_at=made + datetime.timedelta(minutes=40),
                waste_reason=WASTE_REASONS[1 + index % 2],
            )
        )
        given = appointment.infusion_started_at or appointment.infusion_start
        rows.append(
            Preparation(
                appointment=appointment,
                dose_mg=appointment.dose_mg,
                released_by=pharmacist,
                status=P.GIVEN,
                released_at=made + datetime.timedelta(minutes=45),
                ready_at=given - datetime.timedelta(minutes=5),
                given_at=given,
            )
        )
    bulk_create_with_history(rows, Preparation, default_user=pharmacist)


def _nurses_on_chairs(today: datetime.date, nurse, scheduler) -> None:
    """The demo nurse looks after the first six chairs today (the day list prints per nurse)."""
    for chair in Chair.objects.filter(is_active=True).order_by("position", "name")[:6]:
        assignment = ChairAssignment.objects.filter(date=today, chair=chair).first() or ChairAssignment(
            date=today, chair=chair
        )
        assignment.nurse = nurse
        assignment._history_user = scheduler
        assignment.save()
