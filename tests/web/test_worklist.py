"""The worklist: the stored next doses, filtered and paged, kept true by the events that change them."""

from __future__ import annotations

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling import tasks
from scheduling.models import Appointment, PlanNextDose, TreatmentPlan
from scheduling.selectors.worklist import WorklistFilters, worklist_rows
from scheduling.services.next_dose import next_doses_refresh
from tests.clock import local
from tests.factories import (
    ANTI_CD20_FIRST_DOSE_CHECKS,
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    opening_hours,
    seeded_drug,
)
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
S = Appointment.Status
URL = reverse("scheduling:worklist")


def _plan(last_name: str, drug: str = "Ocrevus (IV)", start_in_days: int = 0) -> TreatmentPlan:
    return TreatmentPlanFactory(
        patient=PatientFactory(last_name=last_name),
        drug=seeded_drug(drug),
        start_date=timezone.localdate() + datetime.timedelta(days=start_in_days),
    )


def _listed(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return [row.stored.patient.last_name for row in response.context["rows"]]


@pytest.fixture
def signed_in(client, scheduler):
    opening_hours()
    client.force_login(scheduler)
    return client


def test_every_active_plan_has_its_next_dose_stored_as_the_engine_says(db):
    plan = _plan("Doyle", start_in_days=3)
    row = PlanNextDose.objects.get(plan=plan)
    assert (row.infusion_number, row.target, row.phase.order) == (1, plan.start_date, 1)
    assert row.booking_id is None
    plan.status = TreatmentPlan.Status.STOPPED
    plan.save()
    assert not PlanNextDose.objects.filter(plan=plan).exists()


def test_filters_by_drug_due_within_overdue_and_readiness(signed_in):
    _plan("Overdue", start_in_days=-30)
    _plan("Soon", start_in_days=5)
    _plan("Later", start_in_days=45)
    _plan("Tysabri", drug="Tysabri", start_in_days=2)
    ready = _plan("Screened", start_in_days=6)
    for kind in ANTI_CD20_FIRST_DOSE_CHECKS:
        ScreeningFactory(patient=ready.patient, kind=kind)

    assert _listed(signed_in) == ["Overdue", "Tysabri", "Soon", "Screened"]  # most urgent first
    assert _listed(signed_in, due_within=60) == ["Overdue", "Tysabri", "Soon", "Screened", "Later"]
    assert _listed(signed_in, overdue="on") == ["Overdue"]
    assert _listed(signed_in, drug=seeded_drug("Tysabri").pk) == ["Tysabri"]
    blocked = _listed(signed_in, readiness="blocked")
    assert "Screened" not in blocked and "Soon" in blocked  # no hepatitis B screening before the first dose
    assert "Screened" in _listed(signed_in, readiness=PlanNextDose.objects.get(plan=ready).readiness_status)


def test_a_booking_takes_the_plan_off_until_its_time_has_gone_by(signed_in):
    plan = _plan("Booked", start_in_days=1)
    (chair,) = chairs(1)
    booking = AppointmentFactory(chair=chair, premed_start=local(plan.start_date, 9), plan=plan)  # infusion 1
    assert PlanNextDose.objects.get(plan=plan).booking == booking
    assert _listed(signed_in) == []
    # the patient never came: due again once the chair time has gone by, with no refresh needed
    later = booking.observation_end + datetime.timedelta(hours=1)
    rows = worklist_rows(filters=WorklistFilters(), today=later.date(), now=later)
    assert [row.plan_id for row in rows] == [plan.pk]
    booking.status = S.CANCELLED
    booking.save(update_fields=["status"])
    assert PlanNextDose.objects.get(plan=plan).booking is None
    assert _listed(signed_in) == ["Booked"]


def test_a_dose_given_moves_the_next_dose_on(signed_in):
    plan = _plan("Given", start_in_days=-1)
    (chair,) = chairs(1)
    given = AppointmentFactory(chair=chair, premed_start=local(plan.start_date, 9), plan=plan, status=S.OBSERVING)
    given.status = S.COMPLETED
    given.save(update_fields=["status"])
    row = PlanNextDose.objects.get(plan=plan)
    assert row.infusion_number == 2 and row.target == plan.start_date + datetime.timedelta(days=14)


def test_a_screening_changes_the_stored_readiness(db):
    plan = _plan("Doyle", start_in_days=4)
    assert PlanNextDose.objects.get(plan=plan).readiness_status == "blocked"
    screenings = [ScreeningFactory(patient=plan.patient, kind=kind) for kind in ANTI_CD20_FIRST_DOSE_CHECKS]
    assert PlanNextDose.objects.get(plan=plan).readiness_status != "blocked"
    screenings[0].delete()
    assert PlanNextDose.objects.get(plan=plan).readiness_status == "blocked"


def test_the_nightly_refresh_judges_readiness_on_the_new_day(db):
    plan = _plan("Doyle", start_in_days=4)
    for kind in ANTI_CD20_FIRST_DOSE_CHECKS:
        ScreeningFactory(patient=plan.patient, kind=kind, valid_days=30)
    assert PlanNextDose.objects.get(plan=plan).readiness_status != "blocked"
    with time_machine.travel(timezone.now() + datetime.timedelta(days=40)):  # overdue by then: judged that day
        assert tasks.next_doses_refresh() == 1
        assert PlanNextDose.objects.get(plan=plan).readiness_status == "blocked"  # the screenings expired


def test_the_data_migration_fills_every_active_plan(db):
    plans = [_plan(f"P{n}", start_in_days=n) for n in range(3)]
    PlanNextDose.objects.all().delete()
    migration = importlib.import_module("scheduling.migrations.0061_fill_plan_next_dose")
    migration.fill(django_apps, None)
    assert set(PlanNextDose.objects.values_list("plan_id", flat=True)) == {p.pk for p in plans}


def test_pages_of_fifty_with_a_next_page_link(signed_in):
    for n in range(55):
        _plan(f"Patient{n:02d}", start_in_days=n % 20)
    first = signed_in.get(URL)
    assert len(first.context["rows"]) == 50
    assert "page=2" in first.content.decode()
    second = signed_in.get(URL, {"page": 2})
    assert len(second.context["rows"]) == 5
    shown = {r.stored.plan_id for r in first.context["rows"]} | {r.stored.plan_id for r in second.context["rows"]}
    assert len(shown) == 55
    beyond = signed_in.get(URL, {"page": "999"})  # past the end: an empty page with a link back
    assert beyond.status_code == 200 and "page=998" in beyond.content.decode()


@pytest.mark.parametrize(
    "params", [{"due_within": "1000"}, {"drug": "abc"}, {"readiness": "<script>"}, {"page": "x"}, {"due_within": ""}]
)
def test_bad_filters_are_explained_not_a_server_error(signed_in, params):
    _plan("Doyle", start_in_days=1)
    response = signed_in.get(URL, params)
    assert response.status_code in (200, 400)
    assert "Doyle" in response.content.decode()
    if response.status_code == 400:
        assert "not understood" in response.content.decode()


def test_worklist_query_count_is_the_same_at_ten_times_the_plans(signed_in):
    def add(n):
        for k in range(n):
            plan = _plan(f"Q{k}", drug=["Ocrevus (IV)", "Tysabri", "Briumvi"][k % 3], start_in_days=k % 25 - 5)
            ScreeningFactory(patient=plan.patient, kind="hep_b")

    add(6)
    small = _reads(signed_in, 6)
    add(60)
    large = _reads(signed_in, 50)
    assert len(large) == len(small)
    # and the page reads no plan's dose history: only the stored rows
    assert not any("scheduling_appointment" in sql for sql in large)


def _reads(client, rows: int) -> list[str]:
    """The queries that read a warm page (asked twice: the navigation caches its badges for a minute; the session's
    and the access log's writes aside)."""
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        assert len(client.get(URL).context["rows"]) == rows
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and "django_session" not in q["sql"]
    ]


def test_refresh_rewrites_every_row(db):
    plan = _plan("Doyle", start_in_days=2)
    PlanNextDose.objects.filter(plan=plan).update(target=plan.start_date + datetime.timedelta(days=99))
    assert next_doses_refresh() == 1
    assert PlanNextDose.objects.get(plan=plan).target == plan.start_date
