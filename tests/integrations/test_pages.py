"""The manager's import page, the EHR messages page and the FHIR clients page: flows and who may open them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from oauth2_provider.models import Application

from infusion_center import roles
from integrations.models import FhirClient, ImportBatch
from integrations.services import import_batch_run
from patients.models import Patient
from scheduling.models import OutsideDose
from tests.factories import staff
from tests.integrations.test_import import DOSES_CSV, PATIENTS_CSV, PLANS_CSV

pytestmark = pytest.mark.django_db


def upload(client, **files):
    """Upload, then do what the worker does with the queued batch: its dry run."""
    data = {
        kind: SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv") for kind, text in files.items()
    }
    response = client.post(reverse("integrations:import"), data)
    batch = ImportBatch.objects.order_by("-pk").first()
    assert batch.status == "checking"
    working = client.get(response["Location"]).content.decode()
    assert "Checking every row" in working and 'http-equiv="refresh"' in working
    import_batch_run(batch_id=batch.pk)
    return response


def decide(client, batch, action):
    """Press a button on the checked batch, then do the worker's part when an import was queued."""
    response = client.post(reverse("integrations:import-batch", args=[batch.pk]), {"action": action})
    if ImportBatch.objects.get(pk=batch.pk).status == "importing":
        import_batch_run(batch_id=batch.pk)
    return client.get(response["Location"])


def test_manager_checks_then_imports_and_the_batch_cannot_be_imported_twice(client, manager):
    client.force_login(manager)
    page = client.get(reverse("integrations:import"))
    assert page.status_code == 200 and "contact_relationship" in page.content.decode()
    response = upload(client, patients=PATIENTS_CSV, plans=PLANS_CSV, doses=DOSES_CSV)
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("integrations:import-batch", args=[batch.pk])
    check = client.get(response["Location"]).content.decode()
    assert "<strong>7</strong> to create" in check and not Patient.objects.exists()

    response = decide(client, batch, "import")
    assert "Imported. Booked doses" in response.content.decode()
    assert Patient.objects.count() == 2 and OutsideDose.objects.count() == 3
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.files == {}
    again = decide(client, batch, "import")
    assert "not waiting for a decision" in again.content.decode()
    history = Patient.history.filter(mrn="A1").first()
    assert history.history_user == manager


def test_errors_are_listed_and_only_import_the_valid_rows_is_offered(client, manager):
    client.force_login(manager)
    bad = PATIENTS_CSV + "A3,Ann,Kerr,1980-02-30,F,,,,,,,,\n"
    response = upload(client, patients=bad)
    page = client.get(response["Location"]).content.decode()
    assert "patients.csv row 4, column <code>date_of_birth</code>, value “1980-02-30”: not a date" in page
    assert 'value="import_valid"' in page and 'value="import"' not in page
    batch = ImportBatch.objects.get()
    page = decide(client, batch, "import_valid").content.decode()
    assert "the valid rows; rows with errors were skipped" in page
    assert set(Patient.objects.values_list("mrn", flat=True)) == {"A1", "A2"}


def test_discard_writes_nothing_and_forgets_the_files(client, manager):
    client.force_login(manager)
    upload(client, patients=PATIENTS_CSV)
    batch = ImportBatch.objects.get()
    decide(client, batch, "discard")
    batch.refresh_from_db()
    assert batch.status == "discarded" and batch.files == {} and not Patient.objects.exists()


def test_an_unexpected_failure_is_shown_and_writes_nothing(client, manager, monkeypatch):
    from integrations import services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    client.force_login(manager)
    upload(client, patients=PATIENTS_CSV)
    batch = ImportBatch.objects.get()
    monkeypatch.setattr(services, "import_run", broken)
    page = decide(client, batch, "import").content.decode()
    assert "unexpected problem and wrote nothing: disk full" in page
    assert not Patient.objects.exists()


def test_a_file_that_is_not_utf8_is_a_form_error(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:import"), {"patients": SimpleUploadedFile("p.csv", "é".encode("latin-1"))}
    )
    assert response.status_code == 200 and "not UTF-8 text" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_template_download(client, manager):
    client.force_login(manager)
    response = client.get(reverse("integrations:import-template", args=["screenings"]))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("mrn,kind,taken_on,result,value,valid_days,notes")


@pytest.mark.parametrize("role", [roles.SCHEDULER, roles.NURSE, roles.DRUG_ADMIN, None])
def test_only_managers_import_and_register_api_clients(client, role):
    client.force_login(staff(role, "someone"))
    for name in ("integrations:import", "integrations:fhir-clients"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("integrations:import"), {}).status_code == 403
    assert client.get(reverse("integrations:import-template", args=["patients"])).status_code == 403


def test_schedulers_and_managers_see_ehr_messages_nurses_do_not(client):
    for role, status in ((roles.SCHEDULER, 200), (roles.MANAGER, 200), (roles.NURSE, 403), (None, 403)):
        client.force_login(staff(role, f"u-{role}"))
        assert client.get(reverse("integrations:siu-outbox")).status_code == status, role


def test_manager_registers_a_client_sees_the_secret_once_and_revokes_it(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:fhir-clients"),
        {"name": "Hospital EHR", "scopes": ["system/Appointment.read", "system/Slot.read"]},
    )
    page = response.content.decode()
    fhir_client = FhirClient.objects.get()
    assert fhir_client.scopes == ["system/Appointment.read", "system/Slot.read"]
    assert fhir_client.application.client_id in page and "Copy the secret now" in page
    assert "Copy the secret now" not in client.get(reverse("integrations:fhir-clients")).content.decode()
    client.post(reverse("integrations:fhir-clients"), {"revoke": fhir_client.pk})
    assert not Application.objects.exists()


def test_demo_center_registers_the_hospital_ehr_as_an_api_client_once():
    from django.core.management import call_command

    call_command("demo_center", "--password", "demo-password-0123456789")
    call_command("demo_center", "--reset", "--password", "demo-password-0123456789")
    client = FhirClient.objects.get()
    assert client.application.name == "Hospital EHR (demo)" and "system/Slot.read" in client.scopes
