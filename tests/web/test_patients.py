"""Patient pages: list and search, detail, create and edit with contacts, screenings, plans."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import EmergencyContact, Patient, Screening
from scheduling.models import Drug, TreatmentPlan
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    EmergencyContactFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    seeded_drug,
)

pytestmark = pytest.mark.django_db


def _patient_data(**overrides):
    data = {
        "mrn": "MRN-777",
        "first_name": "Rosalind",
        "last_name": "Franklin",
        "date_of_birth": "1980-07-25",
        "sex": "F",
        "email": "rosalind@patients.example",
        "phone": "+1 555 010 7777",
        "reminder_consent": "on",
        "ms_type": "RRMS",
        "height_cm": "165",
        "weight_kg": "60",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "5",
        "contacts-0-name": "Aaron Klug",
        "contacts-0-relationship": "Friend",
        "contacts-0-phone": "+1 555 010 8888",
    }
    data.update(overrides)
    return data


def test_search_by_name_or_mrn_and_pagination(client, scheduler):
    PatientFactory(first_name="Marie", last_name="Curie", mrn="MC-1")
    for n in range(30):
        PatientFactory(last_name=f"Zed{n:02d}")
    client.force_login(scheduler)
    url = reverse("patients:patient-list")
    assert "Curie" in client.post(url, {"q": "curie"}).content.decode()
    assert "Curie" in client.post(url, {"q": "MC-1"}).content.decode()
    assert "Curie" in client.post(url, {"q": "Marie Curie"}).content.decode()
    assert "Curie" not in client.post(url, {"q": "Zed"}).content.decode()
    page2 = client.post(url, {"q": "Zed", "page": 2})
    assert page2.context["page"].number == 2 and page2.context["search"] == "Zed"
    assert client.get(url, {"page": 2}).context["page"].number == 2
    partial = client.post(url, {"q": "curie"}, headers={"HX-Request": "true"}).content.decode()
    assert '<nav class="navbar' not in partial and "Curie" in partial


def test_a_search_term_never_goes_into_the_url(client, scheduler):
    """Names typed into the search are posted: they never reach server logs through a URL."""
    PatientFactory(last_name="Curie")
    client.force_login(scheduler)
    url = reverse("patients:patient-list")
    assert client.get(url, {"q": "Zzz"}).context["search"] == ""  # a query string is ignored
    page = client.get(url).content.decode()
    assert 'method="post" id="patient-search"' in page and "hx-push-url" not in page
    assert "?q=" not in client.post(url, {"q": "Cu"}).content.decode()


def test_create_patient_with_an_emergency_contact(client, scheduler):
    client.force_login(scheduler)
    response = client.post(reverse("patients:patient-create"), _patient_data())
    patient = Patient.objects.get(mrn="MRN-777")
    assert response.status_code == 302 and response.url == patient.get_absolute_url()
    assert EmergencyContact.objects.get(patient=patient).name == "Aaron Klug"


def test_patient_form_errors_are_shown_next_to_fields(client, scheduler):
    client.force_login(scheduler)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("patients:patient-create"), _patient_data(date_of_birth=future, email="", **{"contacts-0-phone": ""})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be in the future" in html
    assert "An email address is needed" in html
    assert "This field is required" in html  # the contact's phone
    assert not Patient.objects.filter(mrn="MRN-777").exists()


def test_edit_patient_and_remove_a_contact(client, scheduler):
    patient = PatientFactory()
    contact = EmergencyContactFactory(patient=patient)
    client.force_login(scheduler)
    data = _patient_data(
        mrn=patient.mrn,
        **{
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "1",
            "contacts-0-id": str(contact.pk),
            "contacts-0-patient": str(patient.pk),
            "contacts-0-name": contact.name,
            "contacts-0-phone": contact.phone,
            "contacts-0-DELETE": "on",
        },
    )
    response = client.post(reverse("patients:patient-edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.first_name == "Rosalind"
    assert not EmergencyContact.objects.filter(pk=contact.pk).exists()


def test_nurse_cannot_create_or_edit_patients(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)
    assert client.get(reverse("patients:patient-create")).status_code == 403
    assert client.post(reverse("patients:patient-edit", args=[patient.pk]), _patient_data()).status_code == 403


def test_detail_flags_expired_screenings_and_shows_next_dose(client, scheduler, center):
    patient = PatientFactory()
    ScreeningFactory(patient=patient, kind="hep_b", taken_on=timezone.localdate() - datetime.timedelta(days=500))
    TreatmentPlanFactory(patient=patient)
    client.force_login(scheduler)
    html = client.get(patient.get_absolute_url()).content.decode()
    assert "expired" in html
    assert "Initial dose, infusion 1" in html and "Find a time" in html
    assert "Blocked" in html  # readiness of the next dose: hepatitis B result has expired


def test_missing_patient_is_404(client, scheduler):
    client.force_login(scheduler)
    assert client.get(reverse("patients:patient-detail", args=[987654])).status_code == 404


def test_nurse_records_a_screening_with_default_validity(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)
    response = client.post(
        reverse("patients:screening-create", args=[patient.pk]),
        {"kind": "jcv", "taken_on": timezone.localdate().isoformat(), "result": "negative", "value": "0.2"},
    )
    assert response.status_code == 302
    screening = Screening.objects.get(patient=patient)
    assert screening.valid_days == 182 and screening.recorded_by == nurse


def test_screening_in_the_future_is_refused(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("patients:screening-create", args=[patient.pk]),
        {"kind": "jcv", "taken_on": future, "result": "negative"},
    )
    assert response.status_code == 400 and "cannot be dated in the future" in response.content.decode()


def test_scheduler_cannot_add_screenings(client, scheduler):
    patient = PatientFactory()
    client.force_login(scheduler)
    assert client.get(reverse("patients:screening-create", args=[patient.pk])).status_code == 403


def test_start_a_plan_on_an_active_drug_only(client, scheduler):
    patient = PatientFactory()
    lemtrada = seeded_drug("Lemtrada")
    Drug.objects.filter(pk=lemtrada.pk).update(is_active=False)
    client.force_login(scheduler)
    url = reverse("scheduling:plan-create", args=[patient.pk])
    form = client.get(url).context["form"]
    assert lemtrada not in form.fields["drug"].queryset
    response = client.post(url, {"drug": lemtrada.pk, "start_date": timezone.localdate().isoformat()})
    assert response.status_code == 400
    ocrevus = seeded_drug("Ocrevus (IV)")
    response = client.post(url, {"drug": ocrevus.pk, "start_date": timezone.localdate().isoformat()})
    assert response.status_code == 302
    assert TreatmentPlan.objects.get(patient=patient).created_by == scheduler
    # a second active plan on the same drug is refused in plain words
    response = client.post(url, {"drug": ocrevus.pk, "start_date": timezone.localdate().isoformat()})
    assert response.status_code == 400
    assert "already has an active plan on Ocrevus (IV)" in response.content.decode()


def test_methylprednisolone_course_days_must_fit_the_range(client, scheduler):
    patient = PatientFactory()
    client.force_login(scheduler)
    drug = seeded_drug("IV methylprednisolone (relapse)")
    response = client.post(
        reverse("scheduling:plan-create", args=[patient.pk]),
        {"drug": drug.pk, "start_date": timezone.localdate().isoformat(), "course_days": 9},
    )
    assert response.status_code == 400
    assert "days; choose a number of days in that range" in response.content.decode()


def test_patient_page_lists_the_reminder_emails_and_logs_the_visit(client, scheduler, center):
    from patients.models import PatientAccess
    from scheduling.reminders.services import reminders_on_booked

    patient = PatientFactory(first_name="Rhea")
    plan = TreatmentPlanFactory(patient=patient)
    start = local(timezone.localdate() + datetime.timedelta(days=10), 9)
    reminders_on_booked(
        appointment=AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=start, plan=plan)
    )
    client.force_login(scheduler)
    page = client.get(patient.get_absolute_url()).content.decode()
    assert 'id="reminders-h"' in page
    assert "Booking confirmation" in page and "Preparation" in page and "Hydration" in page
    access = PatientAccess.objects.get(patient_id=patient.pk)
    assert access.user == scheduler and access.path == patient.get_absolute_url()


def test_patient_page_says_why_no_emails_go_out(client, scheduler):
    patient = PatientFactory(reminder_consent=False)
    client.force_login(scheduler)
    assert "No consent recorded: no emails are sent." in client.get(patient.get_absolute_url()).content.decode()
