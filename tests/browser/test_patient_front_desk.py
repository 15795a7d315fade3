"""The front desk in a real browser: finding a patient as one types, and a possible duplicate asked about."""

import datetime

import pytest
from playwright.sync_api import expect

from infusion_center import roles
from patients.models import Patient
from tests.factories import PatientFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_finds_a_patient_and_is_asked_before_registering_a_duplicate(page, live_server, sign_in, shot):
    registered = PatientFactory(
        mrn="FD-0023", first_name="Sofia", last_name="O'Brien", date_of_birth=datetime.date(1985, 3, 14)
    )
    PatientFactory(mrn="FD-0100", first_name="Sofia", last_name="Marsh")
    staff(roles.SCHEDULER, "desk")
    sign_in("desk")

    page.get_by_role("link", name="Patients").click()
    search = page.get_by_label("Search patients")
    search.press_sequentially("obrien, sofia", delay=20)
    expect(page.get_by_role("link", name="O'Brien, Sofia")).to_be_visible()
    expect(page.get_by_role("link", name="Marsh, Sofia")).to_have_count(0)
    # the search as one types answers first: Enter while it is in flight would make two requests at once, which the
    # test server's one SQLite connection cannot serve together
    with page.expect_response(
        lambda response: response.url.endswith("/patients/") and response.request.method == "POST"
    ):
        search.fill("14/03/1985")
    search.press("Enter")
    expect(page.get_by_role("link", name="O'Brien, Sofia")).to_be_visible()
    shot("search")

    page.get_by_role("link", name="New patient").click()
    page.get_by_label("MRN").fill("FD-0200")
    page.get_by_label("First name").fill("Sofía")
    page.get_by_label("Last name").fill("OBrien")
    page.get_by_label("Date of birth").fill("1985-03-14")
    page.get_by_role("button", name="Save", exact=True).click()
    warning = page.locator("#possible-duplicates")
    expect(warning).to_contain_text("This may be a patient who is already registered")
    expect(warning.get_by_role("link", name="O'Brien, Sofia")).to_have_attribute("href", registered.get_absolute_url())
    expect(page.get_by_label("First name")).to_have_value("Sofía")  # nothing typed is lost
    shot("duplicate-warning")
    assert not Patient.objects.filter(mrn="FD-0200").exists()

    page.get_by_role("button", name="Not the same person: save as a new patient").click()
    expect(page.get_by_role("heading", name="Sofía OBrien")).to_be_visible()
    assert Patient.objects.filter(mrn="FD-0200").exists()
