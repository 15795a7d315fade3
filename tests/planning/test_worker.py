"""The planning tasks (re-optimisation, the forecast refresh) through a real Celery worker on real Redis and
PostgreSQL.

Run with DATABASE_URL (PostgreSQL) and REDIS_URL set; skipped otherwise.
"""

import datetime
import os
import time

import pytest
from django.utils import timezone

from infusion_center import roles
from scheduling.models import Appointment, PlanningSnapshot, ReoptimisationProposal
from scheduling.selectors import planning
from scheduling.services.booking import slots_find
from scheduling.services.reoptimise import proposal_request
from tests.celery_worker import worker
from tests.clock import local
from tests.factories import (
    WEEKDAYS,
    AppointmentFactory,
    ChairFactory,
    PatientFactory,
    TreatmentPlanFactory,
    opening_hours,
    seeded_drug,
    staff,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)"),
]


def crowded_monday() -> datetime.date:
    """Three first Tysabri doses on one Monday at 09:00, three weeks ahead."""
    opening_hours(WEEKDAYS)
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=21 - today.weekday())
    for n in range(3):
        plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Tysabri"), start_date=monday)
        AppointmentFactory(
            ocrevus_maintenance=True,
            chair=ChairFactory(name=f"Chair {n + 1}", position=n),
            premed_start=local(monday, 9),
            plan=plan,
            premed_minutes=0,
            infusion_minutes=60,
            observation_minutes=60,
            phase_order=1,
            infusion_number=1,
        )
    return monday


def test_the_button_s_task_computes_the_proposal_in_a_worker():
    monday = crowded_monday()
    with worker():
        proposal = proposal_request(user=staff(roles.SCHEDULER, "sam"))  # queued after its commit
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            proposal.refresh_from_db()
            if proposal.status in (ReoptimisationProposal.Status.READY, ReoptimisationProposal.Status.FAILED):
                break
            time.sleep(0.2)
    assert proposal.status == ReoptimisationProposal.Status.READY, proposal.error
    assert (proposal.peak_before, proposal.peak_after) == (3, 1)
    assert proposal.moves.count() == 2
    assert all(a.premed_start == local(monday, 9) for a in Appointment.objects.all())  # proposed, not moved


def test_a_search_without_a_forecast_queues_the_refresh_and_the_worker_stores_it():
    monday = crowded_monday()
    plan = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Tysabri"), start_date=monday)
    with worker():
        first = slots_find(plan=plan)  # none stored: ranked without the ceiling, the refresh queued
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not PlanningSnapshot.objects.exists():
            time.sleep(0.2)
    assert first and not any("ceiling of" in s.reason for s in first)
    snapshot = PlanningSnapshot.objects.get()
    assert snapshot.for_date == planning.today()
    assert planning.search_ceiling().in_chairs >= 1
    assert all("ceiling of" in s.reason for s in slots_find(plan=plan))
