"""Model-based test of the visit's clock: random sequences of visit steps, early steps with or without a reason,
reactions, corrections and undos, with the visit's invariants checked after every step."""

import contextlib
import datetime
import itertools

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from infusion_center import roles
from scheduling.models import Appointment, VisitNote
from scheduling.selectors.visit_clock import observation_plan
from scheduling.services import visits
from scheduling.services.visit_corrections import correctable_steps, visit_step_undo, visit_time_correct
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
    opening_hours,
    staff,
)
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
S = Appointment.Status
ORDER = ("checked_in_at", "infusion_started_at", "infusion_ended_at", "discharged_at")
# The timestamps each status has recorded (and the later ones it must not have).
RECORDED = {
    S.SCHEDULED: 0,
    S.CHECKED_IN: 1,
    S.PREMEDICATED: 1,
    S.INFUSING: 2,
    S.OBSERVING: 3,
    S.COMPLETED: 4,
}
REASONS = st.sampled_from(["", "", "Clinical decision recorded"])


class VisitMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.traveller = None

    @initialize()
    def book(self):
        start = local(datetime.date(2026, 12, 2), 8)
        self.travel = time_machine.travel(start, tick=False)
        self.traveller = self.travel.start()
        self.nurse = staff(roles.NURSE, f"nurse-{next(NURSES)}")
        patient = PatientFactory(email="")
        clear_first_dose_checks(patient, taken_on=start.date() - datetime.timedelta(days=30))
        ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=start.date())
        # A chair of its own: the examples share one database, where chairs cannot hold overlapping visits.
        chair = chairs(1)[0]
        self.appointment = AppointmentFactory(
            ocrevus_maintenance=True, chair=chair, premed_start=start, plan=TreatmentPlanFactory(patient=patient)
        )
        self.history_rows = 0

    def teardown(self):
        if self.traveller is not None:
            self.travel.stop()

    def _try(self, service, **kwargs):
        with contextlib.suppress(visits.VisitError):
            service(appointment=self.appointment, user=self.nurse, **kwargs)
        self.appointment.refresh_from_db()

    @rule(minutes=st.integers(min_value=1, max_value=240))
    def time_passes(self, minutes):
        self.traveller.shift(datetime.timedelta(minutes=minutes))

    @rule()
    def check_in(self):
        self._try(visits.appointment_check_in)

    @rule()
    def premedicate(self):
        for premed in visits.required_premedications(self.appointment):
            with contextlib.suppress(visits.VisitError):
                visits.premedication_record(
                    appointment=self.appointment, premedication_id=premed.pk, given_at=timezone.now(), user=self.nurse
                )
        self.appointment.refresh_from_db()

    @rule(reason=REASONS)
    def start(self, reason):
        self._try(visits.infusion_start, early_start_reason=reason)

    @rule(reason=REASONS)
    def end(self, reason):
        self._try(visits.infusion_end, reason=reason)

    @rule()
    def reaction(self):
        with contextlib.suppress(visits.VisitError):
            visits.reaction_record(
                appointment=self.appointment,
                occurred_at=timezone.now(),
                severity="mild",
                symptoms="Itch",
                action_taken="",
                user=self.nurse,
            )

    @rule(reason=REASONS, fit=st.booleans())
    def discharge(self, reason, fit):
        self._try(visits.appointment_discharge, reason=reason, fit_for_discharge=fit)

    @rule(reason=REASONS)
    def undo(self, reason):
        self._try(visit_step_undo, reason=reason)

    @rule(data=st.data(), back=st.integers(min_value=0, max_value=30), reason=REASONS)
    def correct(self, data, back, reason):
        steps = correctable_steps(self.appointment)
        if not steps:
            return
        step = data.draw(st.sampled_from([s for s, _ in steps]))
        new_time = timezone.now() - datetime.timedelta(minutes=back)
        self._try(visit_time_correct, step=step, new_time=new_time, reason=reason)

    @invariant()
    def status_matches_the_recorded_times(self):
        if not hasattr(self, "appointment"):
            return
        a = self.appointment
        recorded = RECORDED[a.status]
        for index, field in enumerate(ORDER):
            assert (getattr(a, field) is not None) == (index < recorded), (a.status, field)

    @invariant()
    def recorded_times_are_in_order(self):
        if not hasattr(self, "appointment"):
            return
        times = [getattr(self.appointment, f) for f in ORDER if getattr(self.appointment, f)]
        minutes = [t.replace(second=0, microsecond=0) for t in times]
        assert all(a <= b for a, b in zip(minutes, times[1:], strict=False)), times

    @invariant()
    def an_early_discharge_always_has_its_reason(self):
        if not hasattr(self, "appointment") or self.appointment.status != S.COMPLETED:
            return
        plan = observation_plan(self.appointment)
        if plan is not None and self.appointment.discharged_at < plan.ends_at:
            kinds = set(VisitNote.objects.filter(appointment=self.appointment).values_list("kind", flat=True))
            assert kinds & {VisitNote.Kind.EARLY_DISCHARGE, VisitNote.Kind.TIME_CORRECTED}, kinds

    @invariant()
    def the_history_only_grows(self):
        if not hasattr(self, "appointment"):
            return
        rows = self.appointment.history.count()
        assert rows >= self.history_rows
        self.history_rows = rows


NURSES = itertools.count()


def test_the_visit_clock_holds_over_random_visits():
    opening_hours()
    run_state_machine_as_test(
        VisitMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
