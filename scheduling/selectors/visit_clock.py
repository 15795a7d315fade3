"""What the visit clock reads of a visit: its required premedications and when they were given, the booked
infusion minutes, the reactions during the visit and when observation ends."""

from __future__ import annotations

import datetime

from scheduling.engine import visit_clock as clock
from scheduling.engine.protocol import premedication_applies
from scheduling.models import Appointment, InfusionReaction, Premedication, PremedicationGiven


def premedications_for(
    appointment: Appointment, phase_premedications: list[Premedication] | None = None
) -> list[Premedication]:
    """The premedications of the appointment's phase that apply on its course day (`phase_premedications`: the
    phase's rows, when the caller has read them)."""
    if phase_premedications is None:
        phase_premedications = list(appointment.phase.premedications.all())
    return [p for p in phase_premedications if premedication_applies(p.only_on_course_days, appointment.course_day)]


def required_premedications(appointment: Appointment) -> list[Premedication]:
    """The required premedications for this appointment's phase on its course day."""
    return [p for p in premedications_for(appointment) if p.required]


def premedications_given(appointment: Appointment) -> list[clock.PremedicationGivenSpec]:
    """The required premedications recorded given for this visit, with their catalogue leads."""
    required = {p.pk: p for p in required_premedications(appointment)}
    return [
        clock.PremedicationGivenSpec(
            str(required[g.premedication_id]), g.given_at, required[g.premedication_id].minutes_before
        )
        for g in PremedicationGiven.objects.filter(appointment=appointment)
        if g.premedication_id in required
    ]


def planned_infusion_minutes(appointment: Appointment) -> int:
    """The booked infusion minutes (the catalogue's, or its shorter option when booked short)."""
    return int((appointment.infusion_end - appointment.infusion_start).total_seconds() // 60)


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
