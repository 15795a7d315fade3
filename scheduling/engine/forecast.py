"""The center's months ahead: the doses every active plan will need, the load they make, and the ceiling.

Pure: plans come in as dosing specs and doses given or booked, the center as `capacity.Center`.

- `project_doses` repeats a plan's next dose (each assumed given on its target) up to a horizon, so maintenance
  appears at its interval months ahead.
- `forecast` spreads the doses over the days (a booked dose on its day, a dose still to book on the open day of
  its window nearest the target) and sets each day's demand - chair-minutes, starts, nurse-minutes - against the
  capacity from opening hours, chairs, closures and staffing.
- `planning_ceiling` is the lowest daily peak of patients in chairs (and of starts) that the known demand allows:
  for every run of open days, the doses whose whole window lies inside it must fit into it, so the peak is at
  least their chair-minutes over the run's open minutes. The busiest run decides; narrow windows make short,
  dense runs. It also reserves, on each day, the expected chair-minutes of the doses still to book there
  (a dose's minutes spread over the open days of its window).
- `plan_holds` then plans the coming weeks' doses still to book, day and time, at the lowest peak from that
  bound up that it can keep (the doses with the fewest days to choose from first, best fit, repaired where a
  moment goes over). Slot search keeps what the plan holds for other patients' doses, which is what keeps
  narrow-window doses their days and their hours: taking a held time would take the ceiling over.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from operator import sub

from infusion_center import formats
from scheduling.engine.capacity import MINUTES_PER_DAY, Center, Staffing, WeekdayHours
from scheduling.engine.dosing import DoseCourse, next_dose
from scheduling.engine.protocol import DrugSpec

HORIZON_DAYS = 182  # six months
HOLD_STEP_MINUTES = 15  # the plan's grid: slot search offers starts on the same quarter hours
NARROW_WINDOW_DAYS = 12  # windows this wide or narrower (Tysabri, Lemtrada, steroids) are named in the reasons
NARROW_PLAN_DAYS = 8  # the plan places doses with this few possible days first, the narrowest first
PLAN_HORIZON_DAYS = 70  # the plan places the doses whose window opens in the next ten weeks
PLAN_REPAIR_ROUNDS = 300  # repair rounds at each peak tried
PLAN_EXTRA_CHAIRS = 3  # the plan tries peaks up to this many above the lower bound
PLAN_SOLVER_SECONDS = 10.0  # CP-SAT's time to lower a plan the heuristic left above the lower bound
MAX_PROJECTED_DOSES = 60


@dataclass(frozen=True)
class DueDose:
    """One dose a plan will need: its window, the chair minutes of each course day, and the day it is booked on."""

    key: str
    label: str  # the drug, as staff know it
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date
    chair_minutes: tuple[int, ...]  # one per course day
    patient_id: int | None = None
    booked_on: datetime.date | None = None  # first day, when already booked
    booked_minute: int | None = None  # wall-clock minute the booked dose starts (its chair time is held from then)

    @property
    def minutes(self) -> int:
        return sum(self.chair_minutes)

    @property
    def is_narrow(self) -> bool:
        return (self.latest - self.earliest).days + 1 <= NARROW_WINDOW_DAYS


def project_doses(
    drug: DrugSpec,
    *,
    plan_start: datetime.date,
    courses: Sequence[DoseCourse],
    prior_infusions: int,
    until: datetime.date,
    key: str,
    patient_id: int | None = None,
    body_surface_area=None,
    prior_reaction: bool = False,
    prior_serious_reaction: bool = False,
    course_days: int | None = None,
) -> list[DueDose]:
    """The plan's doses still to book whose target is on or before `until`, each assumed given on its target."""
    courses = list(courses)
    infusions = prior_infusions
    doses: list[DueDose] = []
    for number in range(MAX_PROJECTED_DOSES):
        dose = next_dose(
            drug,
            plan_start=plan_start,
            courses=courses,
            prior_infusions=infusions,
            body_surface_area=body_surface_area,
            prior_reaction=prior_reaction,
            prior_serious_reaction=prior_serious_reaction,
            course_days=course_days,
        )
        if dose is None or dose.target > until:
            break
        doses.append(
            DueDose(
                key=f"{key}:{number}",
                label=drug.name,
                earliest=dose.earliest,
                target=dose.target,
                latest=dose.latest,
                chair_minutes=tuple(t.total_minutes for t in dose.chair_times),
                patient_id=patient_id,
            )
        )
        given_on = max(dose.target, dose.earliest)
        courses.append(
            DoseCourse(
                dose.phase.order,
                given_on,
                given_on + datetime.timedelta(days=dose.course_days - 1),
                infusions=dose.course_days,
            )
        )
        infusions += dose.course_days
    return doses


# ---------------------------------------------------------------------------
# Capacity and demand per day
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCapacity:
    day: datetime.date
    open_minutes: int
    chairs: int
    staffing: Staffing
    closed_reason: str = ""
    opens: int = 0  # wall-clock minute the center opens

    @property
    def is_open(self) -> bool:
        return self.open_minutes > 0

    @property
    def chair_minutes(self) -> int:
        """Chair-minutes the day can hold: chairs, and the patients the nurses may monitor, over the open hours."""
        return min(self.chairs, self.staffing.monitor_cap) * self.open_minutes

    @property
    def starts(self) -> int:
        """Starts the nurses can set up over the day."""
        if not self.staffing.setup_minutes:
            return self.staffing.start_cap * self.open_minutes
        return self.staffing.start_cap * (self.open_minutes // self.staffing.setup_minutes)

    @property
    def nurse_minutes(self) -> int:
        return self.staffing.nurses * self.open_minutes


def day_capacity(center: Center, day: datetime.date) -> DayCapacity:
    rules = center.rules(day)
    if not rules.is_open or rules.opens is None or rules.closes is None:
        reason = rules.center_closed_reason or "Closed"
        return DayCapacity(day, 0, 0, rules.staffing, reason)
    chairs = sum(1 for c in center.chairs if c.id not in rules.closed_chairs)
    return DayCapacity(day, rules.closes - rules.opens, chairs, rules.staffing, opens=rules.opens)


def with_extra_nurses(center: Center, extra: Mapping[int, int]) -> Center:
    """The same center with `extra[weekday]` nurses more (or fewer) on those weekdays: a "what if", never saved."""

    def adjust(staffing: Staffing, weekday: int) -> Staffing:
        nurses = max(0, staffing.nurses + extra.get(weekday, 0))
        return Staffing(nurses, staffing.setup_minutes, staffing.patients_per_nurse)

    hours = {
        weekday: WeekdayHours(h.opens_at, h.closes_at, adjust(h.staffing, weekday))
        for weekday, h in center.hours.items()
    }
    overrides = {day: adjust(s, day.weekday()) for day, s in center.staffing_overrides.items()}
    return Center(
        tz=center.tz,
        chairs=center.chairs,
        hours=hours,
        staffing_overrides=overrides,
        closures=center.closures,
        bookings=center.bookings,
    )


def open_days_in(capacity: Mapping[datetime.date, DayCapacity], first: datetime.date, last: datetime.date, length=1):
    """Open days in [first, last] on which a course of `length` days can start (every course day open)."""
    is_open = _open_set(capacity)
    days = []
    day = first
    one = datetime.timedelta(days=1)
    while day <= last:
        if day in is_open and (length == 1 or all(day + k * one in is_open for k in range(1, length))):
            days.append(day)
        day += one
    return days


_open_sets: dict[int, tuple[Mapping, frozenset]] = {}


def _open_set(capacity: Mapping[datetime.date, DayCapacity]) -> frozenset:
    """The open days of a capacity map, worked out once per map (the forecast asks for every dose)."""
    entry = _open_sets.get(id(capacity))
    if entry is None or entry[0] is not capacity:
        _open_sets.clear()
        entry = _open_sets[id(capacity)] = (capacity, frozenset(d for d, c in capacity.items() if c.is_open))
    return entry[1]


def likely_day(dose: DueDose, capacity: Mapping[datetime.date, DayCapacity]) -> datetime.date:
    """Where the dose lands: its booked day, else the open day of its window nearest the target (earlier on a tie)."""
    if dose.booked_on is not None:
        return dose.booked_on
    options = open_days_in(capacity, dose.earliest, dose.latest, len(dose.chair_minutes))
    if not options:
        return dose.target
    return min(options, key=lambda d: (abs((d - dose.target).days), d))


@dataclass
class DayForecast:
    capacity: DayCapacity
    labels: Counter = field(default_factory=Counter)  # the doses whose first day this is, per drug
    chair_minutes: int = 0
    starts: int = 0

    @property
    def day(self) -> datetime.date:
        return self.capacity.day

    @property
    def nurse_minutes(self) -> float:
        """Nurse-minutes of monitoring the patients need (each nurse watches `patients_per_nurse` at once)."""
        per_nurse = self.capacity.staffing.patients_per_nurse
        return self.chair_minutes / per_nurse if per_nurse else float(self.chair_minutes and math.inf)

    @property
    def over(self) -> list[str]:
        """What the day's demand exceeds, in words (empty when it fits)."""
        cap = self.capacity
        problems = []
        if self.chair_minutes and not cap.is_open:
            problems.append(f"doses due while the center is closed ({cap.closed_reason})")
            return problems
        if self.chair_minutes > cap.chair_minutes:
            problems.append(f"{self.chair_minutes / 60:.0f} chair-hours needed, {cap.chair_minutes / 60:.0f} available")
        if self.starts > cap.starts:
            problems.append(f"{formats.count(self.starts, 'start')}, the nurses can set up {cap.starts}")
        if self.nurse_minutes > cap.nurse_minutes:
            problems.append(f"{self.nurse_minutes / 60:.0f} nurse-hours needed, {cap.nurse_minutes / 60:.0f} on duty")
        return problems

    @property
    def doses(self) -> int:
        return sum(self.labels.values())


@dataclass
class WeekForecast:
    monday: datetime.date
    days: list[DayForecast]

    @property
    def chair_minutes(self) -> int:
        return sum(d.chair_minutes for d in self.days)

    @property
    def capacity_minutes(self) -> int:
        return sum(d.capacity.chair_minutes for d in self.days)

    @property
    def starts(self) -> int:
        return sum(d.starts for d in self.days)

    @property
    def start_capacity(self) -> int:
        return sum(d.capacity.starts for d in self.days)

    @property
    def nurse_minutes(self) -> float:
        return sum(d.nurse_minutes for d in self.days)

    @property
    def nurse_capacity(self) -> int:
        return sum(d.capacity.nurse_minutes for d in self.days)

    @property
    def doses(self) -> int:
        return sum(d.doses for d in self.days)

    @property
    def over_days(self) -> list[DayForecast]:
        return [d for d in self.days if d.over]


@dataclass
class Forecast:
    first: datetime.date
    last: datetime.date
    days: list[DayForecast]
    weeks: list[WeekForecast]
    ceiling: Ceiling


def forecast(
    center: Center, doses: Iterable[DueDose], first: datetime.date, last: datetime.date, *, plan: bool = True
) -> Forecast:
    """The days and weeks of demand against capacity, and the ceiling (`plan=False`: without the plan of the
    coming weeks, the slow part, for a forecast only looked at)."""
    doses = list(doses)
    capacity = _capacity(center, first, last)
    by_day = {day: DayForecast(cap) for day, cap in capacity.items()}
    for dose in doses:
        start = likely_day(dose, capacity)
        for k, minutes in enumerate(dose.chair_minutes):
            entry = by_day.get(start + datetime.timedelta(days=k))
            if entry is None:
                continue
            if k == 0:
                entry.labels[dose.label] += 1
            entry.chair_minutes += minutes
            entry.starts += 1
    return _assembled(first, last, by_day, planning_ceiling(capacity, doses, plan=plan))


def restaffed(center: Center, days: Iterable[DayForecast], ceiling: Ceiling) -> Forecast:
    """A forecast's demand (its days) against another center's capacity - a "what if" on the staffing - without
    reading or spreading a dose again: nurses change what a day can take, never which days are open, so every
    dose keeps its day."""
    days = list(days)
    first, last = days[0].day, days[-1].day
    capacity = _capacity(center, first, last)
    by_day = {d.day: replace(d, capacity=capacity[d.day], labels=Counter(d.labels)) for d in days}
    return _assembled(first, last, by_day, ceiling)


def _capacity(center: Center, first: datetime.date, last: datetime.date) -> dict[datetime.date, DayCapacity]:
    days = (first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return {day: day_capacity(center, day) for day in days}


def _assembled(
    first: datetime.date, last: datetime.date, by_day: dict[datetime.date, DayForecast], ceiling: Ceiling
) -> Forecast:
    weeks: dict[datetime.date, list[DayForecast]] = defaultdict(list)
    for day, entry in sorted(by_day.items()):
        weeks[day - datetime.timedelta(days=day.weekday())].append(entry)
    return Forecast(
        first=first,
        last=last,
        days=[by_day[d] for d in sorted(by_day)],
        weeks=[WeekForecast(monday, entries) for monday, entries in sorted(weeks.items())],
        ceiling=ceiling,
    )


# ---------------------------------------------------------------------------
# The ceiling
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reserve:
    """Chair-minutes expected on one day from a dose still to book (its minutes over its window's open days)."""

    minutes: float
    label: str
    patient_id: int | None
    narrow: bool


@dataclass(frozen=True)
class Hold:
    """Chair time the plan keeps on one day for a dose still to book, from `start` to `end` (wall-clock minutes)."""

    start: int
    end: int
    label: str
    patient_id: int | None
    narrow: bool


@dataclass(frozen=True)
class Ceiling:
    """The daily peaks to plan for, and what each day must keep free for the doses still to book."""

    in_chairs: int
    starts: int = 1
    reserved: Mapping[datetime.date, tuple[Reserve, ...]] = field(default_factory=dict, compare=False, hash=False)
    forced_by: tuple[datetime.date, datetime.date] | None = None  # the run of days that sets the ceiling
    # the plan: where, day and time, each dose still to book fits under the ceiling (narrow windows placed first)
    held: Mapping[datetime.date, tuple[Hold, ...]] = field(default_factory=dict, compare=False, hash=False)
    planned: int = 0  # the peak the plan keeps to: the lower bound, or above it when no plan fits under that

    @property
    def limit(self) -> int:
        """The peak of patients in chairs slot search keeps to: the lowest one the plan could keep."""
        return max(self.in_chairs, self.planned)

    def release(self, patient_id: int) -> Ceiling:
        """The same ceiling without the reservations of a patient's dose, once it is booked."""
        reserved = {day: tuple(r for r in items if r.patient_id != patient_id) for day, items in self.reserved.items()}
        held = {day: tuple(h for h in items if h.patient_id != patient_id) for day, items in self.held.items()}
        return Ceiling(self.in_chairs, self.starts, reserved, self.forced_by, held, self.planned)

    def held_in_chairs(self, day: datetime.date, *, patient_id: int | None = None) -> list[int] | None:
        """Per wall-clock minute of the day, the chairs the plan holds for other patients' doses (None: none),
        worked out once per day and patient: slot search adds it to the booked load of every start it weighs."""
        index = self.__dict__.setdefault("_held", {})
        key = (day, patient_id)
        if key not in index:
            holds = [h for h in self.held.get(day, ()) if patient_id is None or h.patient_id != patient_id]
            if not holds:
                index[key] = None
            else:
                counts = [0] * (2 * MINUTES_PER_DAY + 1)
                for hold in holds:
                    counts[hold.start] += 1
                    counts[hold.end] -= 1
                index[key] = list(accumulate(counts))
        return index[key]

    def _day(self, day: datetime.date) -> tuple[float, dict]:
        """(minutes reserved on the day, minutes per patient), worked out once per day: slot search asks often."""
        index = self.__dict__.setdefault("_index", {})
        entry = index.get(day)
        if entry is None:
            total, by_patient = 0.0, defaultdict(float)
            for r in self.reserved.get(day, ()):
                total += r.minutes
                by_patient[r.patient_id] += r.minutes
            entry = index[day] = (total, by_patient)
        return entry

    def reserved_minutes(self, day: datetime.date, *, patient_id: int | None = None) -> float:
        total, by_patient = self._day(day)
        return total - (by_patient.get(patient_id, 0.0) if patient_id is not None else 0.0)

    def reserved_for(self, day: datetime.date, *, patient_id: int | None = None) -> list[str]:
        """The drugs of the narrow-window doses the day is kept for, most first ("Tysabri")."""
        counts = Counter(
            r.label
            for r in self.reserved.get(day, ())
            if r.narrow and (patient_id is None or r.patient_id != patient_id)
        )
        return [label for label, _n in counts.most_common()]


def planning_ceiling(
    capacity: Mapping[datetime.date, DayCapacity], doses: Iterable[DueDose], *, plan: bool = True
) -> Ceiling:
    """The lowest peak of patients in chairs (and of starts) the doses allow, with each day's reservations, and
    (unless `plan` is False) the plan of the coming weeks' doses that slot search keeps to.

    A booked dose counts on its booked day; a dose still to book anywhere in its window (clipped to the days
    known). The bound is the maximum, over every run of open days, of the chair-minutes of the doses whose
    window lies inside the run over the run's open minutes (and likewise starts over set-up slots).
    """
    open_days = sorted(day for day, cap in capacity.items() if cap.is_open)
    index = {day: i for i, day in enumerate(open_days)}
    if not open_days:
        return Ceiling(in_chairs=1)
    first, last = open_days[0], open_days[-1]
    spans: list[tuple[int, int, int, int]] = []  # (first index, last index, minutes, starts)
    reserved: dict[datetime.date, list[Reserve]] = defaultdict(list)
    planned: list[tuple[DueDose, list[datetime.date]]] = []
    for dose in doses:
        length = len(dose.chair_minutes)
        if dose.booked_on is not None:
            options = [dose.booked_on] if dose.booked_on in index else []
        else:
            options = open_days_in(capacity, max(dose.earliest, first), min(dose.latest, last), length)
        if not options:
            continue
        planned.append((dose, options))
        end = options[-1] + datetime.timedelta(days=length - 1)
        end_index = index.get(end, index[options[-1]])
        spans.append((index[options[0]], end_index, dose.minutes, length))
        if dose.booked_on is None:
            weight = 1 / len(options)
            # one Reserve per course day, shared by every day of the window (frozen): a large center's ceiling
            # holds a few thousand objects instead of one per dose and day, and so stores and loads fast
            shares = [
                Reserve(minutes * weight, dose.label, dose.patient_id, dose.is_narrow) for minutes in dose.chair_minutes
            ]
            for day in options:
                for k, share in enumerate(shares):
                    reserved[day + datetime.timedelta(days=k)].append(share)
    open_minutes = [capacity[d].open_minutes for d in open_days]
    setups = [max(1, capacity[d].staffing.setup_minutes) for d in open_days]
    by_first: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for lo, hi, minutes, starts in spans:
        by_first[lo].append((hi, minutes, starts))
    best_chairs, best_starts, forced = (1 if spans else 0), 1, None
    count = len(open_days)
    # sweep the run's first day from the last back: `ending` holds the doses whose window starts at or after it
    ending_minutes = [0] * count
    ending_starts = [0] * count
    for a in range(count - 1, -1, -1):
        for hi, minutes, starts in by_first.get(a, ()):
            ending_minutes[hi] += minutes
            ending_starts[hi] += starts
        total_minutes = total_starts = 0
        capacity_minutes = slots = 0
        for b in range(a, count):
            total_minutes += ending_minutes[b]
            total_starts += ending_starts[b]
            capacity_minutes += open_minutes[b]
            slots += open_minutes[b] // setups[b]
            if total_minutes:
                need = math.ceil(total_minutes / capacity_minutes)
                if need > best_chairs:
                    best_chairs, forced = need, (open_days[a], open_days[b])
                best_starts = max(best_starts, math.ceil(total_starts / max(1, slots)))
    in_chairs = max(best_chairs, 1)
    # the plan covers the coming weeks (the doses booked soon; further out it changes before they are booked),
    # and only a center the demand can fit into at all: above the chairs there is nothing to plan for
    horizon = first + datetime.timedelta(days=PLAN_HORIZON_DAYS)
    seats = max(min(cap.chairs, cap.staffing.monitor_cap) for cap in capacity.values())
    planned = [(dose, options) for dose, options in planned if options[0] <= horizon]
    planned_peak, held = plan_holds(capacity, planned, in_chairs) if plan and in_chairs <= seats else (0, {})
    return Ceiling(
        in_chairs=in_chairs,
        starts=best_starts,
        reserved={day: tuple(items) for day, items in reserved.items()},
        forced_by=forced,
        held={day: tuple(items) for day, items in held.items()},
        planned=planned_peak,
    )


def plan_holds(
    capacity: Mapping[datetime.date, DayCapacity],
    doses: Sequence[tuple[DueDose, Sequence[datetime.date]]],
    in_chairs: int,
    *,
    step: int = HOLD_STEP_MINUTES,
    repair_rounds: int = PLAN_REPAIR_ROUNDS,
    solver_seconds: float = PLAN_SOLVER_SECONDS,
) -> tuple[int, dict[datetime.date, list[Hold]]]:
    """Where each dose still to book fits, day and time, and the peak that plan keeps to: the known demand
    planned once, at the lowest peak from `in_chairs` up that this finds a plan for.

    `doses` pairs each dose with its possible first days; a booked dose (`booked_on` and `booked_minute`) stays
    where it is booked. The doses hardest to place go first (few days to choose from, then the longest), each
    where its chair time fits under the peak at one start on every course day and fills the busiest stretch
    (best fit: the long free stretches stay whole for the long doses), nearest its target on a tie. Where some
    moment still goes over, the doses there are taken out and put back in another order (seeded, so the plan is
    the same every time), keeping a change only when it goes over less; if rounds run out, one more in chairs.
    A plan left above the lower bound is handed to CP-SAT (`_solved_plan`, seeded from it) for up to
    `solver_seconds`: local repair misses plans that need many doses to move at once.
    """
    booked, pending = [], []
    for dose, options in doses:
        if dose.booked_on is not None:
            if dose.booked_minute is not None:
                booked.append(dose)
        elif options:
            pending.append((dose, sorted(options, key=lambda d, t=dose.target: (abs((d - t).days), d))))
    pending.sort(key=lambda pair: (min(len(pair[1]), NARROW_PLAN_DAYS), -max(pair[0].chair_minutes)))
    plan = None
    for level in range(in_chairs, in_chairs + PLAN_EXTRA_CHAIRS + 1):
        attempt = _Plan(capacity, level, step)
        for dose in booked:
            attempt.occupy_booked(dose)
        for number, (dose, options) in enumerate(pending):
            attempt.place(number, dose, options)
        fits = attempt.repair(pending, repair_rounds)
        if plan is None or attempt.peak() < plan.peak():
            plan = attempt
        if fits or plan.peak() <= level + 1:
            break  # a plan at this peak, or one above it that no higher aim would beat
    if plan.peak() > in_chairs and solver_seconds > 0:
        plan = _solved_plan(capacity, booked, pending, plan, in_chairs, step, solver_seconds) or plan
    held: dict[datetime.date, list[Hold]] = defaultdict(list)
    one = datetime.timedelta(days=1)
    for n, (day, start) in plan.placed.items():
        dose = pending[n][0]
        for k, minutes in enumerate(dose.chair_minutes):
            held[day + k * one].append(
                Hold(start * step, start * step + minutes, dose.label, dose.patient_id, dose.is_narrow)
            )
    return max(plan.peak(), in_chairs), held


def _solved_plan(
    capacity: Mapping[datetime.date, DayCapacity],
    booked: Sequence[DueDose],
    pending: Sequence[tuple[DueDose, Sequence[datetime.date]]],
    heuristic: _Plan,
    in_chairs: int,
    step: int,
    seconds: float,
) -> _Plan | None:
    """The lowest peak below the heuristic's (and, at it, the fewest days off target) that CP-SAT finds in
    `seconds`: each pending dose on one of its days at one start on the grid, patients in chairs at any moment
    (booked doses included) at most the peak, starts in set-up at once at most the nurses'. None: no better plan.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    chairs_at: dict[datetime.date, list] = defaultdict(list)
    setups_at: dict[datetime.date, list] = defaultdict(list)
    one = datetime.timedelta(days=1)

    def setup_of(day: datetime.date) -> int:
        return capacity[day].staffing.setup_minutes

    for dose in booked:
        for k, minutes in enumerate(dose.chair_minutes):
            on = dose.booked_on + k * one
            if on not in capacity:
                continue
            begin = dose.booked_minute
            chairs_at[on].append(model.NewIntervalVar(begin, minutes, begin + minutes, ""))
            if setup_of(on):
                setups_at[on].append(model.NewIntervalVar(begin, setup_of(on), begin + setup_of(on), ""))
    choices: dict[int, tuple[object, dict]] = {}
    off_terms = []
    for number, (dose, options) in enumerate(pending):
        windows = {}
        for day in options:
            course = [day + k * one for k in range(len(dose.chair_minutes))]
            if not all(d in capacity and capacity[d].is_open for d in course):
                continue
            caps = [capacity[d] for d in course]
            low = max(-(-cap.opens // step) for cap in caps)
            high = min(
                (cap.opens + cap.open_minutes - m) // step for cap, m in zip(caps, dose.chair_minutes, strict=True)
            )
            if low <= high:
                windows[day] = (low, high)
        if not windows:
            return None  # the heuristic placed it somewhere this cannot: not a plan to compare
        start = model.NewIntVar(min(lo for lo, _ in windows.values()), max(hi for _, hi in windows.values()), "")
        literals = {}
        for day, (low, high) in windows.items():
            present = literals[day] = model.NewBoolVar("")
            model.Add(start >= low).OnlyEnforceIf(present)
            model.Add(start <= high).OnlyEnforceIf(present)
            begin = start * step
            for k, minutes in enumerate(dose.chair_minutes):
                on = day + k * one
                chairs_at[on].append(model.NewOptionalIntervalVar(begin, minutes, begin + minutes, present, ""))
                if setup_of(on):
                    setup = setup_of(on)
                    setups_at[on].append(model.NewOptionalIntervalVar(begin, setup, begin + setup, present, ""))
            if day != dose.target:
                off_terms.append(abs((day - dose.target).days) * present)
        model.AddExactlyOne(literals.values())
        choices[number] = (start, literals)
        if number in heuristic.placed:
            hint_day, hint_start = heuristic.placed[number]
            if hint_day in literals:
                model.AddHint(start, hint_start)
                for day, literal in literals.items():
                    model.AddHint(literal, int(day == hint_day))
    peak = model.NewIntVar(in_chairs, heuristic.peak() - 1, "peak")
    for day, intervals in chairs_at.items():
        model.AddCumulative(intervals, [1] * len(intervals), peak)
        if setups_at[day]:
            model.AddCumulative(setups_at[day], [1] * len(setups_at[day]), max(1, capacity[day].staffing.start_cap))
    most_off = sum(max(abs((d - dose.target).days) for d in options) for dose, options in pending) + 1
    model.Minimize(most_off * peak + sum(off_terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    plan = _Plan(capacity, int(solver.Value(peak)), step)
    for dose in booked:
        plan.occupy_booked(dose)
    for number, (start, literals) in choices.items():
        day = next(day for day, literal in literals.items() if solver.Value(literal))
        plan.put(number, pending[number][0], day, int(solver.Value(start)))
    return plan


class _Plan:
    """Chairs in use per `step` of each day (booked or planned), and where each planned dose is."""

    def __init__(self, capacity: Mapping[datetime.date, DayCapacity], in_chairs: int, step: int):
        self.capacity = capacity
        self.in_chairs = in_chairs
        self.step = step
        self.rows: dict[datetime.date, list[int]] = {}
        self.cap_rows: dict[datetime.date, list[int]] = {}
        self.starts: dict[datetime.date, Counter] = defaultdict(Counter)  # starts per step (nurses set up a few)
        self.sums: dict[datetime.date, tuple[list[int], list[int]]] = {}  # prefix sums: chairs, full steps
        self.placed: dict[int, tuple[datetime.date, int]] = {}  # dose number -> (first day, start step)
        self.doses: dict[int, DueDose] = {}
        self.by_day: dict[datetime.date, set[int]] = defaultdict(set)

    def row(self, day: datetime.date) -> list[int]:
        found = self.rows.get(day)
        if found is None:
            found = self.rows[day] = [0] * (MINUTES_PER_DAY // self.step + 2)
        return found

    def prefix(self, day: datetime.date) -> tuple[list[int], list[int]]:
        found = self.sums.get(day)
        if found is None:
            row, caps = self.row(day), self.caps(day)
            found = self.sums[day] = (
                [0, *accumulate(row)],
                [0, *accumulate(1 if v >= cap else 0 for v, cap in zip(row, caps, strict=True))],
            )
        return found

    def caps(self, day: datetime.date) -> list[int]:
        """Per step, the chairs the plan may fill: the peak aimed at, or more where bookings already take more
        (a day booked above it is not the plan's doing, and raises the ceiling nowhere else)."""
        found = self.cap_rows.get(day)
        if found is None:
            found = self.cap_rows[day] = [self.in_chairs] * len(self.row(day))
        return found

    def _add(self, day: datetime.date, start: int, length: int, sign: int) -> None:
        row = self.row(day)
        for i in range(start, min(len(row), start + length)):
            row[i] += sign
        self.sums.pop(day, None)

    def occupy_booked(self, dose: DueDose) -> None:
        for k, minutes in enumerate(dose.chair_minutes):
            first = dose.booked_minute // self.step
            last = -(-(dose.booked_minute + minutes) // self.step)
            on = dose.booked_on + datetime.timedelta(days=k)
            self._add(on, first, last - first, 1)
            self.starts[on][first] += 1
            row, caps = self.row(on), self.caps(on)
            for i in range(first, min(len(row), last)):
                caps[i] = max(caps[i], row[i])

    def put(self, number: int, dose: DueDose, day: datetime.date, start: int) -> None:
        self.placed[number] = (day, start)
        self.doses[number] = dose
        for k, minutes in enumerate(dose.chair_minutes):
            on = day + datetime.timedelta(days=k)
            self._add(on, start, -(-minutes // self.step), 1)
            self.starts[on][start] += 1
            self.by_day[on].add(number)

    def remove(self, number: int) -> None:
        day, start = self.placed.pop(number)
        dose = self.doses[number]
        for k, minutes in enumerate(dose.chair_minutes):
            on = day + datetime.timedelta(days=k)
            self._add(on, start, -(-minutes // self.step), -1)
            self.starts[on][start] -= 1
            self.by_day[on].discard(number)

    def place(self, number: int, dose: DueDose, options: Sequence[datetime.date]) -> None:
        """At the best start of the best day: the fewest steps already full, the fullest stretch, snug, nearest."""
        step = self.step
        lengths = [-(-minutes // step) for minutes in dose.chair_minutes]
        one = datetime.timedelta(days=1)
        best = None
        for day in options:
            course = [day + k * one for k in range(len(lengths))]
            caps = [self.capacity[d] for d in course]
            rows = [self.row(d) for d in course]
            cap_rows = [self.caps(d) for d in course]
            sums = [self.prefix(d) for d in course]
            closes = [(cap.opens + cap.open_minutes) // step for cap in caps]
            first = max(-(-cap.opens // step) for cap in caps)
            last = min(
                (cap.opens + cap.open_minutes - m) // step for cap, m in zip(caps, dose.chair_minutes, strict=True)
            )
            distance = abs((day - dose.target).days)
            started = [self.starts[d] for d in course]
            start_caps = [cap.staffing.start_cap for cap in caps]
            for s in range(first, last + 1):
                if any(counts[s] >= limit_ for counts, limit_ in zip(started, start_caps, strict=True)):
                    continue  # the nurses on duty are all setting up other patients then
                full = fill = walls = 0
                for row, (chairs, fulls), length, close in zip(rows, sums, lengths, closes, strict=True):
                    full += fulls[s + length] - fulls[s]
                    fill += chairs[s + length] - chairs[s]
                    walls += (s == first or row[s - 1] > row[s]) + (
                        s + length >= close or row[s + length] > row[s + length - 1]
                    )
                # over the peak somewhere: the least over first, never piled onto the busiest moment
                over = 0
                if full:
                    for row, caps, length in zip(rows, cap_rows, lengths, strict=True):
                        over = max(over, max(map(sub, row[s : s + length], caps[s : s + length])) + 1)
                key = (over, full, -fill, -walls, distance, s)
                if best is None or key < best[0]:
                    best = (key, day, s)
        if best is not None:
            self.put(number, dose, best[1], best[2])

    def repair(self, pending: Sequence[tuple[DueDose, Sequence[datetime.date]]], rounds: int) -> bool:
        """Take out the doses at a moment over the peak (and two more of that day), put them back in a shuffled
        order; keep the change when the plan goes over less. True when nothing is over any more."""
        rng = random.Random(0)
        over = self.over()
        for _round in range(rounds):
            if not over:
                return True
            day, moment = rng.choice(over)
            taken_out = self.covering(day, moment)
            others = [n for n in self.on_day(day) if n not in taken_out]
            taken_out += rng.sample(others, min(len(others), 2))
            before = {n: self.placed[n] for n in taken_out}
            excess = self.excess()
            for n in taken_out:
                self.remove(n)
            taken_out.sort(key=lambda n: min(len(pending[n][1]), NARROW_PLAN_DAYS) + rng.random() * NARROW_PLAN_DAYS)
            for n in taken_out:
                self.place(n, *pending[n])
            if self.excess() > excess or any(n not in self.placed for n in taken_out):
                for n in taken_out:
                    if n in self.placed:
                        self.remove(n)
                for n, (first, start) in before.items():
                    self.put(n, pending[n][0], first, start)
            over = self.over()
        return not over

    def peak(self) -> int:
        """The peak the plan keeps to: the one aimed at, or the highest moment its doses take above it."""
        highest = max((self.rows[day][i] for day, i in self.over()), default=0)
        return max(self.in_chairs, highest)

    def over(self) -> list[tuple[datetime.date, int]]:
        """The (day, step) moments above the ceiling (or above the bookings there), in a fixed order."""
        return [
            (day, i)
            for day in sorted(self.rows)
            for i, (v, cap) in enumerate(zip(self.rows[day], self.caps(day), strict=True))
            if v > cap
        ]

    def excess(self) -> int:
        return sum(
            v - cap for day, row in self.rows.items() for v, cap in zip(row, self.caps(day), strict=True) if v > cap
        )

    def covering(self, day: datetime.date, moment: int) -> list[int]:
        found = []
        for number in sorted(self.by_day.get(day, ())):
            first, start = self.placed[number]
            k = (day - first).days
            if start <= moment < start + -(-self.doses[number].chair_minutes[k] // self.step):
                found.append(number)
        return found

    def on_day(self, day: datetime.date) -> list[int]:
        return sorted(self.by_day.get(day, ()))
