"""The nurse's visit workflow: check in, premedication, infusion start and end, discharge, no-show, reactions.

Each step locks the appointment row, checks that the step is allowed from the current status, records the
actual time and saves (the history keeps who did it). A wrong step raises VisitError with plain words.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from infusion_center import formats
from pharmacy.services import drug_ready_for_start
from scheduling.models import Appointment, InfusionReaction, Premedication, PremedicationGiven, ReadinessOverride
from scheduling.reminders.services import reminders_on_discharged
from scheduling.selectors.visit_clock import required_premedications
from scheduling.services.derive import dose_due_check
from scheduling.services.errors import VisitError

S = Appointment.Status

VISIT_WRONG_STATUS = "{patient} is {status}: {action} is not possible now."
VISIT_NOT_TODAY = "This appointment is on {day}; {action} is only possible on the day of the visit."
VISIT_FUTURE_TIME = "The time given ({when}) is in the future."
VISIT_PREMED_NOT_IN_PHASE = "{premed} is not a premedication of this dose."
VISIT_PREMED_TWICE = "{premed} is already recorded at {when}."
VISIT_OVERRIDE_NOT_ALLOWED = (
    "Only a nurse allowed to override readiness checks (a charge nurse) can start this infusion."
)
VISIT_HARD_STOP = "Hard stop: nobody can override it. Resolve it (a new result, a decision by the prescriber) first."
VISIT_REACTION_TOO_EARLY = "A reaction can be recorded once the infusion has started."
VISIT_REACTION_BEFORE_START = "The reaction time is before the infusion started ({when})."

# Small clock tolerance: a time a few minutes ahead of the server clock is a typo-free "now" from another device.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


class ReadinessBlocked(VisitError):
    """The infusion cannot start: blocking readiness problems, listed in `problems`; `hard_stops` among them
    cannot be overridden by anyone."""

    def __init__(self, problems: tuple[str, ...] | list[str], *, hard_stops: tuple[str, ...] | list[str] = ()):
        self.problems = tuple(problems)
        self.hard_stops = tuple(hard_stops)
        super().__init__("The infusion cannot start: " + " ".join(self.problems))

    @property
    def overridable(self) -> bool:
        return not self.hard_stops


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "phase", "phase__drug")
        .get(pk=appointment.pk)
    )


# The statuses each visit step starts from: the service checks them, the appointment page offers the step.
CHECK_IN_FROM = (S.SCHEDULED,)
PREMEDICATE_FROM = (S.CHECKED_IN, S.PREMEDICATED)
START_FROM = (S.CHECKED_IN, S.PREMEDICATED)
END_FROM = (S.INFUSING,)
DISCHARGE_FROM = (S.OBSERVING,)
NO_SHOW_FROM = (S.SCHEDULED,)


def visit_steps_offered(appointment: Appointment, *, now: datetime.datetime) -> dict[str, bool]:
    """Which visit steps the appointment page offers now (each is checked again when it is taken)."""
    status = appointment.status
    return {
        "can_check_in": status in CHECK_IN_FROM and appointment.local_date == timezone.localdate(now),
        "can_premedicate": status in PREMEDICATE_FROM,
        "can_start": status in START_FROM,
        "can_end": status in END_FROM,
        "can_discharge": status in DISCHARGE_FROM,
        "can_no_show": status in NO_SHOW_FROM and now >= appointment.premed_start,
        "can_react": status in Appointment.GIVEN_STATUSES,
    }


def _require_status(appointment: Appointment, allowed: tuple[str, ...], action: str) -> None:
    if appointment.status not in allowed:
        raise VisitError(
            VISIT_WRONG_STATUS.format(
                patient=appointment.patient.full_name, status=appointment.get_status_display().lower(), action=action
            )
        )


def _save(appointment: Appointment, user, fields: list[str]) -> None:
    appointment._history_user = user
    appointment.save(update_fields=[*fields, "updated_at"])


def _check_not_future(when: datetime.datetime) -> None:
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise VisitError(VISIT_FUTURE_TIME.format(when=formats.datetime(when)))


def _minute(moment: datetime.datetime) -> datetime.datetime:
    """Times typed in a form have minute precision; compare them with recorded times at that precision."""
    return moment.replace(second=0, microsecond=0)


def _sync(target: Appointment, source: Appointment) -> Appointment:
    """Copy the saved state back onto the caller's instance so it does not go stale."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, user, at: datetime.datetime | None = None) -> Appointment:
    locked = _locked(appointment)
    _require_status(locked, CHECK_IN_FROM, "checking in")
    if locked.local_date != timezone.localdate():
        raise VisitError(VISIT_NOT_TODAY.format(day=formats.day_year(locked.local_date), action="checking in"))
    locked.status = S.CHECKED_IN
    locked.checked_in_at = at or timezone.now()
    _check_not_future(locked.checked_in_at)
    _save(locked, user, ["status", "checked_in_at"])
    return _sync(appointment, locked)


@transaction.atomic
def premedication_record(
    *, appointment: Appointment, premedication_id: int, given_at: datetime.datetime, user
) -> PremedicationGiven:
    """Record one premedication given; once every required one is given the patient is premedicated."""
    locked = _locked(appointment)
    _require_status(locked, PREMEDICATE_FROM, "recording premedication")
    _check_not_future(given_at)
    premedication = Premedication.objects.filter(pk=premedication_id, phase_id=locked.phase_id).first()
    if premedication is None:
        raise VisitError(VISIT_PREMED_NOT_IN_PHASE.format(premed="This medicine"))
    already = PremedicationGiven.objects.filter(appointment=locked, premedication=premedication).first()
    if already is not None:
        raise VisitError(VISIT_PREMED_TWICE.format(premed=premedication, when=formats.time(already.given_at)))
    given = PremedicationGiven(appointment=locked, premedication=premedication, given_at=given_at, given_by=user)
    given._history_user = user
    given.save()

    given_ids = set(PremedicationGiven.objects.filter(appointment=locked).values_list("premedication_id", flat=True))
    if locked.status == S.CHECKED_IN and all(p.pk in given_ids for p in required_premedications(locked)):
        locked.status = S.PREMEDICATED
        locked.premedicated_at = given_at
        _save(locked, user, ["status", "premedicated_at"])
    elif locked.status == S.PREMEDICATED and (locked.premedicated_at is None or given_at > locked.premedicated_at):
        locked.premedicated_at = given_at
        _save(locked, user, ["premedicated_at"])
    _sync(appointment, locked)
    return given


def infusion_start_blockers(appointment: Appointment) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what blocks starting the infusion now, the hard stops among them nobody may override)."""
    from scheduling.selectors.readiness import readiness_for_appointments

    readiness = readiness_for_appointments([appointment]).get(appointment.pk)
    problems = list(readiness.blocking) if readiness is not None else []
    hard_stops = readiness.hard_stops if readiness is not None else ()
    given_ids = set(
        PremedicationGiven.objects.filter(appointment=appointment).values_list("premedication_id", flat=True)
    )
    missing = [str(p) for p in required_premedications(appointment) if p.pk not in given_ids]
    if missing:
        problems.append("Premedication not recorded: " + ", ".join(missing) + ".")
    return tuple(problems), tuple(hard_stops)


def infusion_start_problems(appointment: Appointment) -> tuple[str, ...]:
    """What blocks starting the infusion now: blocking readiness problems and missing premedication."""
    return infusion_start_blockers(appointment)[0]


@transaction.atomic
def infusion_start(
    *,
    appointment: Appointment,
    user,
    override_reason: str = "",
    at: datetime.datetime | None = None,
    early_start_reason: str = "",
) -> Appointment:
    """Start the infusion after the readiness checks and the premedication lead.

    A blocking problem needs an override with a reason by a nurse allowed to override (never a hard stop);
    starting before the premedication lead has passed needs `early_start_reason`.
    """
    locked = _locked(appointment)
    _require_status(locked, START_FROM, "starting the infusion")
    dose_due_check(locked)  # the dose the history of given doses says is due, or VisitError with the reason
    problems, hard_stops = infusion_start_blockers(locked)
    override_reason = override_reason.strip()
    if hard_stops:
        raise ReadinessBlocked(problems, hard_stops=hard_stops)
    if problems:
        if not override_reason:
            raise ReadinessBlocked(problems)
        if not user.has_perm("scheduling.override_readiness"):
            raise VisitError(VISIT_OVERRIDE_NOT_ALLOWED)
    started_at = at or timezone.now()
    _check_not_future(started_at)
    from scheduling.services.visit_clock import check_start_after_premedication

    check_start_after_premedication(appointment=locked, at=started_at, reason=early_start_reason, user=user)
    drug_ready_for_start(locked, user)  # last: a pharmacy-prepared drug starts only from a ready dose, now given
    if problems:
        override = ReadinessOverride(
            appointment=locked, problems="\n".join(problems), reason=override_reason, overridden_by=user
        )
        override._history_user = user
        override.save()
    locked.status = S.INFUSING
    locked.infusion_started_at = started_at
    _save(locked, user, ["status", "infusion_started_at"])
    return _sync(appointment, locked)


@transaction.atomic
def infusion_end(
    *, appointment: Appointment, user, at: datetime.datetime | None = None, reason: str = ""
) -> Appointment:
    """End the infusion; earlier than its planned minutes needs `reason` (stopped for a reaction, rate reduced...)."""
    from scheduling.services.visit_clock import check_end_after_planned_minutes

    locked = _locked(appointment)
    _require_status(locked, END_FROM, "ending the infusion")
    locked.status = S.OBSERVING
    locked.infusion_ended_at = at or timezone.now()
    _check_not_future(locked.infusion_ended_at)
    if locked.infusion_started_at and locked.infusion_ended_at < _minute(locked.infusion_started_at):
        raise VisitError("The infusion cannot end before it started.")
    check_end_after_planned_minutes(appointment=locked, at=locked.infusion_ended_at, reason=reason, user=user)
    _save(locked, user, ["status", "infusion_ended_at"])
    return _sync(appointment, locked)


@transaction.atomic
def appointment_discharge(
    *,
    appointment: Appointment,
    user,
    at: datetime.datetime | None = None,
    reason: str = "",
    fit_for_discharge: bool = False,
) -> Appointment:
    """End of observation: the patient goes home and the visit is complete.

    Before the observation minutes have passed (restarted by a reaction during the visit) it needs `reason`;
    after a reaction, a nurse confirms `fit_for_discharge`.
    """
    from scheduling.services.visit_clock import check_discharge

    locked = _locked(appointment)
    _require_status(locked, DISCHARGE_FROM, "discharging")
    locked.status = S.COMPLETED
    locked.discharged_at = at or timezone.now()
    _check_not_future(locked.discharged_at)
    if locked.infusion_ended_at and locked.discharged_at < _minute(locked.infusion_ended_at):
        raise VisitError("Discharge cannot be before the end of the infusion.")
    check_discharge(
        appointment=locked, at=locked.discharged_at, reason=reason, fit_for_discharge=fit_for_discharge, user=user
    )
    _save(locked, user, ["status", "discharged_at"])
    reminders_on_discharged(appointment=locked)
    return _sync(appointment, locked)


@transaction.atomic
def appointment_no_show(*, appointment: Appointment, user) -> Appointment:
    """The patient did not come; the chair time is released and the dose is still due."""
    locked = _locked(appointment)
    _require_status(locked, NO_SHOW_FROM, "marking a no-show")
    if timezone.now() < locked.premed_start:
        raise VisitError("The appointment has not started yet; a no-show can be recorded from its start time.")
    locked.status = S.NO_SHOW
    locked.no_show_at = timezone.now()
    _save(locked, user, ["status", "no_show_at"])
    return _sync(appointment, locked)


@transaction.atomic
def reaction_record(
    *,
    appointment: Appointment,
    occurred_at: datetime.datetime,
    severity: str,
    symptoms: str,
    action_taken: str,
    user,
) -> InfusionReaction:
    """Record an infusion reaction. Later chair-time computations read this history (e.g. no short infusion)."""
    locked = _locked(appointment)
    if locked.status not in Appointment.GIVEN_STATUSES:
        raise VisitError(VISIT_REACTION_TOO_EARLY)
    _check_not_future(occurred_at)
    if locked.infusion_started_at and occurred_at < locked.infusion_started_at - FUTURE_TOLERANCE:
        raise VisitError(VISIT_REACTION_BEFORE_START.format(when=formats.time(locked.infusion_started_at)))
    if severity not in InfusionReaction.Severity.values:
        raise VisitError("Choose the severity of the reaction.")
    if not symptoms.strip():
        raise VisitError("Describe the symptoms.")
    reaction = InfusionReaction(
        appointment=locked,
        patient_id=locked.patient_id,
        drug_id=locked.phase.drug_id,
        occurred_at=occurred_at,
        severity=severity,
        symptoms=symptoms.strip(),
        action_taken=action_taken.strip(),
        recorded_by=user,
    )
    reaction._history_user = user
    reaction.save()
    return reaction
