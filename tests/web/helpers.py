"""Builders for web-app tests: staff in each role, an open center, appointments at given local times."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import Group

from infusion_center import roles
from scheduling.models import Appointment, Chair, OpeningHours, RegimenPhase, TreatmentPlan
from tests.factories import ChairFactory, OpeningHoursFactory, PatientFactory, TreatmentPlanFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"


def staff(role: str | None, username: str | None = None, **kwargs):
    user = UserFactory(username=username or (role or "nobody").lower().replace(" ", "_"), **kwargs)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role in roles.STAFF_ROLES:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def open_every_day(opens=datetime.time(7, 0), closes=datetime.time(19, 0), **kw) -> list[OpeningHours]:
    return [OpeningHoursFactory(weekday=day, opens_at=opens, closes_at=closes, **kw) for day in range(7)]


def chairs(count: int) -> list[Chair]:
    return [ChairFactory() for _ in range(count)]


def appointment_at(
    *,
    chair: Chair,
    start: datetime.datetime,
    plan: TreatmentPlan | None = None,
    premed: int = 30,
    infusion: int = 210,
    observation: int = 60,
    status: str = Appointment.Status.SCHEDULED,
    phase_order: int = 3,
    infusion_number: int = 3,
    dose_mg: Decimal = Decimal("600"),
    **fields,
) -> Appointment:
    """An Ocrevus maintenance appointment (by default) drawn straight in the database."""
    plan = plan or TreatmentPlanFactory(patient=PatientFactory())
    phase = RegimenPhase.objects.get(drug=plan.drug, order=phase_order)
    infusion_start = start + datetime.timedelta(minutes=premed)
    infusion_end = infusion_start + datetime.timedelta(minutes=infusion)
    return Appointment.objects.create(
        patient=plan.patient,
        plan=plan,
        phase=phase,
        chair=chair,
        infusion_number=infusion_number,
        dose_mg=dose_mg,
        premed_start=start,
        infusion_start=infusion_start,
        infusion_end=infusion_end,
        observation_end=infusion_end + datetime.timedelta(minutes=observation),
        status=status,
        **fields,
    )


def ocrevus_initial_doses_elsewhere(plan: TreatmentPlan, *, maintenance_due: datetime.date) -> None:
    """Ocrevus infusions 1 and 2 given at another center, so the maintenance dose is due on `maintenance_due`."""
    from scheduling.models import OutsideDose

    first = maintenance_due - datetime.timedelta(days=168)
    for order, day in ((1, first), (2, first + datetime.timedelta(days=14))):
        OutsideDose.objects.create(
            patient=plan.patient,
            drug=plan.drug,
            phase=RegimenPhase.objects.get(drug=plan.drug, order=order),
            given_on=day,
            dose_mg=Decimal("300"),
            source="Referring hospital discharge letter",
        )
