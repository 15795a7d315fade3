"""The nurse's visit workflow: services with status rules, and the pages that call them."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, InfusionReaction, PremedicationGiven, ReadinessOverride
from scheduling.services import visits
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
)
from tests.pharmacy.helpers import dose_ready
from tests.web.helpers import ocrevus_initial_doses_elsewhere

pytestmark = pytest.mark.django_db
S = Appointment.Status
# The patient's first Ocrevus dose: infusion 1, 300 mg over 2.5 h (the start checks it is the dose due).
FIRST_DOSE = {"phase_order": 1, "infusion_number": 1, "dose_mg": Decimal("300"), "infusion_minutes": 150}


@pytest.fixture
def clock():
    """08:40 on a weekday in the center; the test moves the clock on through the visit."""
    moment = local(datetime.date(2026, 12, 1), 8, 40)
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller


@pytest.fixture
def appointment(center, clock):
    """A scheduled Ocrevus dose that started 40 minutes ago, for a patient with valid screenings."""
    patient = PatientFactory(first_name="Grace", last_name="Hopper")
    clear_first_dose_checks(patient, taken_on=timezone.localdate() - datetime.timedelta(days=30))
    ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=timezone.localdate())
    plan = TreatmentPlanFactory(patient=patient)
    ocrevus_initial_doses_elsewhere(plan, maintenance_due=timezone.localdate())
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=40)
    appointment = AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=start, plan=plan)
    dose_ready(appointment)  # the pharmacy has the dose ready
    return appointment


def _give_premeds(appointment, nurse):
    for premed in visits.required_premedications(appointment):
        visits.premedication_record(
            appointment=appointment, premedication_id=premed.pk, given_at=timezone.now(), user=nurse
        )


def test_whole_visit_records_each_actual_time(appointment, nurse, clock):
    visits.appointment_check_in(appointment=appointment, user=nurse)
    assert appointment.status == S.CHECKED_IN and appointment.checked_in_at
    _give_premeds(appointment, nurse)
    appointment.refresh_from_db()
    assert appointment.status == S.PREMEDICATED and appointment.premedicated_at
    clock.shift(datetime.timedelta(minutes=60))  # the antihistamine's lead
    visits.infusion_start(appointment=appointment, user=nurse)
    assert appointment.status == S.INFUSING and appointment.infusion_started_at
    clock.shift(datetime.timedelta(minutes=210))
    visits.infusion_end(appointment=appointment, user=nurse)
    assert appointment.status == S.OBSERVING and appointment.infusion_ended_at
    clock.shift(datetime.timedelta(minutes=60))
    visits.appointment_discharge(appointment=appointment, user=nurse)
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED and appointment.discharged_at
    # every step is in the audit trail with the nurse
    statuses = list(appointment.history.order_by("history_date").values_list("status", "history_user__username"))
    assert (S.INFUSING, "nora") in statuses and (S.COMPLETED, "nora") in statuses


@pytest.mark.parametrize(
    "step",
    [visits.infusion_end, visits.appointment_discharge],
)
def test_steps_out_of_order_are_refused(appointment, nurse, step):
    with pytest.raises(visits.VisitError, match="scheduled"):
        step(appointment=appointment, user=nurse)


def test_check_in_twice_is_refused(appointment, nurse):
    visits.appointment_check_in(appointment=appointment, user=nurse)
    with pytest.raises(visits.VisitError, match="checked in: checking in is not possible"):
        visits.appointment_check_in(appointment=appointment, user=nurse)


def test_premedication_recorded_once_and_only_from_the_phase(appointment, nurse):
    visits.appointment_check_in(appointment=appointment, user=nurse)
    premed = visits.required_premedications(appointment)[0]
    visits.premedication_record(
        appointment=appointment, premedication_id=premed.pk, given_at=timezone.now(), user=nurse
    )
    with pytest.raises(visits.VisitError, match="already recorded"):
        visits.premedication_record(
            appointment=appointment, premedication_id=premed.pk, given_at=timezone.now(), user=nurse
        )
    with pytest.raises(visits.VisitError, match="not a premedication"):
        visits.premedication_record(
            appointment=appointment, premedication_id=999999, given_at=timezone.now(), user=nurse
        )
    assert PremedicationGiven.objects.filter(appointment=appointment).count() == 1


def test_start_blocked_without_screening_then_overridden_with_reason(midday, center, nurse, charge_nurse, clock):
    plan = TreatmentPlanFactory(patient=PatientFactory())  # no hepatitis B screening, no infection check
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=timezone.now() - datetime.timedelta(minutes=10),
        plan=plan,
        **FIRST_DOSE,
    )
    dose_ready(appointment)
    visits.appointment_check_in(appointment=appointment, user=nurse)
    _give_premeds(appointment, nurse)
    with pytest.raises(visits.ReadinessBlocked) as blocked:
        visits.infusion_start(appointment=appointment, user=nurse)
    assert any("epatitis B" in p for p in blocked.value.problems)
    appointment.refresh_from_db()
    assert appointment.status == S.PREMEDICATED
    clock.shift(datetime.timedelta(minutes=60))
    with pytest.raises(visits.VisitError, match="Only a nurse allowed to override"):
        visits.infusion_start(appointment=appointment, user=nurse, override_reason="Result phoned by the lab.")

    visits.infusion_start(
        appointment=appointment, user=charge_nurse, override_reason="Result phoned by the lab at 08:10."
    )
    override = ReadinessOverride.objects.get(appointment=appointment)
    assert "epatitis B" in override.problems and override.overridden_by == charge_nurse
    assert override.history.count() == 1
    assert Appointment.objects.get(pk=appointment.pk).status == S.INFUSING


def test_override_needs_the_permission(midday, center, scheduler):
    plan = TreatmentPlanFactory(patient=PatientFactory())
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=timezone.now() - datetime.timedelta(minutes=10),
        plan=plan,
        status=S.CHECKED_IN,
        **FIRST_DOSE,
    )
    dose_ready(appointment)
    with pytest.raises(visits.VisitError, match="Only a nurse allowed"):
        visits.infusion_start(appointment=appointment, user=scheduler, override_reason="because")


def test_missing_premedication_blocks_start(appointment, nurse):
    visits.appointment_check_in(appointment=appointment, user=nurse)
    with pytest.raises(visits.ReadinessBlocked, match="Premedication not recorded"):
        visits.infusion_start(appointment=appointment, user=nurse)


def test_no_show_only_once_the_appointment_has_started(midday, center, nurse):
    later = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[2], premed_start=timezone.now() + datetime.timedelta(hours=2)
    )
    with pytest.raises(visits.VisitError, match="has not started yet"):
        visits.appointment_no_show(appointment=later, user=nurse)
    earlier = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[2], premed_start=timezone.now() - datetime.timedelta(hours=6)
    )
    visits.appointment_no_show(appointment=earlier, user=nurse)
    assert earlier.status == S.NO_SHOW and earlier.no_show_at


def test_reaction_needs_a_started_infusion(appointment, nurse):
    with pytest.raises(visits.VisitError, match="once the infusion has started"):
        visits.reaction_record(
            appointment=appointment,
            occurred_at=timezone.now(),
            severity="mild",
            symptoms="Itching",
            action_taken="",
            user=nurse,
        )


def test_future_times_are_refused(midday, appointment, nurse):
    with pytest.raises(visits.VisitError, match="in the future"):
        visits.appointment_check_in(
            appointment=appointment, user=nurse, at=timezone.now() + datetime.timedelta(hours=1)
        )


# ---- pages ----


def test_nurse_runs_the_visit_from_the_page(client, nurse, appointment, clock):
    client.force_login(nurse)

    def now():
        return timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def later(minutes):  # the nurse signs in again after an idle hour
        clock.shift(datetime.timedelta(minutes=minutes))
        client.force_login(nurse)

    response = client.post(reverse("scheduling:visit-step", args=[appointment.pk, "check-in"]), {"at": now()})
    assert response.status_code == 302
    for premed in visits.required_premedications(appointment):
        response = client.post(
            reverse("scheduling:visit-premedication", args=[appointment.pk]),
            {"premedication": premed.pk, "given_at": now()},
        )
        assert response.status_code == 302
    later(60)
    assert client.post(reverse("scheduling:visit-start", args=[appointment.pk])).status_code == 302
    later(210)
    response = client.post(reverse("scheduling:visit-step", args=[appointment.pk, "end"]), {"at": now()})
    assert response.status_code == 302
    response = client.post(
        reverse("scheduling:visit-reaction", args=[appointment.pk]),
        {"occurred_at": now(), "severity": "moderate", "symptoms": "Rash and itching", "action_taken": "Slowed"},
    )
    assert response.status_code == 302
    later(60)
    step = reverse("scheduling:visit-step", args=[appointment.pk, "discharge"])
    assert client.post(step, {"at": now(), "fit_for_discharge": "on"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED
    assert InfusionReaction.objects.get(appointment=appointment).severity == "moderate"
    board = client.get(reverse("scheduling:board")).content.decode()
    assert "actual actual-stay" in board and "actual actual-infusion" in board


def test_wrong_step_shows_the_reason_not_a_500(client, nurse, appointment):
    client.force_login(nurse)
    response = client.post(
        reverse("scheduling:visit-step", args=[appointment.pk, "discharge"]),
        {"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 409
    assert "discharging is not possible now" in response.content.decode()


def test_bad_time_is_a_form_error(client, nurse, appointment):
    client.force_login(nurse)
    response = client.post(reverse("scheduling:visit-step", args=[appointment.pk, "check-in"]), {"at": "yesterday"})
    assert response.status_code == 400
    assert "Enter a valid" in response.content.decode()


def test_blocked_start_shows_problems_and_override_form(midday, client, nurse, charge_nurse, center):
    plan = TreatmentPlanFactory(patient=PatientFactory())
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=timezone.now() - datetime.timedelta(minutes=10),
        plan=plan,
        status=S.CHECKED_IN,
        **FIRST_DOSE,
    )
    dose_ready(appointment)
    client.force_login(nurse)
    response = client.post(reverse("scheduling:visit-start", args=[appointment.pk]))
    html = response.content.decode()
    assert response.status_code == 409
    assert "The infusion cannot start" in html and "Start anyway, with this reason" not in html
    assert "Ask the charge nurse" in html
    assert (
        client.post(reverse("scheduling:visit-start", args=[appointment.pk]), {"override_reason": "x"}).status_code
        == 403
    )
    client.force_login(charge_nurse)
    response = client.post(reverse("scheduling:visit-start", args=[appointment.pk]))
    assert "Start anyway, with this reason" in response.content.decode()
    response = client.post(reverse("scheduling:visit-start", args=[appointment.pk]), {"override_reason": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("scheduling:visit-start", args=[appointment.pk]), {"override_reason": "Physician confirmed by phone."}
    )
    assert response.status_code == 302
    assert ReadinessOverride.objects.filter(appointment=appointment).exists()


@pytest.mark.parametrize(
    "url_name,args",
    [("visit-start", []), ("visit-no-show", []), ("visit-premedication", []), ("visit-step", ["check-in"])],
)
def test_scheduler_cannot_run_visit_steps(client, scheduler, appointment, url_name, args):
    client.force_login(scheduler)
    response = client.post(reverse(f"scheduling:{url_name}", args=[appointment.pk, *args]))
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


def test_visit_steps_are_post_only(client, nurse, appointment):
    client.force_login(nurse)
    assert client.get(reverse("scheduling:visit-start", args=[appointment.pk])).status_code == 405


def test_unknown_step_is_404(client, nurse, appointment):
    client.force_login(nurse)
    assert client.post(reverse("scheduling:visit-step", args=[appointment.pk, "teleport"])).status_code == 404


def test_check_in_only_on_the_day_of_the_visit(center, nurse, client):
    tomorrow = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[2], premed_start=timezone.now() + datetime.timedelta(days=1)
    )
    with pytest.raises(visits.VisitError, match="only possible on the day of the visit"):
        visits.appointment_check_in(appointment=tomorrow, user=nurse)
    client.force_login(nurse)
    html = client.get(tomorrow.get_absolute_url()).content.decode()
    assert "Check-in opens on" in html and ">Check in<" not in html
