"""Model-based test: random sequences of the events that change derived state, with the invariants checked after
every step.

Events: book (the search's offer), reschedule (an offer), cancel, the dose given (check-in to discharge, the clock
moving to the visit), no-show, a reaction, a plan stopped or started, a dose given elsewhere, a catalogue edit, a
closure added or removed, a chair in or out of service, a staffing day, opening hours.

Invariants after each step, for every booked dose still to come:
- it is flagged with a reason, or its stored phase, dose, infusion number and chair time are the engine's answer
  for the dose history as it is now;
- an unflagged one keeps the minimum gap after every dose of the ingredient given or booked before it (all plans);
- one on a closed day, an inactive chair, outside hours or over a nurse cap is flagged;
- one that needs attention has no reminder email pending.
And every offer the search makes books. For every active plan, the stored next dose due (what the worklist reads)
is the engine's answer for the dose history as it is now, with the plan's booking, and the worklist lists exactly
the plans the engine says are due with nothing booked.

The number of examples is bounded in the normal suite; HYPOTHESIS_DERIVE_EXAMPLES=500 runs more.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from scheduling.catalogue import drug_specs
from scheduling.engine.capacity import Candidate, check_candidate
from scheduling.engine.protocol import ChairTime
from scheduling.models import (
    Appointment,
    Chair,
    Closure,
    NurseStaffing,
    OpeningHours,
    OutsideDose,
    PlanNextDose,
    RegimenPhase,
    Reminder,
    TreatmentPlan,
)
from scheduling.selectors.center import center_for_range
from scheduling.selectors.history import PENDING_STATUSES, doses_for_patients
from scheduling.selectors.plan_state import plan_next_dose
from scheduling.selectors.worklist import DEFAULT_DUE_WITHIN, WorklistFilters, worklist_rows
from scheduling.services import visits
from scheduling.services.booking import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    slots_search,
)
from scheduling.services.next_dose import HOLDS_THE_DOSE
from scheduling.services.plans import PlanError, plan_start
from tests.clock import local
from tests.factories import WEEKDAYS, ChairFactory, PatientFactory, ScreeningFactory, opening_hours, seeded_drug
from tests.scheduling.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drugs_outside_the_pharmacy")]
EXAMPLES = int(os.environ.get("HYPOTHESIS_DERIVE_EXAMPLES", "10"))
STEPS = int(os.environ.get("HYPOTHESIS_DERIVE_STEPS", "20"))
DRUGS = ("Tysabri", "Tyruko", "Ocrevus (IV)", "Briumvi")
S = Appointment.Status
RUNS = {"examples": 0, "steps": 0, "booked": 0, "flagged": 0, "given": 0}


class DeriveMachine(RuleBasedStateMachine):
    """The center (3 chairs, 3 patients) is made once per test; each example runs in a savepoint rolled back."""

    def __init__(self):
        super().__init__()
        self.now = NOW
        self.clock = time_machine.travel(self.now, tick=False)
        self.clock.start()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.user = get_user_model().objects.get(username="model-nurse")
        self.patients = list(PatientFactory._meta.model.objects.filter(mrn__startswith="MODEL").order_by("pk"))
        self.chairs = list(Chair.objects.order_by("pk"))
        RUNS["examples"] += 1

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.clock.stop()

    # --- helpers -----------------------------------------------------------------------------------------

    def _move_clock(self, moment: datetime.datetime) -> None:
        if moment <= self.now:
            return
        self.clock.stop()
        self.now = moment
        self.clock = time_machine.travel(moment, tick=False)
        self.clock.start()

    def _advance_to(self, moment: datetime.datetime, *, keep: int | None = None) -> None:
        """Time passes as it does at the center: a booking whose time goes by without the patient is a no-show."""
        missed = Appointment.objects.filter(status=S.SCHEDULED, premed_start__lt=moment).exclude(pk=keep)
        for appointment in missed.order_by("premed_start"):
            self._move_clock(appointment.premed_start + datetime.timedelta(minutes=1))
            visits.appointment_no_show(appointment=appointment, user=self.user)
        self._move_clock(moment)

    def _pending(self):
        return list(Appointment.objects.filter(status__in=PENDING_STATUSES, premed_start__gte=self.now).order_by("pk"))

    def _active_plans(self):
        return list(TreatmentPlan.objects.filter(status="active").select_related("patient", "drug").order_by("pk"))

    def _book_offer(self, search, book) -> None:
        """Every offer the search makes must book: book one of them (chosen by the data) and expect success."""
        if not search.slots:
            assert search.reasons, "no offer and no reason why"
            return
        slot = search.slots[self.pick % len(search.slots)]
        try:
            book(slot)
            RUNS["booked"] += 1
        except BookingError as exc:  # pragma: no cover - the failure the test exists to find
            raise AssertionError(f"offered but refused: {slot.reason} -> {exc.message}") from exc

    # --- events --------------------------------------------------------------------------------------------

    @initialize(picks=st.lists(st.integers(0, 1000), min_size=1, max_size=1))
    def start(self, picks):
        self.pick = picks[0]
        for patient, drug in zip(self.patients, ("Tysabri", "Ocrevus (IV)", "Briumvi"), strict=True):
            plan = plan_start(patient=patient, drug=seeded_drug(drug), start_date=self.now.date(), user=self.user)
            # a first dose booked, so later events have a future to change
            self._book_offer(
                slots_search(plan=plan, limit=4),
                lambda slot, plan=plan: appointment_book(
                    plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=self.user
                ),
            )

    @rule(index=st.integers(0, 20), pick=st.integers(0, 7))
    def book(self, index, pick):
        plans = self._active_plans()
        if not plans:
            return
        plan = plans[index % len(plans)]
        self.pick = pick
        self._book_offer(
            slots_search(plan=plan, limit=4),
            lambda slot: appointment_book(
                plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=self.user
            ),
        )

    @rule(index=st.integers(0, 20), pick=st.integers(0, 7))
    def book_another(self, index, pick):
        self.book(index, pick)

    @rule(index=st.integers(0, 50), pick=st.integers(0, 7))
    def reschedule(self, index, pick):
        pending = [a for a in self._pending() if a.status == S.SCHEDULED and a.plan.status == "active"]
        if not pending:
            return
        appointment = pending[index % len(pending)]
        self.pick = pick
        search = slots_search(plan=appointment.plan, appointment=appointment, limit=4)
        assert all(
            (s.chair_id, s.premed_start) != (appointment.chair_id, appointment.premed_start) for s in search.slots
        )
        self._book_offer(
            search,
            lambda slot: appointment_reschedule(
                appointment=appointment, chair_id=slot.chair_id, premed_start=slot.premed_start, user=self.user
            ),
        )

    @rule(index=st.integers(0, 50))
    def cancel(self, index):
        pending = [a for a in self._pending() if a.status == S.SCHEDULED]
        if pending:
            appointment_cancel(appointment=pending[index % len(pending)], reason="Model event", user=self.user)

    @rule(index=st.integers(0, 50))
    def give_dose(self, index):
        pending = [a for a in self._pending() if a.status == S.SCHEDULED]
        if not pending:
            return
        appointment = min(pending, key=lambda a: a.premed_start) if index % 2 else pending[index % len(pending)]
        self._advance_to(appointment.premed_start + datetime.timedelta(minutes=1), keep=appointment.pk)
        appointment.refresh_from_db()
        if appointment.status != S.SCHEDULED:
            return
        visits.appointment_check_in(appointment=appointment, user=self.user)
        for premed in visits.required_premedications(appointment):
            visits.premedication_record(
                appointment=appointment, premedication_id=premed.pk, given_at=timezone.now(), user=self.user
            )
        try:
            visits.infusion_start(
                appointment=appointment,
                user=self.user,
                override_reason="Model: reviewed",
                early_start_reason="Model: the visit runs in one step",
            )
        except visits.VisitError as exc:
            assert not isinstance(exc, visits.ReadinessBlocked)
            # the start refuses only a dose that is not the one due: the engine's derivation says so too
            doses = doses_for_patients([appointment.patient_id])
            derivation = next(
                d.derivation_for(appointment.pk) for d in doses.values() if d.derivation_for(appointment.pk)
            )
            assert derivation.problems, exc.message
            assert Appointment.objects.get(pk=appointment.pk).attention_reason, exc.message
            appointment_cancel(appointment=appointment, reason="Not the dose due", user=self.user)
            return
        visits.infusion_end(appointment=appointment, user=self.user, reason="Model: the visit runs in one step")
        visits.appointment_discharge(
            appointment=appointment, user=self.user, reason="Model: the visit runs in one step"
        )
        RUNS["given"] += 1

    @rule(index=st.integers(0, 50))
    def give_another_dose(self, index):
        self.give_dose(index)

    @rule(index=st.integers(0, 50), days=st.integers(0, 3))
    def no_show(self, index, days):
        pending = [a for a in self._pending() if a.status == S.SCHEDULED]
        if not pending:
            return
        appointment = pending[index % len(pending)]
        self._advance_to(appointment.premed_start + datetime.timedelta(days=days, minutes=5))

    @rule(index=st.integers(0, 50), serious=st.booleans())
    def reaction(self, index, serious):
        given = list(Appointment.objects.filter(status__in=Appointment.GIVEN_STATUSES).order_by("pk"))
        if given:
            appointment = given[index % len(given)]
            visits.reaction_record(
                appointment=appointment,
                occurred_at=min(appointment.infusion_end, timezone.now()),
                severity="severe" if serious else "mild",
                symptoms="Rash",
                action_taken="",
                user=self.user,
            )

    @rule(index=st.integers(0, 20))
    def stop_plan(self, index):
        plans = self._active_plans()
        if plans:
            plan = plans[index % len(plans)]
            plan.status = TreatmentPlan.Status.STOPPED
            plan.save()

    @rule(patient=st.integers(0, 2), drug=st.sampled_from(DRUGS))
    def start_plan(self, patient, drug):
        with contextlib.suppress(PlanError):  # already an active plan on that drug
            plan_start(
                patient=self.patients[patient], drug=seeded_drug(drug), start_date=self.now.date(), user=self.user
            )

    @rule(patient=st.integers(0, 2), drug=st.sampled_from(DRUGS), days_ago=st.integers(1, 200), order=st.integers(1, 3))
    def outside_dose(self, patient, drug, days_ago, order):
        drug = seeded_drug(drug)
        phase = RegimenPhase.objects.filter(drug=drug, order__lte=order).order_by("-order").first()
        OutsideDose.objects.create(
            patient=self.patients[patient],
            drug=drug,
            phase=phase,
            given_on=self.now.date() - datetime.timedelta(days=days_ago),
            dose_mg=phase.dose_amount,
            source="Model",
        )

    @rule(drug=st.sampled_from(DRUGS), observation=st.sampled_from((0, 60, 90, 240)))
    def catalogue_edit(self, drug, observation):
        phase = RegimenPhase.objects.filter(drug__name=drug).order_by("-order").first()
        phase.observation_minutes = observation
        with transaction.atomic():
            phase.save()

    @rule(days=st.integers(0, 40), whole_center=st.booleans(), chair=st.integers(0, 2))
    def add_closure(self, days, whole_center, chair):
        day = self.now.date() + datetime.timedelta(days=days)
        Closure.objects.create(
            starts_on=day, ends_on=day, reason="Model closure", chair=None if whole_center else self.chairs[chair]
        )

    @rule(index=st.integers(0, 20))
    def remove_closure(self, index):
        closures = list(Closure.objects.order_by("pk"))
        if closures:
            closures[index % len(closures)].delete()

    @rule(chair=st.integers(0, 2))
    def toggle_chair(self, chair):
        chair = Chair.objects.get(pk=self.chairs[chair].pk)
        chair.is_active = not chair.is_active
        chair.save()

    @rule(days=st.integers(0, 40), nurses=st.integers(0, 3), per_nurse=st.integers(1, 4))
    def staffing(self, days, nurses, per_nurse):
        day = self.now.date() + datetime.timedelta(days=days)
        NurseStaffing.objects.update_or_create(
            date=day, defaults={"nurses_on_duty": nurses, "patients_per_nurse": per_nurse}
        )

    @rule(weekday=st.integers(0, 4), closes=st.sampled_from((13, 16, 19)))
    def opening_hours(self, weekday, closes):
        hours = OpeningHours.objects.get(weekday=weekday)
        hours.closes_at = datetime.time(closes, 0)
        hours.save()

    # --- invariants ------------------------------------------------------------------------------------------

    @invariant()
    def booked_doses_follow_the_history(self):
        RUNS["steps"] += 1
        pending = list(Appointment.objects.filter(status__in=PENDING_STATUSES).select_related("phase", "plan"))
        future = [a for a in pending if a.premed_start >= _day_start(self.now)]
        if not future:
            return
        loaded = doses_for_patients({a.patient_id for a in future})
        derivations = {}
        for doses in loaded.values():
            for derivation in doses.derivations:
                for pk in derivation.course.key:
                    derivations[pk] = derivation
        specs = drug_specs()
        for appointment in future:
            if appointment.attention_reason:
                RUNS["flagged"] += 1
                continue
            derivation = derivations[appointment.pk]
            assert not derivation.problems, (appointment.pk, derivation.problems)
            expected = derivation.expected
            times = derivation.chair_times[appointment.course_day - 1]
            stored = (
                appointment.phase_id,
                appointment.dose_mg,
                appointment.infusion_number,
                _minutes(appointment.premed_start, appointment.infusion_start),
                _minutes(appointment.infusion_start, appointment.infusion_end),
                _minutes(appointment.infusion_end, appointment.observation_end),
            )
            assert stored == (
                expected.phase.id,
                expected.dose_mg,
                derivation.infusion_numbers[appointment.course_day - 1],
                times.premed_minutes,
                times.infusion_minutes,
                times.observation_minutes,
            ), appointment.pk
            # the minimum gap against every dose of the ingredient given or booked before it, across plans
            doses = loaded[(appointment.patient_id, specs[appointment.plan.drug_id].ingredient)]
            phase = next(p for p in specs[appointment.plan.drug_id].phases if p.id == appointment.phase_id)
            day = timezone.localtime(appointment.premed_start).date()
            for dose in doses.planned().doses:
                if dose.key == derivation.course.key or dose.first_day >= day:
                    continue
                assert dose.last_day < day
                if phase.min_gap_days:
                    assert (day - dose.last_day).days >= phase.min_gap_days, (appointment.pk, dose)

    @invariant()
    def no_unflagged_booking_breaks_the_center(self):
        future = [
            a
            for a in Appointment.objects.filter(status__in=PENDING_STATUSES, attention_reason="")
            if a.premed_start >= _day_start(self.now)
        ]
        if not future:
            return
        days = [timezone.localtime(a.premed_start).date() for a in future]
        center = center_for_range(min(days), max(days))
        active = {c.id for c in center.chairs}
        for appointment in future:
            day, minute = center.local_minute(appointment.premed_start)
            premed = _minutes(appointment.premed_start, appointment.infusion_start)
            infusion = _minutes(appointment.infusion_start, appointment.infusion_end)
            observation = _minutes(appointment.infusion_end, appointment.observation_end)
            candidate = Candidate(
                appointment.chair_id, day, minute, ChairTime(premed, infusion, observation), appointment.patient_id
            )
            assert appointment.chair_id in active, appointment.pk
            problems = check_candidate(center.without([appointment.pk]), candidate)
            assert problems == [], (appointment.pk, problems)
            assert center.rules(day).staffing.nurses > 0

    @invariant()
    def flagged_bookings_send_nothing(self):
        pending = Reminder.objects.filter(
            status=Reminder.Status.PENDING,
            kind__in=Reminder.BEFORE_VISIT_KINDS,
            appointment__status__in=PENDING_STATUSES,
            appointment__attention_accepted_at__isnull=True,
        ).exclude(appointment__attention_reason="")
        assert not pending.exists()

    @invariant()
    def stored_next_doses_are_the_engines_answer(self):
        now = timezone.now()
        today = timezone.localdate(now)
        expected, due = {}, set()
        for plan in self._active_plans():
            dose = plan_next_dose(plan=plan)
            if dose is None:
                continue
            booking = (
                Appointment.objects.filter(plan=plan, status__in=HOLDS_THE_DOSE)
                .order_by("-observation_end", "-pk")
                .values_list("pk", "observation_end")
                .first()
            )
            expected[plan.pk] = (
                dose.phase.id,
                dose.infusion_number,
                dose.course_days,
                dose.earliest,
                dose.target,
                dose.latest,
                booking,
            )
            booked = booking is not None and booking[1] >= now
            if not booked and dose.target <= today + datetime.timedelta(days=DEFAULT_DUE_WITHIN):
                due.add(plan.pk)
        stored = {
            row.plan_id: (
                row.phase_id,
                row.infusion_number,
                row.course_days,
                row.earliest,
                row.target,
                row.latest,
                (row.booking_id, row.booked_until) if row.booking_id else None,
            )
            for row in PlanNextDose.objects.all()
        }
        assert stored == expected
        listed = worklist_rows(filters=WorklistFilters(), today=today, now=now).values_list("plan_id", flat=True)
        assert set(listed) == due


def _minutes(a, b) -> int:
    return int((b - a).total_seconds() // 60)


def _day_start(moment: datetime.datetime) -> datetime.datetime:
    return local(timezone.localdate(moment))


@pytest.fixture
def model_center(db):
    opening_hours(WEEKDAYS, nurses_on_duty=2, setup_minutes=15, patients_per_nurse=3)
    for i in (1, 2, 3):
        ChairFactory(name=f"Model chair {i}", position=i)
    user = get_user_model().objects.create_superuser("model-nurse", "nurse@center.example", "x-long-password-1")
    for n in range(3):
        patient = PatientFactory(mrn=f"MODEL{n}", height_cm=Decimal("170"), weight_kg=Decimal("70"))
        ScreeningFactory(patient=patient, kind="hep_b", taken_on=datetime.date(2026, 11, 1), valid_days=3650)
    return user


def test_random_event_sequences_keep_every_booked_dose_true(model_center):
    RUNS.update(examples=0, steps=0, booked=0, flagged=0, given=0)
    run_state_machine_as_test(
        DeriveMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(  # noqa: T201 (the count the notes quote, shown with -s)
        f"derive model test: {RUNS['examples']} examples, {RUNS['steps']} steps checked, {RUNS['booked']} offers "
        f"booked, {RUNS['given']} doses given, {RUNS['flagged']} flagged bookings seen"
    )
    assert RUNS["examples"] >= min(EXAMPLES, 1)
