"""Model-based: random sequences of patient answers, staff calls, moves and cancellations on one booked visit.

After every step the confirmation mark shown to staff, the schedulers' queues and the freed chair times agree with
a plain model of what happened: an answer holds until the visit moves, a cancelled visit takes no answer, and every
move or cancellation ahead frees exactly one chair time.
"""

from __future__ import annotations

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from replies.models import AnotherTimeRequest, FreedTime
from replies.selectors import another_time_requests, calls_to_confirm, confirmation_marks
from replies.services import confirm
from replies.services.confirm import ReplyError
from scheduling.models import Appointment
from scheduling.services.booking import BookingError, appointment_reschedule
from tests.clock import local
from tests.factories import PatientFactory
from tests.replies.conftest import MON, NOW, book

pytestmark = pytest.mark.django_db
TIMES = [(0, 9), (1, 13), (2, 7)]  # (chair index, hour) the visit moves between, all on Monday


class ReplyEvents(RuleBasedStateMachine):
    def __init__(self, chairs, scheduler):
        super().__init__()
        self.chairs = chairs
        self.scheduler = scheduler

    @initialize(emails=st.booleans())
    def booked(self, emails):
        FreedTime.objects.all().delete()
        Appointment.objects.all().delete()  # each example starts from an empty center (its answers cascade)
        self.patient = PatientFactory(email="" if not emails else "patient@patients.example")
        self.emails = emails
        self.appointment = book(self.chairs[0], local(MON, 9), patient=self.patient)
        self.where = 0
        self.expected = "unconfirmed"
        self.cancelled = False
        self.freed = 0
        self.open_request = False

    def _fresh(self) -> Appointment:
        self.appointment.refresh_from_db()
        return self.appointment

    @rule()
    def patient_confirms(self):
        try:
            confirm.patient_confirm(appointment=self._fresh())
        except ReplyError:
            assert self.cancelled
            return
        assert not self.cancelled
        self.expected = "confirmed"

    @rule(days=st.lists(st.integers(0, 5), max_size=3))
    def patient_asks_another_time(self, days):
        try:
            confirm.patient_ask_another_time(appointment=self._fresh(), weekdays=days, note="")
        except ReplyError:
            assert self.cancelled
            return
        self.expected = "another_time"
        self.open_request = True

    @rule(outcome=st.sampled_from(["confirmed", "no_answer", "left_message"]))
    def front_desk_calls(self, outcome):
        try:
            confirm.call_record(appointment=self._fresh(), outcome=outcome, note="", user=self.scheduler)
        except ReplyError:
            assert self.cancelled
            return
        if outcome == "confirmed":
            self.expected = "confirmed"

    @rule(target_index=st.integers(0, len(TIMES) - 1))
    def scheduler_moves_it(self, target_index):
        if target_index == self.where:
            return
        chair, hour = TIMES[target_index]
        try:
            appointment_reschedule(
                appointment=self._fresh(), chair_id=self.chairs[chair].pk, premed_start=local(MON, hour), user=None
            )
        except BookingError:
            assert self.cancelled
            return
        self.where = target_index
        self.expected = "unconfirmed"
        self.freed += 1

    @rule(reason=st.sampled_from(["", "fever"]))
    def patient_cancels(self, reason):
        confirm.patient_cancel(appointment=self._fresh(), reason=reason)
        if not self.cancelled:
            self.freed += 1
        self.cancelled = True

    @invariant()
    def marks_queues_and_freed_times_agree(self):
        appointment = self._fresh()
        assert (appointment.status == Appointment.Status.CANCELLED) is self.cancelled
        marks = confirmation_marks([appointment])
        if self.cancelled:
            assert marks == {}
        else:
            assert marks[appointment.pk].code == self.expected
        on_call_list = appointment in [row["appointment"] for row in calls_to_confirm()]
        assert on_call_list is (not self.emails and not self.cancelled and self.expected == "unconfirmed")
        in_queue = any(r.appointment_id == appointment.pk for r in another_time_requests())
        assert in_queue is (self.open_request and not self.cancelled)
        assert AnotherTimeRequest.objects.filter(appointment=appointment, handled_at__isnull=True).count() <= 1
        assert FreedTime.objects.filter(source=appointment).count() == self.freed


def test_random_reply_events_keep_marks_queues_and_freed_times_consistent(center, scheduler):
    with time_machine.travel(NOW, tick=False):
        run_state_machine_as_test(
            lambda: ReplyEvents(center, scheduler),
            settings=settings(
                max_examples=15,
                stateful_step_count=8,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            ),
        )
