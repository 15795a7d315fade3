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
  (a dose's minutes spread over the open days of its window), which is what keeps narrow-window doses their days.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from infusion_center import formats
from scheduling.engine.capacity import Center, Staffing, WeekdayHours
from scheduling.engine.dosing import DoseCourse, next_dose
from scheduling.engine.protocol import DrugSpec

HORIZON_DAYS = 182  # six months
NARROW_WINDOW_DAYS = 12  # windows this wide or narrower (Tysabri, Lemtrada, steroids) are named in the reasons
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
    return DayCapacity(day, rules.closes - rules.opens, chairs, rules.staffing)


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
    doses: list[DueDose] = field(default_factory=list)
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
    def labels(self) -> Counter:
        return Counter(d.label for d in self.doses)


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
        return sum(len(d.doses) for d in self.days)

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


def forecast(center: Center, doses: Iterable[DueDose], first: datetime.date, last: datetime.date) -> Forecast:
    doses = list(doses)
    span = (last - first).days + 1
    days = [first + datetime.timedelta(days=n) for n in range(span)]
    capacity = {day: day_capacity(center, day) for day in days}
    by_day = {day: DayForecast(capacity[day]) for day in days}
    for dose in doses:
        start = likely_day(dose, capacity)
        for k, minutes in enumerate(dose.chair_minutes):
            day = start + datetime.timedelta(days=k)
            entry = by_day.get(day)
            if entry is None:
                continue
            if k == 0:
                entry.doses.append(dose)
            entry.chair_minutes += minutes
            entry.starts += 1
    weeks: dict[datetime.date, list[DayForecast]] = defaultdict(list)
    for day in days:
        weeks[day - datetime.timedelta(days=day.weekday())].append(by_day[day])
    return Forecast(
        first=first,
        last=last,
        days=[by_day[d] for d in days],
        weeks=[WeekForecast(monday, entries) for monday, entries in sorted(weeks.items())],
        ceiling=planning_ceiling(capacity, doses),
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
class Ceiling:
    """The daily peaks to plan for, and what each day must keep free for the doses still to book."""

    in_chairs: int
    starts: int = 1
    reserved: Mapping[datetime.date, tuple[Reserve, ...]] = field(default_factory=dict, compare=False, hash=False)
    forced_by: tuple[datetime.date, datetime.date] | None = None  # the run of days that sets the ceiling

    def release(self, patient_id: int) -> Ceiling:
        """The same ceiling without the reservations of a patient's dose, once it is booked."""
        reserved = {day: tuple(r for r in items if r.patient_id != patient_id) for day, items in self.reserved.items()}
        return Ceiling(self.in_chairs, self.starts, reserved, self.forced_by)

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


def planning_ceiling(capacity: Mapping[datetime.date, DayCapacity], doses: Iterable[DueDose]) -> Ceiling:
    """The lowest peak of patients in chairs (and of starts) the doses allow, with each day's reservations.

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
    for dose in doses:
        length = len(dose.chair_minutes)
        if dose.booked_on is not None:
            options = [dose.booked_on] if dose.booked_on in index else []
        else:
            options = open_days_in(capacity, max(dose.earliest, first), min(dose.latest, last), length)
        if not options:
            continue
        end = options[-1] + datetime.timedelta(days=length - 1)
        end_index = index.get(end, index[options[-1]])
        spans.append((index[options[0]], end_index, dose.minutes, length))
        if dose.booked_on is None:
            weight = 1 / len(options)
            for day in options:
                for k, minutes in enumerate(dose.chair_minutes):
                    reserved[day + datetime.timedelta(days=k)].append(
                        Reserve(minutes * weight, dose.label, dose.patient_id, dose.is_narrow)
                    )
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
    return Ceiling(
        in_chairs=max(best_chairs, 1),
        starts=best_starts,
        reserved={day: tuple(items) for day, items in reserved.items()},
        forced_by=forced,
    )
