"""PostgreSQL: concurrent bookings race for one chair, or for one patient; exactly one wins."""

import datetime
import importlib
import threading

import pytest
import time_machine
from django.db import connection, connections

from scheduling.models import Appointment
from scheduling.services.booking import BookingError, appointment_book
from tests.clock import local
from tests.factories import (
    WEEKDAYS,
    ChairFactory,
    PatientFactory,
    TreatmentPlanFactory,
    UserFactory,
    opening_hours,
    seeded_drug,
)
from tests.scheduling.conftest import MON, NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


@pytest.fixture(autouse=True)
def catalogue():
    """A transactional test flushes the tables afterwards, seeded catalogue included: seed it again."""
    from django.apps import apps

    importlib.import_module("scheduling.migrations.0003_seed_drug_catalogue").seed(apps, None)


def race(jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            result = job()
            outcome = ("ok", result.pk)
        except BookingError as exc:
            outcome = ("refused", exc.message)
        except Exception as exc:  # anything else is a failure of the test
            outcome = ("error", repr(exc))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return outcomes


def overlapping_pairs(column):
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
                ON a.{column} = b.{column} AND a.id < b.id
                AND tstzrange(a.premed_start, a.observation_end) && tstzrange(b.premed_start, b.observation_end)
                WHERE a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show')"""
        )
        return cursor.fetchone()[0]


def test_twenty_bookings_for_one_chair_and_time_give_one_appointment():
    opening_hours(WEEKDAYS, nurses_on_duty=30, patients_per_nurse=4)
    chair = ChairFactory(name="Chair 1")
    user = UserFactory()
    tysabri = seeded_drug("Tysabri")
    plans = [TreatmentPlanFactory(drug=tysabri, start_date=MON, patient=PatientFactory()) for _ in range(THREADS)]
    jobs = [
        lambda plan=plan: appointment_book(plan=plan, chair_id=chair.pk, premed_start=local(MON, 9), user=user)
        for plan in plans
    ]
    outcomes = race(jobs)
    assert [o[0] for o in outcomes].count("ok") == 1, outcomes
    refused = [o[1] for o in outcomes if o[0] == "refused"]
    assert len(refused) == THREADS - 1
    assert all("Chair 1 is already booked" in m or "already booked at that time" in m for m in refused), refused
    assert Appointment.objects.count() == 1 and overlapping_pairs("chair_id") == 0


def test_two_chairs_racing_for_one_patient_give_one_appointment():
    opening_hours(WEEKDAYS, nurses_on_duty=30, patients_per_nurse=4)
    chairs = [ChairFactory(name=f"Chair {i}") for i in (1, 2)]
    user = UserFactory()
    patient = PatientFactory()
    plans = [
        TreatmentPlanFactory(drug=seeded_drug("Tysabri"), start_date=MON, patient=patient),
        TreatmentPlanFactory(drug=seeded_drug("Ocrevus (IV)"), start_date=MON, patient=patient),
    ]
    jobs = [
        lambda: appointment_book(plan=plans[0], chair_id=chairs[0].pk, premed_start=local(MON, 9), user=user),
        lambda: appointment_book(plan=plans[1], chair_id=chairs[1].pk, premed_start=local(MON, 9, 30), user=user),
    ]
    outcomes = race(jobs)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
    refused = next(o[1] for o in outcomes if o[0] == "refused")
    assert "The patient already has an appointment" in refused or "patient is already booked" in refused
    assert Appointment.objects.count() == 1 and overlapping_pairs("patient_id") == 0


def test_the_exclusion_constraint_becomes_a_clear_refusal(monkeypatch):
    """Even if the engine's re-check were bypassed, the database refuses and the service says 'already booked'."""
    opening_hours(WEEKDAYS)
    chair = ChairFactory(name="Chair 1")
    user = UserFactory()
    tysabri = seeded_drug("Tysabri")
    with time_machine.travel(NOW, tick=False):
        appointment_book(
            plan=TreatmentPlanFactory(drug=tysabri, start_date=MON),
            chair_id=chair.pk,
            premed_start=local(MON, 9),
            user=user,
        )
        monkeypatch.setattr("scheduling.services.booking._check_times", lambda center, candidates: None)
        with pytest.raises(BookingError, match="That chair is already booked at that time"):
            appointment_book(
                plan=TreatmentPlanFactory(drug=tysabri, start_date=MON),
                chair_id=chair.pk,
                premed_start=local(MON, 9, 30),
                user=user,
            )
    assert Appointment.objects.count() == 1
    assert datetime.date(2026, 12, 7) == MON
