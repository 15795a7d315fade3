"""The visit keeps its clock (premedication lead, planned infusion minutes, observation, reactions), and a nurse
can correct a recorded time or undo the last step with a reason: services, pages and the board."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scheduling.engine import visit_clock as engine
from scheduling.models import Appointment, Drug, InfusionReaction, PremedicationGiven, Reminder, VisitNote
from scheduling.services import visits
from scheduling.services.visit_clock import VisitTooEarly
from scheduling.services.visit_corrections import visit_step_undo, visit_time_correct
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
)
from tests.web.helpers import ocrevus_initial_doses_elsewhere

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drugs_outside_the_pharmacy")]
S = Appointment.Status
MIN = datetime.timedelta(minutes=1)


@pytest.fixture
def clock():
    moment = local(datetime.date(2026, 12, 2), 8)
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller


@pytest.fixture
def visit(center, clock):
    """An Ocrevus maintenance visit booked at 08:00 (210 min infusion, 60 min observation), checked in."""
    patient = PatientFactory(first_name="Grace", last_name="Hopper", email="")
    clear_first_dose_checks(patient, taken_on=timezone.localdate() - datetime.timedelta(days=30))
    ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=timezone.localdate())
    plan = TreatmentPlanFactory(patient=patient)
    ocrevus_initial_doses_elsewhere(plan, maintenance_due=timezone.localdate())  # the maintenance dose is due
    appointment = AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=timezone.now(), plan=plan)
    visits.appointment_check_in(appointment=appointment, user=None)
    return appointment


def premedicate(appointment, user, at=None):
    """Every required premedication at `at` (now by default): antihistamine 60 min lead, steroid 30 min."""
    for premed in visits.required_premedications(appointment):
        visits.premedication_record(
            appointment=appointment, premedication_id=premed.pk, given_at=at or timezone.now(), user=user
        )


def run_to_observation(visit, nurse, clock, *, infused=210):
    premedicate(visit, nurse)
    clock.shift(60 * MIN)
    visits.infusion_start(appointment=visit, user=nurse)
    clock.shift(infused * MIN)
    visits.infusion_end(appointment=visit, user=nurse, reason="" if infused >= 210 else "Rate reduced")


# ---- the engine ----


def test_the_longest_lead_since_its_premedication_decides_the_start():
    t0 = local(datetime.date(2026, 12, 2), 8)
    given = [
        engine.PremedicationGivenSpec("Antihistamine", t0, 60),
        engine.PremedicationGivenSpec("Steroid", t0 + 40 * MIN, 30),
    ]
    assert engine.earliest_start(given) == (t0 + 70 * MIN, "Steroid")
    assert engine.early_start_problem(given, at=t0 + 70 * MIN) == ""
    assert "from 09:10 (5 min from the time given)" in engine.early_start_problem(given, at=t0 + 65 * MIN)
    assert engine.earliest_start([]) is None


def test_a_reaction_restarts_observation_from_its_time():
    end = local(datetime.date(2026, 12, 2), 12)
    plain = engine.observation(infusion_ended_at=end, observation_minutes=60)
    assert plain.ends_at == end + 60 * MIN and not plain.restarted_by_reaction
    late = engine.observation(infusion_ended_at=end, observation_minutes=60, reactions_at=[end + 30 * MIN])
    assert late.ends_at == end + 90 * MIN and late.restarted_by_reaction
    off = engine.observation(
        infusion_ended_at=end, observation_minutes=60, reactions_at=[end + 30 * MIN], restart_after_reaction=False
    )
    assert off.ends_at == end + 60 * MIN
    assert engine.minutes_left(late, now=end + 89 * MIN + datetime.timedelta(seconds=10)) == 1


# ---- services ----


def test_the_infusion_cannot_start_before_the_premedication_lead_unless_a_nurse_says_why(visit, nurse, clock):
    premedicate(visit, nurse)
    clock.shift(30 * MIN)
    with pytest.raises(VisitTooEarly) as early:
        visits.infusion_start(appointment=visit, user=nurse)
    assert early.value.field == "early_start_reason"
    assert "the infusion should start 60 min later, from 09:00 (30 min from the time given)" in early.value.message
    assert Appointment.objects.get(pk=visit.pk).status == S.PREMEDICATED
    visits.infusion_start(appointment=visit, user=nurse, early_start_reason="Neurologist asked to start now")
    note = VisitNote.objects.get(appointment=visit)
    assert note.kind == VisitNote.Kind.EARLY_START and note.recorded_by == nurse
    assert note.reason.startswith("Neurologist asked to start now (")


def test_ending_earlier_than_planned_asks_for_a_reason(visit, nurse, clock):
    premedicate(visit, nurse)
    clock.shift(60 * MIN)
    visits.infusion_start(appointment=visit, user=nurse)
    clock.shift(100 * MIN)
    with pytest.raises(VisitTooEarly, match="The infusion ran 100 min of the planned 210 min"):
        visits.infusion_end(appointment=visit, user=nurse)
    visits.infusion_end(appointment=visit, user=nurse, reason="Stopped for a reaction")
    assert VisitNote.objects.get(appointment=visit, kind=VisitNote.Kind.EARLY_END).reason.startswith("Stopped for")


def test_discharge_before_the_observation_minutes_is_refused_unless_a_reason_is_recorded(visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    clock.shift(20 * MIN)
    with pytest.raises(VisitTooEarly) as early:
        visits.appointment_discharge(appointment=visit, user=nurse)
    assert "Observation runs until 13:30 (60 min after the end of the infusion at 12:30): 40 min are left." in (
        early.value.message
    )
    assert Appointment.objects.get(pk=visit.pk).status == S.OBSERVING
    visits.appointment_discharge(appointment=visit, user=nurse, reason="Patient had to leave; advised by phone")
    assert VisitNote.objects.filter(appointment=visit, kind=VisitNote.Kind.EARLY_DISCHARGE).exists()


def test_discharge_after_the_observation_needs_no_reason(visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    clock.shift(60 * MIN)
    visits.appointment_discharge(appointment=visit, user=nurse)
    assert not VisitNote.objects.filter(appointment=visit).exists()


def test_a_reaction_needs_a_fitness_confirmation_and_restarts_observation(visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    clock.shift(30 * MIN)
    visits.reaction_record(
        appointment=visit, occurred_at=timezone.now(), severity="moderate", symptoms="Rash", action_taken="", user=nurse
    )
    clock.shift(40 * MIN)  # 70 min after the end, 40 min after the reaction
    with pytest.raises(VisitTooEarly, match="A nurse must confirm the patient is fit for discharge"):
        visits.appointment_discharge(appointment=visit, user=nurse)
    with pytest.raises(VisitTooEarly, match="60 min after the reaction"):
        visits.appointment_discharge(appointment=visit, user=nurse, fit_for_discharge=True)
    clock.shift(20 * MIN)
    visits.appointment_discharge(appointment=visit, user=nurse, fit_for_discharge=True)
    assert VisitNote.objects.get(appointment=visit).kind == VisitNote.Kind.FIT_FOR_DISCHARGE


def test_a_drug_can_keep_the_observation_from_the_end_after_a_reaction(visit, nurse, clock):
    Drug.objects.filter(pk=visit.phase.drug_id).update(reaction_restarts_observation=False)
    run_to_observation(visit, nurse, clock)
    clock.shift(30 * MIN)
    visits.reaction_record(
        appointment=visit, occurred_at=timezone.now(), severity="mild", symptoms="Itch", action_taken="", user=nurse
    )
    clock.shift(30 * MIN)
    visits.appointment_discharge(appointment=visit, user=nurse, fit_for_discharge=True)  # no restart, no reason
    assert Appointment.objects.get(pk=visit.pk).status == S.COMPLETED


# ---- corrections ----


def test_a_nurse_corrects_a_recorded_time_and_the_original_stays(visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    original = Appointment.objects.get(pk=visit.pk).infusion_started_at
    corrected = original - 5 * MIN
    with pytest.raises(visits.VisitError, match="Give the reason"):
        visit_time_correct(appointment=visit, user=nurse, step="infusion_started_at", new_time=corrected, reason="")
    visit_time_correct(
        appointment=visit, user=nurse, step="infusion_started_at", new_time=corrected, reason="Typed the wrong time"
    )
    assert Appointment.objects.get(pk=visit.pk).infusion_started_at == corrected
    assert original in set(visit.history.values_list("infusion_started_at", flat=True))
    note = VisitNote.objects.get(appointment=visit, kind=VisitNote.Kind.TIME_CORRECTED)
    assert (note.previous_time, note.new_time, note.recorded_by) == (original, corrected, nurse)
    with pytest.raises(visits.VisitError, match="cannot be after infusion end"):
        visit_time_correct(
            appointment=visit, user=nurse, step="infusion_ended_at", new_time=corrected - 10 * MIN, reason="Oops"
        )


def test_a_premedication_time_can_be_corrected(visit, nurse, clock):
    premedicate(visit, nurse)
    given = PremedicationGiven.objects.filter(appointment=visit).first()
    earlier = given.given_at - 20 * MIN
    visit_time_correct(
        appointment=visit, user=nurse, step=f"premedication:{given.pk}", new_time=earlier, reason="Given on the ward"
    )
    given.refresh_from_db()
    assert given.given_at == earlier and given.history.count() == 2


def test_undo_the_last_step_with_a_reason(visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    clock.shift(60 * MIN)
    visits.appointment_discharge(appointment=visit, user=nurse)
    assert visit_step_undo(appointment=visit, user=nurse, reason="Clicked discharge by mistake") == "Discharge"
    visit.refresh_from_db()
    assert visit.status == S.OBSERVING and visit.discharged_at is None
    assert S.COMPLETED in set(visit.history.values_list("status", flat=True))
    assert not Reminder.objects.filter(
        appointment=visit, kind__in=Reminder.AFTER_VISIT_KINDS, status="pending"
    ).exists()
    assert visit_step_undo(appointment=visit, user=nurse, reason="Still infusing") == "Infusion end"
    assert Appointment.objects.get(pk=visit.pk).status == S.INFUSING
    notes = VisitNote.objects.filter(appointment=visit, kind=VisitNote.Kind.STEP_UNDONE)
    assert {n.step for n in notes} == {"Discharge", "Infusion end"}


def test_undo_a_premedication_then_the_check_in(visit, nurse, clock):
    premedicate(visit, nurse)
    visit_step_undo(appointment=visit, user=nurse, reason="Wrong patient's medicine")
    visit.refresh_from_db()
    assert visit.status == S.CHECKED_IN and visit.premedications_given.count() == 1
    visit_step_undo(appointment=visit, user=nurse, reason="Wrong patient's medicine")
    visit_step_undo(appointment=visit, user=nurse, reason="Checked in the wrong patient")
    visit.refresh_from_db()
    assert visit.status == S.SCHEDULED and visit.checked_in_at is None
    assert PremedicationGiven.history.filter(history_type="-").count() == 2  # the originals stay in the history
    with pytest.raises(visits.VisitError, match="no visit step to undo"):
        visit_step_undo(appointment=visit, user=nurse, reason="again")


# ---- pages and the board ----


def test_the_page_asks_for_the_reason_and_shows_it_in_the_history(client, visit, nurse, clock):
    client.force_login(nurse)
    premedicate(visit, nurse)
    clock.shift(10 * MIN)
    client.force_login(nurse)
    start = reverse("scheduling:visit-start", args=[visit.pk])
    response = client.post(start)
    html = response.content.decode()
    assert response.status_code == 409 and "Too early to start the infusion" in html
    assert 'name="early_start_reason"' in html
    assert client.post(start, {"early_start_reason": "Patient must leave by 12:00"}).status_code == 302
    html = client.get(visit.get_absolute_url()).content.decode()
    assert "Started before the premedication lead: Patient must leave by 12:00" in html


def test_the_page_corrects_a_time_and_undoes_a_step(client, visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    client.force_login(nurse)
    html = client.get(visit.get_absolute_url()).content.decode()
    assert "Correct a recorded step" in html and "Undo infusion end" in html
    url = reverse("scheduling:visit-correct-time", args=[visit.pk])
    response = client.post(url, {"step": "infusion_ended_at", "new_time": "2026-12-02T12:25", "reason": ""})
    assert response.status_code == 400
    response = client.post(
        url, {"step": "infusion_ended_at", "new_time": "2026-12-02T12:25", "reason": "Pump alarm time"}
    )
    assert response.status_code == 302
    html = client.get(visit.get_absolute_url()).content.decode()
    assert "Recorded time corrected: Pump alarm time" in html and "12:30 → 12:25" in html
    response = client.post(reverse("scheduling:visit-undo-step", args=[visit.pk]), {"reason": "Still running"})
    assert response.status_code == 302 and Appointment.objects.get(pk=visit.pk).status == S.INFUSING


def test_a_scheduler_cannot_correct_or_undo(client, visit, scheduler):
    client.force_login(scheduler)
    for name in ("visit-correct-time", "visit-undo-step"):
        assert client.post(reverse(f"scheduling:{name}", args=[visit.pk]), {"reason": "x"}).status_code == 403


def test_the_board_shows_the_time_left_in_observation(client, visit, nurse, clock):
    run_to_observation(visit, nurse, clock)
    clock.shift(15 * MIN)
    client.force_login(nurse)
    html = client.get(reverse("scheduling:board")).content.decode()
    assert "Observing · 45 min left" in html
    InfusionReaction.objects.create(
        appointment=visit,
        patient=visit.patient,
        drug=visit.phase.drug,
        occurred_at=timezone.now(),
        severity="mild",
        symptoms="Itch",
    )
    html = client.get(reverse("scheduling:board")).content.decode()
    assert "Observing · 60 min left" in html
