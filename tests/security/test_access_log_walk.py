"""Every page that shows a patient writes an access-log row for that patient.

The whole URLconf is walked as a superuser (who sees everything), every int/uuid parameter filled with the ids
of real records. Whenever a response carries a patient's MRN or surname, that request must have logged that
patient. A page added later that shows patients without logging them fails here without touching this test.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from patients.access import REFRESH_MINUTES
from patients.models import PatientAccess
from scheduling.models import Reminder
from tests.factories import PatientFactory, TreatmentPlanFactory, UserFactory
from tests.security.test_url_walk import _REGEX_GROUP, _ROUTE_PARAM, all_routes, concrete_path

pytestmark = pytest.mark.django_db

# Pages that show patients without an access row, each with its reason.
NOT_LOGGED = {
    "audit:changes": "the change history is itself the audit record, open to managers only",
    "audit:access": "the access log is itself the audit record, open to managers only",
}


@pytest.fixture
def shown(records):
    """Two patients with surnames and MRNs that appear nowhere else: one booked, one waiting to be booked."""
    booked = records["patient"]
    booked.last_name, booked.mrn = "Quillfeather", "MRNQF0001"
    booked.save()
    waiting = PatientFactory(last_name="Ravensworth", mrn="MRNRW0002")
    TreatmentPlanFactory(patient=waiting)  # its first dose is due: on the worklist
    Reminder.objects.create(
        appointment=records["appointment"], kind=Reminder.Kind.CONFIRMATION, due_at=timezone.now(), status="failed"
    )
    return [booked, waiting]


def _query_strings(records) -> dict[str, list[str]]:
    day = timezone.localtime(records["appointment"].premed_start).date().isoformat()
    return {"scheduling:board": ["", f"?day={day}"], "home": ["", f"?day={day}"]}


def _shown_in(body: str, patients) -> list:
    return [p for p in patients if p.mrn in body or p.last_name in body]


def test_every_page_that_shows_a_patient_logs_them(shown, records):
    superuser = UserFactory(username="walk-root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    ids = sorted(
        {obj.pk for obj in records.values() if isinstance(getattr(obj, "pk", None), int)} | {p.pk for p in shown}
    )
    uid = records["appointment"].uid
    extra_queries = _query_strings(records)
    unlogged, pages_with_patients, views_with_patients = [], 0, set()

    for route in all_routes():
        needs_values = any(
            _ROUTE_PARAM.search(str(getattr(p, "_route", ""))) or _REGEX_GROUP.search(getattr(p, "_regex", ""))
            for p in route.segments
        )
        paths = {concrete_path(route, n, uid) for n in ids} if needs_values else {concrete_path(route, 0, uid)}
        for path, query in itertools.product(sorted(paths), extra_queries.get(route.name, [""])):
            try:
                name = resolve(path).view_name
            except Exception:  # noqa: BLE001 - a path the walker cannot fill (a slug): not a page
                continue
            if "logout" in name:
                continue
            before = PatientAccess.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = client.get(path + query)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            on_page = _shown_in(response.content.decode(), shown)
            if not on_page:
                continue
            pages_with_patients += 1
            views_with_patients.add(name)
            if name in NOT_LOGGED:
                continue
            logged = set(PatientAccess.objects.filter(id__gt=before, path=path).values_list("patient_id", flat=True))
            for patient in on_page:
                if patient.pk not in logged:
                    unlogged.append(f"GET {path}{query} ({name}) shows {patient.last_name} without an access row")

    assert unlogged == [], "\n".join(unlogged)
    # The walk must have reached the pages the probe found unlogged, app and admin alike.
    expected = {
        "patients:patient-list",
        "patients:patient-detail",
        "patients:patient-edit",
        "scheduling:board",
        "scheduling:worklist",
        "scheduling:appointment-detail",
        "scheduling:outbox",
        "admin:patients_patient_changelist",
        "admin:patients_patient_change",
        "admin:scheduling_appointment_change",
    }
    assert expected <= views_with_patients, expected - views_with_patients
    assert pages_with_patients > 30


def test_the_search_results_log_each_patient_shown(client, manager):
    patients = [PatientFactory(last_name=f"Searchable{i}") for i in range(3)]
    PatientFactory(last_name="Elsewhere")
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/patients/", {"q": "Searchable"})
    assert response.status_code == 200
    rows = PatientAccess.objects.filter(path="/patients/")
    assert sorted(rows.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)
    assert {r.username for r in rows} == {manager.username}
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "patients_patientaccess"')]
    assert len(inserts) == 1  # batched


def test_an_admin_changelist_logs_each_patient_listed(client):
    patients = [PatientFactory() for _ in range(4)]
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get("/admin/patients/patient/").status_code == 200
    logged = PatientAccess.objects.filter(path="/admin/patients/patient/").values_list("patient_id", flat=True)
    assert sorted(logged) == sorted(p.pk for p in patients)


def test_a_refused_or_redirected_request_logs_nothing(client, records):
    client.force_login(UserFactory(username="no-rights"))
    assert client.get(f"/patients/{records['patient'].pk}/edit/").status_code == 403
    assert not PatientAccess.objects.exists()


def test_the_boards_background_refresh_logs_a_patient_once_per_window(client, records, time_machine):
    nurse = UserFactory(username="refresh-nurse", is_superuser=True)
    client.force_login(nurse)
    day = timezone.localtime(records["appointment"].premed_start).date().isoformat()
    patient = records["patient"]

    time_machine.move_to(timezone.now(), tick=False)
    client.get(f"/board/?day={day}")  # the user opened the board
    for _ in range(3):  # the board refreshes itself
        client.get(f"/board/?day={day}", HTTP_HX_REQUEST="true")
    assert PatientAccess.objects.filter(patient=patient).count() == 1  # the refreshes showed nothing new
    time_machine.shift(datetime.timedelta(minutes=REFRESH_MINUTES + 1))
    client.get(f"/board/?day={day}", HTTP_HX_REQUEST="true")
    assert PatientAccess.objects.filter(patient=patient).count() == 2
    client.get(f"/board/?day={day}")  # the user opening the page again is always logged
    assert PatientAccess.objects.filter(patient=patient).count() == 3
