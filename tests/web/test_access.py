"""Signing in and the public sign-in pages (the whole URLconf walk is in tests/security/test_url_walk.py)."""

import datetime

import pytest
from django.utils import timezone

from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids(center):
    patient = PatientFactory(first_name="Secretia", last_name="Confidentia")
    ScreeningFactory(patient=patient)
    plan = TreatmentPlanFactory(patient=patient)
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(timezone.localdate() + datetime.timedelta(days=1), 9),
        plan=plan,
    )
    assert patient.pk and plan.pk and appointment.pk
    # Every id is the same number where possible, so any parameter name points at an existing row.
    return {"pk": appointment.pk, "patient_id": patient.pk, "object_id": patient.pk, "content_type_id": 1}


def test_public_auth_pages_render_without_patient_data(client, ids):
    for url in (
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Confidentia" not in response.content.decode()


def test_sign_in_then_lands_on_the_board(client, nurse, center):
    response = client.post("/accounts/login/", {"username": "nora", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_too_many_wrong_passwords_show_the_locked_out_page(client, nurse):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "nora", "password": "wrong-password-123"})
    response = client.post("/accounts/login/", {"username": "nora", "password": "correct-horse-battery-staple"})
    assert response.status_code == 429
    assert "Sign-in paused for this account" in response.content.decode()


def test_friendly_403_and_404(client, outsider):
    client.force_login(outsider)
    response = client.get("/board/")
    assert response.status_code == 403 and "Your role does not include this page" in response.content.decode()
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_nurse_cannot_open_drug_editing_in_admin(client, nurse, drug_admin):
    client.force_login(nurse)
    response = client.get("/admin/scheduling/drug/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_500_page_renders_without_context(client):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
