"""The manager imports a CSV of patients with past doses in a real browser; a scheduler books the next dose."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from scheduling.models import Appointment, TreatmentPlan
from tests.web.helpers import chairs, open_every_day, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_imports_patients_with_past_doses_and_a_scheduler_books_the_next_dose(
    page, live_server, sign_in, shot, tmp_path, monkeypatch
):
    from infusion_center.celery import app as celery_app

    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)  # the worker's part runs in the request
    open_every_day()
    chairs(2)
    today = timezone.localdate()

    def ago(days: int) -> str:
        return (today - datetime.timedelta(days=days)).isoformat()

    (tmp_path / "patients.csv").write_text(
        "mrn,first_name,last_name,date_of_birth,sex,email,reminder_consent,ms_type,height_cm,weight_kg\n"
        "IMP-1,Grace,Hill,1981-06-02,F,grace@example.org,yes,RRMS,168,61\n"
        "IMP-2,Owen,Hart,1976-03-15,M,,no,SPMS,181,,\n"
    )
    (tmp_path / "plans.csv").write_text(f"mrn,drug,start_date\nIMP-1,Ocrevus (IV),{ago(190)}\n")
    (tmp_path / "doses.csv").write_text(
        "mrn,drug,phase,given_on,dose_mg,site\n"
        f"IMP-1,Ocrevus (IV),1,{ago(190)},300,\n"
        f"IMP-1,Ocrevus (IV),2,{ago(176)},300,\n"
    )
    staff(roles.MANAGER, "max")
    sign_in("max")
    page.get_by_role("button", name="Center").click()
    page.get_by_role("link", name="Import patients and history").click()
    expect(page.get_by_role("heading", name="Import patients and history")).to_be_visible()
    page.get_by_label("Patients (CSV)").set_input_files(str(tmp_path / "patients.csv"))
    page.get_by_label("Treatment plans (CSV)").set_input_files(str(tmp_path / "plans.csv"))
    page.get_by_label("Past doses given (CSV)").set_input_files(str(tmp_path / "doses.csv"))
    page.get_by_role("button", name="Check the files (dry run)").click()
    expect(page.locator("#import-counts")).to_contain_text("5 to create")
    shot("dry-run")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported. Booked doses of these patients now follow their history.")).to_be_visible()

    plan = TreatmentPlan.objects.get(patient__mrn="IMP-1")
    page.context.clear_cookies()
    staff(roles.SCHEDULER, "sam")
    sign_in("sam")
    page.goto(f"{live_server.url}/plans/{plan.pk}/find/")
    expect(page.get_by_text("Maintenance").first).to_be_visible()  # infusions 1 and 2 were given: maintenance next
    page.locator("form[action$='/book/'] button[type=submit]").first.click()
    page.wait_for_load_state()
    booked = Appointment.objects.get(plan=plan)
    assert booked.phase.name == "Maintenance" and booked.infusion_number == 3
    assert booked.premed_start.date() >= today


def test_manager_registers_an_api_client_and_a_scheduler_sees_a_refused_ehr_message(
    page, live_server, sign_in, shot, settings
):
    from integrations.models import SiuMessage
    from tests.reminders.conftest import make_appointment

    staff(roles.MANAGER, "max")
    sign_in("max")
    page.get_by_role("button", name="Center").click()
    page.get_by_role("link", name="FHIR API clients").click()
    page.get_by_label("Name").fill("Hospital EHR")
    page.get_by_label("system/Appointment.read - Read appointments").check()
    page.get_by_label("system/Slot.read - Read free slots").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#new-client")).to_contain_text("Copy the secret now")
    shot("client-registered")

    settings.HL7_SIU_ENABLED = True
    appointment = make_appointment(premed_start=timezone.now() + datetime.timedelta(days=2))
    SiuMessage.objects.filter(appointment=appointment).update(
        status="rejected", ack_code="AE", last_error="The EHR answered AE: Unknown patient MRN"
    )
    page.context.clear_cookies()
    staff(roles.SCHEDULER, "sam")
    sign_in("sam")
    page.get_by_role("link", name="EHR messages").click()
    expect(page.get_by_text("The EHR answered AE: Unknown patient MRN")).to_be_visible()
    expect(page.get_by_role("button", name="Send again")).to_be_visible()
    shot("ehr-messages")
