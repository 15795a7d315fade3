"""Creating or editing a patient who may already be registered: the match is shown and nothing is saved
until the user confirms it is not the same person."""

import datetime

import pytest
from django.urls import reverse

from patients.models import Patient, PatientAccess
from tests.factories import PatientFactory
from tests.web.test_patients import _patient_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    return PatientFactory(
        mrn="B-000023",
        first_name="Rosalind",
        last_name="Franklin",
        date_of_birth=datetime.date(1980, 7, 25),
        email="rf@patients.example",
    )


def _create(client, **overrides):
    return client.post(reverse("patients:patient-create"), _patient_data(**overrides))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({}, "the same name and date of birth"),
        ({"first_name": "rosalínd", "last_name": "FRANKLIN"}, "the same name and date of birth"),
        ({"first_name": "Franklin", "last_name": "Rosalind"}, "the same name and date of birth"),
        ({"first_name": "Ros", "email": "RF@patients.example"}, "the same email"),
        ({"first_name": "Ros", "mrn": "b000023"}, "an MRN that differs only in case or punctuation"),
    ],
)
def test_a_possible_duplicate_is_shown_and_nothing_is_saved(client, scheduler, registered, overrides, reason):
    client.force_login(scheduler)
    data = {"email": "new@patients.example", **overrides}
    response = _create(client, **data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This may be a patient who is already registered" in html
    assert registered.get_absolute_url() in html and reason in html
    assert f'name="confirm_duplicates" value="{registered.pk}"' in html
    assert 'value="MRN-777"' in html or 'value="b000023"' in html  # what was typed is kept
    assert Patient.objects.count() == 1
    # the warning showed the other patient: that is logged like any page showing a patient
    assert PatientAccess.objects.filter(patient=registered, user=scheduler).exists()


def test_confirming_saves_the_new_patient(client, scheduler, registered):
    client.force_login(scheduler)
    response = _create(client, confirm_duplicates=str(registered.pk))
    new = Patient.objects.get(mrn="MRN-777")
    assert response.status_code == 302 and response.url == new.get_absolute_url()
    assert new.emergency_contacts.count() == 1


def test_a_confirmation_covers_only_the_patients_it_was_shown(client, scheduler, registered):
    other = PatientFactory(first_name="Rosalind", last_name="Franklin", date_of_birth=datetime.date(1980, 7, 25))
    client.force_login(scheduler)
    response = _create(client, confirm_duplicates=str(registered.pk))
    assert response.status_code == 409 and other.get_absolute_url() in response.content.decode()
    assert not Patient.objects.filter(mrn="MRN-777").exists()
    assert _create(client, confirm_duplicates=f"{registered.pk},{other.pk}").status_code == 302


def test_an_identical_mrn_stays_an_error_even_when_confirmed(client, scheduler, registered):
    client.force_login(scheduler)
    response = _create(client, mrn="B-000023", first_name="Other", confirm_duplicates=str(registered.pk))
    assert response.status_code == 400
    assert "Patient with this MRN already exists." in response.content.decode()
    assert Patient.objects.count() == 1


def test_editing_into_a_duplicate_asks_too_but_a_patient_is_not_its_own_duplicate(client, scheduler, registered):
    other = PatientFactory(first_name="Ros", last_name="Franklin", date_of_birth=datetime.date(1980, 7, 25))
    client.force_login(scheduler)
    url = reverse("patients:patient-edit", args=[other.pk])
    unchanged = client.post(url, _patient_data(mrn=other.mrn, first_name="Ros", email=other.email))
    assert unchanged.status_code == 302  # editing without matching anyone else: no question asked
    response = client.post(url, _patient_data(mrn=other.mrn, email=other.email))
    assert response.status_code == 409 and registered.get_absolute_url() in response.content.decode()
    assert "save the changes" in response.content.decode()
    other.refresh_from_db()
    assert other.first_name == "Ros"
    saved = client.post(url, _patient_data(mrn=other.mrn, email=other.email, confirm_duplicates=str(registered.pk)))
    assert saved.status_code == 302
    other.refresh_from_db()
    assert other.first_name == "Rosalind"


def test_a_different_person_is_not_flagged(client, scheduler, registered):
    client.force_login(scheduler)
    # same name, another date of birth; or the same date of birth, another name
    assert _create(client, date_of_birth="1981-07-25", email="a@patients.example").status_code == 302
    assert _create(client, mrn="MRN-778", first_name="Rose", email="b@patients.example").status_code == 302


def _admin_add(client, **overrides):
    data = {
        **{k: v for k, v in _patient_data(**overrides).items() if not k.startswith("contacts-")},
        **{
            f"{prefix}-{name}": value
            for prefix in ("emergency_contacts", "screenings")
            for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    return client.post(reverse("admin:patients_patient_add"), data)


def test_the_admin_asks_too_before_saving_a_possible_duplicate(admin_client, registered):
    response = _admin_add(admin_client)
    assert response.status_code == 200  # the form again, with the match named
    html = response.content.decode()
    assert "Possibly the same patient: Franklin, Rosalind (MRN B-000023" in html
    assert "the same name and date of birth" in html and "Nothing is saved yet" in html
    assert Patient.objects.count() == 1
    response = _admin_add(admin_client, not_the_same_person="on")
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="MRN-777").exists()


def test_the_admin_saves_a_patient_who_matches_no_one_without_asking(admin_client, registered):
    response = _admin_add(admin_client, first_name="Maurice", last_name="Wilkins", email="mw@patients.example")
    assert response.status_code == 302 and Patient.objects.filter(mrn="MRN-777", last_name="Wilkins").exists()
