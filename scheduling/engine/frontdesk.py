"""A front desk simulated on plain data: requests booked in arrival order with the app's own ranking, then
re-optimised once; and the plain "earliest first" desk to compare with. Used by `manage.py plan_requests` and the
level-loading benchmark.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from scheduling.engine.capacity import Booking, Center, ChairSpec, Staffing, WeekdayHours
from scheduling.engine.forecast import Ceiling, DueDose, day_capacity, planning_ceiling
from scheduling.engine.levelload import Item, Placement, Solution, Weights, apply_placements, day_peaks, solve
from scheduling.engine.protocol import ChairTime
from scheduling.engine.slots import Window, feasible_starts, find_slots


@dataclass(frozen=True)
class CenterSpec:
    timezone: str
    start_date: datetime.date
    days: int
    chairs: int
    nurses: int
    setup_minutes: int
    patients_per_nurse: int
    opens: datetime.time
    closes: datetime.time
    weekdays_open: tuple[int, ...]

    @property
    def last_date(self) -> datetime.date:
        return self.start_date + datetime.timedelta(days=self.days - 1)

    def center(self) -> Center:
        staffing = Staffing(self.nurses, self.setup_minutes, self.patients_per_nurse)
        return Center(
            tz=ZoneInfo(self.timezone),
            chairs=tuple(ChairSpec(n, f"Chair {n}") for n in range(1, self.chairs + 1)),
            hours={weekday: WeekdayHours(self.opens, self.closes, staffing) for weekday in self.weekdays_open},
        )


@dataclass(frozen=True)
class Request:
    id: str
    arrives_on: datetime.date
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date
    chair_time: ChairTime
    course_days: int = 1

    @property
    def chair_times(self) -> tuple[ChairTime, ...]:
        return (self.chair_time,) * self.course_days


@dataclass
class DeskResult:
    center: Center
    placements: dict[str, Placement]
    unplaced: list[str]
    search_ms: list[float] = field(default_factory=list)
    ceiling: Ceiling | None = None
    solution: Solution | None = None
    ids: dict[str, tuple[int, ...]] = field(default_factory=dict)  # request -> its bookings in `center`


def _items(requests: Sequence[Request], placements: dict[str, Placement], ids: dict[str, tuple[int, ...]]):
    return [
        Item(
            key=index,
            patient_id=index + 1,
            chair_times=r.chair_times,
            earliest=r.earliest,
            target=r.target,
            latest=r.latest,
            current=placements.get(r.id),
            booking_ids=ids.get(r.id, ()),
        )
        for index, r in enumerate(requests)
    ]


def arrival_order(requests: Sequence[Request]) -> list[tuple[int, Request]]:
    return sorted(enumerate(requests), key=lambda pair: (pair[1].arrives_on, pair[0]))


def demand(requests: Sequence[Request]) -> list[DueDose]:
    return [
        DueDose(
            key=r.id,
            label="",
            earliest=r.earliest,
            target=r.target,
            latest=r.latest,
            chair_minutes=tuple(t.total_minutes for t in r.chair_times),
            patient_id=index + 1,
        )
        for index, r in enumerate(requests)
    ]


def book_ranked(spec: CenterSpec, requests: Sequence[Request], *, step: int = 15) -> DeskResult:
    """Each request at arrival, at the app's best slot inside its window, planned against the forecast's ceiling."""
    center = spec.center()
    days = [spec.start_date + datetime.timedelta(days=n) for n in range(spec.days)]
    ceiling = planning_ceiling({d: day_capacity(center, d) for d in days}, demand(requests))
    placements: dict[str, Placement] = {}
    ids: dict[str, tuple[int, ...]] = {}
    unplaced: list[str] = []
    timings: list[float] = []
    next_id = 1
    for index, request in arrival_order(requests):
        patient = index + 1
        ceiling = ceiling.release(patient)
        date_from = max(request.earliest, request.arrives_on, spec.start_date)
        last_start = spec.last_date - datetime.timedelta(days=request.course_days - 1)
        date_to = min(request.latest, last_start)
        t0 = time.perf_counter()
        slots = find_slots(
            center,
            chair_times=request.chair_times,
            window=Window(request.earliest, request.target, request.latest),
            date_from=date_from,
            date_to=date_to,
            patient_id=patient,
            limit=1,
            step=step,
            ceiling=ceiling,
        )
        timings.append((time.perf_counter() - t0) * 1000)
        if not slots:
            unplaced.append(request.id)
            continue
        slot = slots[0]
        placement = Placement(slot.days[0].day, slot.days[0].start_minute, tuple(d.chair_id for d in slot.days))
        booking_ids = tuple(range(next_id, next_id + request.course_days))
        next_id += request.course_days
        center = center.with_bookings(_bookings(patient, request, placement, booking_ids))
        placements[request.id] = placement
        ids[request.id] = booking_ids
    return DeskResult(center, placements, unplaced, timings, ceiling=ceiling, ids=ids)


def _bookings(patient: int, request: Request, placement: Placement, booking_ids) -> list[Booking]:
    return [
        Booking(
            booking_ids[k],
            placement.chairs[k],
            patient,
            None,
            None,
            local=(placement.day + datetime.timedelta(days=k), placement.start, placement.start + ct.total_minutes),
        )
        for k, ct in enumerate(request.chair_times)
    ]


def book_earliest(spec: CenterSpec, requests: Sequence[Request], *, step: int = 15) -> DeskResult:
    """The plain desk: the first day from the earliest date, the first time, the first chair."""
    center = spec.center()
    placements: dict[str, Placement] = {}
    unplaced: list[str] = []
    next_id = 1
    for index, request in arrival_order(requests):
        patient = index + 1
        day = max(request.earliest, request.arrives_on, spec.start_date)
        last_start = min(request.latest, spec.last_date - datetime.timedelta(days=request.course_days - 1))
        placed = None
        while day <= last_start and placed is None:
            common: set[int] | None = None
            per_day = []
            for k, ct in enumerate(request.chair_times):
                free = feasible_starts(
                    center, day=day + datetime.timedelta(days=k), chair_time=ct, patient_id=patient, step=step
                )
                per_day.append(free)
                starts = {s for _c, s in free}
                common = starts if common is None else common & starts
            if common:
                start = min(common)
                chairs = tuple(min(c for c, s in free if s == start) for free in per_day)
                placed = Placement(day, start, chairs)
            day += datetime.timedelta(days=1)
        if placed is None:
            unplaced.append(request.id)
            continue
        booking_ids = tuple(range(next_id, next_id + request.course_days))
        next_id += request.course_days
        center = center.with_bookings(_bookings(patient, request, placed, booking_ids))
        placements[request.id] = placed
    return DeskResult(center, placements, unplaced)


def reoptimise(
    spec: CenterSpec, requests: Sequence[Request], booked: DeskResult, *, step: int = 15, time_limit: float = 30.0
) -> DeskResult:
    """Move the booked doses inside their windows (and place the unplaced ones where possible) to lower the peaks."""
    ids = booked.ids
    items = _items(requests, booked.placements, ids)
    every_id = [i for group in ids.values() for i in group]
    solution = solve(
        booked.center.without(every_id),
        items,
        first=spec.start_date,
        last=spec.last_date,
        step=step,
        time_limit=time_limit,
        weights=Weights(daily_peaks=3, moved=1, off_target=4),
    )
    if not solution.placements:
        return booked
    next_id = -1 - max(every_id, default=0)
    center, moves = apply_placements(booked.center, items, solution.placements, next_id=next_id)
    days = [spec.start_date + datetime.timedelta(days=n) for n in range(spec.days)]
    placed_before = len(booked.placements)
    placed_after = placed_before + sum(1 for m in moves if m.old is None)
    if placed_after == placed_before and max(day_peaks(center, days).values(), default=0) > max(
        day_peaks(booked.center, days).values(), default=0
    ):
        return booked  # some moves could not be applied and the rest made it worse: keep the schedule as booked
    placements = dict(booked.placements)
    for move in moves:
        placements[requests[move.item.key].id] = move.new
    unplaced = [r.id for r in requests if r.id not in placements]
    return DeskResult(center, placements, unplaced, booked.search_ms, booked.ceiling, solution, booked.ids)


def optimum(
    spec: CenterSpec,
    requests: Sequence[Request],
    *,
    step: int = 15,
    time_limit: float = 60.0,
    hints: dict[str, Placement] | None = None,
    lower_bound: int = 0,
) -> Solution:
    """The lowest peak (or its bound) under the same rules, and the fewest days off target for that peak.

    Every request that has an open day in its window is placed. `hints` (a known schedule) only speed the search.
    """
    keyed = {index: (hints or {}).get(r.id) for index, r in enumerate(requests)}
    return solve(
        spec.center(),
        _items(requests, {}, {}),
        place_all=True,
        lower_bound=lower_bound,
        hints={k: v for k, v in keyed.items() if v is not None},
        first=spec.start_date,
        last=spec.last_date,
        step=step,
        time_limit=time_limit,
        weights=Weights(daily_peaks=0, moved=0, off_target=1),
    )


@dataclass
class ScheduleCheck:
    problems: list[str]
    daily_peaks: dict[datetime.date, int]
    off_target_days: int
    placed: int

    @property
    def peak(self) -> int:
        return max(self.daily_peaks.values(), default=0)


def check_schedule(spec: CenterSpec, requests: Sequence[Request], placements: dict[str, Placement]) -> ScheduleCheck:
    """Every rule re-checked on a finished schedule (windows, hours, chairs, nurse caps), with its peaks."""
    from scheduling.engine.capacity import Candidate, check_candidate

    center = spec.center()
    problems: list[str] = []
    off = 0
    next_id = 1
    for index, request in enumerate(requests):
        placement = placements.get(request.id)
        if placement is None:
            continue
        if not request.earliest <= placement.day <= request.latest:
            problems.append(f"{request.id}: {placement.day} is outside its window.")
        off += abs((placement.day - request.target).days)
        for k, ct in enumerate(request.chair_times):
            day = placement.day + datetime.timedelta(days=k)
            for problem in check_candidate(center, Candidate(placement.chairs[k], day, placement.start, ct, index + 1)):
                problems.append(f"{request.id}: {problem}")
        ids = tuple(range(next_id, next_id + request.course_days))
        next_id += request.course_days
        center = center.with_bookings(_bookings(index + 1, request, placement, ids))
    days = [spec.start_date + datetime.timedelta(days=n) for n in range(spec.days)]
    peaks = {day: center.profile(day).peak_in_chairs for day in days}
    return ScheduleCheck(problems, peaks, off, len(placements))
