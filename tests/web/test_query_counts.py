"""The busy pages run a fixed number of SQL queries whatever the number of rows (10x the rows, same count)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling import memo
from scheduling.models import Appointment, InfusionReaction, Reminder, TreatmentPlan
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    EmergencyContactFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    opening_hours,
    seeded_drug,
)
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
S = Appointment.Status


def _count(client, url, **kwargs) -> int:
    memo._copies.clear()  # each count starts without the per-process copies (they expire after seconds)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill_board(day, n_chairs, per_chair):
    for chair in chairs(n_chairs):
        for k in range(per_chair):
            start = local(day, 7 + 4 * k)
            appointment = AppointmentFactory(
                ocrevus_maintenance=True,
                chair=chair,
                premed_start=start,
                infusion_minutes=120,
                status=[S.SCHEDULED, S.INFUSING, S.COMPLETED][k % 3],
                checked_in_at=start if k % 3 else None,
                infusion_started_at=start + datetime.timedelta(minutes=30) if k % 3 else None,
                infusion_ended_at=start + datetime.timedelta(minutes=150) if k % 3 == 2 else None,
                discharged_at=start + datetime.timedelta(minutes=200) if k % 3 == 2 else None,
            )
            ScreeningFactory(patient=appointment.patient, kind="hep_b")


def test_board_query_count_does_not_grow(client, nurse, django_assert_max_num_queries):
    opening_hours()
    day = timezone.localdate() + datetime.timedelta(days=1)
    client.force_login(nurse)
    url = reverse("scheduling:board") + f"?day={day.isoformat()}"
    _fill_board(day, 1, 1)
    small = _count(client, url)
    _fill_board(day, 10, 3)
    memo._copies.clear()  # as the small count started: a copy can expire while the board fills on a slow machine
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count("seg seg-infusion") == 31


def test_patient_list_query_count_does_not_grow(client, scheduler, django_assert_max_num_queries):
    client.force_login(scheduler)
    url = reverse("patients:patient-list")
    PatientFactory.create_batch(2)
    small = _count(client, url)
    PatientFactory.create_batch(20)
    memo._copies.clear()
    with django_assert_max_num_queries(small):
        client.get(url)


DRUGS = [
    "Ocrevus (IV)",
    "Tysabri",
    "Briumvi",
    "Lemtrada",
    "Tyruko",
    "Ocrevus Zunovo (SC)",
    "Mitoxantrone",
    "IV methylprednisolone (relapse)",
]


def _fill_patient(patient, chair, n, offset=0):
    """n plans (active while a drug is free, then completed), each with a past dose, a reaction, a booked dose
    with its reminders, a screening and an emergency contact."""
    today = timezone.localdate()
    active = set(patient.plans.filter(status=TreatmentPlan.Status.ACTIVE).values_list("drug__name", flat=True))
    for k in range(offset, offset + n):
        name = DRUGS[k % len(DRUGS)]
        status = TreatmentPlan.Status.COMPLETED if name in active else TreatmentPlan.Status.ACTIVE
        active.add(name)
        plan = TreatmentPlanFactory(patient=patient, drug=seeded_drug(name), status=status)
        EmergencyContactFactory(patient=patient)
        ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=today - datetime.timedelta(days=k))
        past = AppointmentFactory(
            ocrevus_maintenance=True,
            chair=chair,
            premed_start=local(today - datetime.timedelta(days=200 + k), 9),
            plan=plan,
            phase_order=1,
            infusion_number=1,
            status=S.COMPLETED,
        )
        InfusionReaction.objects.create(
            appointment=past,
            patient=patient,
            drug=plan.drug,
            occurred_at=past.infusion_start,
            severity="mild",
            symptoms="Flushing",
        )
        if status == TreatmentPlan.Status.ACTIVE:
            booked = AppointmentFactory(
                ocrevus_maintenance=True,
                chair=chair,
                premed_start=local(today + datetime.timedelta(days=10 + k), 9),
                plan=plan,
                phase_order=2 if name == "Ocrevus (IV)" else 1,
                infusion_number=2,
            )
            for kind in (Reminder.Kind.CONFIRMATION, Reminder.Kind.PREPARATION, Reminder.Kind.HYDRATION):
                Reminder.objects.create(appointment=booked, kind=kind, due_at=booked.premed_start)


def test_patient_page_query_count_does_not_grow(client, scheduler, django_assert_max_num_queries):
    """10x the plans (active ones on every drug included), appointments, screenings, reactions and reminders."""
    opening_hours()
    (chair,) = chairs(1)
    patient = PatientFactory()
    client.force_login(scheduler)
    _fill_patient(patient, chair, 2)
    small = _count(client, patient.get_absolute_url())
    _fill_patient(patient, chair, 18, offset=2)
    assert patient.plans.filter(status=TreatmentPlan.Status.ACTIVE).count() == len(DRUGS)
    assert Reminder.objects.filter(appointment__patient=patient).count() == 3 * len(DRUGS)
    memo._copies.clear()
    with django_assert_max_num_queries(small):
        response = client.get(patient.get_absolute_url())
    rows = response.context["plan_rows"]
    assert len(rows) == 20
    assert all((row["readiness"] is not None) == (row["next"] is not None) for row in rows)
    assert sum(1 for row in rows if row["readiness"] is not None) >= len(DRUGS) - 1


def test_worklist_query_count_does_not_grow(client, scheduler, django_assert_max_num_queries):
    opening_hours()
    client.force_login(scheduler)
    url = reverse("scheduling:worklist")

    def add(n):
        for k in range(n):
            (chair,) = chairs(1)
            plan = TreatmentPlanFactory(
                patient=PatientFactory(), drug=seeded_drug(["Ocrevus (IV)", "Tysabri", "Briumvi"][k % 3])
            )
            AppointmentFactory(
                ocrevus_maintenance=True,
                chair=chair,
                premed_start=local(timezone.localdate() - datetime.timedelta(days=300 + 2 * k), 8)
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
    memo._copies.clear()
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert len(response.context["rows"]) >= 10
