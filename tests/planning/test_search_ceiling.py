"""Slot search through the service plans against the forecast's ceiling, and still works without it."""

import pytest

from scheduling.selectors import planning
from scheduling.services.booking import slots_find
from tests.factories import PatientFactory, TreatmentPlanFactory, seeded_drug
from tests.planning.conftest import START

pytestmark = pytest.mark.django_db


def test_offers_say_how_they_stand_against_the_ceiling(crowded):
    plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Tysabri"), start_date=START)
    slots = slots_find(plan=plan)
    assert slots and all("ceiling of" in s.reason for s in slots)
    assert planning.search_ceiling().in_chairs >= 1


def test_without_a_forecast_slots_are_still_offered(crowded, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("forecast unavailable")

    monkeypatch.setattr(planning, "center_forecast", broken)
    plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Tysabri"), start_date=START)
    slots = slots_find(plan=plan)
    assert slots and not any("ceiling of" in s.reason for s in slots)
