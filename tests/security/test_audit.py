"""Change history with its actor, the patient access log, and the managers' audit pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.history import change_history, tracked_models
from patients.models import Patient, PatientAccess, Screening
from patients.services import patient_access_record
from scheduling.models import Appointment, Drug, InfusionReaction, ReadinessOverride, TreatmentPlan
from tests.factories import PatientFactory, ScreeningFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]


@pytest.fixture(autouse=True)
def no_earlier_history():
    """The catalogue's seeded baseline versions would fill the first pages; start each test from none."""
    for model in tracked_models():
        model.history.model.objects.all().delete()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_required_models_keep_history():
    tracked = set(tracked_models())
    for model in (Patient, Screening, TreatmentPlan, Appointment, InfusionReaction, ReadinessOverride, Drug):
        assert model in tracked, model


def test_an_edit_through_the_web_records_exactly_one_version_with_its_actor(scheduler):
    patient = PatientFactory(last_name="Smith")
    before = patient.history.count()
    response = signed_in(scheduler).post(f"/_probe/patient/{patient.pk}/rename/", {"last_name": "Jones"})
    assert response.status_code == 200
    assert patient.history.count() == before + 1
    latest = patient.history.first()
    assert latest.history_user == scheduler
    assert latest.history_type == "~"
    assert [c.field for c in latest.diff_against(latest.prev_record).changes if c.field != "updated_at"] == [
        "last_name"
    ]


def test_a_service_save_with_a_user_records_the_actor():
    nurse = UserFactory()
    screening = ScreeningFactory.build(patient=PatientFactory())
    screening._history_user = nurse
    screening.save()
    assert screening.history.count() == 1
    assert screening.history.get().history_user == nurse


def test_a_delete_keeps_a_version(records):
    contact = records["contact"]
    contact_id = contact.pk
    contact.delete()
    assert contact.history.model.objects.filter(id=contact_id, history_type="-").count() == 1


# --- access log --------------------------------------------------------------------------------------------


def test_each_view_of_a_patient_record_writes_one_access_row(scheduler):
    patient = PatientFactory()
    client = signed_in(scheduler)
    response = client.get(f"/_probe/patient/{patient.pk}/", REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 200
    access = PatientAccess.objects.get()
    assert (access.user, access.username, access.patient) == (scheduler, scheduler.username, patient)
    assert access.path == f"/_probe/patient/{patient.pk}/"
    assert access.view_name == "probe-patient"
    assert access.ip_address == "192.0.2.44"
    client.get(f"/_probe/patient/{patient.pk}/?tab=screenings")
    assert PatientAccess.objects.count() == 2
    assert PatientAccess.objects.first().path == f"/_probe/patient/{patient.pk}/", "no query string is kept"


def test_failed_or_anonymous_views_write_no_access_row(scheduler):
    assert signed_in(scheduler).get("/_probe/patient/999999/").status_code == 404
    assert Client().get(f"/_probe/patient/{PatientFactory().pk}/").status_code == 302
    assert PatientAccess.objects.count() == 0


def test_class_based_views_log_through_the_mixin(scheduler):
    patient = PatientFactory()
    client = signed_in(scheduler)
    assert client.get(f"/_probe/patient-cbv/{patient.pk}/").status_code == 200
    assert client.get("/_probe/patient-cbv/999999/").status_code == 404
    assert list(PatientAccess.objects.values_list("patient_id", "user_id")) == [(patient.pk, scheduler.pk)]


def test_access_log_outlives_the_patient_record(rf, scheduler):
    patient = PatientFactory()
    request = rf.get(f"/patients/{patient.pk}/", REMOTE_ADDR="192.0.2.1")
    patient_access_record(user=scheduler, patient=patient, request=request)
    patient_id = patient.pk
    patient.delete()
    access = PatientAccess.objects.get()
    assert access.patient_id == patient_id
    assert PatientAccess.objects.filter(patient_id=patient_id).count() == 1


# --- audit pages -------------------------------------------------------------------------------------------


def test_audit_pages_need_the_audit_permission(scheduler, manager):
    for url in (reverse("audit:changes"), reverse("audit:access")):
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
        assert signed_in(scheduler).get(url).status_code == 403
        assert signed_in(manager).get(url).status_code == 200
    assert manager.has_perm("patients.view_audit")
    assert not scheduler.has_perm("patients.view_audit")


def test_change_history_shows_who_what_and_the_field_diff(manager, scheduler, records):
    patient = records["patient"]
    signed_in(scheduler).post(f"/_probe/patient/{patient.pk}/rename/", {"last_name": "Jones"})
    drug = Drug.objects.get(pk=records["drug"].pk)
    drug._history_user = manager
    drug.notes = "Batch recall checked"
    drug.save()

    page = signed_in(manager).get(reverse("audit:changes")).content.decode()
    assert "<del>Smith</del> → Jones" in page
    assert "Batch recall checked" in page
    assert scheduler.username in page and manager.username in page
    # newest first: the drug change precedes the rename
    assert page.index("Batch recall checked") < page.index("<del>Smith</del>")


def test_change_history_covers_every_tracked_model(records):
    labels = {row["model_label"] for row in change_history()}
    expected = {
        "patients.patient",
        "patients.emergencycontact",
        "patients.screening",
        "scheduling.treatmentplan",
        "scheduling.appointment",
        "scheduling.premedicationgiven",
        "scheduling.infusionreaction",
        "scheduling.readinessoverride",
    }
    assert expected <= labels


def test_change_history_filters_by_patient_and_by_user(manager, scheduler, records):
    patient, other = records["patient"], PatientFactory(last_name="Other")
    signed_in(scheduler).post(f"/_probe/patient/{patient.pk}/rename/", {"last_name": "Jones"})
    signed_in(manager).post(f"/_probe/patient/{other.pk}/rename/", {"last_name": "Renamed"})

    by_patient = list(change_history(patient_id=patient.pk))
    assert by_patient and {row["patient_ref"] for row in by_patient} == {patient.pk}
    labels = {row["model_label"] for row in by_patient}
    assert {"scheduling.premedicationgiven", "scheduling.readinessoverride", "scheduling.appointment"} <= labels

    by_user = list(change_history(user_id=scheduler.pk))
    assert [row["patient_ref"] for row in by_user] == [patient.pk]

    page = signed_in(manager).get(reverse("audit:changes"), {"patient": other.pk}).content.decode()
    assert "<del>Other</del> → Renamed" in page and "<del>Smith</del>" not in page
    page = signed_in(manager).get(reverse("audit:changes"), {"user": scheduler.pk}).content.decode()
    assert "<del>Smith</del> → Jones" in page and "Renamed" not in page


def test_access_log_page_lists_and_filters(manager, scheduler):
    first, second = PatientFactory(last_name="Alpha"), PatientFactory(last_name="Beta")
    signed_in(scheduler).get(f"/_probe/patient/{first.pk}/")
    signed_in(manager).get(f"/_probe/patient/{second.pk}/")
    client = signed_in(manager)
    page = client.get(reverse("audit:access")).content.decode()
    assert first.full_name in page and second.full_name in page
    page = client.get(reverse("audit:access"), {"patient": first.pk}).content.decode()
    assert first.full_name in page and second.full_name not in page
    page = client.get(reverse("audit:access"), {"user": manager.pk}).content.decode()
    assert second.full_name in page and first.full_name not in page


def _make_changes(patients: int) -> None:
    editor = UserFactory()
    for _ in range(patients):
        patient = PatientFactory()
        for name in ("A", "B", "C"):
            patient._history_user = editor
            patient.last_name = name
            patient.save()
        ScreeningFactory(patient=patient)
        PatientAccess.objects.create(patient=patient, user=editor, username=editor.username, path="/")


def _queries(client: Client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["audit:changes", "audit:access"])
def test_audit_pages_use_a_fixed_number_of_queries(manager, name):
    client = signed_in(manager)
    url = reverse(name)
    _make_changes(1)
    client.get(url)  # the process's first page for this user reads their role names (kept a minute)
    few = _queries(client, url)
    _make_changes(20)  # 80+ versions: more than a full page
    many = _queries(client, url)
    assert many == few
    assert _queries(client, url, page=2) == few


def test_audit_pages_paginate(manager):
    _make_changes(15)  # 60 versions, 15 accesses
    client = signed_in(manager)
    first = client.get(reverse("audit:changes"))
    assert len(first.context["entries"]) == 50
    assert first.context["page_obj"].has_next()  # known from one row more than the page, not a count
    assert "page=2" in first.content.decode()
    second = client.get(reverse("audit:changes"), {"page": 2})
    assert not second.context["page_obj"].has_next()
    assert len(second.context["entries"]) == change_history().count() - 50
