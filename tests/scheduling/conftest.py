import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.clock import local
from tests.factories import (
    WEEKDAYS,
    AppointmentFactory,
    ChairFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    UserFactory,
    opening_hours,
    seeded_drug,
)

NOW = local(datetime.date(2026, 12, 1), 12)  # a Tuesday, in the center's zone
MON = datetime.date(2026, 12, 7)


def give_mitoxantrone_doses(plan, chair, count):
    """`count` completed 12 mg/m2 doses every 91 days from 1 Jan 2024 (21.6 mg at a BSA of 1.8 m2)."""
    for i in range(count):
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=91 * i)
        AppointmentFactory(
            plan=plan,
            chair=chair,
            infusion_number=i + 1,
            dose_mg=Decimal("21.6"),
            premed_start=local(day, 9),
            premed_minutes=0,
            infusion_minutes=30,
            observation_minutes=30,
            status="completed",
        )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def clinic(db):
    opening_hours(WEEKDAYS, nurses_on_duty=3, setup_minutes=15, patients_per_nurse=4)
    return [ChairFactory(name=f"Chair {i}", position=i) for i in (1, 2, 3)]


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def make_plan(db):
    def make(drug="Ocrevus (IV)", start=MON, **kw):
        """A plan; a mitoxantrone patient has a current echo unless `echo=False` (booking is gated on it)."""
        echo = kw.pop("echo", True)
        plan = TreatmentPlanFactory(
            drug=seeded_drug(drug), start_date=start, patient=kw.pop("patient", None) or PatientFactory(), **kw
        )
        if drug == "Mitoxantrone" and echo:
            ScreeningFactory(patient=plan.patient, kind="lvef", value=60, valid_days=90)
        return plan

    return make
