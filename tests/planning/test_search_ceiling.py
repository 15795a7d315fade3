"""Slot search plans against the ceiling the refresh task stored, never works the forecast out itself, and still
offers slots when none is stored for today (queueing the refresh)."""

import datetime
import pickle

import pytest
import time_machine

from scheduling.models import PlanningSnapshot
from scheduling.selectors import planning
from scheduling.services.booking import slots_find
from scheduling.services.planning_refresh import SNAPSHOTS_KEPT, forecast_refresh
from tests.factories import PatientFactory, TreatmentPlanFactory, seeded_drug
from tests.planning.conftest import NOW, START

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_plan(crowded):
    return TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Tysabri"), start_date=START)


def test_offers_say_how_they_stand_against_the_stored_ceiling(forecast_stored, new_plan, no_forecast_in_requests):
    slots = slots_find(plan=new_plan)
    assert slots and all("ceiling of" in s.reason for s in slots)
    assert planning.search_ceiling() == pickle.loads(bytes(forecast_stored.ceiling))


def test_the_stored_ceiling_is_read_and_unpickled_once_per_snapshot(
    forecast_stored, new_plan, monkeypatch, django_assert_max_num_queries
):
    reads = []
    real = planning._unpickled
    monkeypatch.setattr(planning, "_unpickled", lambda pk, field: reads.append(field) or real(pk, field))
    slots_find(plan=new_plan)
    with django_assert_max_num_queries(1):
        planning.search_ceiling()  # the process's copy: the newest snapshot's id only
    slots_find(plan=new_plan)
    assert reads == ["ceiling"]
    newer = forecast_refresh()
    assert planning.search_ceiling() is not None and reads == ["ceiling", "ceiling"]  # a new one: read once more
    assert PlanningSnapshot.objects.first() == newer


def test_without_a_stored_forecast_slots_are_offered_and_the_refresh_queued_once(
    new_plan, queued, no_forecast_in_requests
):
    slots = slots_find(plan=new_plan)
    assert slots and not any("ceiling of" in s.reason for s in slots)
    assert slots_find(plan=new_plan)  # a second search does not queue another
    assert len(queued) == 1


def test_yesterday_s_forecast_is_not_used(forecast_stored, new_plan, queued, no_forecast_in_requests):
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert planning.search_ceiling() is None
        slots = slots_find(plan=new_plan)
    assert slots and not any("ceiling of" in s.reason for s in slots)
    assert len(queued) == 1


def test_an_unreadable_snapshot_counts_as_none(forecast_stored, new_plan, queued):
    PlanningSnapshot.objects.update(ceiling=b"written by another version")
    slots = slots_find(plan=new_plan)
    assert slots and not any("ceiling of" in s.reason for s in slots)
    assert len(queued) == 1


def test_the_refresh_keeps_the_last_few_and_skips_when_one_is_fresh(crowded):
    stored = [forecast_refresh() for _ in range(SNAPSHOTS_KEPT + 1)]
    assert list(PlanningSnapshot.objects.all()) == stored[:0:-1]  # the oldest is gone
    assert forecast_refresh(unless_newer_than=60) is None  # time is frozen: the newest is 0 s old
    with time_machine.travel(NOW + datetime.timedelta(minutes=2), tick=False):
        assert forecast_refresh(unless_newer_than=60) is not None
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert forecast_refresh(unless_newer_than=600).for_date == START - datetime.timedelta(days=12)
