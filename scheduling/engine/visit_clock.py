"""The visit's clock, from the catalogue's numbers: when the infusion may start, how long it should run, when
observation ends. Each rule answers with a sentence when a step comes too early, so the nurse can record why.

- Start: not before every required premedication's lead has passed since it was recorded given (the longest
  lead decides).
- End: not earlier than the planned infusion minutes after the start.
- Discharge: not before the observation minutes have passed since the infusion ended; a reaction during the
  visit restarts observation from its time (when the drug says so) and needs a nurse's confirmation that the
  patient is fit for discharge.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from infusion_center import formats


@dataclass(frozen=True)
class PremedicationGivenSpec:
    name: str
    given_at: datetime.datetime
    lead_minutes: int


def _minutes(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _hm(moment: datetime.datetime, tz: datetime.tzinfo | None) -> str:
    return formats.time((moment.astimezone(tz) if tz else moment).replace(tzinfo=None))


def earliest_start(given: Sequence[PremedicationGivenSpec]) -> tuple[datetime.datetime, str] | None:
    """The first moment the infusion may start and the premedication that decides it (None: no premedication)."""
    if not given:
        return None
    latest = max(given, key=lambda g: (g.given_at + datetime.timedelta(minutes=g.lead_minutes), g.lead_minutes))
    return latest.given_at + datetime.timedelta(minutes=latest.lead_minutes), latest.name


def early_start_problem(
    given: Sequence[PremedicationGivenSpec], *, at: datetime.datetime, tz: datetime.tzinfo | None = None
) -> str:
    """Why starting at `at` is too early ('' when it is not)."""
    earliest = earliest_start(given)
    if earliest is None or at >= earliest[0]:
        return ""
    moment, name = earliest
    decisive = next(g for g in given if g.name == name)
    return (
        f"{name} was given at {_hm(decisive.given_at, tz)}: the infusion should start {decisive.lead_minutes} min "
        f"later, from {_hm(moment, tz)} ({_minutes(moment - at) or 1} min from the time given)."
    )


def early_end_problem(*, started_at: datetime.datetime, ended_at: datetime.datetime, planned_minutes: int) -> str:
    """Why ending at `ended_at` is earlier than planned ('' when it is not)."""
    ran = _minutes(ended_at - started_at)
    if ran >= planned_minutes:
        return ""
    return f"The infusion ran {ran} min of the planned {planned_minutes} min."


@dataclass(frozen=True)
class Observation:
    ends_at: datetime.datetime
    minutes: int
    restarted_by_reaction: bool = False


def observation(
    *,
    infusion_ended_at: datetime.datetime,
    observation_minutes: int,
    reactions_at: Sequence[datetime.datetime] = (),
    restart_after_reaction: bool = True,
    restart_minutes: int | None = None,
) -> Observation:
    """When observation ends: `observation_minutes` after the end of the infusion, or, after a reaction during
    the visit (and the drug restarts observation), `restart_minutes` (default the same) after the latest one."""
    ends = infusion_ended_at + datetime.timedelta(minutes=observation_minutes)
    result = Observation(ends, observation_minutes)
    if restart_after_reaction and reactions_at:
        minutes = observation_minutes if restart_minutes is None else restart_minutes
        after_reaction = max(reactions_at) + datetime.timedelta(minutes=minutes)
        if after_reaction > ends:
            result = Observation(after_reaction, minutes, restarted_by_reaction=True)
    return result


def early_discharge_problem(
    plan: Observation, *, infusion_ended_at: datetime.datetime, at: datetime.datetime, tz=None
) -> str:
    """Why discharging at `at` is before the end of observation ('' when it is not)."""
    if at >= plan.ends_at:
        return ""
    since = "the reaction" if plan.restarted_by_reaction else f"the end of the infusion at {_hm(infusion_ended_at, tz)}"
    return (
        f"Observation runs until {_hm(plan.ends_at, tz)} ({plan.minutes} min after {since}): "
        f"{_minutes(plan.ends_at - at) or 1} min are left."
    )


def minutes_left(plan: Observation, *, now: datetime.datetime) -> int:
    """Whole minutes of observation still to run (0 once it has ended), rounded up."""
    seconds = (plan.ends_at - now).total_seconds()
    return max(0, int(-(-seconds // 60)))
