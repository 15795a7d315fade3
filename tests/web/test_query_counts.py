"""The busy pages run a fixed number of SQL queries whatever the number of rows (10x the rows, same count)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, InfusionReaction
from tests.factories import EmergencyContactFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, seeded_drug
from tests.web.helpers import appointment_at, chairs, local, open_every_day

pytestmark = pytest.mark.django_db
S = Appointment.Status


def _count(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill_board(day, n_chairs, per_chair):
    for chair in chairs(n_chairs):
        for k in range(per_chair):
            start = local(day, 7 + 4 * k)
            appointment = appointment_at(
                chair=chair,
                start=start,
                infusion=120,
                status=[S.SCHEDULED, S.INFUSING, S.COMPLETED][k % 3],
                checked_in_at=start if k % 3 else None,
                infusion_started_at=start + datetime.timedelta(minutes=30) if k % 3 else None,
                infusion_ended_at=start + datetime.timedelta(minutes=150) if k % 3 == 2 else None,
                discharged_at=start + datetime.timedelta(minutes=200) if k % 3 == 2 else None,
            )
            ScreeningFactory(patient=appointment.patient, kind="hep_b")


def test_board_query_count_does_not_grow(client, nurse, django_assert_max_num_queries):
    open_every_day()
    day = timezone.localdate() + datetime.timedelta(days=1)
    client.force_login(nurse)
    url = reverse("scheduling:board") + f"?day={day.isoformat()}"
    _fill_board(day, 1, 1)
    small = _count(client, url)
    _fill_board(day, 10, 3)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count("seg seg-infusion") == 31


def test_patient_list_query_count_does_not_grow(client, scheduler, django_assert_max_num_queries):
    client.force_login(scheduler)
    url = reverse("patients:patient-list")
    PatientFactory.create_batch(2)
    small = _count(client, url)
    PatientFactory.create_batch(20)
    with django_assert_max_num_queries(small):
        client.get(url)


def _fill_patient(patient, plan, chair, n, offset=0):
    today = timezone.localdate()
    for k in range(offset, offset + n):
        EmergencyContactFactory(patient=patient)
        ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=today - datetime.timedelta(days=k))
        past = appointment_at(
            chair=chair, start=local(today - datetime.timedelta(days=200 + k), 9), plan=plan, status=S.COMPLETED
        )
        InfusionReaction.objects.create(
            appointment=past,
            patient=patient,
            drug=plan.drug,
            occurred_at=past.infusion_start,
            severity="mild",
            symptoms="Flushing",
        )
        appointment_at(chair=chair, start=local(today + datetime.timedelta(days=10 + k), 9), plan=plan)


def test_patient_page_query_count_does_not_grow(client, scheduler, django_assert_max_num_queries):
    open_every_day()
    (chair,) = chairs(1)
    patient = PatientFactory()
    plan = TreatmentPlanFactory(patient=patient)
    TreatmentPlanFactory(patient=patient, drug=seeded_drug("Tysabri"))
    client.force_login(scheduler)
    _fill_patient(patient, plan, chair, 1)
    small = _count(client, patient.get_absolute_url())
    _fill_patient(patient, plan, chair, 10, offset=1)
    with django_assert_max_num_queries(small):
        client.get(patient.get_absolute_url())


def test_worklist_query_count_does_not_grow(client, scheduler, django_assert_max_num_queries):
    open_every_day()
    client.force_login(scheduler)
    url = reverse("scheduling:worklist")

    def add(n):
        for k in range(n):
            (chair,) = chairs(1)
            plan = TreatmentPlanFactory(
                patient=PatientFactory(), drug=seeded_drug(["Ocrevus (IV)", "Tysabri", "Briumvi"][k % 3])
            )
            appointment_at(
                chair=chair,
                start=local(timezone.localdate() - datetime.timedelta(days=300 + 2 * k), 8)
                if k % 3 == 0
                else local(timezone.localdate() - datetime.timedelta(days=25 + k), 8 + (k % 5)),
                plan=plan,
                phase_order=1,
                infusion_number=1,
                status=S.COMPLETED,
            )

    add(2)
    small = _count(client, url)
    add(20)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert len(response.context["rows"]) >= 10
