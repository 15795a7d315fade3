"""The probe's low findings: cacheable patient pages, flash messages in a cookie, the contact formset's limit
only in the browser, two admin filters answering 500, and gunicorn reachable without a buffering proxy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from infusion_center.roles import SCHEDULER
from patients.models import EmergencyContact
from tests.factories import UserFactory, staff

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[2] / "README.md"


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "private" in response["Cache-Control"]


# --- Cache-Control ------------------------------------------------------------------------------------------


def test_every_signed_in_page_is_no_store(client, records):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    patient, appointment = records["patient"], records["appointment"]
    for path in [
        "/board/",
        "/worklist/",
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        f"/appointments/{appointment.pk}/",
        "/outbox/",
        f"/admin/patients/patient/{patient.pk}/change/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), f"{path}: {response.get('Cache-Control')}"
    assert _no_store(client.get("/board/", HTTP_HX_REQUEST="true"))  # the board's refresh too


def test_refusals_and_not_found_are_no_store_even_when_signed_out(client, records):
    assert _no_store(client.get("/no-such-page/"))
    client.force_login(UserFactory(username="no-rights"))
    assert _no_store(client.get(f"/patients/{records['patient'].pk}/"))  # 403
    client.logout()
    assert client.get("/accounts/login/").status_code == 200  # the public sign-in page may be cached normally


# --- flash messages in the session --------------------------------------------------------------------------


def test_flash_messages_naming_a_patient_stay_on_the_server(client, records):
    patient = records["patient"]
    client.force_login(staff(SCHEDULER, username="sam"))
    data = {
        "mrn": patient.mrn,
        "first_name": patient.first_name,
        "last_name": "Renamed",
        "date_of_birth": "1985-04-12",
        "sex": "F",
        "ms_type": "RRMS",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "5",
    }
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert "messages" not in response.cookies
    page = client.get(response["Location"])
    assert f"{patient.first_name} Renamed is saved." in page.content.decode()


# --- emergency contacts: the limit holds on the server ------------------------------------------------------


def test_the_server_refuses_more_than_five_emergency_contacts(client, records):
    patient = records["patient"]
    EmergencyContact.objects.filter(patient=patient).delete()
    client.force_login(staff(SCHEDULER, username="sam"))
    data = {
        "mrn": patient.mrn,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": "1985-04-12",
        "sex": "F",
        "ms_type": "RRMS",
        "contacts-TOTAL_FORMS": "40",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for i in range(40):
        data[f"contacts-{i}-name"] = f"Contact {i}"
        data[f"contacts-{i}-phone"] = "+1 555 010 0000"
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 400
    assert "at most 5" in response.content.decode()
    assert EmergencyContact.objects.filter(patient=patient).count() == 0


# --- admin filters with values the database cannot take -----------------------------------------------------


@pytest.mark.parametrize(
    ("changelist", "query"),
    [
        ("admin:patients_patient_changelist", "ms_type__exact=%00"),
        ("admin:scheduling_appointment_changelist", "premed_start__year=99999999999999999999"),
        ("admin:patients_patient_changelist", "q=%00"),
        ("admin:patients_patient_changelist", "date_of_birth__year=99999999999"),
        ("admin:patients_patient_changelist", "date_of_birth__gte=not-a-date"),
        ("admin:scheduling_appointment_changelist", "premed_start__year=2026&premed_start__month=13"),
        (
            "admin:scheduling_appointment_changelist",
            "premed_start__year=2026&premed_start__month=1&premed_start__day=99",
        ),
        ("admin:scheduling_appointment_changelist", "id__exact=99999999999999999999999"),
        ("admin:scheduling_drug_changelist", "min_gap_days__gt=1e999"),
        ("admin:scheduling_closure_changelist", "starts_on__year=-5"),
    ],
)
def test_bad_admin_filter_values_answer_400_or_a_list_never_500(client, records, changelist, query):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get(f"{reverse(changelist)}?{query}")  # the test client raises on a server error
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 400:
        assert "not valid" in response.content.decode()


# --- gunicorn behind a buffering proxy ----------------------------------------------------------------------


def test_the_production_command_sets_gunicorns_timeout_and_workers_and_requires_a_buffering_proxy():
    text = README.read_text()
    command = re.search(r"^gunicorn (?:.*\\\n)*.*", text, re.MULTILINE)
    assert command, "the README's deployment block starts gunicorn"
    assert re.search(r"--timeout \d+", command.group(0))
    assert re.search(r"--workers \S+", command.group(0))
    assert "--bind 127.0.0.1:" in command.group(0)
    assert "buffering reverse proxy (nginx) must sit in front" in text
