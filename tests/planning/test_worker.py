"""The re-optimisation task through a real Celery worker on real Redis and PostgreSQL.

Run with DATABASE_URL (PostgreSQL) and REDIS_URL set; skipped otherwise.
"""

import datetime
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from django.utils import timezone

from infusion_center import roles
from infusion_center.celery import app as celery_app
from scheduling.models import Appointment, ReoptimisationProposal
from scheduling.services.reoptimise import proposal_request
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


def _close_thread_connections(**_):
    connections.close_all()


def test_the_button_s_task_computes_the_proposal_in_a_worker():
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
    celery_app.control.purge()
    task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15):
            proposal = proposal_request(user=staff(roles.SCHEDULER, "sam"))  # queued after its commit
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                proposal.refresh_from_db()
                if proposal.status in (ReoptimisationProposal.Status.READY, ReoptimisationProposal.Status.FAILED):
                    break
                time.sleep(0.2)
    finally:
        task_postrun.disconnect(_close_thread_connections)
    assert proposal.status == ReoptimisationProposal.Status.READY, proposal.error
    assert (proposal.peak_before, proposal.peak_after) == (3, 1)
    assert proposal.moves.count() == 2
    assert all(a.premed_start == local(monday, 9) for a in Appointment.objects.all())  # proposed, not moved
