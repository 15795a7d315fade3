"""The visit keeps its clock: each visit step checks the engine's timing rules and, when a step comes early,
either refuses it with the reason it is early or records the nurse's reason as a visit note.

Called inside the visit services' transactions (the appointment row is locked by the caller).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from infusion_center import formats
from scheduling.engine import visit_clock as clock
from scheduling.models import Appointment, VisitNote
from scheduling.selectors.visit_clock import (
    observation_plan,
    planned_infusion_minutes,
    premedications_given,
    reactions_during_visit,
)
from scheduling.services.errors import VisitError

ASK_EARLY_START = "Wait, or record why the infusion starts now."
ASK_EARLY_END = "Record why it ended early (e.g. stopped for a reaction, rate reduced, line problem)."
ASK_EARLY_DISCHARGE = "Discharge is refused before then unless you record a reason."
ASK_FIT = "A nurse must confirm the patient is fit for discharge."


class VisitTooEarly(VisitError):
    """A step comes before the visit's clock allows it: the page asks for the reason (or confirmation) `field`."""

    def __init__(self, problem: str, *, field: str, ask: str):
        self.problem = problem
        self.field = field
        super().__init__(f"{problem} {ask}")


def _note(appointment: Appointment, kind: str, reason: str, user, **extra) -> VisitNote:
    note = VisitNote(appointment=appointment, kind=kind, reason=reason, recorded_by=user, **extra)
    note._history_user = user
    note.save()
    return note


def check_start_after_premedication(*, appointment: Appointment, at: datetime.datetime, reason: str, user) -> None:
    problem = clock.early_start_problem(premedications_given(appointment), at=at, tz=timezone.get_current_timezone())
    if not problem:
        return
    if not reason.strip():
        raise VisitTooEarly(problem, field="early_start_reason", ask=ASK_EARLY_START)
    _note(appointment, VisitNote.Kind.EARLY_START, f"{reason.strip()} ({problem})", user, new_time=at)


def check_end_after_planned_minutes(*, appointment: Appointment, at: datetime.datetime, reason: str, user) -> None:
    if appointment.infusion_started_at is None:
        return
    problem = clock.early_end_problem(
        started_at=appointment.infusion_started_at.replace(second=0, microsecond=0),
        ended_at=at,
        planned_minutes=planned_infusion_minutes(appointment),
    )
    if not problem:
        return
    if not reason.strip():
        raise VisitTooEarly(problem, field="early_end_reason", ask=ASK_EARLY_END)
    _note(appointment, VisitNote.Kind.EARLY_END, f"{reason.strip()} ({problem})", user, new_time=at)


def check_discharge(
    *, appointment: Appointment, at: datetime.datetime, reason: str, fit_for_discharge: bool, user
) -> None:
    """A reaction needs a nurse's fitness confirmation; discharge before observation ends needs a reason."""
    reactions = reactions_during_visit(appointment)
    if reactions and not fit_for_discharge:
        raise VisitTooEarly(
            f"A reaction was recorded at {formats.time(reactions[-1].occurred_at)} during this visit.",
            field="fit_for_discharge",
            ask=ASK_FIT,
        )
    plan = observation_plan(appointment, reactions=reactions)
    problem = ""
    if plan is not None:
        problem = clock.early_discharge_problem(
            plan, infusion_ended_at=appointment.infusion_ended_at, at=at, tz=timezone.get_current_timezone()
        )
    if problem and not reason.strip():
        raise VisitTooEarly(problem, field="early_discharge_reason", ask=ASK_EARLY_DISCHARGE)
    if reactions:
        _note(appointment, VisitNote.Kind.FIT_FOR_DISCHARGE, "Confirmed fit for discharge after the reaction.", user)
    if problem:
        _note(appointment, VisitNote.Kind.EARLY_DISCHARGE, f"{reason.strip()} ({problem})", user, new_time=at)
