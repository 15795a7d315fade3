"""Correcting a recorded visit step: a nurse corrects a recorded time, or undoes the last step, with a reason.

Nothing is lost: the appointment's (and the premedication's) history keeps the original, and a visit note
records the reason with the old and new times; the appointment page shows both.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from infusion_center import formats
from scheduling.models import Appointment, PremedicationGiven, Reminder, VisitNote
from scheduling.services.visits import (
    VisitError,
    _check_not_future,
    _locked,
    _save,
    _sync,
    required_premedications,
)

S = Appointment.Status

# Recorded times a nurse may correct, with their words and the statuses in which each one is recorded.
CORRECTABLE_TIMES = {
    "checked_in_at": ("Check-in", (S.CHECKED_IN, S.PREMEDICATED, S.INFUSING, S.OBSERVING, S.COMPLETED)),
    "infusion_started_at": ("Infusion start", (S.INFUSING, S.OBSERVING, S.COMPLETED)),
    "infusion_ended_at": ("Infusion end", (S.OBSERVING, S.COMPLETED)),
    "discharged_at": ("Discharge", (S.COMPLETED,)),
}
ORDER = ("checked_in_at", "infusion_started_at", "infusion_ended_at", "discharged_at")
PREMED_STEP = "premedication:"

REASON_NEEDED = "Give the reason for the correction; it is kept with your name."


def _hm(moment: datetime.datetime | None) -> str:
    return formats.time(moment) if moment else "—"


def _note(appointment: Appointment, user, *, kind: str, step: str, reason: str, previous=None, new=None) -> None:
    note = VisitNote(
        appointment=appointment,
        kind=kind,
        step=step[:200],
        reason=reason,
        previous_time=previous,
        new_time=new,
        recorded_by=user,
    )
    note._history_user = user
    note.save()


def correctable_steps(appointment: Appointment) -> list[tuple[str, str]]:
    """(step, label) of the times recorded so far that a nurse may correct: visit times and premedications."""
    steps = [
        (field, f"{label} ({_hm(getattr(appointment, field))})")
        for field, (label, statuses) in CORRECTABLE_TIMES.items()
        if appointment.status in statuses and getattr(appointment, field)
    ]
    for given in appointment.premedications_given.select_related("premedication"):
        steps.append((f"{PREMED_STEP}{given.pk}", f"{given.premedication} given ({_hm(given.given_at)})"))
    return steps


def _check_order(appointment: Appointment, field: str, moment: datetime.datetime) -> None:
    times = {f: getattr(appointment, f) for f in ORDER}
    times[field] = moment
    recorded = [(f, times[f]) for f in ORDER if times[f] is not None]
    for (first, a), (second, b) in zip(recorded, recorded[1:], strict=False):
        if a.replace(second=0, microsecond=0) > b:
            raise VisitError(
                f"{CORRECTABLE_TIMES[first][0]} ({_hm(a)}) cannot be after {CORRECTABLE_TIMES[second][0].lower()} "
                f"({_hm(b)})."
            )


@transaction.atomic
def visit_time_correct(
    *, appointment: Appointment, user, step: str, new_time: datetime.datetime, reason: str
) -> Appointment:
    """Correct one recorded time of the visit (or of a premedication given); the original stays in the history."""
    reason = reason.strip()
    if not reason:
        raise VisitError(REASON_NEEDED)
    locked = _locked(appointment)
    _check_not_future(new_time)
    if step.startswith(PREMED_STEP):
        given = PremedicationGiven.objects.filter(pk=step[len(PREMED_STEP) :].strip() or 0, appointment=locked).first()
        if given is None:
            raise VisitError("Choose a recorded time of this visit to correct.")
        if locked.infusion_started_at and new_time > locked.infusion_started_at:
            raise VisitError(f"Premedication cannot be after the infusion started ({_hm(locked.infusion_started_at)}).")
        previous = given.given_at
        given.given_at = new_time
        given._history_user = user
        given.save(update_fields=["given_at"])
        if locked.premedicated_at is not None:
            latest = max(g.given_at for g in PremedicationGiven.objects.filter(appointment=locked))
            if latest != locked.premedicated_at:
                locked.premedicated_at = latest
                _save(locked, user, ["premedicated_at"])
        _note(
            locked,
            user,
            kind=VisitNote.Kind.TIME_CORRECTED,
            step=str(given.premedication)[:200],
            reason=reason,
            previous=previous,
            new=new_time,
        )
        return _sync(appointment, locked)
    if step not in CORRECTABLE_TIMES or locked.status not in CORRECTABLE_TIMES[step][1]:
        raise VisitError("Choose a recorded time of this visit to correct.")
    previous = getattr(locked, step)
    _check_order(locked, step, new_time)
    setattr(locked, step, new_time)
    _save(locked, user, [step])
    _note(
        locked,
        user,
        kind=VisitNote.Kind.TIME_CORRECTED,
        step=CORRECTABLE_TIMES[step][0],
        reason=reason,
        previous=previous,
        new=new_time,
    )
    return _sync(appointment, locked)


def last_step(appointment: Appointment) -> str:
    """The step that an undo would take back, in words ('' when there is none)."""
    status = appointment.status
    if status == S.COMPLETED:
        return "Discharge"
    if status == S.OBSERVING:
        return "Infusion end"
    if status == S.INFUSING:
        return "Infusion start"
    if status in (S.CHECKED_IN, S.PREMEDICATED):
        given = appointment.premedications_given.select_related("premedication").order_by("-given_at", "-pk").first()
        return f"{given.premedication} given" if given else "Check-in"
    return ""


@transaction.atomic
def visit_step_undo(*, appointment: Appointment, user, reason: str) -> str:
    """Take back the last recorded step (discharge, infusion end or start, a premedication, check-in).

    Returns the step undone, in words. Reminders planned by the discharge are cancelled if not sent yet.
    """
    reason = reason.strip()
    if not reason:
        raise VisitError("Give the reason for undoing the step; it is kept with your name.")
    locked = _locked(appointment)
    step = last_step(locked)
    if not step:
        raise VisitError(f"A {locked.get_status_display().lower()} appointment has no visit step to undo.")
    if locked.status == S.COMPLETED:
        previous = locked.discharged_at
        locked.status, locked.discharged_at = S.OBSERVING, None
        _save(locked, user, ["status", "discharged_at"])
        Reminder.objects.filter(
            appointment=locked,
            kind__in=Reminder.AFTER_VISIT_KINDS,
            status__in=(Reminder.Status.PENDING, Reminder.Status.FAILED),
        ).update(status=Reminder.Status.CANCELLED, skip_reason="The discharge was undone.")
    elif locked.status == S.OBSERVING:
        previous = locked.infusion_ended_at
        locked.status, locked.infusion_ended_at = S.INFUSING, None
        _save(locked, user, ["status", "infusion_ended_at"])
    elif locked.status == S.INFUSING:
        previous = locked.infusion_started_at
        given = set(PremedicationGiven.objects.filter(appointment=locked).values_list("premedication_id", flat=True))
        complete = all(p.pk in given for p in required_premedications(locked))
        locked.status = S.PREMEDICATED if complete and locked.premedicated_at else S.CHECKED_IN
        locked.infusion_started_at = None
        _save(locked, user, ["status", "infusion_started_at"])
    else:
        given = PremedicationGiven.objects.filter(appointment=locked).order_by("-given_at", "-pk").first()
        if given is not None:
            previous = given.given_at
            given._history_user = user
            given.delete()
            remaining = list(PremedicationGiven.objects.filter(appointment=locked))
            required = {p.pk for p in required_premedications(locked)}
            if locked.status == S.PREMEDICATED and not required <= {g.premedication_id for g in remaining}:
                locked.status, locked.premedicated_at = S.CHECKED_IN, None
                _save(locked, user, ["status", "premedicated_at"])
        else:
            previous = locked.checked_in_at
            locked.status, locked.checked_in_at = S.SCHEDULED, None
            _save(locked, user, ["status", "checked_in_at"])
    _note(locked, user, kind=VisitNote.Kind.STEP_UNDONE, step=step, reason=reason, previous=previous)
    _sync(appointment, locked)
    return step
