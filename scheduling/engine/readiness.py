"""Readiness of one dose: what blocks it and what to watch, each in a sentence.

Driven by the drug's requirements, each naming a safety check of the catalogue with its typed result: a
qualitative check's answers say whether they clear it (or clear with a warning, do not clear, or are a hard
stop); a numeric check clears when the value meets its threshold. A result that does not clear blocks or warns
as the requirement says, never passes silently; a hard stop always blocks and cannot be overridden.

A before-every-dose (or monthly, or periodic) check not done yet for a future date is *pending*: a warning at
booking time, blocking on the day of the infusion. Before the first dose and at baseline, a missing check blocks
(or warns) straight away. The lifetime cumulative limit, and a requirement that gates booking, also refuse the
booking itself (`Readiness.refuses_booking`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from infusion_center import formats
from scheduling.engine.dosing import fmt_date
from scheduling.engine.protocol import (
    COMPARISON_AT_LEAST,
    MONTHLY_DAYS,
    OUTCOME_CLEARS,
    OUTCOME_CLEARS_WITH_WARNING,
    OUTCOME_HARD_STOP,
    WHEN_BASELINE,
    WHEN_EVERY,
    WHEN_FIRST,
    WHEN_MONTHLY,
    WHEN_PERIODIC,
    CheckSpec,
    DrugSpec,
    RequirementSpec,
)

STATUS_READY = "ready"
STATUS_WARNINGS = "warnings"
STATUS_BLOCKED = "blocked"

HARD_STOP_SENTENCE = " Hard stop: nobody can override it."


@dataclass(frozen=True)
class ScreeningResult:
    kind: str
    taken_on: datetime.date
    result: str
    valid_until: datetime.date
    value: Decimal | None = None


@dataclass(frozen=True)
class ReadinessIssue:
    kind: str  # the check's code, or "cumulative"
    message: str
    blocking: bool
    pending: bool = False  # not done yet for a future date: blocks on the day of the infusion
    refuses_booking: bool = False
    hard_stop: bool = False  # blocks and nobody may override it


@dataclass(frozen=True)
class Readiness:
    issues: tuple[ReadinessIssue, ...] = ()

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(i.message for i in self.issues if i.blocking)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(i.message for i in self.issues if not i.blocking)

    @property
    def pending(self) -> tuple[str, ...]:
        """Checks not done yet for a future date: warnings now, blocking when the infusion starts."""
        return tuple(i.message for i in self.issues if i.pending)

    @property
    def blocks_start(self) -> tuple[str, ...]:
        """What would block starting the infusion if it were today."""
        return tuple(i.message for i in self.issues if i.blocking or i.pending)

    @property
    def hard_stops(self) -> tuple[str, ...]:
        """Blocking problems nobody may override."""
        return tuple(i.message for i in self.issues if i.hard_stop)

    @property
    def refuses_booking(self) -> tuple[str, ...]:
        return tuple(i.message for i in self.issues if i.refuses_booking)

    @property
    def status(self) -> str:
        if any(i.blocking for i in self.issues):
            return STATUS_BLOCKED
        if self.issues:
            return STATUS_WARNINGS
        return STATUS_READY


@dataclass(frozen=True)
class Verdict:
    """What one result means for a check: it clears (perhaps with a warning), or not (perhaps a hard stop)."""

    clears: bool
    sentence: str = ""  # why it does not clear, or the warning
    hard_stop: bool = False


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def judge(check: CheckSpec, result: ScreeningResult, *, min_value: Decimal | None = None) -> Verdict:
    """The verdict of one result of `check` (`min_value`: a drug's stricter threshold for a numeric check)."""
    taken = f"taken {fmt_date(result.taken_on)}"
    if check.numeric:
        unit = f" {check.unit}" if check.unit else ""
        if result.value is None:
            return Verdict(False, f"{check.name} has no value recorded ({taken}).")
        threshold = check.threshold
        at_least = check.comparison == COMPARISON_AT_LEAST
        if min_value is not None and at_least:
            threshold = max(threshold, min_value) if threshold is not None else min_value
        if threshold is None:
            return Verdict(True)
        if (result.value >= threshold) if at_least else (result.value <= threshold):
            return Verdict(True)
        bound = "below the minimum" if at_least else "above the maximum"
        advice = f": {check.threshold_advice}" if check.threshold_advice else ""
        sentence = (
            f"{check.name} is {_number(result.value)}{unit}, {bound} of {_number(threshold)}{unit} ({taken}){advice}."
        )
        return Verdict(False, sentence, hard_stop=check.threshold_hard_stop)
    answer = check.answer(result.result)
    if answer is None:
        return Verdict(
            False, f"{check.name}: '{result.result}' is not an answer of this check ({taken}); record a valid result."
        )
    advice = f" — {answer.advice}" if answer.advice else ""
    sentence = f"{check.name}: {answer.label} ({taken}){advice}."
    if answer.outcome == OUTCOME_CLEARS:
        return Verdict(True)
    if answer.outcome == OUTCOME_CLEARS_WITH_WARNING:
        return Verdict(True, sentence)
    return Verdict(False, sentence, hard_stop=answer.outcome == OUTCOME_HARD_STOP)


def _applies(requirement: RequirementSpec, *, first_dose: bool, course_start: bool) -> bool:
    if requirement.when == WHEN_FIRST:
        return first_dose
    if requirement.when == WHEN_BASELINE:
        return first_dose or course_start
    if requirement.when in (WHEN_MONTHLY, WHEN_PERIODIC):
        return not first_dose
    return True


def _max_age(requirement: RequirementSpec) -> int | None:
    if requirement.max_age_days is None and requirement.when == WHEN_MONTHLY:
        return MONTHLY_DAYS
    return requirement.max_age_days


def _valid_for(screening: ScreeningResult, requirement: RequirementSpec, on_date: datetime.date) -> bool:
    if screening.taken_on > on_date or screening.valid_until < on_date:
        return False
    max_age = _max_age(requirement)
    return max_age is None or (on_date - screening.taken_on).days <= max_age


WHEN_TEXT = {
    WHEN_FIRST: "before the first dose",
    WHEN_BASELINE: "at baseline (before the first dose of a course)",
    WHEN_EVERY: "before every dose",
    WHEN_MONTHLY: "monthly while on treatment",
    WHEN_PERIODIC: "at its interval while on treatment",
}


def _fallback_check(requirement: RequirementSpec) -> CheckSpec:
    """A requirement read without its check: nothing is known to clear it, so nothing passes silently."""
    return CheckSpec(code=requirement.kind, name=requirement.kind)


def evaluate(
    drug: DrugSpec,
    *,
    on_date: datetime.date,
    today: datetime.date,
    first_dose: bool,
    reproductive_potential: bool,
    screenings: Sequence[ScreeningResult],
    dose_mg_per_m2: Decimal | None = None,
    cumulative_mg_per_m2: Decimal | None = None,
    course_start: bool = False,
) -> Readiness:
    """Readiness of a dose of `drug` on `on_date`, judged on `today`.

    `screenings`: the patient's results (any order). `course_start`: the dose is the first day of a later course
    (baseline checks apply again). `dose_mg_per_m2` / `cumulative_mg_per_m2`: this dose and the doses before it,
    in mg/m2, for drugs with a lifetime limit (None when unknown, e.g. no body surface area).
    """
    issues: list[ReadinessIssue] = []
    by_kind: dict[str, list[ScreeningResult]] = {}
    for screening in screenings:
        if screening.taken_on <= max(today, on_date):
            by_kind.setdefault(screening.kind, []).append(screening)
    for results in by_kind.values():
        results.sort(key=lambda s: s.taken_on, reverse=True)
    future = on_date > today
    for requirement in drug.requirements:
        if not _applies(requirement, first_dose=first_dose, course_start=course_start):
            continue
        if requirement.reproductive_potential_only and not reproductive_potential:
            continue
        check = requirement.check or _fallback_check(requirement)
        results = by_kind.get(requirement.kind, [])
        latest = results[0] if results else None
        verdict = judge(check, latest, min_value=requirement.min_value) if latest is not None else None
        gate = requirement.gates_booking and not (
            verdict is not None and verdict.clears and latest.valid_until >= today and latest.taken_on <= today
        )
        if verdict is not None and not verdict.clears:
            message = verdict.sentence + (HARD_STOP_SENTENCE if verdict.hard_stop else "")
            issues.append(
                ReadinessIssue(
                    requirement.kind,
                    message,
                    blocking=requirement.blocking or verdict.hard_stop,
                    hard_stop=verdict.hard_stop,
                    refuses_booking=gate,
                )
            )
            continue
        if verdict is not None and verdict.sentence:
            issues.append(ReadinessIssue(requirement.kind, verdict.sentence, blocking=False))
        if latest is not None and _valid_for(latest, requirement, on_date):
            if gate:
                issues.append(
                    ReadinessIssue(
                        requirement.kind,
                        f"{check.name} must be current and clear before this dose can be booked.",
                        blocking=False,
                        refuses_booking=True,
                    )
                )
            continue
        when = WHEN_TEXT.get(requirement.when, requirement.when)
        if latest is not None and latest.taken_on <= on_date:
            detail = f"the last one ({fmt_date(latest.taken_on)}) is no longer valid on {fmt_date(on_date)}"
        else:
            detail = "none is on record"
        max_age = _max_age(requirement)
        if max_age:
            detail += f"; it must be at most {formats.count(max_age, 'day')} old"
        if requirement.when in (WHEN_EVERY, WHEN_MONTHLY, WHEN_PERIODIC) and future:
            issues.append(
                ReadinessIssue(
                    requirement.kind,
                    f"{check.name} still to be done ({when}: {detail}).",
                    blocking=False,
                    pending=requirement.blocking,
                    refuses_booking=gate,
                )
            )
        else:
            issues.append(
                ReadinessIssue(
                    requirement.kind,
                    f"{check.name} is needed {when}: {detail}.",
                    blocking=requirement.blocking,
                    refuses_booking=gate,
                )
            )
    cumulative = cumulative_issue(drug, dose_mg_per_m2=dose_mg_per_m2, cumulative_mg_per_m2=cumulative_mg_per_m2)
    if cumulative is not None:
        issues.append(cumulative)
    # Two requirements on one check (e.g. first dose and every dose) can say the same thing: say it once.
    strongest: dict[str, ReadinessIssue] = {}
    for issue in issues:
        kept = strongest.get(issue.message)
        if kept is None or _weight(issue) > _weight(kept):
            strongest[issue.message] = issue
    return Readiness(tuple(strongest.values()))


def _weight(issue: ReadinessIssue) -> tuple[bool, ...]:
    return (issue.hard_stop, issue.blocking, issue.refuses_booking, issue.pending)


def cumulative_issue(
    drug: DrugSpec, *, dose_mg_per_m2: Decimal | None, cumulative_mg_per_m2: Decimal | None
) -> ReadinessIssue | None:
    """The lifetime-limit problem (refuses the booking) or a warning when close to it; None when far below."""
    limit = drug.cumulative_limit_mg_m2
    if limit is None:
        return None
    if dose_mg_per_m2 is None or cumulative_mg_per_m2 is None:
        return ReadinessIssue(
            "cumulative",
            f"The lifetime dose of {drug.name} cannot be checked: record the patient's height and weight.",
            blocking=True,
        )
    total = cumulative_mg_per_m2 + dose_mg_per_m2
    if total > limit:
        return ReadinessIssue(
            "cumulative",
            f"{drug.name} lifetime limit: {cumulative_mg_per_m2.normalize():f} mg/m² given plus this dose of "
            f"{dose_mg_per_m2.normalize():f} mg/m² would exceed {limit.normalize():f} mg/m².",
            blocking=True,
            refuses_booking=True,
            hard_stop=True,
        )
    if total > limit * Decimal("0.8"):
        return ReadinessIssue(
            "cumulative",
            f"{drug.name} lifetime dose after this one: {total.normalize():f} of {limit.normalize():f} mg/m².",
            blocking=False,
        )
    return None
