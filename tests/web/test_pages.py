"""Every page renders for the roles that may see it, and refuses the others with 403."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(center):
    today = timezone.localdate()
    plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Ada", last_name="Lovelace"))
    return AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=local(today, 9), plan=plan)


def test_board_shows_each_booking_as_three_segments(as_user, nurse, booked):
    response = as_user(nurse).get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Lovelace" in html
    for kind in ("premed", "infusion", "observation"):
        assert html.count(f"seg seg-{kind}") == 1
    assert 'hx-trigger="every 60s"' in html
    assert "light light-" in html  # readiness light


def test_board_partial_for_htmx_is_only_the_board(as_user, scheduler, booked):
    response = as_user(scheduler).get(reverse("scheduling:board"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="board"')
    assert "<nav" not in html


def test_board_other_day_and_bad_date(as_user, nurse, booked):
    client = as_user(nurse)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert "Ada Lovelace" not in client.get(reverse("scheduling:board"), {"day": tomorrow.isoformat()}).content.decode()
    assert client.get(reverse("scheduling:board"), {"day": "not-a-date"}).status_code == 200


def test_week_view(as_user, manager, booked):
    response = as_user(manager).get(reverse("scheduling:week"))
    assert response.status_code == 200
    assert "Peak in chairs" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    ["scheduling:board", "scheduling:week", "patients:patient-list"],
)
def test_drug_admin_and_outsider_cannot_see_patient_pages(as_user, drug_admin, outsider, center, name):
    assert as_user(drug_admin).get(reverse(name)).status_code == 403
    assert as_user(outsider).get(reverse(name)).status_code == 403


def test_home_sends_drug_admin_to_the_drug_catalogue_in_admin(as_user, drug_admin):
    client = as_user(drug_admin)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("admin:scheduling_drug_changelist")
    assert "Ocrevus (IV)" in client.get(response.url).content.decode()


def test_appointment_page_for_nurse_shows_visit_actions(as_user, nurse, booked):
    html = as_user(nurse).get(booked.get_absolute_url()).content.decode()
    assert "Check in" in html
    assert "Cancel booking" not in html


def test_appointment_page_for_scheduler_hides_visit_actions(as_user, scheduler, booked):
    html = as_user(scheduler).get(booked.get_absolute_url()).content.decode()
    assert "Check in" not in html and "Start infusion" not in html
    assert "Cancel booking" in html and "Reschedule" in html


def test_worklist_lists_a_plan_due_without_booking(as_user, scheduler, center):
    plan = TreatmentPlanFactory(patient=PatientFactory(last_name="Hopper"))
    html = as_user(scheduler).get(reverse("scheduling:worklist")).content.decode()
    assert "Hopper" in html
    assert reverse("scheduling:plan-find", args=[plan.pk]) in html


def test_worklist_leaves_out_booked_plans(as_user, scheduler, center):
    # booked ahead: a booking earlier today that nobody checked in no longer covers the dose once its time passed
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Ada", last_name="Lovelace"))
    AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=local(tomorrow, 9), plan=plan)
    html = as_user(scheduler).get(reverse("scheduling:worklist")).content.decode()
    assert "Lovelace" not in html


def test_worklist_is_for_schedulers(as_user, nurse, center):
    assert as_user(nurse).get(reverse("scheduling:worklist")).status_code == 403


def test_reports_page_for_manager_only(as_user, manager, scheduler, nurse, booked):
    booked.status = Appointment.Status.NO_SHOW
    booked.save()
    response = as_user(manager).get(reverse("scheduling:reports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "Chair utilisation" in html and "Ocrevus (IV)" in html
    assert as_user(scheduler).get(reverse("scheduling:reports")).status_code == 403
    assert as_user(nurse).get(reverse("scheduling:reports")).status_code == 403


def test_reports_bad_range_is_a_form_error(as_user, manager, center):
    response = as_user(manager).get(reverse("scheduling:reports"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 400
    assert "before its start" in response.content.decode()


def test_navigation_follows_permissions(as_user, nurse, scheduler, manager, center):
    nurse_html = as_user(nurse).get(reverse("scheduling:board")).content.decode()
    assert "Worklist" not in nurse_html and "Reports" not in nurse_html and ">Admin<" not in nurse_html
    assert "Nurse" in nurse_html  # role shown in the top bar
    scheduler_html = as_user(scheduler).get(reverse("scheduling:board")).content.decode()
    assert "Worklist" in scheduler_html and "Reports" not in scheduler_html
    manager_html = as_user(manager).get(reverse("scheduling:board")).content.decode()
    assert "Reports" in manager_html and "Opening hours" in manager_html and ">Admin<" in manager_html


def test_closed_chair_is_greyed_with_its_reason(as_user, nurse, center):
    from scheduling.models import Closure

    today = timezone.localdate()
    Closure.objects.create(chair=center[1], starts_on=today, ends_on=today, reason="Pump being serviced")
    html = as_user(nurse).get(reverse("scheduling:board")).content.decode()
    assert html.count("board-lane") and "Closed: Pump being serviced" in html
    assert html.count(' closed"') == 1


def test_center_closure_shows_on_every_chair(as_user, nurse, center):
    from scheduling.models import Closure

    today = timezone.localdate()
    Closure.objects.create(starts_on=today, ends_on=today, reason="Public holiday")
    html = as_user(nurse).get(reverse("scheduling:board")).content.decode()
    assert "Center closed: Public holiday" in html
    assert html.count("Closed: Public holiday") == len(center)


def test_nurse_overload_is_drawn_in_red(as_user, nurse, center):
    from scheduling.models import OpeningHours

    OpeningHours.objects.update(nurses_on_duty=1, patients_per_nurse=1)  # caps: 1 in chairs, 1 start
    today = timezone.localdate()
    for chair in center[:2]:
        AppointmentFactory(
            ocrevus_maintenance=True,
            chair=chair,
            premed_start=local(today, 10),
            plan=TreatmentPlanFactory(patient=PatientFactory()),
        )
    html = as_user(nurse).get(reverse("scheduling:board")).content.decode()
    assert 'class="load-bar over"' in html and 'class="load-start over"' in html
    assert "over the nurses' capacity" in html


def test_now_line_only_on_today(as_user, nurse, center):
    client = as_user(nurse)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert (
        'class="now-line' not in client.get(reverse("scheduling:board"), {"day": tomorrow.isoformat()}).content.decode()
    )


def test_reports_draw_an_overloaded_day_in_red(as_user, manager, center):
    from scheduling.models import OpeningHours

    OpeningHours.objects.update(nurses_on_duty=1, patients_per_nurse=1)
    day = timezone.localdate() - datetime.timedelta(days=2)
    for chair in center[:2]:
        AppointmentFactory(
            ocrevus_maintenance=True, chair=chair, premed_start=local(day, 10), status=Appointment.Status.COMPLETED
        )
    html = as_user(manager).get(reverse("scheduling:reports")).content.decode()
    assert "2 of 1" in html and 'class="bar bad"' in html


def test_board_block_texts(as_user, nurse, center):
    today = timezone.localdate()
    plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Grace", last_name="Hopper <b>"))
    AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(today, 8),
        plan=plan,
        course_day=2,
        short_infusion=True,
    )
    AppointmentFactory(
        ocrevus_maintenance=True, chair=center[1], premed_start=local(today, 9, 30), status=Appointment.Status.COMPLETED
    )
    html = as_user(nurse).get(reverse("scheduling:board")).content.decode()
    assert (
        'title="Grace Hopper &lt;b&gt; · Ocrevus (IV) 600 mg · 08:00–13:00 · Scheduled · Active-infection check is '
        "needed before every dose: none is on record; it must be at most 3 days old. Hepatitis B screening (HBsAg, "
        "anti-HBc) is needed before the first dose: none is on record. Liver tests" in html
    )
    assert "G. Hopper &lt;b&gt;</span>" in html
    assert '<span class="what">Ocrevus 600 mg · day 2 · short</span>' in html
    assert '<span class="state">08:00–13:00 <span class="confirm-mark confirm-unconfirmed"' in html
    assert '<span class="state">Completed</span>' in html
    assert html.count(" is-completed is-done") == 1
    assert "Hopper <b>" not in html


def test_worklist_shows_each_dose_readiness_on_its_target_date(as_user, scheduler, center):
    patient = PatientFactory(last_name="Hopper")
    TreatmentPlanFactory(patient=patient)  # a first Ocrevus dose: needs a hepatitis B screening
    client = as_user(scheduler)
    html = client.get(reverse("scheduling:worklist")).content.decode()
    assert (
        "light light-blocked" in html and "Hepatitis B screening (HBsAg, anti-HBc) is needed before the first" in html
    )
    today = timezone.localdate()
    clear_first_dose_checks(patient, taken_on=today)
    ScreeningFactory(patient=patient, kind="infection", taken_on=today, result="none", valid_days=3)
    html = client.get(reverse("scheduling:worklist")).content.decode()
    assert "readiness readiness-ready" in html and "light light-blocked" not in html
