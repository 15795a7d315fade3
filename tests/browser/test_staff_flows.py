"""Staff flows in a real browser: booking, the board, the visit workflow, cancelling, and role limits."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from scheduling.models import Appointment, InfusionReaction
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
    opening_hours,
    staff,
)
from tests.pharmacy.helpers import dose_ready
from tests.web.helpers import chairs, ocrevus_initial_doses_elsewhere

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def center(transactional_db):
    opening_hours()
    return chairs(4)


def test_scheduler_creates_patient_and_plan_books_and_sees_three_segments(page, live_server, sign_in, shot, center):
    staff(roles.SCHEDULER, "sam")
    sign_in("sam")
    expect(page.get_by_role("heading", name="Chair board")).to_be_visible()

    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("MRN").fill("BRW-0001")
    page.get_by_label("First name").fill("Frances")
    page.get_by_label("Last name").fill("Allen")
    page.get_by_label("Date of birth").fill("1979-08-04")
    page.get_by_label("Email").fill("frances@patients.example")
    page.get_by_label("Height (cm)").fill("168")
    page.get_by_label("Weight (kg)").fill("64")
    page.locator("#id_contacts-0-name").fill("Jacob Allen")
    page.locator("#id_contacts-0-phone").fill("+1 555 010 4444")
    shot("patient-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Frances Allen")).to_be_visible()
    expect(page.get_by_text("Jacob Allen")).to_be_visible()

    # The patient list filters as one types (htmx swaps the rows, no full reload).
    page.get_by_role("link", name="Patients").click()
    assert page.evaluate("typeof window.htmx") == "object"
    page.get_by_label("Search patients").press_sequentially("Alle", delay=30)
    expect(page.get_by_role("link", name="Allen, Frances")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"Alle"))  # the search is posted: no name in the URL
    page.get_by_role("link", name="Allen, Frances").click()

    page.get_by_role("link", name="Start a plan").click()
    page.get_by_label("Drug").select_option(label="Ocrevus (IV)")
    page.get_by_role("button", name="Start plan").click()
    expect(page.get_by_text("Initial dose, infusion 1")).to_be_visible()

    page.get_by_role("link", name="Find a time").click()
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    shot("find-a-time")
    page.get_by_role("button", name="Book this time").first.click()
    expect(page.get_by_text(re.compile(r"Booked Frances Allen in Chair"))).to_be_visible()

    appointment = Appointment.objects.get(patient__mrn="BRW-0001")
    page.get_by_role("link", name=re.compile(r"^Board for")).click()
    booking = page.locator(f'a.appt[href="/appointments/{appointment.pk}/"]')
    expect(booking).to_be_visible()
    for kind in ("premed", "infusion", "observation"):
        segment = booking.locator(f".seg-{kind}")
        expect(segment).to_have_count(1)
        assert segment.bounding_box()["width"] > 5
    boxes = [booking.locator(f".seg-{kind}").bounding_box() for kind in ("premed", "infusion", "observation")]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # in time order, left to right
    # The board refreshes itself every minute through htmx.
    expect(page.locator("#board")).to_have_attribute("hx-trigger", "every 60s")
    shot("board")


def test_nurse_runs_a_full_visit_on_the_clock_and_an_early_discharge_needs_a_reason(
    midday, page, live_server, sign_in, shot, center
):
    """Check-in, premedication an hour ago, start, a reaction, an early end and an early discharge: the clock
    asks for a reason at each early step, refuses the discharge without one, and the history keeps them."""
    staff(roles.NURSE, "nora")
    patient = PatientFactory(first_name="Katherine", last_name="Johnson")
    clear_first_dose_checks(patient, taken_on=timezone.localdate() - datetime.timedelta(days=20))
    ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=timezone.localdate())
    plan = TreatmentPlanFactory(patient=patient)
    ocrevus_initial_doses_elsewhere(plan, maintenance_due=timezone.localdate())  # the maintenance dose is due
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=30)
    appointment = AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=start, plan=plan)
    hour_ago = (timezone.localtime() - datetime.timedelta(minutes=61)).strftime("%Y-%m-%dT%H:%M")
    dose_ready(appointment)

    sign_in("nora")
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    page.get_by_label("Time").fill(hour_ago)
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Katherine Johnson is checked in.")).to_be_visible()

    options = page.get_by_label("Premedication").locator("option")
    for index in range(options.count()):
        page.get_by_label("Premedication").select_option(index=index)
        page.get_by_label("Given at").fill(hour_ago)
        page.get_by_role("button", name="Record", exact=True).click()
        expect(page.get_by_text(re.compile(r"given at \d\d:\d\d"))).to_be_visible()
    expect(page.locator(".visit-clock")).to_contain_text("Infusion may start")
    shot("premedicated")
    page.get_by_role("button", name="Start infusion").click()
    expect(page.get_by_text("The infusion has started.")).to_be_visible()

    page.get_by_text("Record a reaction").click()
    page.get_by_label("Severity").select_option("moderate")
    page.get_by_label("Symptoms").fill("Flushing and itching")
    page.get_by_label("Action taken").fill("Infusion stopped, cetirizine given")
    page.get_by_role("button", name="Record reaction").click()
    expect(page.get_by_text("Moderate reaction recorded.")).to_be_visible()

    # Ending before the planned 210 minutes asks for the reason.
    page.get_by_role("button", name="End infusion").click()
    expect(page.locator("#clock-problem")).to_contain_text("of the planned 210 min")
    page.locator("#clock-reason").fill("Stopped for the reaction")
    page.get_by_role("button", name="End the infusion, with this reason").click()
    expect(page.get_by_text("The infusion has ended")).to_be_visible()
    expect(page.locator(".observation-left")).to_contain_text("min left")

    # Discharge before the observation has run (restarted by the reaction) is refused ...
    page.get_by_role("button", name="Discharge (end of observation)").click()
    problem = page.locator("#clock-problem")
    expect(problem).to_contain_text("confirm the patient is fit for discharge")
    problem.get_by_label("I confirm the patient is fit for discharge after the reaction").check()
    page.get_by_role("button", name="Discharge, with this record").click()
    expect(problem).to_contain_text("Discharge is refused before then unless you record a reason")
    shot("early-discharge-refused")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.OBSERVING
    # ... and recorded once the nurse gives the reason.
    problem.get_by_label("I confirm the patient is fit for discharge after the reaction").check()
    page.locator("#clock-reason").fill("Transferred to the emergency department for review")
    page.get_by_role("button", name="Discharge, with this record").click()
    expect(page.get_by_text("Katherine Johnson is discharged.")).to_be_visible()
    expect(page.locator(".status-completed").first).to_be_visible()
    history = page.locator(".visit-history")
    expect(history).to_contain_text("Discharged before the end of observation: Transferred to the emergency")
    expect(history).to_contain_text("Ended before the planned minutes: Stopped for the reaction")
    expect(history).to_contain_text("Fit for discharge after a reaction")
    shot("completed")

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.COMPLETED
    assert appointment.checked_in_at and appointment.infusion_started_at and appointment.discharged_at
    assert InfusionReaction.objects.get(appointment=appointment).recorded_by.username == "nora"

    page.goto(f"{live_server.url}/board/")
    expect(page.locator(".actual-stay")).to_have_count(1)
    expect(page.locator(".actual-infusion")).to_have_count(1)
    shot("board-with-actual-times")


def test_scheduler_cancels_a_booking_with_a_reason(page, live_server, sign_in, shot, center):
    staff(roles.SCHEDULER, "sam")
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=timezone.now().replace(microsecond=0) + datetime.timedelta(days=2),
    )
    sign_in("sam")
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    page.get_by_role("link", name="Cancel booking").click()
    page.get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()  # a reason is needed
    page.get_by_label("Reason").fill("Patient asked to move to next month")
    page.get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_text(re.compile("is cancelled"))).to_be_visible()
    shot("cancelled")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_nurse_cannot_edit_drugs_and_scheduler_cannot_run_visits(midday, page, live_server, sign_in, shot, center):
    staff(roles.NURSE, "nora")
    staff(roles.SCHEDULER, "sam")
    appointment = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[2], premed_start=timezone.now() - datetime.timedelta(minutes=20)
    )

    sign_in("nora")
    page.goto(f"{live_server.url}/admin/scheduling/drug/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.get_by_text(re.compile("not authorized to access this page"))).to_be_visible()
    shot("nurse-admin-refused")
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Sign out").click()

    sign_in("sam")
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/")
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)
    expect(page.get_by_role("button", name="Start infusion")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/appointments/{appointment.pk}/visit/check-in/",
        form={"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
        headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/"},
    )
    assert response.status == 403
    assert "Your role does not include this page" in response.text()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED
