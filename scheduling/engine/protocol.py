"""A drug's protocol as plain data, and the chair time it needs for one dose.

Chair time = premedication lead + infusion + observation, each depending on the phase,
the infusion number, the day of a course and the patient's reaction history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ANCHOR_PREVIOUS = "previous"
ANCHOR_FIRST = "first"
UNIT_MG = "mg"
UNIT_MG_PER_M2 = "mg/m2"
SHORT_RULE_NO_SERIOUS_REACTION = "no_serious_reaction"


@dataclass(frozen=True)
class PremedSpec:
    name: str
    minutes_before: int
    required: bool = True
    only_on_course_days: int | None = None  # only on days 1..N of a course
    dose: str = ""
    route: str = ""
    id: int | None = None

    def applies_on(self, course_day: int) -> bool:
        return premedication_applies(self.only_on_course_days, course_day)


def premedication_applies(only_on_course_days: int | None, course_day: int) -> bool:
    """Whether a premedication given only on days 1..N of a course (None: every day) applies on this day."""
    return only_on_course_days is None or course_day <= only_on_course_days


@dataclass(frozen=True)
class PhaseSpec:
    order: int
    name: str
    dose_amount: Decimal
    infusion_minutes: int
    observation_minutes: int
    dose_unit: str = UNIT_MG
    short_infusion_minutes: int | None = None
    short_infusion_rule: str = ""
    reduced_observation_minutes: int | None = None
    reduced_observation_from_infusion: int | None = None
    interval_days: int | None = None
    interval_anchor: str = ANCHOR_PREVIOUS
    window_early_days: int = 0
    window_late_days: int = 7
    min_gap_days: int | None = None  # already resolved: the phase's own, else the drug's
    repeats: bool = False
    consecutive_days: int = 1
    consecutive_days_max: int | None = None
    premeds: tuple[PremedSpec, ...] = ()
    id: int | None = None


OUTCOME_CLEARS = "clears"
OUTCOME_CLEARS_WITH_WARNING = "clears_warning"
OUTCOME_NOT_CLEARED = "not_cleared"
OUTCOME_HARD_STOP = "hard_stop"
COMPARISON_AT_LEAST = "at_least"
COMPARISON_AT_MOST = "at_most"
WHEN_FIRST = "first"
WHEN_BASELINE = "baseline"
WHEN_EVERY = "every"
WHEN_MONTHLY = "monthly"
WHEN_PERIODIC = "periodic"
MONTHLY_DAYS = 31


@dataclass(frozen=True)
class AnswerSpec:
    code: str
    label: str
    outcome: str  # one of the OUTCOME_* values
    advice: str = ""


@dataclass(frozen=True)
class CheckSpec:
    """A safety check of the catalogue: qualitative with its own answers, or numeric with a unit and threshold."""

    code: str
    name: str
    numeric: bool = False
    answers: tuple[AnswerSpec, ...] = ()
    unit: str = ""
    threshold: Decimal | None = None
    comparison: str = COMPARISON_AT_LEAST
    threshold_hard_stop: bool = False
    threshold_advice: str = ""

    def answer(self, code: str) -> AnswerSpec | None:
        return next((a for a in self.answers if a.code == code), None)


@dataclass(frozen=True)
class RequirementSpec:
    kind: str  # the check's code
    when: str  # one of the WHEN_* values
    blocking: bool = True
    max_age_days: int | None = None
    reproductive_potential_only: bool = False
    min_value: Decimal | None = None  # a stricter threshold for this drug (numeric checks)
    notes: str = ""
    check: CheckSpec | None = None
    gates_booking: bool = False


@dataclass(frozen=True)
class DrugSpec:
    name: str
    phases: tuple[PhaseSpec, ...]
    min_gap_days: int | None = None
    cumulative_limit_mg_m2: Decimal | None = None
    reaction_window_hours: int | None = None
    stroke_warning_days: int | None = None
    is_anti_cd20: bool = False
    requirements: tuple[RequirementSpec, ...] = field(default=())
    id: int | None = None
    ingredient: str = ""  # the dose-history key: drugs sharing it share one history per patient


@dataclass(frozen=True)
class ChairTime:
    premed_minutes: int
    infusion_minutes: int
    observation_minutes: int
    short_infusion: bool = False

    @property
    def total_minutes(self) -> int:
        return self.premed_minutes + self.infusion_minutes + self.observation_minutes


def premedication_lead(phase: PhaseSpec, course_day: int = 1) -> int:
    """The longest lead among the required premedications given on that course day."""
    leads = [p.minutes_before for p in phase.premeds if p.required and p.applies_on(course_day)]
    return max(leads, default=0)


def short_infusion_allowed(phase: PhaseSpec, *, prior_serious_reaction: bool) -> bool:
    if phase.short_infusion_minutes is None:
        return False
    if phase.short_infusion_rule == SHORT_RULE_NO_SERIOUS_REACTION:
        return not prior_serious_reaction
    return False


def observation_minutes(phase: PhaseSpec, *, infusion_number: int, prior_reaction: bool) -> int:
    """Full observation, or the reduced one from the given infusion number for patients with no prior reaction."""
    if (
        phase.reduced_observation_minutes is not None
        and phase.reduced_observation_from_infusion is not None
        and infusion_number >= phase.reduced_observation_from_infusion
        and not prior_reaction
    ):
        return phase.reduced_observation_minutes
    return phase.observation_minutes


def chair_time(
    phase: PhaseSpec,
    *,
    infusion_number: int,
    course_day: int = 1,
    prior_reaction: bool = False,
    prior_serious_reaction: bool = False,
    use_short_infusion: bool = True,
) -> ChairTime:
    """Chair time for one dose. `use_short_infusion` lets a prescriber keep the standard rate."""
    short = use_short_infusion and short_infusion_allowed(phase, prior_serious_reaction=prior_serious_reaction)
    return ChairTime(
        premed_minutes=premedication_lead(phase, course_day),
        infusion_minutes=phase.short_infusion_minutes if short else phase.infusion_minutes,
        observation_minutes=observation_minutes(phase, infusion_number=infusion_number, prior_reaction=prior_reaction),
        short_infusion=short,
    )


def mg_per_m2(
    dose_mg: Decimal | None,
    body_surface_area: Decimal | None,
    *,
    dose_unit: str = "",
    dose_amount: Decimal | None = None,
) -> Decimal | None:
    """A day's dose in mg/m²: the prescribed amount of an mg/m² dose, else the mg given divided by the body
    surface area (to the hundredth); None when it cannot be known."""
    if dose_unit == UNIT_MG_PER_M2:
        return dose_amount
    if dose_mg is None or not body_surface_area:
        return None
    return (dose_mg / body_surface_area).quantize(Decimal("0.01"))


def dose_mg(phase: PhaseSpec, body_surface_area: Decimal | None) -> Decimal | None:
    """The dose in mg: fixed, or mg/m2 times the body surface area (None when BSA is unknown)."""
    if phase.dose_unit == UNIT_MG_PER_M2:
        if body_surface_area is None:
            return None
        return (phase.dose_amount * body_surface_area).quantize(Decimal("0.01"))
    return phase.dose_amount
