"""Planning hooks, the sweep and delivery through the outbox (any database; the Celery queue is stubbed here)."""

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.reminders import services
from scheduling.reminders.timing import plan_after_discharge
from tests.clock import local
from tests.factories import PatientFactory
from tests.reminders.conftest import book, cancel, discharge, make_appointment, reschedule

pytestmark = pytest.mark.django_db

KIND = Reminder.Kind
STATUS = Reminder.Status


QUEUE: list[int] = []


@pytest.fixture
def queued_after_commit(monkeypatch):
    """Ids handed to the broker (the real worker and broker are exercised in test_worker.py)."""
    QUEUE.clear()
    monkeypatch.setattr(
        "scheduling.reminders.tasks.reminders_send.apply_async", lambda args, kwargs=None, **kw: QUEUE.extend(args[0])
    )
    return QUEUE


@pytest.fixture
def queued(queued_after_commit, monkeypatch):
    """As above, with on-commit callbacks run at once (each test runs inside one transaction that never commits)."""
    monkeypatch.setattr(
        "scheduling.reminders.services.transaction.on_commit", lambda func, using=None, robust=False: func()
    )
    return queued_after_commit


def rows(appointment):
    return {r.kind: r for r in Reminder.objects.filter(appointment=appointment)}


def deliver_all():
    """What the worker does with what the hooks and one sweep queued."""
    services.reminders_sweep()
    ids = list(QUEUE)
    QUEUE.clear()
    return [outcome for i in ids if (outcome := services.reminder_deliver(reminder_id=i)) != "not-claimed"]


def test_booking_plans_confirmation_preparation_and_hydration_and_queues_the_confirmation_after_commit(
    queued_after_commit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(premed_start=local(10, 9))
    planned = rows(appointment)
    assert set(planned) == {KIND.CONFIRMATION, KIND.PREPARATION, KIND.HYDRATION}
    assert all(r.status == STATUS.PENDING for r in planned.values())
    assert planned[KIND.CONFIRMATION].due_at <= timezone.now()
    assert timezone.localtime(planned[KIND.HYDRATION].due_at).hour == 10
    assert queued_after_commit == [planned[KIND.CONFIRMATION].pk]


def test_a_rolled_back_booking_leaves_no_reminder_and_queues_nothing(
    queued_after_commit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        appointment = make_appointment(premed_start=local(10, 9))
        services.reminders_on_booked(appointment=appointment)
        raise RuntimeError("the booking failed after planning")
    assert not Reminder.objects.exists()
    assert queued_after_commit == []


@pytest.mark.parametrize(
    ("patient", "reason"),
    [
        ({"email": ""}, "No email address"),
        ({"reminder_consent": False}, "No consent"),
        ({"reminders_opted_out_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)}, "Unsubscribed"),
    ],
)
def test_patients_who_cannot_receive_emails_get_skipped_rows_with_the_reason(queued, patient, reason):
    appointment = book(premed_start=local(10, 9), patient=PatientFactory(**patient))
    assert {(r.status, r.skip_reason) for r in rows(appointment).values()} == {(STATUS.SKIPPED, reason)}
    assert deliver_all() == [] and mail.outbox == []


def test_sweep_sends_each_due_reminder_once_and_leaves_future_ones(queued):
    appointment = book(premed_start=local(10, 9))
    assert deliver_all() == ["sent"]
    assert deliver_all() == []
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [appointment.patient.email]
    planned = rows(appointment)
    assert planned[KIND.CONFIRMATION].status == STATUS.SENT and planned[KIND.CONFIRMATION].attempts == 1
    assert planned[KIND.PREPARATION].status == STATUS.PENDING
    # A second delivery of the same id (a duplicate queue message) does nothing.
    assert services.reminder_deliver(reminder_id=planned[KIND.CONFIRMATION].pk) == "not-claimed"
    assert len(mail.outbox) == 1


def test_a_due_time_arriving_is_picked_up_by_the_sweep(queued, time_machine):
    appointment = book(premed_start=local(10, 9))
    deliver_all()
    preparation = rows(appointment)[KIND.PREPARATION]
    time_machine.move_to(preparation.due_at + datetime.timedelta(seconds=30))
    assert deliver_all() == ["sent"]
    assert mail.outbox[-1].subject.startswith("Getting ready for your appointment")


def test_booking_less_than_a_week_ahead_sends_the_preparation_at_once(queued):
    appointment = book(premed_start=local(3, 9))
    prep = rows(appointment)[KIND.PREPARATION]
    assert prep.status == STATUS.PENDING and prep.due_at <= timezone.now()


def test_rescheduling_before_the_confirmation_went_out_sends_only_the_confirmation_with_the_new_time(queued):
    appointment = book(premed_start=local(10, 9))
    reschedule(appointment, premed_start=local(20, 13))
    assert KIND.UPDATE not in rows(appointment)
    deliver_all()
    assert len(mail.outbox) == 1 and "13:00" in mail.outbox[0].body


def test_each_reschedule_after_the_confirmation_sends_one_update_and_replans(queued, time_machine):
    appointment = book(premed_start=local(10, 9))
    deliver_all()
    first_prep_due = rows(appointment)[KIND.PREPARATION].due_at

    reschedule(appointment, premed_start=local(20, 13))
    planned = rows(appointment)
    assert planned[KIND.UPDATE].status == STATUS.PENDING
    assert planned[KIND.PREPARATION].due_at == first_prep_due + datetime.timedelta(days=10)
    assert deliver_all() == ["sent"]
    assert deliver_all() == []

    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=5))
    reschedule(appointment, premed_start=local(21, 14))
    assert rows(appointment)[KIND.UPDATE].status == STATUS.PENDING
    assert deliver_all() == ["sent"]
    assert deliver_all() == []
    updates = [m for m in mail.outbox if "has changed" in m.subject]
    assert len(updates) == 2
    assert "14:00" in updates[1].body
    assert b"SEQUENCE:2" in updates[1].attachments[0].get_payload(decode=True)


def test_a_reschedule_while_the_update_is_being_sent_sends_the_newer_one_too(queued):
    appointment = book(premed_start=local(10, 9))
    deliver_all()
    reschedule(appointment, premed_start=local(20, 9))
    update = rows(appointment)[KIND.UPDATE]
    # A worker claims the update...
    now = timezone.now()
    Reminder.objects.filter(pk=update.pk).update(status=STATUS.SENDING, claimed_at=now)
    # ...and the appointment moves again before the worker records its result.
    reschedule(appointment, premed_start=local(22, 9))
    assert services._finish(update.pk, now, status=STATUS.SENT) is False
    assert rows(appointment)[KIND.UPDATE].status == STATUS.PENDING


def test_cancelling_cancels_the_pending_reminders_and_sends_only_the_cancellation(queued):
    appointment = book(premed_start=local(10, 9))
    deliver_all()
    mail.outbox.clear()
    cancel(appointment)
    planned = rows(appointment)
    assert planned[KIND.PREPARATION].status == STATUS.CANCELLED
    assert planned[KIND.HYDRATION].status == STATUS.CANCELLED
    assert deliver_all() == ["sent"]
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Cancelled"]


def test_cancelling_before_anything_was_sent_sends_nothing(queued):
    appointment = book(premed_start=local(10, 9))
    cancel(appointment)
    assert rows(appointment)[KIND.CANCELLATION].status == STATUS.SKIPPED
    assert rows(appointment)[KIND.CONFIRMATION].status == STATUS.CANCELLED
    assert deliver_all() == [] and mail.outbox == []


def test_discharge_sends_reaction_monitoring_now_and_plans_the_check_in(midday, queued):
    appointment = book(premed_start=timezone.now() - datetime.timedelta(hours=10), drug_name="Lemtrada")
    discharged_at = appointment.observation_end  # this morning's visit, over
    discharge(appointment, at=discharged_at)
    planned = rows(appointment)
    expected = plan_after_discharge(
        discharged_at=discharged_at, reaction_window_hours=48, clock=services.reminder_clock()
    )
    assert planned[KIND.CHECK_IN].due_at == expected.check_in
    assert planned[KIND.CHECK_IN].due_at >= discharged_at + datetime.timedelta(hours=48)
    assert "sent" in deliver_all()
    assert any(m.subject.startswith("After your visit") for m in mail.outbox)


def test_a_course_day_with_another_day_to_come_gets_no_check_in(queued):
    import uuid

    course = uuid.uuid4()
    patient = PatientFactory()
    day1 = book(premed_start=local(1, 9), drug_name="Lemtrada", patient=patient, course_id=course, course_day=1)
    book(premed_start=local(2, 9), drug_name="Lemtrada", patient=patient, course_id=course, course_day=2)
    discharge(day1, at=day1.observation_end)
    assert rows(day1)[KIND.CHECK_IN].status == STATUS.SKIPPED
    assert rows(day1)[KIND.REACTION_MONITORING].status == STATUS.PENDING


def test_mail_failures_retry_with_backoff_then_fail_and_a_manual_retry_sends(
    queued, fast_retries, settings, time_machine
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: connection refused
    appointment = book(premed_start=local(10, 9))
    confirmation = rows(appointment)[KIND.CONFIRMATION]

    outcomes = []
    for _ in range(3):
        outcomes += deliver_all()
        confirmation.refresh_from_db()
        if confirmation.next_attempt_at:
            assert deliver_all() == []  # backing off
            time_machine.move_to(confirmation.next_attempt_at + datetime.timedelta(seconds=1))
    assert outcomes == ["retry", "retry", "failed"]
    confirmation.refresh_from_db()
    assert confirmation.status == STATUS.FAILED and confirmation.attempts == 3
    assert "ConnectionRefusedError" in confirmation.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.reminder_retry(reminder=confirmation)
    assert deliver_all() == ["sent"]
    confirmation.refresh_from_db()
    assert confirmation.status == STATUS.SENT and confirmation.last_error == ""
    assert len(mail.outbox) == 1


def test_an_smtp_refusal_is_recorded_not_raised(queued, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@patients.example": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    appointment = book(premed_start=local(10, 9))
    assert deliver_all() == ["retry"]
    assert "SMTPRecipientsRefused" in rows(appointment)[KIND.CONFIRMATION].last_error


def test_a_stale_claim_from_a_dead_worker_is_sent_again_and_a_fresh_one_is_not(queued, settings, time_machine):
    appointment = book(premed_start=local(10, 9))
    confirmation = rows(appointment)[KIND.CONFIRMATION]
    claimed = timezone.now()
    Reminder.objects.filter(pk=confirmation.pk).update(status=STATUS.SENDING, claimed_at=claimed, attempts=1)
    assert services.reminder_deliver(reminder_id=confirmation.pk) == "not-claimed"
    time_machine.move_to(claimed + datetime.timedelta(seconds=settings.REMINDERS_CLAIM_TIMEOUT_SECONDS + 1))
    assert deliver_all() == ["sent"]
    assert len(mail.outbox) == 1


def test_a_lost_queue_message_is_queued_again_by_a_later_sweep(queued, settings, time_machine):
    appointment = book(premed_start=local(10, 9))
    confirmation = rows(appointment)[KIND.CONFIRMATION]
    assert queued == [confirmation.pk]  # queued at booking, but say the message was lost
    assert services.reminders_sweep() == []
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=settings.REMINDERS_REQUEUE_SECONDS + 1))
    assert services.reminders_sweep() == [confirmation.pk]


def test_pre_visit_reminders_are_not_sent_once_the_visit_has_started(queued, time_machine):
    appointment = book(premed_start=local(10, 9))
    hydration = rows(appointment)[KIND.HYDRATION]
    time_machine.move_to(appointment.premed_start + datetime.timedelta(minutes=1))
    outcomes = deliver_all()
    hydration.refresh_from_db()
    assert hydration.status == STATUS.SKIPPED and "passed" in hydration.skip_reason
    assert "skipped" in outcomes


def test_unsubscribing_skips_what_is_pending_and_what_comes_later(queued):
    appointment = book(premed_start=local(10, 9))
    services.patient_unsubscribe(patient=appointment.patient)
    assert {r.status for r in rows(appointment).values()} == {STATUS.SKIPPED}
    assert deliver_all() == [] and mail.outbox == []


def test_calling_the_booking_and_discharge_hooks_twice_sends_nothing_twice(queued):
    appointment = book(premed_start=local(10, 9))
    deliver_all()
    services.reminders_on_booked(appointment=appointment)
    assert deliver_all() == []  # the confirmation went once
    discharge(appointment, at=appointment.observation_end)
    with time_machine.travel(appointment.observation_end + datetime.timedelta(minutes=1), tick=False):
        deliver_all()
        services.reminders_on_discharged(appointment=appointment)
        assert deliver_all() == []
    sent = list(appointment.reminders.filter(status=STATUS.SENT).values_list("kind", flat=True))
    assert KIND.CONFIRMATION in sent and KIND.REACTION_MONITORING in sent
    assert len(sent) == len(set(sent)) == len(mail.outbox)


def test_patient_reminders_selector_lists_the_patients_emails_newest_first(queued):
    from scheduling.reminders.selectors import reminders_for_patient

    appointment = book(premed_start=local(10, 9))
    book(premed_start=local(40, 9))
    rows = reminders_for_patient(patient_id=appointment.patient_id)
    assert len(rows) == 3 and rows[0].due_at >= rows[-1].due_at


def test_cancelling_while_the_confirmation_is_being_sent_lets_it_finish_and_sends_the_cancellation(queued):
    appointment = book(premed_start=local(10, 9))
    confirmation = rows(appointment)[KIND.CONFIRMATION]
    claim = timezone.now()
    Reminder.objects.filter(pk=confirmation.pk).update(status=STATUS.SENDING, claimed_at=claim, attempts=1)
    cancel(appointment)
    assert rows(appointment)[KIND.CANCELLATION].status == STATUS.PENDING
    assert services._finish(confirmation.pk, claim, status=STATUS.SENT, sent_at=timezone.now()) is True
    assert deliver_all() == ["sent"]
    assert mail.outbox[0].subject.startswith("Cancelled:")


def _confirmations(count):
    """`count` bookings whose confirmations are due, none of them queued yet."""
    ids = [rows(book(premed_start=local(10, 8 + n % 8)))[KIND.CONFIRMATION].pk for n in range(count)]
    Reminder.objects.filter(pk__in=ids).update(enqueued_at=None)
    QUEUE.clear()
    return ids


def test_the_sweep_queues_due_rows_in_chunks_each_id_once(queued, monkeypatch):
    messages = []
    monkeypatch.setattr(
        "scheduling.reminders.tasks.reminders_send.apply_async",
        lambda args, kwargs=None, **kw: messages.append(args[0]),
    )
    ids = _confirmations(services.SEND_CHUNK + 3)
    messages.clear()  # what the bookings queued themselves
    assert sorted(services.reminders_sweep()) == sorted(ids)
    assert [len(m) for m in messages] == [services.SEND_CHUNK, 3]
    assert sorted(i for m in messages for i in m) == sorted(ids)


def test_a_chunk_claims_and_records_each_reminder_and_reads_the_premedications_once(
    queued, django_assert_max_num_queries
):
    ids = _confirmations(6)
    # per reminder: claim, read (with appointment, patient, phase and drug), the patient's confirmation, the drug's
    # advice, record; once: the phase's premedications
    with django_assert_max_num_queries(5 * len(ids) + 1):
        assert services.reminders_deliver(reminder_ids=ids) == ["sent"] * len(ids)
    assert sorted(int(m.extra_headers["X-Reminder-ID"]) for m in mail.outbox) == sorted(ids)
    assert set(Reminder.objects.filter(pk__in=ids).values_list("status", "attempts")) == {(STATUS.SENT, 1)}
    # the same chunk delivered again (a redelivered message) sends nothing
    assert services.reminders_deliver(reminder_ids=ids) == ["not-claimed"] * len(ids)
    assert len(mail.outbox) == len(ids)


def test_one_failure_in_a_chunk_retries_that_reminder_and_sends_the_others_on_a_new_connection(queued, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    ids = _confirmations(3)
    opened = []
    send = EmailBackend.send_messages

    def flaky(self, messages):
        if messages[0].extra_headers["X-Reminder-ID"] == str(ids[1]):
            raise smtplib.SMTPServerDisconnected("gone")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    monkeypatch.setattr(EmailBackend, "open", lambda self: opened.append(self) or True)
    assert services.reminders_deliver(reminder_ids=ids) == ["sent", "retry", "sent"]
    assert len(opened) == 2  # one connection, then a fresh one after the failure
    failed = Reminder.objects.get(pk=ids[1])
    assert failed.status == STATUS.PENDING and failed.next_attempt_at > timezone.now()
    assert "SMTPServerDisconnected" in failed.last_error


def test_what_a_chunk_has_no_time_left_for_stays_pending_for_the_next_sweep(queued):
    ids = _confirmations(3)
    Reminder.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())  # as the sweep leaves them
    assert services.reminders_deliver(reminder_ids=ids, budget_seconds=-1) == ["deferred"] * 3
    assert set(Reminder.objects.filter(pk__in=ids).values_list("status", "attempts", "enqueued_at")) == {
        (STATUS.PENDING, 0, None)
    }
    assert mail.outbox == []
    assert sorted(services.reminders_sweep()) == sorted(ids)  # queued again at once, not after the requeue delay
