"""Derived, never stale: every booked dose is re-derived from the dose history as it is now.

A booking stores its dose number, phase, dose and chair time; they are a cache of the engine's answer. After
every event that can change that answer (a booking, a move, a cancellation, a no-show, a dose given, a reaction,
a plan stopped or started, an outside dose, a catalogue edit, a closure, a chair or staffing change, opening
hours) `derive_patients` runs in the event's transaction for the patients affected:

- the engine's answer still fits the booked time: the booking is updated in place (and its emails re-planned
  when its times change);
- it does not (too early now, the wrong phase, the lifetime limit, closed, chair inactive, outside hours or an
  overlap after a longer chair time, over the nurse caps): the booking is flagged "needs attention" with the
  reason in words and its pending emails are held. It stays on the board and in the queue until it fits again
  (then it is unflagged and its emails planned again), is rebooked, or - a nurse-capacity overload only - is
  accepted after review.

Visit steps, reactions, plans, the catalogue and the center's resources reach this service through the signals in
`scheduling.signals`, so admin and every page take the same path; the booking services call it directly.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from infusion_center.refusals import RefusalError
from scheduling.catalogue import drug_specs
from scheduling.engine.capacity import Booking, Candidate, Center, check_candidate
from scheduling.engine.dosing import fmt_date
from scheduling.engine.history import PROBLEM_CAPACITY, PROBLEM_CENTER, Problem, start_refusal
from scheduling.engine.slots import slot_day
from scheduling.models import Appointment, Chair
from scheduling.reminders.services import reminders_hold, reminders_on_rescheduled, reminders_release
from scheduling.selectors.center import center_for_range, center_tz
from scheduling.selectors.history import PENDING_STATUSES, doses_for, doses_for_patients, drug_ids_sharing
from scheduling.services.errors import VisitError
from scheduling.services.next_dose import next_doses_refresh

S = Appointment.Status
CHANGEABLE = (S.SCHEDULED,)  # a patient already checked in keeps their times; they are only flagged
NOT_ACTIVE_CHAIR = "is not an active chair."


@dataclass
class DeriveOutcome:
    updated: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)  # newly flagged (or with a new reason)
    unflagged: list[int] = field(default_factory=list)

    def merge(self, other: DeriveOutcome) -> None:
        self.updated += other.updated
        self.flagged += other.flagged
        self.unflagged += other.unflagged


def _capacity_problems(center: Center, candidate: Candidate, inactive: dict[int, str]) -> list[Problem]:
    problems = []
    if candidate.chair_id in inactive:
        problems.append(Problem(PROBLEM_CENTER, f"{inactive[candidate.chair_id]} is out of service (inactive)."))
    rules = center.rules(candidate.day)
    no_nurses = rules.is_open and rules.staffing.nurses == 0
    if no_nurses:
        problems.append(Problem(PROBLEM_CENTER, f"No nurses are on duty on {fmt_date(candidate.day)}."))
    for message in check_candidate(center, candidate):
        if message.endswith(NOT_ACTIVE_CHAIR) or (no_nurses and message.startswith("Too many patients")):
            continue
        code = PROBLEM_CAPACITY if message.startswith("Too many patients") else PROBLEM_CENTER
        problems.append(Problem(code, message))
    return problems


def _future_pending(patient_ids: Iterable[int] | None = None, drug_ids: Iterable[int] | None = None):
    today_start = datetime.datetime.combine(timezone.localdate(timezone.now(), center_tz()), datetime.time())
    queryset = Appointment.objects.filter(
        status__in=PENDING_STATUSES, premed_start__gte=today_start.replace(tzinfo=center_tz())
    )
    if patient_ids is not None:
        queryset = queryset.filter(patient_id__in=list(patient_ids))
    if drug_ids is not None:
        queryset = queryset.filter(plan__drug_id__in=list(drug_ids))
    return queryset


def derive_patients(
    patient_ids: Iterable[int], *, user=None, days: Iterable[datetime.date] = (), neighbours: bool = True
) -> DeriveOutcome:
    """Re-derive every future booked dose of these patients (all their ingredients), in the caller's transaction.

    Then other patients' bookings flagged on the same days (or on `days`, e.g. a cancelled booking's) are derived
    again: chair time freed here may let them fit again.
    """
    patient_ids = set(patient_ids)
    outcome = DeriveOutcome()
    if not patient_ids:
        return outcome
    with transaction.atomic():
        pending = list(_future_pending(patient_ids).select_for_update().order_by("premed_start"))
        touched = set(days) | {timezone.localtime(a.premed_start, center_tz()).date() for a in pending}
        if pending:
            _derive_pending(pending, patient_ids, outcome, user)
        if neighbours and touched:
            others = _flagged_patients_on(touched) - patient_ids
            if others:
                outcome.merge(derive_patients(others, user=user, neighbours=False))
        next_doses_refresh(patient_ids=patient_ids)  # the worklist's stored next doses follow the same events
    return outcome


def _flagged_patients_on(days: set[datetime.date]) -> set[int]:
    tz = center_tz()
    found = set()
    for patient_id, premed_start in (
        _future_pending().exclude(attention_reason="").values_list("patient_id", "premed_start")
    ):
        if timezone.localtime(premed_start, tz).date() in days:
            found.add(patient_id)
    return found


def _derive_pending(pending: list[Appointment], patient_ids: set[int], outcome: DeriveOutcome, user) -> None:
    by_id = {a.pk: a for a in pending}
    tz = center_tz()
    days = [timezone.localtime(a.premed_start, tz).date() for a in pending]
    center = center_for_range(min(days), max(days))
    inactive = dict(Chair.objects.filter(is_active=False).values_list("pk", "name"))
    specs = drug_specs()
    loaded = doses_for_patients(patient_ids, specs=specs)
    derivations = [d for doses in loaded.values() for d in doses.derivations]
    derivations.sort(key=lambda d: d.course.days[0])
    for derivation in derivations:
        appointments = [by_id[pk] for pk in derivation.course.key if pk in by_id]
        if not appointments:
            continue  # in the past: counted in the history, not re-derived
        center = _apply(derivation, appointments, center, inactive, outcome, user)


def _apply(derivation, appointments: list[Appointment], center: Center, inactive, outcome, user) -> Center:
    problems = list(derivation.problems)
    ids = [a.pk for a in appointments]
    others = center.without(ids)
    new_values: dict[int, dict] = {}
    if not problems:
        numbers = derivation.infusion_numbers
        times = derivation.chair_times
        for appointment in appointments:
            index = min(appointment.course_day - 1, len(times) - 1)
            chair_time = times[index]
            day, minute = center.local_minute(appointment.premed_start)
            slot = slot_day(center, day, minute, appointment.chair_id, chair_time)
            values = {
                "infusion_number": numbers[index] if index < len(numbers) else appointment.infusion_number,
                "dose_mg": derivation.expected.dose_mg,
                "short_infusion": chair_time.short_infusion,
                "premed_start": slot.premed_start,
                "infusion_start": slot.infusion_start,
                "infusion_end": slot.infusion_end,
                "observation_end": slot.observation_end,
            }
            changed = {k: v for k, v in values.items() if getattr(appointment, k) != v}
            if changed and appointment.status not in CHANGEABLE:
                problems.append(
                    Problem(
                        PROBLEM_CENTER,
                        "The patient is already checked in: the dose or chair time due has changed since booking.",
                    )
                )
            problems += _capacity_problems(
                others, Candidate(appointment.chair_id, day, minute, chair_time, appointment.patient_id), inactive
            )
            new_values[appointment.pk] = changed
    else:
        for appointment in appointments:
            day, minute = center.local_minute(appointment.premed_start)
            length = appointment.chair_minutes
            stored = _stored_chair_time(appointment, length)
            problems += _capacity_problems(
                others, Candidate(appointment.chair_id, day, minute, stored, appointment.patient_id), inactive
            )
    reason = _reason(problems)
    acceptable = bool(problems) and all(p.acceptable for p in problems)
    now = timezone.now()
    for appointment in appointments:
        if reason:
            _flag(appointment, reason, acceptable, now, user, outcome)
            continue
        changed = new_values.get(appointment.pk) or {}
        was_flagged = bool(appointment.attention_reason)
        fields = list(changed)
        for name, value in changed.items():
            setattr(appointment, name, value)
        times_changed = any(k in changed for k in ("infusion_start", "infusion_end", "observation_end", "dose_mg"))
        if times_changed:
            appointment.ics_sequence += 1
            fields.append("ics_sequence")
        if was_flagged:
            appointment.attention_reason = ""
            appointment.attention_acceptable = False
            appointment.attention_since = None
            appointment.attention_accepted_at = None
            appointment.attention_accepted_by = None
            fields += [
                "attention_reason",
                "attention_acceptable",
                "attention_since",
                "attention_accepted_at",
                "attention_accepted_by",
            ]
        if not fields:
            continue
        appointment._history_user = user
        appointment._change_reason = (
            "Re-derived from the dose history" if changed else "Fits again: no longer needs attention"
        )
        appointment.save(update_fields=[*fields, "updated_at"])
        if changed:
            outcome.updated.append(appointment.pk)
        if was_flagged:
            outcome.unflagged.append(appointment.pk)
            reminders_release(appointment=appointment)
        if times_changed:
            reminders_on_rescheduled(appointment=appointment)
    # the center as the bookings now stand, for the bookings derived after these
    return others.with_bookings(
        [Booking(a.pk, a.chair_id, a.patient_id, a.premed_start, a.observation_end) for a in appointments]
    )


def _stored_chair_time(appointment: Appointment, length: int):
    from scheduling.engine.protocol import ChairTime

    premed = int((appointment.infusion_start - appointment.premed_start).total_seconds() // 60)
    infusion = int((appointment.infusion_end - appointment.infusion_start).total_seconds() // 60)
    return ChairTime(premed, infusion, length - premed - infusion, appointment.short_infusion)


def _reason(problems: list[Problem]) -> str:
    seen: list[str] = []
    for problem in problems:
        if problem.message not in seen:
            seen.append(problem.message)
    return " ".join(seen)


def _flag(appointment: Appointment, reason: str, acceptable: bool, now, user, outcome: DeriveOutcome) -> None:
    if appointment.attention_reason == reason:
        return  # already flagged (or accepted) for this very reason
    newly = not appointment.attention_reason
    appointment.attention_reason = reason
    appointment.attention_acceptable = acceptable
    appointment.attention_since = appointment.attention_since if not newly else now
    appointment.attention_accepted_at = None
    appointment.attention_accepted_by = None
    appointment._history_user = user
    appointment._change_reason = f"Needs attention: {reason}"[:100]
    appointment.save(
        update_fields=[
            "attention_reason",
            "attention_acceptable",
            "attention_since",
            "attention_accepted_at",
            "attention_accepted_by",
            "updated_at",
        ]
    )
    outcome.flagged.append(appointment.pk)
    reminders_hold(appointment=appointment)


# --- scopes ----------------------------------------------------------------------------------------------


def derive_future(*, drug_ids: Iterable[int] | None = None, user=None) -> DeriveOutcome:
    """Re-derive the future bookings of every patient booked (for these drugs' ingredients, when given)."""
    if drug_ids is not None:
        drug_ids = drug_ids_sharing(drug_ids)
    patient_ids = set(_future_pending(drug_ids=drug_ids).values_list("patient_id", flat=True).distinct())
    with transaction.atomic():
        outcome = derive_patients(patient_ids, user=user)
        # plans of these drugs with nothing booked have a next dose too (a catalogue edit can change it)
        next_doses_refresh(drug_ids=drug_ids)
    return outcome


def derive_center_scope(
    *,
    days: Iterable[datetime.date] = (),
    weekdays: Iterable[int] = (),
    chair_ids: Iterable[int] = (),
    user=None,
) -> DeriveOutcome:
    """Re-derive the patients booked on these days, weekdays (0 = Monday) or chairs: what a closure, a staffing
    day, opening hours or a chair change can affect."""
    days, weekdays, chair_ids = set(days), set(weekdays), set(chair_ids)
    if not (days or weekdays or chair_ids):
        return DeriveOutcome()
    tz = center_tz()
    patient_ids = set()
    for patient_id, chair_id, premed_start in _future_pending().values_list("patient_id", "chair_id", "premed_start"):
        day = timezone.localtime(premed_start, tz).date()
        if chair_id in chair_ids or day in days or day.weekday() in weekdays:
            patient_ids.add(patient_id)
    return derive_patients(patient_ids, user=user)


@dataclass(frozen=True)
class FlagPreview:
    appointment_id: int
    patient: str
    when: datetime.datetime
    drug: str
    reason: str


class _Rollback(Exception):
    pass


def preview_flags(write) -> list[FlagPreview]:
    """The bookings that `write()` would newly flag, found by running it in a transaction that is rolled back."""
    found: list[FlagPreview] = []
    try:
        with transaction.atomic():
            before = set(_future_pending().exclude(attention_reason="").values_list("pk", flat=True))
            write()
            after = (
                _future_pending()
                .exclude(attention_reason="")
                .filter(attention_accepted_at__isnull=True)
                .exclude(pk__in=before)
                .select_related("patient", "phase__drug")
                .order_by("premed_start")
            )
            found = [
                FlagPreview(a.pk, a.patient.full_name, a.premed_start, a.phase.drug.name, a.attention_reason)
                for a in after
            ]
            raise _Rollback
    except _Rollback:
        pass
    return found


# --- review --------------------------------------------------------------------------------------------


class AttentionError(RefusalError):
    """Accepting a flagged booking refused."""


@transaction.atomic
def attention_accept(*, appointment: Appointment, user) -> Appointment:
    """A scheduler accepts a flagged booking after review; only a nurse-capacity overload may be accepted."""
    derive_patients([appointment.patient_id], user=user)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.needs_attention:
        raise AttentionError("This booking does not need attention (any more).")
    if not appointment.attention_acceptable:
        raise AttentionError(
            "This booking cannot be accepted as it is: " + appointment.attention_reason + " Find it a new time."
        )
    appointment.attention_accepted_at = timezone.now()
    appointment.attention_accepted_by = user
    appointment._history_user = user
    appointment._change_reason = "Accepted after review"
    appointment.save(update_fields=["attention_accepted_at", "attention_accepted_by", "updated_at"])
    reminders_release(appointment=appointment)
    return appointment


# --- starting an infusion ------------------------------------------------------------------------------


def dose_due_check(appointment: Appointment) -> None:
    """At the infusion start: the dose must be the one the history of given doses says is due today.

    Raises `visits.VisitError` with the reason (wrong phase, wrong dose, too early, regimen finished).
    """
    if appointment.course_day > 1:
        return  # a later day of a course that has started: the same dose
    plan = appointment.plan
    doses = doses_for(appointment.patient_id, plan.drug)
    drug = drug_specs([plan.drug_id])[plan.drug_id]
    refusal = start_refusal(
        drug,
        doses.given,
        phase_id=appointment.phase_id,
        dose_mg_booked=appointment.dose_mg,
        today=timezone.localdate(timezone.now(), center_tz()),
        plan_start=plan.start_date,
        body_surface_area=doses.body_surface_area,
    )
    if refusal:
        raise VisitError(refusal)


__all__ = [
    "AttentionError",
    "DeriveOutcome",
    "attention_accept",
    "derive_future",
    "derive_patients",
    "dose_due_check",
]
