"""Booking, rebooking and cancelling doses.

Every write runs in one transaction that first locks what is scarce - the patient row and the active chair rows
(the nurses are shared by all chairs, so a booking serialises with every other booking) - then re-checks every
rule with the engine against fresh data, and only then writes. On SQLite the IMMEDIATE transaction mode gives
the same serialisation; on PostgreSQL the exclusion constraints are the last line (SQLSTATE 23P01).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from authorisations.services import booking_refusal as authorisation_refusal
from infusion_center import formats
from infusion_center.refusals import RefusalError
from scheduling.engine import history as dose_history
from scheduling.engine.capacity import Candidate, Center, check_candidate
from scheduling.engine.dosing import NextDose, fmt_date
from scheduling.engine.protocol import ChairTime
from scheduling.engine.slots import DEFAULT_STEP_MINUTES, Preferences, Slot, find_slots, slot_day
from scheduling.models import Appointment, Chair, TreatmentPlan
from scheduling.reminders.services import (
    reminders_on_booked,
    reminders_on_cancelled,
    reminders_on_rescheduled,
    reminders_release,
)
from scheduling.selectors.center import center_for_range, center_tz, gc_paused
from scheduling.selectors.history import doses_for
from scheduling.selectors.plan_state import (
    PlanState,
    next_dose_of,
    plan_state,
)
from scheduling.services.derive import derive_patients

OVERLAP_SQLSTATE = "23P01"


def slot_step_minutes() -> int:
    """The grid of start times offered (15 minutes unless SCHEDULING_SLOT_STEP_MINUTES says otherwise)."""
    return int(getattr(settings, "SCHEDULING_SLOT_STEP_MINUTES", DEFAULT_STEP_MINUTES))


SEARCH_DAYS_WHEN_OVERDUE = 30


class BookingError(RefusalError):
    """A booking refused, with a message a scheduler understands."""


# ---------------------------------------------------------------------------
# Slot finding
# ---------------------------------------------------------------------------


def _course_key(state: PlanState, appointment: Appointment) -> tuple[int, ...]:
    for derivation in state.doses.derivations:
        if appointment.pk in derivation.course.key:
            return derivation.course.key
    return (appointment.pk,)


def _appointment_dose(state: PlanState, appointment: Appointment) -> tuple[NextDose, tuple[ChairTime, ...]]:
    """The dose an existing appointment must be (the engine's answer for the doses before it, not its stored
    fields), with the chair time of its course day."""
    key = _course_key(state, appointment)
    day = timezone.localtime(appointment.premed_start, center_tz()).date()
    first_day = day - datetime.timedelta(days=appointment.course_day - 1)
    history = state.doses.planned().without(key).before(first_day)
    dose = dose_history.next_dose(
        state.drug,
        history,
        plan_start=state.plan.start_date,
        body_surface_area=state.body_surface_area,
        course_days=len(key) if len(key) > 1 else state.plan.course_days,
    )
    if dose is None:
        raise BookingError(f"The plan has no further dose of {state.drug.name} to give: cancel this booking.")
    index = min(appointment.course_day - 1, len(dose.chair_times) - 1)
    return dose, (dose.chair_times[index],)


def _following_limit(
    state: PlanState, appointment: Appointment, dose: NextDose, date_from: datetime.date, date_to: datetime.date
) -> tuple[datetime.date | None, str]:
    """The last day this dose may move to without making the next booked dose too early (and why not later)."""
    key = _course_key(state, appointment)
    history = state.doses.planned().without(key)
    current = timezone.localtime(appointment.premed_start, center_tz()).date()
    following = next((d for d in history.doses if d.source == dose_history.BOOKED and d.first_day > current), None)
    if following is None:
        return date_to, ""
    last_ok = None
    reason = ""
    day = date_from
    while day <= date_to:
        moved = dose_history.as_history_dose(dose, day, key=key, bsa=state.body_surface_area)
        refusal = dose_history.following_refusal(
            state.drug, history, moved, following, plan_start=state.plan.start_date
        )
        if refusal:
            reason = refusal
            break
        last_ok = day
        day += datetime.timedelta(days=1)
    return last_ok, reason


@dataclass(frozen=True)
class SlotSearch:
    """The slots offered, best first, and - when none are - why, in the engine's words."""

    slots: list[Slot]
    reasons: tuple[str, ...] = ()
    dose: NextDose | None = None  # the dose searched for (for a reschedule: the dose the booking must be now)


def slots_find(**kwargs) -> list[Slot]:
    """The best slots for the plan's next dose to book (or for rescheduling `appointment`), best first."""
    return slots_search(**kwargs).slots


def slots_search(
    *,
    plan: TreatmentPlan,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    chair_id: int | None = None,
    time_of_day: str | None = None,
    weekday: int | None = None,
    limit: int = 8,
    appointment: Appointment | None = None,
    course_days: int | None = None,
) -> SlotSearch:
    """Every slot offered passes every check the booking makes: the dosing window, the following booked dose, the
    lifetime limit, the past, and the center's rules. A reschedule never offers the appointment's current slot."""
    state = plan_state(plan)
    if plan.status != TreatmentPlan.Status.ACTIVE:
        return SlotSearch([], (f"The plan is {plan.get_status_display().lower()}: only an active plan can be booked.",))
    if appointment is not None:
        try:
            dose, times = _appointment_dose(state, appointment)
        except BookingError as exc:
            return SlotSearch([], (exc.message,))
        exclude = [appointment.pk]
    else:
        dose = next_dose_of(state, given_only=False, course_days=course_days)
        if dose is None:
            return SlotSearch([], (f"The plan has no further dose of {state.drug.name} to give.",))
        times = dose.chair_times
        exclude = []
    if dose.dose_mg is None:
        return SlotSearch([], (_bsa_message(state, dose),))
    key = _course_key(state, appointment) if appointment is not None else None
    history = state.doses.planned()
    if key is not None:
        history = history.without(key)
    lifetime = dose_history.lifetime_refusal(state.drug, history, dose, state.body_surface_area)
    if lifetime:
        return SlotSearch([], (lifetime,))
    today = timezone.localdate(timezone.now(), center_tz())
    course_note = ""
    if key is not None and len(key) > 1:
        # a day of a course keeps its day, as the booking requires: other chairs and times that day only
        day = timezone.localtime(appointment.premed_start, center_tz()).date()
        course_note = (
            f"Course day {appointment.course_day} stays on {fmt_date(day)} (the days of a course are consecutive): "
            "only other chairs and times that day are offered; to move the course, cancel it and book it again."
        )
        date_from = date_to = day
    asked_to = date_to
    if date_from is None:
        date_from = max(dose.earliest, today)
    if date_to is None:
        date_to = dose.latest if dose.latest >= date_from else date_from + datetime.timedelta(SEARCH_DAYS_WHEN_OVERDUE)
    reasons: list[str] = []
    if asked_to is not None and asked_to < today:
        reasons.append(f"The dates asked for are in the past (today is {fmt_date(today)}).")
    if date_from < dose.earliest:
        refusal = dose.window.refusal(state.drug.name, dose.dose_label, date_from)
        if refusal:
            reasons.append(refusal)
    date_from = max(date_from, today, dose.earliest)
    if appointment is not None and date_to >= date_from:
        last_ok, why = _following_limit(state, appointment, dose, date_from, date_to)
        if last_ok is None or last_ok < date_to:
            reasons.append(f"Later than {fmt_date(last_ok)}: {why}" if last_ok else why)
        date_to = last_ok if last_ok is not None else date_from - datetime.timedelta(days=1)
    if date_to < date_from:
        return SlotSearch([], tuple(reasons) or ("No date fits the dosing window.",), dose=dose)
    with gc_paused():
        center = center_for_range(date_from, date_to + datetime.timedelta(days=len(times)), exclude_ids=exclude)
        slots = find_slots(
            center,
            chair_times=times,
            window=dose,
            date_from=date_from,
            date_to=date_to,
            patient_id=plan.patient_id,
            preferences=Preferences(
                chair_id=chair_id,
                time_of_day=time_of_day,
                weekday=weekday,
                usual_chair_id=state.usual_chair_id,
                usual_start_minute=state.usual_start_minute,
            ),
            limit=limit + (1 if appointment is not None else 0),
            step=slot_step_minutes(),
            not_before=timezone.now(),
            ceiling=_planning_ceiling(),
        )
    if appointment is not None:
        slots = [
            s for s in slots if not (s.chair_id == appointment.chair_id and s.premed_start == appointment.premed_start)
        ][:limit]
    if slots:
        return SlotSearch(slots, dose=dose)
    if course_note:
        reasons.append(course_note)
    closed = _closed_days(center, date_from, date_to)
    span = (date_to - date_from).days + 1
    if closed and len(closed) == span:
        reasons.append(
            f"The center is closed on every day searched ({fmt_date(date_from)} to {fmt_date(date_to)}): "
            + "; ".join(closed)
            + "."
        )
    else:
        if closed:
            reasons.append("Closed days in the range: " + "; ".join(closed) + ".")
        reasons.append(
            f"No chair has {times[0].total_minutes} minutes free for {state.drug.name} {dose.dose_label} between "
            f"{fmt_date(date_from)} and {fmt_date(date_to)} within the nurse caps."
        )
    return SlotSearch([], tuple(reasons), dose=dose)


def _closed_days(center: Center, date_from: datetime.date, date_to: datetime.date) -> list[str]:
    closed: list[str] = []
    day = date_from
    while day <= date_to and len(closed) < 8:
        rules = center.rules(day)
        if rules.center_closed_reason:
            closed.append(f"{fmt_date(day)} ({rules.center_closed_reason})")
        elif rules.opens is None:
            closed.append(f"{fmt_date(day)} (not open on {day:%A}s)")
        day += datetime.timedelta(days=1)
    return closed


def _bsa_message(state: PlanState, dose: NextDose) -> str:
    return (
        f"{state.drug.name} is dosed at {dose.phase.dose_amount.normalize():f} mg/m² and the patient's body "
        "surface area is unknown: record their height and weight before booking."
    )


def _planning_ceiling():
    """The forecast's daily ceiling the ranking plans against, as the refresh task stored it
    (services/planning_refresh.py). A planning aid: without one, slots are ranked without it rather than not
    offered."""
    from scheduling.services.planning_refresh import ceiling_for_search

    try:
        return ceiling_for_search()
    except Exception:
        logging.getLogger(__name__).exception("No planning ceiling; ranking slots without it")
        return None


# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------


def _lock(plan: TreatmentPlan) -> TreatmentPlan:
    """Lock the patient and every active chair (ordered, so concurrent bookings never deadlock)."""
    from patients.models import Patient

    list(Patient.objects.select_for_update().filter(pk=plan.patient_id))
    list(Chair.objects.select_for_update().filter(is_active=True).order_by("pk").values_list("pk"))
    return TreatmentPlan.objects.select_related("patient", "drug").get(pk=plan.pk)


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate == OVERLAP_SQLSTATE or "appt_no_" in str(exc)


def _overlap_error(exc: IntegrityError) -> BookingError:
    if "appt_no_patient_overlap" in str(exc):
        return BookingError("The patient is already booked at that time (another booking was just made).")
    return BookingError("That chair is already booked at that time (another booking was just made).")


def _check_plan_bookable(plan: TreatmentPlan) -> None:
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise BookingError(f"The plan is {plan.get_status_display().lower()}: only an active plan can be booked.")


def _check_times(center: Center, candidates: Sequence[Candidate]) -> None:
    for candidate in candidates:
        problems = check_candidate(center, candidate)
        if problems:
            raise BookingError(" ".join(problems))


def _local(moment: datetime.datetime) -> tuple[datetime.date, int]:
    if timezone.is_naive(moment):
        raise BookingError("The start time must include its time zone.")
    local = timezone.localtime(moment, center_tz())
    return local.date(), local.hour * 60 + local.minute


def _check_lifetime_limit(state: PlanState, dose: NextDose, start: datetime.datetime) -> None:
    day = timezone.localtime(start, center_tz()).date()
    refusal = dose_history.lifetime_refusal(
        state.drug, state.doses.planned().before(day), dose, state.body_surface_area
    )
    if refusal:
        raise BookingError(refusal)


def _check_booking_gates(state: PlanState, day: datetime.date) -> None:
    from scheduling.services.booking_gates import booking_gate_refusals

    if not any(r.gates_booking for r in state.drug.requirements):
        return
    refusal = booking_gate_refusals(
        patient=state.plan.patient,
        drug=state.drug,
        on_date=day,
        first_dose=state.doses.planned().before(day).infusions == 0,
    )
    if refusal:
        raise BookingError(refusal)


def _dose_to_book(state: PlanState, *, course_days: int | None, single_day_only: bool) -> NextDose:
    """The plan's next dose, if it may be booked now (single-day only when the caller books one day)."""
    _check_plan_bookable(state.plan)
    dose = next_dose_of(state, given_only=False, course_days=course_days)
    if dose is None:
        raise BookingError(f"The plan has no further dose of {state.drug.name} to give.")
    if single_day_only and dose.course_days > 1:
        raise BookingError(
            f"The next dose of {state.drug.name} ({dose.phase.name}) is a {dose.course_days}-day course: book it as "
            "a course."
        )
    if dose.dose_mg is None:
        raise BookingError(_bsa_message(state, dose))
    return dose


def _checked_course(
    state: PlanState, dose: NextDose, *, chair_id: int, premed_start: datetime.datetime
) -> tuple[Center, list[Candidate]]:
    """The dose's days at (chair, start), each day checked: the past, the dosing window, the lifetime limit, the
    booking gates, the center's rules and the authorisation. Returns the center read and the days."""
    day, minute = _local(premed_start)
    if premed_start < timezone.now():
        raise BookingError(f"{fmt_date(day)} at {formats.minute_of_day(minute)} is in the past.")
    refusal = dose.window.refusal(state.drug.name, dose.dose_label, day)
    if refusal:
        raise BookingError(refusal)
    _check_lifetime_limit(state, dose, premed_start)
    _check_booking_gates(state, day)
    center = center_for_range(day, day + datetime.timedelta(days=dose.course_days - 1))
    candidates = [
        Candidate(chair_id, day + datetime.timedelta(days=k), minute, chair_time, state.plan.patient_id)
        for k, chair_time in enumerate(dose.chair_times)
    ]
    _check_times(center, candidates)
    starts = [premed_start + datetime.timedelta(days=k) for k in range(len(candidates))]
    if refusal := authorisation_refusal(plan=state.plan, starts=starts, dose_mg=dose.dose_mg):
        raise BookingError(refusal)
    return center, candidates


def _write_course(
    plan: TreatmentPlan, dose: NextDose, center: Center, candidates: list[Candidate], *, user
) -> list[Appointment]:
    """One appointment per course day, all or none; a concurrent booking of the same time is refused in words."""
    course_id = uuid.uuid4() if len(candidates) > 1 else None
    created = []
    try:
        with transaction.atomic():
            for k, candidate in enumerate(candidates):
                times = slot_day(center, candidate.day, candidate.start, candidate.chair_id, candidate.chair_time)
                appointment = Appointment(
                    patient_id=plan.patient_id,
                    plan=plan,
                    phase_id=dose.phase.id,
                    chair_id=candidate.chair_id,
                    infusion_number=dose.infusion_number + k,
                    course_day=k + 1,
                    course_id=course_id,
                    dose_mg=dose.dose_mg,
                    short_infusion=candidate.chair_time.short_infusion,
                    premed_start=times.premed_start,
                    infusion_start=times.infusion_start,
                    infusion_end=times.infusion_end,
                    observation_end=times.observation_end,
                    created_by=user,
                )
                appointment._history_user = user
                appointment._change_reason = f"Booked {dose.phase.name}" + (
                    f", course day {k + 1} of {len(candidates)}" if len(candidates) > 1 else ""
                )
                appointment.save()
                created.append(appointment)
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise _overlap_error(exc) from exc
        raise
    return created


def _book_next(
    state: PlanState,
    *,
    chair_id: int,
    premed_start: datetime.datetime,
    user,
    course_days: int | None = None,
    single_day_only: bool = False,
) -> list[Appointment]:
    """Book the plan's next dose at (chair, start): every rule checked on fresh data. Caller holds the locks."""
    dose = _dose_to_book(state, course_days=course_days, single_day_only=single_day_only)
    center, candidates = _checked_course(state, dose, chair_id=chair_id, premed_start=premed_start)
    created = _write_course(state.plan, dose, center, candidates, user=user)
    for appointment in created:
        reminders_on_booked(appointment=appointment)
    # the patient's later bookings follow this one; then the state is read again for a caller booking several
    derive_patients([state.plan.patient_id], user=user)
    state.doses = doses_for(state.plan.patient_id, state.plan.drug, specs={state.plan.drug_id: state.drug})
    return created


@transaction.atomic
def appointment_book(*, plan: TreatmentPlan, chair_id: int, premed_start: datetime.datetime, user) -> Appointment:
    """Book the plan's next dose, a single-day one, on a chair at a start time (arrival = premedication)."""
    plan = _lock(plan)
    return _book_next(plan_state(plan), chair_id=chair_id, premed_start=premed_start, user=user, single_day_only=True)[
        0
    ]


@transaction.atomic
def dose_book(*, plan: TreatmentPlan, chair_id: int, premed_start: datetime.datetime, user) -> list[Appointment]:
    """Book the plan's next dose whatever it is: one day or a course."""
    plan = _lock(plan)
    return _book_next(plan_state(plan), chair_id=chair_id, premed_start=premed_start, user=user)


@transaction.atomic
def maintenance_book(*, plan: TreatmentPlan, count: int, user, chair_id: int | None = None) -> list[Appointment]:
    """Book the next `count` doses at their best slots, each counted from the one booked before it: all or none."""
    if count < 1:
        raise BookingError("Book at least one dose.")
    plan = _lock(plan)
    state = plan_state(plan)
    booked: list[Appointment] = []
    today = timezone.localdate(timezone.now(), center_tz())
    for index in range(count):
        _check_plan_bookable(plan)
        dose = next_dose_of(state, given_only=False)
        if dose is None:
            raise BookingError(
                f"The plan has only {index} more dose{'s' if index != 1 else ''} to give; nothing was booked."
            )
        date_from = max(dose.earliest, today)
        date_to = max(dose.latest, date_from)
        center = center_for_range(date_from, date_to + datetime.timedelta(days=dose.course_days))
        slots = find_slots(
            center,
            chair_times=dose.chair_times,
            window=dose,
            date_from=date_from,
            date_to=date_to,
            patient_id=plan.patient_id,
            preferences=Preferences(
                chair_id=chair_id, usual_chair_id=state.usual_chair_id, usual_start_minute=state.usual_start_minute
            ),
            limit=1,
            step=slot_step_minutes(),
            not_before=timezone.now(),
            ceiling=_planning_ceiling(),
        )
        if not slots:
            raise BookingError(
                f"No free chair time for dose {index + 1} of {count} ({state.drug.name} {dose.dose_label}) between "
                f"{fmt_date(date_from)} and {fmt_date(date_to)}; nothing was booked."
            )
        slot = slots[0]
        booked += _book_next(state, chair_id=slot.chair_id, premed_start=slot.premed_start, user=user)
    return booked


RESCHEDULABLE = (Appointment.Status.SCHEDULED, Appointment.Status.CHECKED_IN)
NOT_RESCHEDULABLE = "This appointment is {status}: it cannot be moved."


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, chair_id: int, premed_start: datetime.datetime, user, reason: str = ""
) -> Appointment:
    """Move an appointment in place (same row and uid, calendar sequence + 1); every rule re-checked."""
    plan = _lock(appointment.plan)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status not in RESCHEDULABLE:
        raise BookingError(NOT_RESCHEDULABLE.format(status=appointment.get_status_display().lower()))
    state = plan_state(plan)
    dose, times = _appointment_dose(state, appointment)
    day, minute = _local(premed_start)
    if chair_id == appointment.chair_id and premed_start == appointment.premed_start:
        raise BookingError("That is the appointment's current time: choose another time to move it to.")
    if premed_start < timezone.now():
        raise BookingError(f"{fmt_date(day)} at {formats.minute_of_day(minute)} is in the past.")
    if dose.dose_mg is None:
        raise BookingError(_bsa_message(state, dose))
    key = _course_key(state, appointment)
    if appointment.course_day == 1:
        refusal = dose.window.refusal(state.drug.name, dose.dose_label, day)
        if refusal:
            raise BookingError(refusal)
        refusal = dose_history.lifetime_refusal(
            state.drug, state.doses.planned().without(key).before(day), dose, state.body_surface_area
        )
        if refusal:
            raise BookingError(refusal)
    siblings = [r for r in state.rows if appointment.course_id and r.course_id == appointment.course_id]
    for row in siblings:
        other_day = timezone.localtime(row.premed_start, center_tz()).date()
        expected = other_day + datetime.timedelta(days=appointment.course_day - row.course_day)
        if row.pk != appointment.pk and expected != day:
            raise BookingError(
                f"Course day {appointment.course_day} must stay on {fmt_date(expected)}, the day after course day "
                f"{appointment.course_day - 1}; move the whole course instead."
            )
    _check_following_dose(state, appointment, dose, day)
    center = center_for_range(day, day, exclude_ids=[appointment.pk])
    _check_times(center, [Candidate(chair_id, day, minute, times[0], plan.patient_id)])
    new = slot_day(center, day, minute, chair_id, times[0])
    refusal = authorisation_refusal(
        plan=plan, starts=[new.premed_start], dose_mg=appointment.dose_mg, exclude_ids=[appointment.pk]
    )
    if refusal:
        raise BookingError(refusal)
    old_label = timezone.localtime(appointment.premed_start, center_tz())
    freed = (appointment.chair_id, appointment.premed_start, appointment.observation_end)
    old_chair = appointment.chair.name
    appointment.chair_id = chair_id
    appointment.premed_start = new.premed_start
    appointment.infusion_start = new.infusion_start
    appointment.infusion_end = new.infusion_end
    appointment.observation_end = new.observation_end
    appointment.short_infusion = times[0].short_infusion
    if len(key) == 1:  # a single dose is rebooked as the dose due now (a course keeps its dose)
        appointment.phase_id = dose.phase.id
        appointment.dose_mg = dose.dose_mg
        appointment.infusion_number = dose.infusion_number
    held = bool(appointment.attention_reason)
    appointment.attention_reason = ""
    appointment.attention_acceptable = False
    appointment.attention_since = None
    appointment.attention_accepted_at = None
    appointment.attention_accepted_by = None
    appointment.ics_sequence += 1
    appointment._history_user = user
    new_label = timezone.localtime(new.premed_start, center_tz())
    new_chair = Chair.objects.get(pk=chair_id).name
    appointment.reschedule_reason = (reason or "").strip()[:255]
    appointment._change_reason = (
        f"Rescheduled from {formats.day_month_time(old_label)} ({old_chair}) "
        f"to {formats.day_month_time(new_label)} ({new_chair})"
        + (f": {appointment.reschedule_reason}" if appointment.reschedule_reason else "")
    )[:100]
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise _overlap_error(exc) from exc
        raise
    if held:
        reminders_release(appointment=appointment)
    reminders_on_rescheduled(appointment=appointment)
    _freed(*freed, source=appointment, reason="Moved to another time")
    derive_patients([plan.patient_id], user=user, days=[old_label.date()])
    appointment.refresh_from_db()
    return appointment


def _check_following_dose(state: PlanState, appointment: Appointment, dose: NextDose, new_day: datetime.date) -> None:
    """Moving a dose later must not make the next booked dose too early."""
    first_day = new_day - datetime.timedelta(days=appointment.course_day - 1)
    last_ok, why = _following_limit(state, appointment, dose, first_day, first_day)
    if last_ok is None:
        raise BookingError(why)


CANCELLABLE = (Appointment.Status.SCHEDULED, Appointment.Status.CHECKED_IN, Appointment.Status.PREMEDICATED)


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, user) -> Appointment:
    """Cancel with a reason; the history keeps who, when and why."""
    reason = (reason or "").strip()
    if not reason:
        raise BookingError("Give a reason for cancelling.")
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status not in CANCELLABLE:
        raise BookingError(
            f"This appointment is {appointment.get_status_display().lower()}: only a booked appointment can be "
            "cancelled."
        )
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancel_reason = reason[:255]
    appointment._history_user = user
    appointment._change_reason = f"Cancelled: {reason}"[:100]
    appointment.save()
    reminders_on_cancelled(appointment=appointment)
    _freed(
        appointment.chair_id,
        appointment.premed_start,
        appointment.observation_end,
        source=appointment,
        reason="Cancelled",
    )
    derive_patients([appointment.patient_id], user=user, days=[appointment.local_date])
    return appointment


def _freed(chair_id, starts_at, ends_at, *, source: Appointment, reason: str) -> None:
    """Chair time given back: recorded for the waitlist (replies.services.waitlist), in this transaction."""
    from replies.services.waitlist import freed_time_record

    freed_time_record(chair_id=chair_id, starts_at=starts_at, ends_at=ends_at, source=source, reason=reason)
