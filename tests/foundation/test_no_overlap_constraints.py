"""The database itself refuses double booking: exclusion constraints on PostgreSQL, a check constraint everywhere."""

import datetime
import uuid

import pytest
from django.db import IntegrityError, transaction

from scheduling.models import Appointment
from tests.clock import local
from tests.factories import ChairFactory, PatientFactory, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

EXCLUSION_VIOLATION = "23P01"
CHECK_VIOLATION = "23514"


DAY = datetime.date(2027, 3, 3)


def _appointment(*, chair, patient=None, start, minutes=270, status=Appointment.Status.SCHEDULED, **times):
    plan = TreatmentPlanFactory() if patient is None else patient.plans.first()
    phase = plan.drug.phases.get(order=1)
    premed_start = start
    infusion_start = times.get("infusion_start", start + datetime.timedelta(minutes=60))
    infusion_end = times.get("infusion_end", infusion_start + datetime.timedelta(minutes=minutes - 120))
    observation_end = times.get("observation_end", infusion_end + datetime.timedelta(minutes=60))
    return Appointment(
        patient=plan.patient,
        plan=plan,
        phase=phase,
        chair=chair,
        infusion_number=1,
        dose_mg=phase.dose_amount,
        premed_start=premed_start,
        infusion_start=infusion_start,
        infusion_end=infusion_end,
        observation_end=observation_end,
        status=status,
        uid=uuid.uuid4(),
    )


def _sqlstate(error: IntegrityError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


@pytest.fixture
def chairs():
    return ChairFactory(), ChairFactory()


@pytest.mark.postgres
def test_two_overlapping_active_appointments_on_one_chair_fail(chairs):
    chair, _ = chairs
    _appointment(chair=chair, start=local(DAY, 8)).save()
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _appointment(chair=chair, start=local(DAY, 10)).save()
    assert _sqlstate(raised.value) == EXCLUSION_VIOLATION
    assert "appt_no_chair_overlap" in str(raised.value)
    assert Appointment.objects.filter(chair=chair).count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("status", [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
def test_a_cancelled_or_missed_appointment_does_not_block_the_chair(chairs, status):
    chair, _ = chairs
    _appointment(chair=chair, start=local(DAY, 8), status=status).save()
    _appointment(chair=chair, start=local(DAY, 8)).save()
    assert Appointment.objects.filter(chair=chair).count() == 2


@pytest.mark.postgres
def test_cancelling_frees_the_time_and_reactivating_it_fails(chairs):
    chair, _ = chairs
    first = _appointment(chair=chair, start=local(DAY, 8))
    first.save()
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.CANCELLED)
    _appointment(chair=chair, start=local(DAY, 9)).save()
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.SCHEDULED)
    assert _sqlstate(raised.value) == EXCLUSION_VIOLATION


@pytest.mark.postgres
def test_back_to_back_appointments_on_one_chair_are_allowed(chairs):
    chair, _ = chairs
    first = _appointment(chair=chair, start=local(DAY, 7))
    first.save()
    _appointment(chair=chair, start=first.observation_end).save()
    assert Appointment.objects.filter(chair=chair).count() == 2


@pytest.mark.postgres
def test_one_patient_in_two_chairs_at_once_fails(chairs):
    chair_a, chair_b = chairs
    patient = PatientFactory()
    TreatmentPlanFactory(patient=patient)
    _appointment(chair=chair_a, patient=patient, start=local(DAY, 8)).save()
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _appointment(chair=chair_b, patient=patient, start=local(DAY, 11)).save()
    assert _sqlstate(raised.value) == EXCLUSION_VIOLATION
    assert "appt_no_patient_overlap" in str(raised.value)
    # Later the same day, after the first visit ends, is fine.
    _appointment(chair=chair_b, patient=patient, start=local(DAY, 13)).save()


@pytest.mark.parametrize(
    "times",
    [
        {"infusion_start": local(DAY, 7)},  # infusion before premedication
        {"infusion_end": local(DAY, 8)},  # infusion ends as it starts
        {"observation_end": local(DAY, 9)},  # observation ends before the infusion does
    ],
    ids=["premed-after-infusion", "empty-infusion", "observation-before-infusion-end"],
)
def test_times_out_of_order_are_refused_by_the_database(chairs, times, on_postgres):
    chair, _ = chairs
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _appointment(chair=chair, start=local(DAY, 8), **times).save()
    assert "appt_times_ordered" in str(raised.value)
    if on_postgres:
        assert _sqlstate(raised.value) == CHECK_VIOLATION
