"""Confirm, cancel or ask for another time: from the patient's email link, or by the front desk's call."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from replies.models import AnotherTimeRequest, CallAttempt, Channel, Confirmation
from replies.services import queues_changed
from scheduling.models import Appointment
from scheduling.reminders.services import patient_skip_reason

S = Appointment.Status
PATIENT_CANCEL_REASON = "Cancelled by the patient from the email link"


class ReplyError(Exception):
    """An answer refused, in words for the person who gave it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def cancel_cutoff(appointment: Appointment) -> datetime.datetime:
    """The last moment a patient may cancel online; after it they call the center."""
    return appointment.premed_start - datetime.timedelta(hours=settings.PATIENT_CANCEL_CUTOFF_HOURS)


def can_answer(appointment: Appointment, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return appointment.status == S.SCHEDULED and appointment.premed_start > now


def can_cancel_online(appointment: Appointment, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return can_answer(appointment, now) and now < cancel_cutoff(appointment)


def confirmation_of(appointment: Appointment) -> Confirmation | None:
    """The answer that holds for the appointment as it is booked now (None: not confirmed)."""
    confirmation = Confirmation.objects.filter(appointment_id=appointment.pk).first()
    return confirmation if confirmation is not None and confirmation.holds_for(appointment) else None


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related("patient").get(pk=appointment.pk)


def _record(appointment: Appointment, answer: str, *, channel: str, user=None) -> Confirmation:
    now = timezone.now()
    confirmation = Confirmation.objects.filter(appointment=appointment).first()
    if (
        confirmation is not None
        and confirmation.answer == answer
        and confirmation.sequence == appointment.ics_sequence
        and confirmation.channel == channel
    ):
        return confirmation  # the same answer again (a second click, a reloaded page): nothing changes
    confirmation = confirmation or Confirmation(appointment=appointment)
    confirmation.answer = answer
    confirmation.sequence = appointment.ics_sequence
    confirmation.channel = channel
    confirmation.answered_at = now
    confirmation.recorded_by = user
    confirmation._history_user = user
    confirmation.save()
    queues_changed()
    return confirmation


def _course(appointment: Appointment) -> list[Appointment]:
    """The visit and, for a multi-day course, its other days still booked ahead: one answer covers them all (the
    patient is emailed about the course once, with its first day)."""
    if not appointment.course_id:
        return [appointment]
    days = Appointment.objects.select_for_update(of=("self",)).filter(
        course_id=appointment.course_id, status=S.SCHEDULED, premed_start__gt=timezone.now()
    )
    return [appointment, *[day for day in days.order_by("course_day") if day.pk != appointment.pk]]


@transaction.atomic
def patient_confirm(*, appointment: Appointment) -> Confirmation:
    appointment = _locked(appointment)
    if not can_answer(appointment):
        raise ReplyError("This appointment can no longer be confirmed online.")
    answers = [_record(day, Confirmation.Answer.CONFIRMED, channel=Channel.EMAIL_LINK) for day in _course(appointment)]
    return answers[0]


@transaction.atomic
def patient_cancel(*, appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel up to the cut-off. A second cancel of a cancelled visit changes nothing."""
    from scheduling.services.booking import BookingError, appointment_cancel

    appointment = _locked(appointment)
    if appointment.status == S.CANCELLED:
        return appointment
    if not can_cancel_online(appointment):
        raise ReplyError(
            f"It is too late to cancel online. Please call us on {settings.CENTER_PHONE} so we can offer the time "
            "to someone else."
        )
    reason = " ".join((reason or "").split())[:200]
    cancelled = []
    for day in _course(appointment):  # a course is cancelled whole
        try:
            cancelled.append(
                appointment_cancel(
                    appointment=day,
                    reason=f"{PATIENT_CANCEL_REASON}: {reason}" if reason else PATIENT_CANCEL_REASON,
                    user=None,
                )
            )
        except BookingError as exc:
            raise ReplyError(exc.message) from exc
        _record(cancelled[-1], Confirmation.Answer.CANCELLED, channel=Channel.EMAIL_LINK)
    return cancelled[0]


def _weekdays(days) -> str:
    return ",".join(str(d) for d in sorted({int(d) for d in days if 0 <= int(d) <= 6}))


def _another_time(appointment: Appointment, *, weekdays, note: str, channel: str, user=None) -> AnotherTimeRequest:
    request = AnotherTimeRequest.objects.filter(appointment=appointment, handled_at__isnull=True).first()
    request = request or AnotherTimeRequest(appointment=appointment, requested_at=timezone.now())
    request.weekdays = _weekdays(weekdays)
    request.note = " ".join((note or "").split())[:300]
    request.channel = channel
    request._history_user = user
    request.save()
    for day in _course(appointment):
        _record(day, Confirmation.Answer.ANOTHER_TIME, channel=channel, user=user)
    return request


@transaction.atomic
def patient_ask_another_time(*, appointment: Appointment, weekdays, note: str = "") -> AnotherTimeRequest:
    """The visit stays booked until a scheduler moves it; asking again updates the open request."""
    appointment = _locked(appointment)
    if not can_answer(appointment):
        raise ReplyError("This appointment can no longer be changed online.")
    return _another_time(appointment, weekdays=weekdays, note=note, channel=Channel.EMAIL_LINK)


@transaction.atomic
def another_time_handled(*, request: AnotherTimeRequest, user, note: str = "") -> AnotherTimeRequest:
    request = AnotherTimeRequest.objects.select_for_update().get(pk=request.pk)
    if request.handled_at is None:
        request.handled_at = timezone.now()
        request.handled_by = user
        request.handled_note = note.strip()[:255]
        request._history_user = user
        request.save()
        queues_changed()
    return request


@transaction.atomic
def call_record(*, appointment: Appointment, outcome: str, note: str, user, weekdays=()) -> CallAttempt:
    """The front desk's call to confirm: the attempt is kept, and its outcome acts on the booking."""
    from scheduling.services.booking import BookingError, appointment_cancel

    if outcome not in CallAttempt.Outcome.values:
        raise ReplyError("Choose what came of the call.")
    appointment = _locked(appointment)
    if not can_answer(appointment):
        raise ReplyError("This appointment is no longer booked ahead: nothing to confirm.")
    note = " ".join((note or "").split())[:255]
    attempt = CallAttempt(appointment=appointment, outcome=outcome, note=note, called_at=timezone.now(), called_by=user)
    attempt._history_user = user
    attempt.save()
    if outcome == CallAttempt.Outcome.CONFIRMED:
        for day in _course(appointment):
            _record(day, Confirmation.Answer.CONFIRMED, channel=Channel.PHONE, user=user)
    elif outcome == CallAttempt.Outcome.ANOTHER_TIME:
        _another_time(appointment, weekdays=weekdays, note=note, channel=Channel.PHONE, user=user)
    elif outcome == CallAttempt.Outcome.CANCELLED:
        for day in _course(appointment):
            try:
                cancelled = appointment_cancel(
                    appointment=day,
                    reason=f"Patient not coming (phone call){': ' + note if note else ''}",
                    user=user,
                )
            except BookingError as exc:
                raise ReplyError(exc.message) from exc
            _record(cancelled, Confirmation.Answer.CANCELLED, channel=Channel.PHONE, user=user)
    return attempt


def needs_call(appointment: Appointment) -> bool:
    """Patients who get no emails are confirmed by phone."""
    return bool(patient_skip_reason(appointment.patient))
