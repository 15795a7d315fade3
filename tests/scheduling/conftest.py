import datetime
import zoneinfo

import pytest
import time_machine

from tests.factories import ChairFactory, PatientFactory, TreatmentPlanFactory, UserFactory, seeded_drug, weekday_hours

NY = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=NY)  # a Tuesday
MON = datetime.date(2026, 12, 7)


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def clinic(db):
    weekday_hours(nurses_on_duty=3, setup_minutes=15, patients_per_nurse=4)
    return [ChairFactory(name=f"Chair {i}", position=i) for i in (1, 2, 3)]


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def make_plan(db):
    def make(drug="Ocrevus (IV)", start=MON, **kw):
        return TreatmentPlanFactory(
            drug=seeded_drug(drug), start_date=start, patient=kw.pop("patient", None) or PatientFactory(), **kw
        )

    return make
