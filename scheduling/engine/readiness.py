"""Readiness of one dose: what blocks it and what to watch, each in a sentence.

Driven by the drug's screening requirements. A before-every-dose check that simply has not been done yet for a
future date is *pending*: a warning at booking time, and blocking on the day of the infusion (when `on_date` is
today or past). Everything else that is missing or unacceptable is blocking. The lifetime cumulative limit is
the one problem that also refuses the booking itself (`Readiness.refuses_booking`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from scheduling.engine.dosing import fmt_date
from scheduling.engine.protocol import DrugSpec, RequirementSpec

KIND_LABELS = {
    "hep_b": "Hepatitis B screening",
    "jcv": "JCV antibody test",
    "lvef": "LVEF (echocardiogram)",
    "infection": "Active-infection check",
    "pregnancy": "Pregnancy test",
    "rems": "REMS / safety programme authorisation",
    "lemtrada_labs": "Lemtrada monthly labs",
}

# Results that make a dose unsafe, per screening kind.
UNACCEPTABLE = {
    "hep_b": {"positive"},
    "lvef": {"abnormal"},
    "infection": {"positive", "abnormal"},
    "pregnancy": {"positive"},
    "rems": {"not_authorised", "negative", "abnormal"},
    "lemtrada_labs": {"abnormal", "positive"},
}
UNACCEPTABLE_SENTENCE = {
    "hep_b": "Hepatitis B screening is positive ({taken}): anti-CD20 therapy must not be given.",
    "lvef": "LVEF is not acceptable ({taken}).",
    "infection": "An active infection was found ({taken}): delay the infusion until it has resolved.",
    "pregnancy": "The pregnancy test is positive ({taken}).",
    "rems": "The patient is not authorised in the safety programme ({taken}).",
    "lemtrada_labs": "Lemtrada monthly labs are abnormal ({taken}): review before dosing.",
}

STATUS_READY = "ready"
STATUS_WARNINGS = "warnings"
STATUS_BLOCKED = "blocked"


@dataclass(frozen=True)
class ScreeningResult:
    kind: str
    taken_on: datetime.date
    result: str
    valid_until: datetime.date
    value: Decimal | None = None


@dataclass(frozen=True)
class ReadinessIssue:
    kind: str  # screening kind, or "cumulative"
    message: str
    blocking: bool
    pending: bool = False  # not done yet for a future date: blocks on the day of the infusion
    refuses_booking: bool = False


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
    def refuses_booking(self) -> tuple[str, ...]:
        return tuple(i.message for i in self.issues if i.refuses_booking)

    @property
    def status(self) -> str:
        if any(i.blocking for i in self.issues):
            return STATUS_BLOCKED
        if self.issues:
            return STATUS_WARNINGS
        return STATUS_READY


def _valid_for(screening: ScreeningResult, requirement: RequirementSpec, on_date: datetime.date) -> bool:
    if screening.taken_on > on_date or screening.valid_until < on_date:
        return False
    return requirement.max_age_days is None or (on_date - screening.taken_on).days <= requirement.max_age_days


def _unacceptable(screening: ScreeningResult, requirement: RequirementSpec) -> bool:
    if screening.result in UNACCEPTABLE.get(screening.kind, ()):
        return True
    if requirement.min_value is not None:
        return screening.value is None or screening.value < requirement.min_value
    return False


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
) -> Readiness:
    """Readiness of a dose of `drug` on `on_date`, judged on `today`.

    `screenings`: the patient's results (any order). `dose_mg_per_m2` / `cumulative_mg_per_m2`: this dose and the
    doses before it, in mg/m2, for drugs with a lifetime limit (None when unknown, e.g. no body surface area).
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
        if requirement.when == "first" and not first_dose:
            continue
        if requirement.reproductive_potential_only and not reproductive_potential:
            continue
        label = KIND_LABELS.get(requirement.kind, requirement.kind)
        results = by_kind.get(requirement.kind, [])
        latest = results[0] if results else None
        if latest is not None and _unacceptable(latest, requirement):
            taken = f"taken {fmt_date(latest.taken_on)}"
            if requirement.min_value is not None and latest.value is not None:
                sentence = (
                    f"{label} is {latest.value.normalize():f}, below the minimum of "
                    f"{requirement.min_value.normalize():f} ({taken})."
                )
            else:
                sentence = UNACCEPTABLE_SENTENCE.get(requirement.kind, f"{label} is not acceptable ({{taken}}).")
                sentence = sentence.format(taken=taken)
            issues.append(ReadinessIssue(requirement.kind, sentence, blocking=requirement.blocking))
            continue
        if requirement.kind == "jcv" and latest is not None and latest.result == "positive":
            issues.append(
                ReadinessIssue(
                    "jcv",
                    f"JCV antibody is positive ({fmt_date(latest.taken_on)}): PML risk to review with the neurologist.",
                    blocking=False,
                )
            )
        valid = [s for s in results if _valid_for(s, requirement, on_date)]
        if valid:
            continue
        when = "before the first dose" if requirement.when == "first" else "before every dose"
        if latest is not None and latest.taken_on <= on_date:
            detail = f"the last one ({fmt_date(latest.taken_on)}) is no longer valid on {fmt_date(on_date)}"
        else:
            detail = "none is on record"
        if requirement.max_age_days:
            detail += f"; it must be at most {requirement.max_age_days} days old"
        if requirement.when == "every" and future:
            issues.append(
                ReadinessIssue(
                    requirement.kind,
                    f"{label} still to be done ({when}: {detail}).",
                    blocking=False,
                    pending=requirement.blocking,
                )
            )
        else:
            issues.append(
                ReadinessIssue(requirement.kind, f"{label} is needed {when}: {detail}.", blocking=requirement.blocking)
            )
    cumulative = cumulative_issue(drug, dose_mg_per_m2=dose_mg_per_m2, cumulative_mg_per_m2=cumulative_mg_per_m2)
    if cumulative is not None:
        issues.append(cumulative)
    return Readiness(tuple(issues))


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
        )
    if total > limit * Decimal("0.8"):
        return ReadinessIssue(
            "cumulative",
            f"{drug.name} lifetime dose after this one: {total.normalize():f} of {limit.normalize():f} mg/m².",
            blocking=False,
        )
    return None
