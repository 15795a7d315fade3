import datetime
from decimal import Decimal

import pytest

from scheduling.models import Appointment, RegimenPhase
from tests.clock import local
from tests.scheduling.conftest import clinic, frozen, make_plan, user  # noqa: F401 (fixtures used here)

__all__ = ["given", "booked_row"]


def _times(start, premed, infusion, observation):
    infusion_start = start + datetime.timedelta(minutes=premed)
    infusion_end = infusion_start + datetime.timedelta(minutes=infusion)
    return infusion_start, infusion_end, infusion_end + datetime.timedelta(minutes=observation)


def given(plan, chair, day, *, order, number, dose_mg=None, course_day=1, course_id=None, hour=9):
    """A dose completed here in the past (drawn in the database: the history it leaves is what matters)."""
    phase = RegimenPhase.objects.get(drug=plan.drug, order=order)
    start = local(day, hour)
    infusion_start, infusion_end, observation_end = _times(start, 30, phase.infusion_minutes, phase.observation_minutes)
    return Appointment.objects.create(
        patient=plan.patient,
        plan=plan,
        phase=phase,
        chair=chair,
        infusion_number=number,
        course_day=course_day,
        course_id=course_id,
        dose_mg=dose_mg if dose_mg is not None else phase.dose_amount,
        premed_start=start,
        infusion_start=infusion_start,
        infusion_end=infusion_end,
        observation_end=observation_end,
        status=Appointment.Status.COMPLETED,
    )


def booked_row(plan, chair, start, *, order, number, dose_mg=Decimal("300"), premed=60, infusion=150, obs=60):
    phase = RegimenPhase.objects.get(drug=plan.drug, order=order)
    infusion_start, infusion_end, observation_end = _times(start, premed, infusion, obs)
    return Appointment.objects.create(
        patient=plan.patient,
        plan=plan,
        phase=phase,
        chair=chair,
        infusion_number=number,
        dose_mg=dose_mg,
        premed_start=start,
        infusion_start=infusion_start,
        infusion_end=infusion_end,
        observation_end=observation_end,
    )


@pytest.fixture
def tysabri_11_given(make_plan, clinic):  # noqa: F811 (the fixtures imported above)
    """A Tysabri patient with infusions 1-11 given here every 28 days, the last on Tue 10 Nov 2026."""
    plan = make_plan("Tysabri", start=datetime.date(2026, 1, 6))
    last = datetime.date(2026, 11, 10)
    for n in range(11):
        given(plan, clinic[2], last - datetime.timedelta(days=28 * (10 - n)), order=1, number=n + 1)
    return plan
