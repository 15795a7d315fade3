"""Patients answering from their emails, and the nurse closing the follow-up, in a real browser; every page
under the strict content security policy with no violation."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from replies import links
from replies.models import AfterVisitAnswer, Confirmation
from scheduling.models import Appointment, InfusionReaction
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours, staff
from tests.web.helpers import chairs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def center(transactional_db):
    opening_hours()
    return chairs(2)


@pytest.fixture
def csp_violations(page):
    found = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


def path(live_server, name, token):
    from django.urls import reverse

    return f"{live_server.url}{reverse(f'replies:patient-link-{name}', args=[token])}"


def test_a_patient_confirms_from_the_email_link(page, live_server, center, csp_violations, shot):
    plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Ada", last_name="Lovelace"))
    start = local(5, 10)
    appointment = AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=start, plan=plan)
    token = links.make_token(links.VISIT, appointment.uid)

    page.goto(path(live_server, "visit", token))
    expect(page.get_by_role("heading", name="Hello Ada, can you come?")).to_be_visible()
    expect(page.get_by_test_id("visit-time")).to_have_text("09:45")
    assert "Lovelace" not in page.content() and "Ocrevus" not in page.content()
    assert not Confirmation.objects.exists()  # opening the page changed nothing
    shot("visit")
    page.get_by_role("button", name="Yes, I will come").click()
    expect(page.get_by_test_id("confirmed")).to_contain_text("you are confirmed")
    assert Confirmation.objects.get(appointment=appointment).answer == "confirmed"

    page.get_by_role("link", name="Ask for another time").click()
    page.get_by_label("Tuesday").check()
    page.get_by_label("Anything else we should know? (optional)").fill("Afternoons please")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_test_id("another-time-sent")).to_contain_text("we will call you")
    assert appointment.another_time_requests.get().weekdays == "1"
    assert csp_violations == []


def test_a_patient_reports_symptoms_and_the_nurse_closes_it_as_a_reaction(
    midday, page, live_server, sign_in, center, csp_violations, shot
):
    plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Grace", last_name="Hopper", phone="+1 555 010 4242"))
    start = timezone.localtime() - datetime.timedelta(hours=8)
    visit = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=start,
        plan=plan,
        status=Appointment.Status.COMPLETED,
        infusion_started_at=start,
    )
    Appointment.objects.filter(pk=visit.pk).update(discharged_at=visit.observation_end)
    token = links.make_token(links.AFTER, visit.uid)

    page.goto(path(live_server, "symptoms", token))
    urgent = page.get_by_test_id("urgent-signs")
    expect(urgent).to_be_visible()
    expect(urgent.get_by_role("heading")).to_contain_text("Call 911 now if you have:")
    box = urgent.bounding_box()
    form_box = page.locator("form").bounding_box()
    assert box["y"] < form_box["y"]  # the urgent signs come first on the screen
    heading_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#urgent-title')).fontSize)")
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert heading_size >= 1.6 * body_size  # large type
    shot("symptoms")
    page.get_by_label("Itchy skin, a rash or hives").check()
    page.get_by_label("Shortness of breath or wheezing").check()
    page.get_by_label("When did it start?").select_option(label="A few hours ago")
    expect(page.get_by_label("A phone number where a nurse can call you back")).to_have_value("+1 555 010 4242")
    page.get_by_role("button", name="Send to a nurse").click()
    expect(page.get_by_test_id("symptoms-sent")).to_contain_text("a nurse will call you")
    expect(page.get_by_text("You ticked a sign that needs care straight away")).to_be_visible()
    report = AfterVisitAnswer.objects.get()
    assert report.urgent and report.callback_phone == "+1 555 010 4242"

    staff(roles.NURSE, "nina")
    sign_in("nina")
    expect(page.get_by_test_id("nav-follow-up-count")).to_have_text("1")
    page.get_by_role("link", name="Follow-up").click()
    row = page.get_by_test_id("follow-up-row")
    expect(row).to_contain_text("Urgent sign")
    expect(row).to_contain_text("Hopper, Grace")
    expect(row).to_contain_text("Shortness of breath or wheezing")
    expect(row).to_contain_text("24 h")
    shot("follow-up")
    row.get_by_label("Outcome").select_option(label="Recorded as an infusion reaction")
    row.get_by_label("Severity").select_option(label="Moderate")
    row.get_by_label("Note").fill("Called back; antihistamine at home, improving.")
    row.get_by_role("button", name="Close").click()
    expect(page.get_by_text("The reaction is recorded on the visit")).to_be_visible()
    expect(page.get_by_text("Nothing to follow up")).to_be_visible()
    expect(page.get_by_test_id("nav-follow-up-count")).to_have_count(0)
    reaction = InfusionReaction.objects.get()
    assert reaction.appointment_id == visit.pk and reaction.severity == "moderate"
    page.goto(f"{live_server.url}/appointments/{visit.pk}/")
    expect(page.get_by_text("Nurse: Recorded as an infusion reaction")).to_be_visible()
    assert csp_violations == []
