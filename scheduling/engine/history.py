"""One dose history per patient and active ingredient, and what it says about every dose still to come.

A `DoseHistory` holds every dose of one ingredient for one patient, across all plans and drugs that share it
(natalizumab: Tysabri and Tyruko; ocrelizumab: IV and SC): doses given here, doses given elsewhere, and doses
booked but not yet given. From it the engine answers which dose is next (phase, infusion number, dose, window,
chair time), whether a booked dose is still the right one, and whether a dose may start now. Pure: no Django.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from scheduling.engine.dosing import DoseWindow, NextDose, course_chair_times, course_length, fmt_date, window_around
from scheduling.engine.protocol import ANCHOR_FIRST, ChairTime, DrugSpec, PhaseSpec, dose_mg, mg_per_m2
from scheduling.engine.readiness import cumulative_issue

GIVEN = "given"  # given here (the infusion started)
ELSEWHERE = "elsewhere"  # given at another site, entered by a nurse
BOOKED = "booked"  # booked here, not given yet

# Reasons a booking needs attention. Only a nurse-capacity overload may be accepted after review.
PROBLEM_PHASE = "phase"
PROBLEM_EARLY = "early"
PROBLEM_LIFETIME = "lifetime"
PROBLEM_PLAN = "plan"
PROBLEM_FINISHED = "finished"
PROBLEM_BSA = "bsa"
PROBLEM_CAPACITY = "capacity"  # nurse caps: acceptable
PROBLEM_CENTER = "center"  # closed, outside hours, chair inactive or closed, overlap


@dataclass(frozen=True)
class Dose:
    """One dose of the history: a single infusion, or the days of one consecutive-day course."""

    drug_id: int
    phase_order: int
    first_day: datetime.date
    last_day: datetime.date
    source: str = GIVEN
    infusions: int = 1
    mg_per_m2: Decimal | None = None  # the whole dose (all days), None when unknown
    key: object = None  # identifies a booked dose (its appointment ids)
    phase_id: int | None = None

    @property
    def is_given(self) -> bool:
        return self.source in (GIVEN, ELSEWHERE)


@dataclass(frozen=True)
class DoseHistory:
    ingredient: str
    doses: tuple[Dose, ...] = ()
    prior_reaction: bool = False
    prior_serious_reaction: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "doses", tuple(sorted(self.doses, key=lambda d: (d.first_day, d.last_day))))

    def _with(self, doses: Iterable[Dose]) -> DoseHistory:
        return replace(self, doses=tuple(doses))

    def given(self) -> DoseHistory:
        """Only the doses actually given (here or elsewhere): what a nurse starting an infusion goes by."""
        return self._with(d for d in self.doses if d.is_given)

    def before(self, day: datetime.date) -> DoseHistory:
        return self._with(d for d in self.doses if d.first_day < day)

    def without(self, key: object) -> DoseHistory:
        return self._with(d for d in self.doses if d.key != key)

    def adding(self, dose: Dose) -> DoseHistory:
        return self._with((*self.doses, dose))

    @property
    def infusions(self) -> int:
        return sum(d.infusions for d in self.doses)

    @property
    def last(self) -> Dose | None:
        return self.doses[-1] if self.doses else None

    def cumulative_mg_per_m2(self) -> Decimal | None:
        """mg/m² of every dose in the history, None when one of them is unknown."""
        total = Decimal("0")
        for dose in self.doses:
            if dose.mg_per_m2 is None:
                return None
            total += dose.mg_per_m2
        return total


def _phases(drug: DrugSpec) -> list[PhaseSpec]:
    return sorted(drug.phases, key=lambda p: p.order)


def next_phase(drug: DrugSpec, history: DoseHistory) -> PhaseSpec | None:
    """The phase of the next dose of `drug`.

    After a dose of the same drug: the same phase when it repeats, else the following one. After a dose of
    another drug of the ingredient (a switch, e.g. Tysabri to Tyruko or IV to SC ocrelizumab), counted in
    order: the n-th dose of the history is the drug's n-th step, the last step repeating.
    """
    phases = _phases(drug)
    if not phases:
        return None
    last = history.last
    if last is None:
        return phases[0]
    if last.drug_id == drug.id:
        current = next((p for p in phases if p.order == last.phase_order), None)
        if current is not None and current.repeats:
            return current
        later = [p for p in phases if p.order > last.phase_order]
        return later[0] if later else None
    index = 0
    for _dose in history.doses:
        if phases[index].repeats:
            continue
        index += 1
        if index >= len(phases):
            return None
    return phases[index]


def _first_of_regimen(history: DoseHistory) -> datetime.date:
    """The first day of the latest start of the regimen (a dose of a first phase), else of the first dose."""
    firsts = [d.first_day for d in history.doses if d.phase_order == 1]
    return firsts[-1] if firsts else history.doses[0].first_day


def window(drug: DrugSpec, phase: PhaseSpec, history: DoseHistory, *, plan_start: datetime.date) -> DoseWindow:
    """Target = anchor + interval (never before the plan's start); earliest = max(target - early, previous + min
    gap, the day after the previous dose); latest = target + late.

    The anchor is the previous dose of the whole history (its last day for a course), except for the first dose
    of a phase anchored on the regimen's first dose (Ocrevus and Briumvi maintenance).
    """
    previous = history.last
    anchor: datetime.date | None
    if previous is None:
        anchor = None
        target = plan_start
    elif phase.interval_days is None:
        anchor = None
        target = max(previous.last_day, plan_start)
    else:
        first_of_phase = previous.drug_id != drug.id or previous.phase_order != phase.order
        from_first = phase.interval_anchor == ANCHOR_FIRST and first_of_phase
        anchor = _first_of_regimen(history) if from_first else previous.last_day
        target = max(anchor + datetime.timedelta(days=phase.interval_days), plan_start)
    return window_around(phase, target=target, anchor=anchor, previous_dose=previous.last_day if previous else None)


def next_dose(
    drug: DrugSpec,
    history: DoseHistory,
    *,
    plan_start: datetime.date,
    body_surface_area: Decimal | None,
    course_days: int | None = None,
) -> NextDose | None:
    """The next dose of `drug` after the whole history (None when the regimen has nothing more to give)."""
    phase = next_phase(drug, history)
    if phase is None:
        return None
    days = course_length(phase, course_days)
    dose_window = window(drug, phase, history, plan_start=plan_start)
    first_number = history.infusions + 1
    return NextDose(
        drug=drug,
        phase=phase,
        infusion_number=first_number,
        dose_mg=dose_mg(phase, body_surface_area),
        earliest=dose_window.earliest,
        target=dose_window.target,
        latest=dose_window.latest,
        course_days=days,
        chair_times=course_chair_times(
            phase,
            first_infusion_number=first_number,
            days=days,
            prior_reaction=history.prior_reaction,
            prior_serious_reaction=history.prior_serious_reaction,
        ),
        window=dose_window,
    )


def dose_mg_per_m2(dose: NextDose, body_surface_area: Decimal | None) -> Decimal | None:
    """The whole dose (every course day) in mg/m², None when it cannot be known."""
    per_day = mg_per_m2(
        dose.dose_mg, body_surface_area, dose_unit=dose.phase.dose_unit, dose_amount=dose.phase.dose_amount
    )
    return per_day * dose.course_days if per_day is not None else None


def lifetime_refusal(
    drug: DrugSpec, history: DoseHistory, dose: NextDose, body_surface_area: Decimal | None
) -> str | None:
    """Why the lifetime limit refuses this dose after the history, or None."""
    if drug.cumulative_limit_mg_m2 is None:
        return None
    issue = cumulative_issue(
        drug,
        dose_mg_per_m2=dose_mg_per_m2(dose, body_surface_area),
        cumulative_mg_per_m2=history.cumulative_mg_per_m2(),
    )
    return issue.message if issue is not None and issue.refuses_booking else None


def as_history_dose(dose: NextDose, first_day: datetime.date, *, key: object, bsa: Decimal | None) -> Dose:
    """The dose as the history will hold it once given on `first_day`."""
    return Dose(
        drug_id=dose.drug.id,
        phase_order=dose.phase.order,
        first_day=first_day,
        last_day=first_day + datetime.timedelta(days=dose.course_days - 1),
        source=BOOKED,
        infusions=dose.course_days,
        mg_per_m2=dose_mg_per_m2(dose, bsa),
        key=key,
        phase_id=dose.phase.id,
    )


def chair_label(times: Sequence[ChairTime]) -> str:
    first = times[0]
    hours, minutes = divmod(first.infusion_minutes, 60)
    infusion = f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"
    return f"{infusion} infusion, {first.observation_minutes} min observation"


# ---------------------------------------------------------------------------
# Booked doses against the history as it is now
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    @property
    def acceptable(self) -> bool:
        return self.code == PROBLEM_CAPACITY


@dataclass(frozen=True)
class BookedCourse:
    """A dose booked and not given yet: one appointment, or the days of one course."""

    key: object
    drug_id: int
    phase_id: int
    days: tuple[datetime.date, ...]
    plan_start: datetime.date
    plan_active: bool = True
    plan_status: str = "active"
    course_days: int | None = None  # prescribed days of a ranged course
    label: str = ""  # what the booking is for, in words (e.g. "Infusion 2, 450 mg")


@dataclass(frozen=True)
class Derivation:
    """The engine's answer for one booked dose: the dose it must be, and why it cannot be (if so)."""

    course: BookedCourse
    expected: NextDose | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def infusion_numbers(self) -> tuple[int, ...]:
        if self.expected is None:
            return ()
        return tuple(self.expected.infusion_number + k for k in range(len(self.course.days)))

    @property
    def chair_times(self) -> tuple[ChairTime, ...]:
        """One per booked day (a course booked longer than the phase's own keeps its days)."""
        if self.expected is None:
            return ()
        times = list(self.expected.chair_times)
        while len(times) < len(self.course.days):
            times.append(times[-1])
        return tuple(times[: len(self.course.days)])


def derive(
    drugs: dict[int, DrugSpec],
    given: DoseHistory,
    booked: Sequence[BookedCourse],
    *,
    body_surface_area: Decimal | None,
) -> list[Derivation]:
    """Every booked dose, in date order, re-derived from the given doses and the booked doses before it.

    A booked dose counts, for the doses after it, as the dose the engine says it must be (a flagged booking is
    rebooked as that dose). Bookings of a plan that is no longer active are flagged and not counted.
    """
    running = given
    result = []
    for course in sorted(booked, key=lambda c: c.days[0]):
        drug = drugs[course.drug_id]
        first_day = course.days[0]
        if not course.plan_active:
            message = f"The {drug.name} plan is {course.plan_status}: this booking is no longer part of a plan."
            result.append(Derivation(course, None, (Problem(PROBLEM_PLAN, message),)))
            continue
        before = running.before(first_day)
        expected = next_dose(
            drug,
            before,
            plan_start=course.plan_start,
            body_surface_area=body_surface_area,
            course_days=course.course_days or len(course.days),
        )
        if expected is None:
            message = f"The {drug.name} regimen has no further dose after the doses before {fmt_date(first_day)}."
            result.append(Derivation(course, None, (Problem(PROBLEM_FINISHED, message),)))
            continue
        problems = []
        if expected.phase.id != course.phase_id:
            problems.append(
                Problem(
                    PROBLEM_PHASE,
                    f"Booked as {course.label or 'another dose'}, but the patient's next {drug.name} dose is "
                    f"{expected.phase.name}: {expected.dose_label}, {chair_label(expected.chair_times)}.",
                )
            )
        refusal = expected.window.refusal(drug.name, expected.dose_label, first_day)
        if refusal:
            problems.append(Problem(PROBLEM_EARLY, refusal))
        lifetime = lifetime_refusal(drug, before, expected, body_surface_area)
        if lifetime:
            problems.append(Problem(PROBLEM_LIFETIME, lifetime))
        if expected.dose_mg is None:
            problems.append(
                Problem(PROBLEM_BSA, f"{drug.name} is dosed by body surface area: record height and weight.")
            )
        result.append(Derivation(course, expected, tuple(problems)))
        running = running.adding(as_history_dose(expected, first_day, key=course.key, bsa=body_surface_area))
    return result


def start_refusal(
    drug: DrugSpec,
    given: DoseHistory,
    *,
    phase_id: int,
    dose_mg_booked: Decimal,
    today: datetime.date,
    plan_start: datetime.date,
    body_surface_area: Decimal | None,
) -> str | None:
    """Why this dose must not start today, judged from the doses actually given (None when it is the one due)."""
    expected = next_dose(drug, given.before(today), plan_start=plan_start, body_surface_area=body_surface_area)
    if expected is None:
        return f"The {drug.name} regimen has no further dose to give: do not start this infusion."
    phases = {p.id: p for p in drug.phases}
    booked = phases.get(phase_id)
    if booked is None or booked.id != expected.phase.id:
        name = booked.name if booked else "another dose"
        return (
            f"This appointment is booked as {name}, but the dose due is {drug.name} {expected.phase.name}: "
            f"{expected.dose_label}, {chair_label(expected.chair_times)}. Rebook it as the dose due."
        )
    if expected.dose_mg is not None and expected.dose_mg != dose_mg_booked:
        return (
            f"This appointment is booked for {dose_mg_booked.normalize():f} mg, but the dose due is "
            f"{expected.dose_label}. Rebook it as the dose due."
        )
    refusal = expected.window.refusal(drug.name, expected.dose_label, today)
    if refusal:
        return refusal
    return None


def following_refusal(
    drug: DrugSpec,
    history: DoseHistory,
    moved: Dose,
    following: Dose,
    *,
    plan_start: datetime.date,
) -> str | None:
    """Moving a dose to `moved` must keep the next booked dose (`following`) inside its window."""
    before = history.adding(moved).before(following.first_day)
    phase = next((p for p in drug.phases if p.order == following.phase_order), None)
    if phase is None:
        return None
    bound = window(drug, phase, before, plan_start=plan_start)
    if following.first_day < bound.earliest:
        return (
            f"The next booked dose on {fmt_date(following.first_day)} would then be too early (not before "
            f"{fmt_date(bound.earliest)}): move it first."
        )
    return None
