"""Which dose comes next, how much, and when it may be given.

Input: a drug's protocol (DrugSpec), the plan's start date and the doses given so far (one `DoseCourse`
per dose: a single infusion, or the days of one consecutive-day course). Output: a `NextDose` with its phase,
infusion number, dose in mg, window (earliest, target, latest) and the chair time of every course day.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from infusion_center import formats
from scheduling.engine.protocol import ANCHOR_FIRST, UNIT_MG_PER_M2, ChairTime, DrugSpec, PhaseSpec, chair_time, dose_mg


def fmt_date(day: datetime.date) -> str:
    """3 Dec 2026, in the center's date order."""
    return formats.date(day)


@dataclass(frozen=True)
class DoseCourse:
    """One dose as given (or booked): its phase and its first and last day (the same for a single infusion)."""

    phase_order: int
    first_day: datetime.date
    last_day: datetime.date
    infusions: int = 1


@dataclass(frozen=True)
class DoseWindow:
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date
    anchor: datetime.date | None  # the date the target counts from (None for the plan's first dose)
    previous_dose: datetime.date | None  # last day of the previous dose
    min_gap_days: int | None
    gap_bound: datetime.date | None  # previous dose + minimum gap

    def refusal(self, drug_name: str, dose_label: str, day: datetime.date) -> str | None:
        """Why `day` is too early for this dose, or None when it is allowed (late doses are allowed)."""
        if day >= self.earliest:
            return None
        head = f"{drug_name} {dose_label} cannot be given before {fmt_date(self.earliest)}"
        if self.gap_bound is not None and self.earliest == self.gap_bound and self.previous_dose is not None:
            return (
                f"{head}: the last dose was {fmt_date(self.previous_dose)} and doses must be at least "
                f"{formats.count(self.min_gap_days, 'day')} apart."
            )
        if self.anchor is None:
            return f"{head}: the plan starts on {fmt_date(self.target)}."
        early = formats.count((self.target - self.earliest).days, "day")
        return f"{head}: it is due on {fmt_date(self.target)} and may be given at most {early} early."

    def lateness(self, day: datetime.date) -> str:
        """A warning when `day` is after the latest date, else ''."""
        if day <= self.latest:
            return ""
        late = formats.count((day - self.latest).days, "day")
        return f"This dose is late: it was due by {fmt_date(self.latest)} ({late} later)."


@dataclass(frozen=True)
class NextDose:
    drug: DrugSpec
    phase: PhaseSpec
    infusion_number: int  # of the first course day
    dose_mg: Decimal | None
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date
    course_days: int
    chair_times: tuple[ChairTime, ...]
    window: DoseWindow

    def is_overdue(self, today: datetime.date) -> bool:
        return today > self.latest

    @property
    def dose_label(self) -> str:
        if self.dose_mg is None:
            return f"{self.phase.dose_amount.normalize():f} mg/m²"
        return f"{self.dose_mg.normalize():f} mg"

    @property
    def dose_mg_per_m2(self) -> Decimal | None:
        """This dose in mg/m² when the phase is dosed by body surface area."""
        return self.phase.dose_amount if self.phase.dose_unit == UNIT_MG_PER_M2 else None

    def window_position(self, day: datetime.date) -> str:
        """Where `day` sits in the window, in words."""
        delta = (day - self.target).days
        if day < self.earliest:
            return "before the dosing window"
        if day > self.latest:
            return f"{formats.count((day - self.latest).days, 'day')} after the dosing window (late)"
        if delta == 0:
            return "on the target date"
        unit = "day" if abs(delta) == 1 else "days"
        return f"{abs(delta)} {unit} {'after' if delta > 0 else 'before'} the target"

    def in_window(self, day: datetime.date) -> bool:
        return self.earliest <= day <= self.latest


def next_phase(drug: DrugSpec, courses: Sequence[DoseCourse]) -> PhaseSpec | None:
    """The phase of the next dose: the first one, the following one, or the repeating last one."""
    if not drug.phases:
        return None
    phases = sorted(drug.phases, key=lambda p: p.order)
    if not courses:
        return phases[0]
    last = max(courses, key=lambda c: (c.first_day, c.phase_order))
    current = next((p for p in phases if p.order == last.phase_order), None)
    if current is not None and current.repeats:
        return current
    later = [p for p in phases if p.order > last.phase_order]
    return later[0] if later else None


def dose_window(
    drug: DrugSpec, phase: PhaseSpec, *, plan_start: datetime.date, courses: Sequence[DoseCourse]
) -> DoseWindow:
    """Target = anchor + interval; earliest = max(target - early, previous + min gap); latest = target + late.

    The anchor is the previous dose actually given (its last day for a course) - so a late dose moves the next
    target - except for the first dose of a phase anchored on the plan's first dose (Ocrevus/Briumvi maintenance).
    """
    ordered = sorted(courses, key=lambda c: c.first_day)
    previous = ordered[-1] if ordered else None
    if previous is None or phase.interval_days is None:
        anchor = None
        target = plan_start if previous is None else previous.last_day
    else:
        first_of_phase = previous.phase_order != phase.order
        from_first = phase.interval_anchor == ANCHOR_FIRST and first_of_phase
        anchor = ordered[0].first_day if from_first else previous.last_day
        target = anchor + datetime.timedelta(days=phase.interval_days)
    return window_around(phase, target=target, anchor=anchor, previous_dose=previous.last_day if previous else None)


def window_around(
    phase: PhaseSpec, *, target: datetime.date, anchor: datetime.date | None, previous_dose: datetime.date | None
) -> DoseWindow:
    """The phase's window around its target date: never before the minimum gap after the previous dose, nor on
    or before that dose's last day."""
    earliest = target - datetime.timedelta(days=phase.window_early_days)
    gap_bound = None
    if previous_dose is not None and phase.min_gap_days:
        gap_bound = previous_dose + datetime.timedelta(days=phase.min_gap_days)
        earliest = max(earliest, gap_bound)
    if previous_dose is not None:
        earliest = max(earliest, previous_dose + datetime.timedelta(days=1))
    latest = max(target + datetime.timedelta(days=phase.window_late_days), earliest)
    return DoseWindow(
        earliest=earliest,
        target=target,
        latest=latest,
        anchor=anchor,
        previous_dose=previous_dose,
        min_gap_days=phase.min_gap_days,
        gap_bound=gap_bound,
    )


def course_days_allowed(consecutive_days: int, consecutive_days_max: int | None, days: int) -> bool:
    """Whether a course of `days` days fits the phase's days (e.g. exactly 5) or range (e.g. 3 to 5)."""
    return consecutive_days <= days <= (consecutive_days_max or consecutive_days)


def course_length(phase: PhaseSpec, requested: int | None) -> int:
    """Days in the course: the phase's own, or the prescribed number inside its range (e.g. 3-5)."""
    if requested is None:
        return phase.consecutive_days
    upper = phase.consecutive_days_max or phase.consecutive_days
    return min(max(requested, phase.consecutive_days), upper)


def course_chair_times(
    phase: PhaseSpec,
    *,
    first_infusion_number: int,
    days: int,
    prior_reaction: bool,
    prior_serious_reaction: bool,
    use_short_infusion: bool = True,
) -> tuple[ChairTime, ...]:
    return tuple(
        chair_time(
            phase,
            infusion_number=first_infusion_number + k,
            course_day=k + 1,
            prior_reaction=prior_reaction,
            prior_serious_reaction=prior_serious_reaction,
            use_short_infusion=use_short_infusion,
        )
        for k in range(days)
    )


def dose_for_phase(
    drug: DrugSpec,
    phase: PhaseSpec,
    *,
    plan_start: datetime.date,
    courses: Sequence[DoseCourse],
    prior_infusions: int,
    body_surface_area: Decimal | None,
    prior_reaction: bool = False,
    prior_serious_reaction: bool = False,
    course_days: int | None = None,
) -> NextDose:
    window = dose_window(drug, phase, plan_start=plan_start, courses=courses)
    days = course_length(phase, course_days)
    return NextDose(
        drug=drug,
        phase=phase,
        infusion_number=prior_infusions + 1,
        dose_mg=dose_mg(phase, body_surface_area),
        earliest=window.earliest,
        target=window.target,
        latest=window.latest,
        course_days=days,
        chair_times=course_chair_times(
            phase,
            first_infusion_number=prior_infusions + 1,
            days=days,
            prior_reaction=prior_reaction,
            prior_serious_reaction=prior_serious_reaction,
        ),
        window=window,
    )


def next_dose(
    drug: DrugSpec,
    *,
    plan_start: datetime.date,
    courses: Sequence[DoseCourse],
    prior_infusions: int | None = None,
    body_surface_area: Decimal | None = None,
    prior_reaction: bool = False,
    prior_serious_reaction: bool = False,
    course_days: int | None = None,
) -> NextDose | None:
    """The next dose after `courses`, or None when the regimen has nothing more to give.

    `prior_infusions` counts every infusion of this drug the patient has had (other plans included); by default
    the infusions of `courses`.
    """
    phase = next_phase(drug, courses)
    if phase is None:
        return None
    if prior_infusions is None:
        prior_infusions = sum(c.infusions for c in courses)
    return dose_for_phase(
        drug,
        phase,
        plan_start=plan_start,
        courses=courses,
        prior_infusions=prior_infusions,
        body_surface_area=body_surface_area,
        prior_reaction=prior_reaction,
        prior_serious_reaction=prior_serious_reaction,
        course_days=course_days,
    )
