"""The visit keeps its clock: each visit step checks the engine's timing rules and, when a step comes early,
either refuses it with the reason it is early or records the nurse's reason as a visit note.

Called inside the visit services' transactions (the appointment row is locked by the caller).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from infusion_center import formats
from scheduling.engine import visit_clock as clock
from scheduling.models import Appointment, InfusionReaction, PremedicationGiven, VisitNote
from scheduling.services.visits import VisitError

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


def premedications_given(appointment: Appointment) -> list[clock.PremedicationGivenSpec]:
    """The required premedications recorded given for this visit, with their catalogue leads."""
    from scheduling.services.visits import required_premedications

    required = {p.pk: p for p in required_premedications(appointment)}
    return [
        clock.PremedicationGivenSpec(
            str(required[g.premedication_id]), g.given_at, required[g.premedication_id].minutes_before
        )
        for g in PremedicationGiven.objects.filter(appointment=appointment)
        if g.premedication_id in required
    ]


def check_start_after_premedication(*, appointment: Appointment, at: datetime.datetime, reason: str, user) -> None:
    problem = clock.early_start_problem(premedications_given(appointment), at=at, tz=timezone.get_current_timezone())
    if not problem:
        return
    if not reason.strip():
        raise VisitTooEarly(problem, field="early_start_reason", ask=ASK_EARLY_START)
    _note(appointment, VisitNote.Kind.EARLY_START, f"{reason.strip()} ({problem})", user, new_time=at)


def planned_infusion_minutes(appointment: Appointment) -> int:
    """The booked infusion minutes (the catalogue's, or its shorter option when booked short)."""
    return int((appointment.infusion_end - appointment.infusion_start).total_seconds() // 60)


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


def reactions_during_visit(appointment: Appointment) -> list[InfusionReaction]:
    return list(InfusionReaction.objects.filter(appointment=appointment).order_by("occurred_at"))


def observation_plan(
    appointment: Appointment, *, reactions: list[InfusionReaction] | None = None
) -> clock.Observation | None:
    """When this visit's observation ends (None before the infusion has ended)."""
    if appointment.infusion_ended_at is None:
        return None
    if reactions is None:
        reactions = reactions_during_visit(appointment)
    booked = int((appointment.observation_end - appointment.infusion_end).total_seconds() // 60)
    return clock.observation(
        infusion_ended_at=appointment.infusion_ended_at.replace(second=0, microsecond=0),
        observation_minutes=booked,
        reactions_at=[r.occurred_at for r in reactions],
        restart_after_reaction=appointment.phase.drug.reaction_restarts_observation,
        # after a reaction, observe for the phase's full observation even where it was reduced (e.g. Tysabri 13+)
        restart_minutes=max(booked, appointment.phase.observation_minutes),
    )


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


def observation_minutes_left(appointments, *, now: datetime.datetime) -> dict[int, int]:
    """Minutes of observation left for each observing appointment (one query for their reactions, none if no
    appointment is observing). Expects each appointment's phase and drug loaded."""
    observing = [a for a in appointments if a.status == Appointment.Status.OBSERVING and a.infusion_ended_at]
    if not observing:
        return {}
    reactions: dict[int, list[InfusionReaction]] = {a.pk: [] for a in observing}
    for reaction in InfusionReaction.objects.filter(appointment_id__in=list(reactions)).only(
        "appointment_id", "occurred_at"
    ):
        reactions[reaction.appointment_id].append(reaction)
    result = {}
    for appointment in observing:
        plan = observation_plan(appointment, reactions=reactions[appointment.pk])
        result[appointment.pk] = clock.minutes_left(plan, now=now)
    return result
