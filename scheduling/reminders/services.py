"""Reminder outbox services.

Planning hooks (`reminders_on_*`) run inside the booking and visit services' transactions and only write rows.
Delivery: the beat sweep (`reminders_sweep`) hands due rows to the queue in chunks, and the worker claims each row
with its own conditional UPDATE before sending it, so a row is sent at most once however many sweeps, workers or
duplicate queue messages there are. A claim left by a worker that died mid-send goes stale and is claimed again.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable, Sequence
from functools import partial

from celery import current_app
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone

from infusion_center.refusals import RefusalError
from patients.models import Patient
from scheduling.models import Appointment, Premedication, Reminder
from scheduling.reminders.emails import reminder_message
from scheduling.reminders.timing import (
    ReminderClock,
    parse_time_of_day,
    plan_after_booking,
    plan_after_discharge,
    retry_delay_seconds,
)
from scheduling.selectors.center import center_tz

logger = logging.getLogger(__name__)

Kind = Reminder.Kind
Status = Reminder.Status

SKIP_NO_EMAIL = "No email address"
SKIP_NO_CONSENT = "No consent"
SKIP_UNSUBSCRIBED = "Unsubscribed"
SKIP_TOO_LATE = "Too late: the appointment is sooner than this reminder's time"
SKIP_VISIT_PASSED = "Too late: the appointment time has passed"
SKIP_WITH_FIRST_DAY = "Sent with the first day of the course"
SKIP_NEXT_COURSE_DAY = "Another day of the course follows"
SKIP_NEVER_ANNOUNCED = "The patient had not been sent this appointment"
CANCELLED_APPOINTMENT = "The appointment was cancelled"


def reminder_clock() -> ReminderClock:
    return ReminderClock(
        zone=center_tz(),
        preparation_days_before=settings.REMINDERS_PREPARATION_DAYS_BEFORE,
        preparation_time=parse_time_of_day(settings.REMINDERS_PREPARATION_TIME),
        hydration_time=parse_time_of_day(settings.REMINDERS_HYDRATION_TIME),
        check_in_time=parse_time_of_day(settings.REMINDERS_CHECK_IN_TIME),
    )


def patient_skip_reason(patient: Patient) -> str:
    """Why this patient gets no reminder emails ('' when they do)."""
    if patient.reminders_opted_out_at is not None:
        return SKIP_UNSUBSCRIBED
    if not patient.reminder_consent:
        return SKIP_NO_CONSENT
    if not patient.email:
        return SKIP_NO_EMAIL
    return ""


# --- planning (called inside the caller's transaction) ----------------------------------------------------


def _arm(
    appointment: Appointment,
    kind: str,
    *,
    due_at: datetime.datetime | None,
    skip_reason: str = "",
    now,
    rearm_sent: bool = True,
) -> Reminder:
    """Create or re-arm the (appointment, kind) row: pending at `due_at`, or skipped with a reason.

    Re-arming clears the claim, so a worker still finishing an earlier send of this row cannot mark the
    re-armed row as sent: it will be sent again with the appointment's current details. With
    `rearm_sent=False` a row already sent (or being sent) is left alone, so calling a hook twice sends nothing twice.
    """
    if not rearm_sent:
        existing = Reminder.objects.filter(
            appointment=appointment, kind=kind, status__in=(Status.SENT, Status.SENDING)
        ).first()
        if existing is not None:
            return existing
    reason = skip_reason or patient_skip_reason(appointment.patient)
    if not reason and due_at is None:
        reason = SKIP_TOO_LATE
    values = {
        "due_at": due_at or now,
        "status": Status.SKIPPED if reason else Status.PENDING,
        "skip_reason": reason,
        "attempts": 0,
        "next_attempt_at": None,
        "enqueued_at": None,
        "claimed_at": None,
        "last_error": "",
        "failing_since": None,
    }  # sent_at is kept: when it was last sent, for staff
    reminder, _ = Reminder.objects.update_or_create(appointment=appointment, kind=kind, defaults=values)
    return reminder


def _first_course_day(appointment: Appointment) -> Appointment:
    if appointment.course_id and appointment.course_day > 1:
        first = (
            Appointment.objects.filter(course_id=appointment.course_id, course_day=1)
            .exclude(status=Appointment.Status.CANCELLED)
            .first()
        )
        if first is not None:
            return first
    return appointment


def _plan_before_visit(appointment: Appointment, *, now: datetime.datetime, moved: bool) -> list[Reminder]:
    """Preparation and hydration for the visit's (new) date; after a move, even ones sent for the old date."""
    plan = plan_after_booking(premed_start=appointment.premed_start, now=now, clock=reminder_clock())
    later_day = bool(appointment.course_id) and appointment.course_day > 1
    reason = SKIP_WITH_FIRST_DAY if later_day else ""
    return [
        _arm(appointment, Kind.PREPARATION, due_at=plan.preparation, skip_reason=reason, now=now, rearm_sent=moved),
        _arm(appointment, Kind.HYDRATION, due_at=plan.hydration, skip_reason=reason, now=now, rearm_sent=moved),
    ]


@transaction.atomic(savepoint=False)
def reminders_on_booked(*, appointment: Appointment) -> list[Reminder]:
    """A new booking: confirmation now (with the .ics), preparation and hydration before the visit."""
    now = timezone.now()
    later_day = bool(appointment.course_id) and appointment.course_day > 1
    reminders = [
        _arm(
            appointment,
            Kind.CONFIRMATION,
            due_at=now,
            skip_reason=SKIP_WITH_FIRST_DAY if later_day else "",
            now=now,
            rearm_sent=False,
        ),
        *_plan_before_visit(appointment, now=now, moved=False),
    ]
    _enqueue_due_on_commit(reminders, now=now)
    return reminders


@transaction.atomic(savepoint=False)
def reminders_on_rescheduled(*, appointment: Appointment) -> list[Reminder]:
    """Moved in place (same UID, higher ics_sequence): replan the visit's reminders and send an update.

    While the confirmation that covers this visit has not gone out yet it will carry the new time itself,
    so no update is queued. Each further reschedule re-arms the one update row, so the patient gets one
    update per change (or one carrying the latest time if several changes happen before it is sent).
    """
    now = timezone.now()
    reminders = _plan_before_visit(appointment, now=now, moved=True)
    carrier = _first_course_day(appointment)
    confirmation = Reminder.objects.filter(appointment=carrier, kind=Kind.CONFIRMATION).first()
    if confirmation is None or confirmation.status != Status.PENDING:
        reminders.append(_arm(appointment, Kind.UPDATE, due_at=now, now=now))
    _enqueue_due_on_commit(reminders, now=now)
    return reminders


@transaction.atomic(savepoint=False)
def reminders_on_cancelled(*, appointment: Appointment) -> list[Reminder]:
    """Cancel everything not yet sent for this visit; tell the patient if they had been told about it."""
    now = timezone.now()
    carrier = _first_course_day(appointment)
    sending_confirmation = Reminder.objects.filter(
        appointment=carrier, kind=Kind.CONFIRMATION, status=Status.SENDING
    ).exists()
    # A row being sent is left to its worker: the outcome is recorded truthfully, and a retry would find the
    # appointment cancelled and stop.
    open_rows = Reminder.objects.filter(appointment=appointment, status__in=(Status.PENDING, Status.FAILED)).exclude(
        kind=Kind.CANCELLATION
    )
    open_rows.update(status=Status.CANCELLED, skip_reason=CANCELLED_APPOINTMENT, updated_at=now)

    announced = (
        Reminder.objects.filter(
            Q(appointment=carrier, kind=Kind.CONFIRMATION) | Q(appointment=appointment, kind=Kind.UPDATE),
            sent_at__isnull=False,
        ).exists()
        # A confirmation being sent right now may reach the patient: tell them it is cancelled too.
        or sending_confirmation
    )
    reminder = _arm(
        appointment,
        Kind.CANCELLATION,
        due_at=now,
        skip_reason="" if announced else SKIP_NEVER_ANNOUNCED,
        now=now,
        rearm_sent=False,
    )
    _enqueue_due_on_commit([reminder], now=now)
    return [reminder]


@transaction.atomic(savepoint=False)
def reminders_on_discharged(*, appointment: Appointment) -> list[Reminder]:
    """After the visit: what to watch for (now), and a check-in the next day or when the reaction window ends."""
    now = timezone.now()
    discharged_at = appointment.discharged_at or now
    plan = plan_after_discharge(
        discharged_at=discharged_at,
        reaction_window_hours=appointment.phase.drug.reaction_window_hours,
        clock=reminder_clock(),
    )
    follows = (
        bool(appointment.course_id)
        and Appointment.objects.filter(
            course_id=appointment.course_id,
            course_day__gt=appointment.course_day,
            status__in=(Appointment.Status.SCHEDULED, Appointment.Status.CHECKED_IN),
        ).exists()
    )
    reminders = [
        _arm(
            appointment,
            Kind.REACTION_MONITORING,
            due_at=max(plan.reaction_monitoring, now),
            now=now,
            rearm_sent=False,
        ),
        _arm(
            appointment,
            Kind.CHECK_IN,
            due_at=plan.check_in,
            skip_reason=SKIP_NEXT_COURSE_DAY if follows else "",
            now=now,
            rearm_sent=False,
        ),
    ]
    _enqueue_due_on_commit(reminders, now=now)
    return reminders


# --- queueing ------------------------------------------------------------------------------------------


# After a failed publish, skip publishing for a while: the sweep sends those rows once the broker is back,
# and a booking does not wait for the Redis client's connection retries again and again during an outage.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


# One queue message carries up to this many ids; the worker still claims and records each row on its own.
SEND_CHUNK = 25
# The task is named, not imported: the tasks module imports this one (scheduling/reminders/tasks.py).
SEND_TASK = "scheduling.tasks.reminders_send"


def _enqueue(ids: list[int], *, from_sweep: bool = False) -> None:
    """Hand rows to the broker. If it is unreachable the rows stay pending and the next sweep queues them."""
    global _broker_down_until
    if not from_sweep and time.monotonic() < _broker_down_until:
        Reminder.objects.filter(pk__in=ids).update(enqueued_at=None)
        return
    for position in range(0, len(ids), SEND_CHUNK):
        try:
            current_app.signature(SEND_TASK).apply_async((ids[position : position + SEND_CHUNK],), retry=False)
        except Exception:  # the broker is down: the outbox row is the source of truth
            logger.warning(
                "Could not queue reminders %s; the sweep will pick them up.",
                ids[position : position + 3],
                exc_info=True,
            )
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            Reminder.objects.filter(pk__in=ids[position:]).update(enqueued_at=None)
            return


def _enqueue_due_on_commit(reminders: Iterable[Reminder], *, now: datetime.datetime) -> None:
    ids = [r.pk for r in reminders if r.status == Status.PENDING and r.due_at <= now]
    if not ids:
        return
    Reminder.objects.filter(pk__in=ids).update(enqueued_at=now)
    transaction.on_commit(partial(_enqueue, ids), robust=True)


def _claimable(now: datetime.datetime) -> Q:
    stale = now - datetime.timedelta(seconds=settings.REMINDERS_CLAIM_TIMEOUT_SECONDS)
    due = Q(status=Status.PENDING, due_at__lte=now) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return due | Q(status=Status.SENDING, claimed_at__lte=stale)


def reminders_sweep(*, now: datetime.datetime | None = None, batch: int | None = None) -> list[int]:
    """Find due rows (and stale claims) not queued recently, mark them queued, and queue them after commit.

    On PostgreSQL concurrent sweeps skip each other's locked rows; on SQLite the IMMEDIATE transaction
    serialises them. Returns the ids queued.
    """
    now = now or timezone.now()
    batch = batch or settings.REMINDERS_SWEEP_BATCH
    requeue = now - datetime.timedelta(seconds=settings.REMINDERS_REQUEUE_SECONDS)
    with transaction.atomic():
        ids = list(
            Reminder.objects.filter(_claimable(now))
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=requeue))
            .order_by("due_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:batch]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids).update(enqueued_at=now)
            transaction.on_commit(partial(_enqueue, ids, from_sweep=True), robust=True)
    return ids


# --- delivery ------------------------------------------------------------------------------------------


def _finish(reminder_id: int, claim: datetime.datetime, **values) -> bool:
    """Record an outcome only if our claim still holds (the row was not re-armed or re-claimed meanwhile)."""
    values.setdefault("updated_at", timezone.now())
    return bool(Reminder.objects.filter(pk=reminder_id, status=Status.SENDING, claimed_at=claim).update(**values))


def _send_time_skip(reminder: Reminder, now: datetime.datetime) -> tuple[str, str]:
    """(status, reason) when the row must not be sent now, else ('', '')."""
    appointment = reminder.appointment
    reason = patient_skip_reason(appointment.patient)
    if reason:
        return Status.SKIPPED, reason
    if reminder.kind != Kind.CANCELLATION and appointment.status in (
        Appointment.Status.CANCELLED,
        Appointment.Status.NO_SHOW,
    ):
        return Status.CANCELLED, CANCELLED_APPOINTMENT
    if reminder.kind in Reminder.BEFORE_VISIT_KINDS and appointment.premed_start <= now:
        return Status.SKIPPED, SKIP_VISIT_PASSED
    return "", ""


class _Mailer:
    """One mail connection for a run of sends, opened when first needed and reopened after a failure."""

    def __init__(self) -> None:
        self.connection = None

    def send(self, message) -> None:
        if self.connection is None:
            connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
            connection.open()
            self.connection = connection
        try:
            self.connection.send_messages([message])
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # a broken connection: the next send opens a new one
                logger.debug("Closing the mail connection failed.", exc_info=True)


def reminder_deliver(*, reminder_id: int) -> str:
    """Claim one due reminder and send it. Returns what happened: sent, skipped, cancelled, retry, failed or
    not-claimed (already sent, not due, or another worker has it). Safe to call any number of times."""
    return reminders_deliver(reminder_ids=[reminder_id])[0]


def reminders_deliver(*, reminder_ids: Sequence[int], budget_seconds: float | None = None) -> list[str]:
    """Deliver several reminders one after the other, each claimed, sent and recorded on its own exactly as
    `reminder_deliver` does; they share the mail connection and the premedications read for each phase.

    Once `budget_seconds` have passed (the task's soft time limit must never interrupt a send), the rest is left
    pending for the next sweep ("deferred")."""
    mailer = _Mailer()
    premedications: dict[int, list[Premedication]] = {}
    deadline = time.monotonic() + budget_seconds if budget_seconds is not None else None
    outcomes = []
    try:
        for position, reminder_id in enumerate(reminder_ids):
            if deadline is not None and time.monotonic() > deadline:
                rest = reminder_ids[position:]
                Reminder.objects.filter(pk__in=rest, status=Status.PENDING).update(enqueued_at=None)
                outcomes += ["deferred"] * len(rest)
                break
            outcomes.append(_deliver(reminder_id, mailer=mailer, premedications=premedications))
    finally:
        mailer.close()
    return outcomes


def _deliver(reminder_id: int, *, mailer: _Mailer, premedications: dict[int, list[Premedication]]) -> str:
    now = timezone.now()
    claimed = (
        Reminder.objects.filter(pk=reminder_id)
        .filter(_claimable(now))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, enqueued_at=None, updated_at=now)
    )
    if not claimed:
        return "not-claimed"
    reminder = Reminder.objects.select_related("appointment__patient", "appointment__phase__drug").get(pk=reminder_id)

    status, reason = _send_time_skip(reminder, now)
    if status:
        _finish(reminder_id, now, status=status, skip_reason=reason)
        return str(status)

    try:
        phase_id = reminder.appointment.phase_id
        if phase_id not in premedications:
            premedications[phase_id] = list(Premedication.objects.filter(phase_id=phase_id))
        message = reminder_message(reminder, now=now, premedications=premedications[phase_id])
        mailer.send(message)
    except Exception as exc:  # SMTP refusals, timeouts, a template error: recorded on the row for staff
        return _record_failure(reminder, claim=now, error=f"{type(exc).__name__}: {exc}"[:2000])

    _finish(
        reminder_id,
        now,
        status=Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        next_attempt_at=None,
        failing_since=None,
    )
    return "sent"


def _record_failure(reminder: Reminder, *, claim: datetime.datetime, error: str) -> str:
    """Retry with backoff; a reminder fails for good only after REMINDERS_MAX_ATTEMPTS attempts AND
    REMINDERS_RETRY_HOURS of failing, so a mail-server outage of a few hours loses nothing."""
    logger.warning("Reminder %s failed (attempt %s): %s", reminder.pk, reminder.attempts, error)
    now = timezone.now()
    failing_since = reminder.failing_since or claim
    retried_long_enough = now - failing_since >= datetime.timedelta(hours=settings.REMINDERS_RETRY_HOURS)
    if reminder.attempts >= settings.REMINDERS_MAX_ATTEMPTS and retried_long_enough:
        _finish(
            reminder.pk,
            claim,
            status=Status.FAILED,
            last_error=error,
            next_attempt_at=None,
            failing_since=failing_since,
        )
        return "failed"
    delay = retry_delay_seconds(
        attempts=reminder.attempts,
        base_seconds=settings.REMINDERS_RETRY_BASE_SECONDS,
        max_seconds=settings.REMINDERS_RETRY_MAX_SECONDS,
    )
    _finish(
        reminder.pk,
        claim,
        status=Status.PENDING,
        last_error=error,
        next_attempt_at=now + datetime.timedelta(seconds=delay),
        enqueued_at=None,
        claimed_at=None,
        failing_since=failing_since,
    )
    return "retry"


# --- staff and patient actions ------------------------------------------------------------------------------


class ReminderError(RefusalError):
    """A reminder action refused (retrying one that is not failed)."""


@transaction.atomic
def reminder_retry(*, reminder: Reminder) -> Reminder:
    """Staff: send a failed reminder again now."""
    reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if reminder.status != Status.FAILED:
        raise ReminderError(
            f"Only a failed reminder can be retried; this one is {reminder.get_status_display().lower()}."
        )
    now = timezone.now()
    reminder.status = Status.PENDING
    reminder.attempts = 0
    reminder.next_attempt_at = None
    reminder.claimed_at = None
    reminder.failing_since = None
    reminder.due_at = min(reminder.due_at, now)
    reminder.save(
        update_fields=["status", "attempts", "next_attempt_at", "claimed_at", "failing_since", "due_at", "updated_at"]
    )
    _enqueue_due_on_commit([reminder], now=now)
    return reminder


@transaction.atomic
def reminders_retry_failed() -> int:
    """Staff: send every failed reminder again now (a send-time check still skips those no longer wanted).
    Returns how many were queued."""
    now = timezone.now()
    ids = list(
        Reminder.objects.select_for_update().filter(status=Status.FAILED).order_by("id").values_list("id", flat=True)
    )
    if not ids:
        return 0
    Reminder.objects.filter(pk__in=ids).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=None,
        claimed_at=None,
        failing_since=None,
        due_at=Least(F("due_at"), Value(now)),
        updated_at=now,
    )
    _enqueue_due_on_commit(list(Reminder.objects.filter(pk__in=ids)), now=now)
    return len(ids)


@transaction.atomic
def patient_unsubscribe(*, patient: Patient) -> Patient:
    """Patient (from an email link): no more reminder emails; pending ones are skipped."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.reminders_opted_out_at is None:
        patient.reminders_opted_out_at = timezone.now()
        patient.save(update_fields=["reminders_opted_out_at", "updated_at"])
    Reminder.objects.filter(appointment__patient=patient, status=Status.PENDING).update(
        status=Status.SKIPPED, skip_reason=SKIP_UNSUBSCRIBED, updated_at=timezone.now()
    )
    return patient


# --- bookings that need attention (scheduling.services.derive) ------------------------------------------------

SKIP_HELD = "Held: the booking needs attention"


@transaction.atomic(savepoint=False)
def reminders_hold(*, appointment: Appointment) -> int:
    """A booking that no longer fits: its pending before-visit emails wait until it is rebooked or accepted."""
    return Reminder.objects.filter(
        appointment=appointment, kind__in=Reminder.BEFORE_VISIT_KINDS, status=Status.PENDING
    ).update(status=Status.SKIPPED, skip_reason=SKIP_HELD, enqueued_at=None, updated_at=timezone.now())


@transaction.atomic(savepoint=False)
def reminders_release(*, appointment: Appointment) -> list[Reminder]:
    """The booking fits again: the emails held for it are planned again for its current time."""
    held = set(
        Reminder.objects.filter(appointment=appointment, status=Status.SKIPPED, skip_reason=SKIP_HELD).values_list(
            "kind", flat=True
        )
    )
    if not held:
        return []
    now = timezone.now()
    reminders = [r for r in _plan_before_visit(appointment, now=now, moved=False) if r.kind in held]
    for kind in held & {Kind.CONFIRMATION, Kind.UPDATE}:
        reminders.append(_arm(appointment, kind, due_at=now, now=now))
    _enqueue_due_on_commit(reminders, now=now)
    return reminders
