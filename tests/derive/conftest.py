import datetime
from decimal import Decimal

import pytest

from scheduling.models import Appointment, RegimenPhase
from tests.clock import local
from tests.factories import AppointmentFactory
from tests.scheduling.conftest import clinic, frozen, make_plan, user  # noqa: F401 (fixtures used here)

__all__ = ["given", "booked_row"]


def given(plan, chair, day, *, order, number, dose_mg=None, course_day=1, course_id=None, hour=9):
    """A dose completed here in the past (drawn in the database: the history it leaves is what matters)."""
    phase = RegimenPhase.objects.get(drug=plan.drug, order=order)
    return AppointmentFactory(
        plan=plan,
        phase=phase,
        chair=chair,
        infusion_number=number,
        course_day=course_day,
        course_id=course_id,
        dose_mg=dose_mg if dose_mg is not None else phase.dose_amount,
        premed_start=local(day, hour),
        premed_minutes=30,
        infusion_minutes=phase.infusion_minutes,
        observation_minutes=phase.observation_minutes,
        status=Appointment.Status.COMPLETED,
    )


def booked_row(plan, chair, start, *, order, number, dose_mg=Decimal("300"), premed=60, infusion=150, obs=60):
    """A booking drawn in the database with the given chair time (the engine's answer is what the test checks)."""
    return AppointmentFactory(
        plan=plan,
        phase_order=order,
        chair=chair,
        infusion_number=number,
        dose_mg=dose_mg,
        premed_start=start,
        premed_minutes=premed,
        infusion_minutes=infusion,
        observation_minutes=obs,
    )


@pytest.fixture
def tysabri_11_given(make_plan, clinic):  # noqa: F811 (the fixtures imported above)
    """A Tysabri patient with infusions 1-11 given here every 28 days, the last on Tue 10 Nov 2026."""
    plan = make_plan("Tysabri", start=datetime.date(2026, 1, 6))
    last = datetime.date(2026, 11, 10)
    for n in range(11):
        given(plan, clinic[2], last - datetime.timedelta(days=28 * (10 - n)), order=1, number=n + 1)
    return plan
