"""Level-loading with a CP-SAT model (OR-Tools): place or move doses inside their windows to lower the daily peaks.

The model, for the days given:
- each dose (`Item`) starts on one open day of its window where every course day is open, at one start on the
  step grid, the same time every course day (as a course is booked); a fixed item keeps its day and time;
- on every day, patients in chairs at any moment <= that day's peak variable <= min(chairs open, nurses x
  patients per nurse), and starts in set-up at once <= nurses (cumulative constraints); other bookings of the
  center are fixed load;
- the objective is lexicographic, in two solves: first the highest daily peak, then (that peak kept) the sum of
  the daily peaks, the doses moved and the days off target, weighted as the caller asks.

Chairs are not in the model: on one day, intervals whose concurrency never exceeds the open chairs can always be
given chairs (interval graphs are perfect); `apply_placements` assigns them, keeping each dose's current or usual
chair when free, and re-checks every move with the rule book before it counts.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from scheduling.engine.capacity import Booking, Candidate, Center, check_candidate
from scheduling.engine.forecast import DayCapacity, open_days_in
from scheduling.engine.protocol import ChairTime

DEFAULT_STEP = 15


@dataclass(frozen=True)
class Placement:
    day: datetime.date  # first course day
    start: int  # wall-clock minute, every course day
    chairs: tuple[int, ...]  # one per course day


@dataclass(frozen=True)
class Item:
    key: int
    patient_id: int
    chair_times: tuple[ChairTime, ...]
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date
    current: Placement | None = None
    booking_ids: tuple[int, ...] = ()  # the center's bookings that are this item now (one per course day)
    days_movable: bool = True  # False: only the time of day may change
    fixed: bool = False  # neither day nor time may change
    usual_chair: int | None = None


@dataclass
class Solution:
    placements: dict[int, Placement]
    peak: int
    bound: int
    proven: bool
    off_target_days: int
    seconds: float
    status: str
    daily_peaks: dict[datetime.date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Weights:
    daily_peaks: int = 1000
    moved: int = 20  # a dose moved to another day
    off_target: int = 1
    retimed: int = 0  # a dose kept on its day at another time


def _day_frame(center: Center, day: datetime.date):
    rules = center.rules(day)
    if not rules.is_open or rules.opens is None or rules.closes is None:
        return None
    chairs = sum(1 for c in center.chairs if c.id not in rules.closed_chairs)
    return rules, min(chairs, rules.staffing.monitor_cap)


def solve(
    center: Center,
    items: Sequence[Item],
    *,
    first: datetime.date,
    last: datetime.date,
    step: int = DEFAULT_STEP,
    time_limit: float = 20.0,
    weights: Weights = Weights(),
    workers: int = 2,
    seed: int = 0,
    place_all: bool = False,
    hints: dict[int, Placement] | None = None,
    lower_bound: int = 0,
) -> Solution:
    """Best placements for `items` on [first, last]; `center` holds every other booking (fixed load)."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    model = cp_model.CpModel()
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    frames = {day: _day_frame(center, day) for day in days}
    capacity = {}
    for day in days:
        frame = frames[day]
        capacity[day] = DayCapacity(
            day, (frame[0].closes - frame[0].opens) if frame else 0, 1, center.staffing_for(day)
        )
    chairs_at: dict[datetime.date, list] = defaultdict(list)  # (interval, demand)
    setups_at: dict[datetime.date, list] = defaultdict(list)
    fixed_peak: dict[datetime.date, int] = defaultdict(int)
    for day in days:
        if frames[day] is None:
            continue
        rules = frames[day][0]
        setup = rules.staffing.setup_minutes
        for _booking, b_start, b_end in center.bookings_on(day):
            chairs_at[day].append(model.NewIntervalVar(b_start, b_end - b_start, b_end, ""))
            if setup:
                setups_at[day].append(model.NewIntervalVar(b_start, setup, b_start + setup, ""))
        if center.bookings_on(day):
            fixed_peak[day] = center.profile(day).peak_in_chairs

    choice: dict[int, dict[datetime.date, object]] = {}
    starts: dict[int, object] = {}
    moved_terms, off_terms, unplaced_terms = [], [], []
    for item in items:
        length = len(item.chair_times)
        if item.current is not None and (item.fixed or not item.days_movable):
            options = [item.current.day]
        else:
            options = open_days_in(capacity, max(item.earliest, first), min(item.latest, last), length)
            options = [d for d in options if all(d + datetime.timedelta(days=k) <= last for k in range(length))]
            if item.current is not None and item.current.day not in options and first <= item.current.day <= last:
                options.append(item.current.day)
        options = [d for d in options if all(frames.get(d + datetime.timedelta(days=k)) for k in range(length))]
        if not options:
            continue
        lo_hi = {}
        for day in options:
            lows, highs = [], []
            for k, ct in enumerate(item.chair_times):
                rules = frames[day + datetime.timedelta(days=k)][0]
                lows.append(-(-rules.opens // step))
                highs.append((rules.closes - ct.total_minutes) // step)
            lo_hi[day] = (max(lows), min(highs))
        low = min(lo for lo, hi in lo_hi.values())
        high = max(hi for lo, hi in lo_hi.values())
        if item.fixed and item.current is not None:
            low = high = item.current.start // step
        if high < low:
            continue
        start = model.NewIntVar(low, high, f"s{item.key}")
        starts[item.key] = start
        literals = {}
        for day in options:
            lo, hi = lo_hi[day]
            if hi < lo:
                continue
            present = model.NewBoolVar(f"x{item.key}_{day:%m%d}")
            literals[day] = present
            model.Add(start >= lo).OnlyEnforceIf(present)
            model.Add(start <= hi).OnlyEnforceIf(present)
            for k, ct in enumerate(item.chair_times):
                course_day = day + datetime.timedelta(days=k)
                size = ct.total_minutes
                chairs_at[course_day].append(
                    model.NewOptionalIntervalVar(start * step, size, start * step + size, present, "")
                )
                setup = frames[course_day][0].staffing.setup_minutes
                if setup:
                    setups_at[course_day].append(
                        model.NewOptionalIntervalVar(start * step, setup, start * step + setup, present, "")
                    )
            distance = abs((day - item.target).days)
            if distance:
                off_terms.append(distance * present)
            if item.current is not None and day != item.current.day:
                moved_terms.append(weights.moved * present)
        if not literals:
            continue
        if item.current is not None and weights.retimed:
            same_time = model.NewBoolVar(f"t{item.key}")
            model.Add(start == item.current.start // step).OnlyEnforceIf(same_time)
            moved_terms.append(weights.retimed * (1 - same_time))
        choice[item.key] = literals
        hint = (hints or {}).get(item.key, item.current)
        if hint is not None and hint.day in literals:
            for day, literal in literals.items():
                model.AddHint(literal, int(day == hint.day))
            model.AddHint(start, hint.start // step)
        if item.current is not None or place_all:
            model.AddExactlyOne(literals.values())
        else:
            placed = model.NewBoolVar(f"p{item.key}")
            model.Add(sum(literals.values()) == placed)
            unplaced_terms.append(1 - placed)

    peak = model.NewIntVar(lower_bound, 1000, "peak")  # a known lower bound (forecast.planning_ceiling) helps the proof
    daily = {}
    for day in days:
        frame = frames[day]
        if frame is None or not chairs_at[day]:
            continue
        rules, cap = frame
        cap = max(cap, fixed_peak[day])
        daily[day] = model.NewIntVar(0, cap, f"peak{day:%m%d}")
        model.AddCumulative(chairs_at[day], [1] * len(chairs_at[day]), daily[day])
        if setups_at[day]:
            model.AddCumulative(setups_at[day], [1] * len(setups_at[day]), max(rules.staffing.start_cap, 1))
        model.Add(peak >= daily[day])

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    unplaced_weight = 10_000_000
    # first: the highest peak (and every dose placed that can be)
    model.Minimize(unplaced_weight * sum(unplaced_terms) + peak)
    solver.parameters.max_time_in_seconds = max(1.0, time_limit / 2)
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution({}, 0, 0, False, 0, time.perf_counter() - started, solver.StatusName(status))
    best_peak = int(solver.Value(peak))
    bound = int(solver.BestObjectiveBound()) if not unplaced_terms else best_peak
    proven = status == cp_model.OPTIMAL
    placed_count = sum(int(solver.Value(t)) for t in unplaced_terms)
    # then: that peak, the same doses placed; the lowest sum of daily peaks, fewest moves, fewest days off target
    model.ClearHints()
    for key, literals in choice.items():
        for literal in literals.values():
            model.AddHint(literal, int(solver.Value(literal)))
        model.AddHint(starts[key], int(solver.Value(starts[key])))
    model.Add(peak <= best_peak)
    if unplaced_terms:
        model.Add(sum(unplaced_terms) <= placed_count)
    model.Minimize(weights.daily_peaks * sum(daily.values()) + sum(moved_terms) + weights.off_target * sum(off_terms))
    solver.parameters.max_time_in_seconds = max(1.0, time_limit - (time.perf_counter() - started))
    second = solver.Solve(model)
    if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = second
    placements = {}
    for item in items:
        literals = choice.get(item.key)
        if not literals:
            continue
        for day, literal in literals.items():
            if solver.Value(literal):
                chairs = item.current.chairs if item.current is not None else ()
                placements[item.key] = Placement(day, int(solver.Value(starts[item.key])) * step, chairs)
    off = sum(abs((placements[i.key].day - i.target).days) for i in items if i.key in placements)
    return Solution(
        placements=placements,
        peak=best_peak,
        bound=max(bound, 0),
        proven=proven,
        off_target_days=off,
        seconds=time.perf_counter() - started,
        status=solver.StatusName(status),
        daily_peaks={day: int(solver.Value(var)) for day, var in daily.items()},
    )


# ---------------------------------------------------------------------------
# From the model's days and times to checked chair times
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    item: Item
    old: Placement | None
    new: Placement


def _bookings_for(item: Item, placement: Placement, ids: Sequence[int]) -> list[Booking]:
    return [
        Booking(
            ids[k],
            placement.chairs[k],
            item.patient_id,
            None,
            None,
            local=(placement.day + datetime.timedelta(days=k), placement.start, placement.start + ct.total_minutes),
        )
        for k, ct in enumerate(item.chair_times)
    ]


def _fits(center: Center, item: Item, placement: Placement) -> list[str]:
    problems = []
    for k, ct in enumerate(item.chair_times):
        day = placement.day + datetime.timedelta(days=k)
        problems += check_candidate(center, Candidate(placement.chairs[k], day, placement.start, ct, item.patient_id))
    return problems


def choose_chairs(center: Center, item: Item, day: datetime.date, start: int) -> Placement | None:
    """The placement with a free chair on every course day (current, then usual, then the first), or None."""
    chairs = []
    for k, ct in enumerate(item.chair_times):
        course_day = day + datetime.timedelta(days=k)
        preferred = []
        if item.current is not None and k < len(item.current.chairs):
            preferred.append(item.current.chairs[k])
        if item.usual_chair is not None:
            preferred.append(item.usual_chair)
        ordered = preferred + [c.id for c in center.chairs if c.id not in preferred]
        for chair in ordered:
            if chair in center.chair_names and not check_candidate(
                center, Candidate(chair, course_day, start, ct, item.patient_id)
            ):
                chairs.append(chair)
                break
        else:
            return None
    return Placement(day, start, tuple(chairs))


def apply_placements(
    center: Center, items: Sequence[Item], placements: dict[int, Placement], *, next_id: int = -1
) -> tuple[Center, list[Move]]:
    """Apply the model's placements one at a time, each checked with the rule book against the others so far.

    `center` holds every booking, the items' current ones included (`booking_ids`). Moves that do not fit yet are
    retried after the others (a swap needs one to go first); those that never fit are left out.
    """
    ids: dict[int, tuple[int, ...]] = {}
    counter = next_id
    for item in items:
        if item.booking_ids:
            ids[item.key] = item.booking_ids
        else:
            ids[item.key] = tuple(range(counter, counter - len(item.chair_times), -1))
            counter -= len(item.chair_times)
    pending = [
        i
        for i in items
        if i.key in placements
        and (i.current is None or (placements[i.key].day, placements[i.key].start) != (i.current.day, i.current.start))
    ]
    moves: list[Move] = []
    current = {i.key: i.current for i in items}
    progress = True
    while pending and progress:
        progress = False
        remaining = []
        for item in pending:
            target = placements[item.key]
            rest = center.without(ids[item.key])
            placement = choose_chairs(rest, item, target.day, target.start)
            if placement is None:
                remaining.append(item)
                continue
            center = rest.with_bookings(_bookings_for(item, placement, ids[item.key]))
            moves.append(Move(item, current[item.key], placement))
            current[item.key] = placement
            progress = True
        pending = remaining
    return center, moves


def day_peaks(center: Center, days: Iterable[datetime.date]) -> dict[datetime.date, int]:
    return {day: center.profile(day).peak_in_chairs for day in days}
