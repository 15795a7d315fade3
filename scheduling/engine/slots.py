"""Slot finding: the best feasible chair times for a dose (one day or a consecutive-day course).

Ranking, best first:
1. inside the dosing window;
2. with a planning ceiling (engine/forecast.py): the resulting peak of patients in chairs, counting the chair time
   and set-up moments the ceiling's plan holds for other patients' doses still to book, not above it; the day's
   chair-minutes (booked, this dose and those reserved for doses still to book) inside it, starts not above it -
   so a flexible dose does not take the day, or the hours, that narrow-window doses will need;
3. the closest to the target date;
4. level-loading: the lowest resulting peak of patients in chairs, then of simultaneous starts, for the day(s),
   then the quietest moment (fewest patients in chairs during the chair time);
5. the same chair every day of a course, the patient's usual chair, then the time nearest their usual time.
Only one slot is offered per start time (its best chair), so the list shows real alternatives.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, groupby
from operator import add
from typing import Protocol

from infusion_center import formats
from scheduling.engine.capacity import Center, DayProfile, hhmm
from scheduling.engine.forecast import Ceiling
from scheduling.engine.protocol import ChairTime

DEFAULT_STEP_MINUTES = 15
NOON = 12 * 60
TIMES_OF_DAY = ("morning", "afternoon")


class WindowLike(Protocol):
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date


@dataclass(frozen=True)
class Window:
    earliest: datetime.date
    target: datetime.date
    latest: datetime.date


@dataclass(frozen=True)
class Preferences:
    chair_id: int | None = None  # only this chair
    time_of_day: str | None = None  # "morning" (starts before noon) or "afternoon"
    weekday: int | None = None  # 0 = Monday; the (first) day of the dose
    usual_chair_id: int | None = None  # preferred when free (plan's chair or the last one used)
    usual_start_minute: int | None = None  # wall-clock minute the patient usually arrives


@dataclass(frozen=True)
class SlotDay:
    day: datetime.date
    chair_id: int
    start_minute: int
    premed_start: datetime.datetime
    infusion_start: datetime.datetime
    infusion_end: datetime.datetime
    observation_end: datetime.datetime


@dataclass(frozen=True)
class Slot:
    chair_id: int
    chair_name: str
    days: tuple[SlotDay, ...]
    reason: str
    in_window: bool
    score: tuple = ()

    @property
    def premed_start(self) -> datetime.datetime:
        return self.days[0].premed_start

    @property
    def same_chair(self) -> bool:
        return all(d.chair_id == self.chair_id for d in self.days)


def slot_day(center: Center, day: datetime.date, start: int, chair_id: int, chair_time: ChairTime) -> SlotDay:
    premed_start = center.aware(day, start)
    infusion_start = premed_start + datetime.timedelta(minutes=chair_time.premed_minutes)
    infusion_end = infusion_start + datetime.timedelta(minutes=chair_time.infusion_minutes)
    return SlotDay(
        day=day,
        chair_id=chair_id,
        start_minute=start,
        premed_start=premed_start,
        infusion_start=infusion_start,
        infusion_end=infusion_end,
        observation_end=infusion_end + datetime.timedelta(minutes=chair_time.observation_minutes),
    )


class _Search:
    def __init__(self, center: Center, *, patient_id: int | None, step: int, not_before: datetime.datetime | None):
        self.center = center
        self.patient_id = patient_id
        self.step = step
        self.not_before = not_before
        self._profiles: dict[datetime.date, DayProfile] = {}
        self._booked_minutes: dict[datetime.date, int] = {}
        self._planned: dict[datetime.date, tuple[list[int], list[int]] | None] = {}
        self.day_over: dict[tuple[datetime.date, int], int] = {}

    def booked_minutes(self, day: datetime.date) -> int:
        minutes = self._booked_minutes.get(day)
        if minutes is None:
            minutes = self._booked_minutes[day] = sum(end - start for _b, start, end in self.center.bookings_on(day))
        return minutes

    def profile(self, day: datetime.date) -> DayProfile:
        profile = self._profiles.get(day)
        if profile is None:
            profile = self._profiles[day] = self.center.profile(day)
        return profile

    def planned(self, day: datetime.date, ceiling: Ceiling) -> tuple[list[int], list[int]] | None:
        """Per minute of the day: patients in chairs and patients being set up, booked or held by the plan for
        other patients' doses (None when the plan holds nothing for others that day)."""
        if day not in self._planned:
            holds = [h for h in ceiling.held.get(day, ()) if self.patient_id is None or h.patient_id != self.patient_id]
            if not holds:
                self._planned[day] = None
            else:
                profile = self.profile(day)
                setup = profile.rules.staffing.setup_minutes
                size = len(profile.in_chairs)
                low, high = min(h.start for h in holds), min(size, max(h.end for h in holds) + setup)
                in_chairs, starts = [0] * (high - low + 1), [0] * (high - low + 1)
                for hold in holds:
                    in_chairs[hold.start - low] += 1
                    in_chairs[min(hold.end, high) - low] -= 1
                    starts[hold.start - low] += 1
                    starts[min(hold.start + setup, high) - low] -= 1
                # only the held stretch of the day is added up: a few hundred minutes, not two days' worth
                chairs, setups = profile.in_chairs[:], profile.starts[:]
                chairs[low:high] = map(add, chairs[low:high], accumulate(in_chairs[:-1]))
                setups[low:high] = map(add, setups[low:high], accumulate(starts[:-1]))
                self._planned[day] = (chairs, setups)
        return self._planned[day]

    def free_chairs_by_start(self, day: datetime.date, length: int, chair_id: int | None) -> dict[int, list[int]]:
        """For one day and chair time length: start minute -> chairs free then, every rule checked."""
        profile = self.profile(day)
        rules = profile.rules
        if not rules.is_open or rules.opens is None or rules.closes is None:
            return {}
        first = -(-rules.opens // self.step) * self.step
        starts = list(range(first, rules.closes - length + 1, self.step))
        if self.not_before is not None:
            starts = [s for s in starts if self.center.aware(day, s) >= self.not_before]
        own = profile.patient_busy.get(self.patient_id, ()) if self.patient_id is not None else ()
        starts = [
            s
            for s in starts
            if profile.nurses_allow(s, s + length)
            and all(b_end <= s or s + length <= b_start for b_start, b_end in own)
        ]
        if not starts:
            return {}
        result: dict[int, list[int]] = {}
        for chair in self.center.chairs:
            if chair.id in rules.closed_chairs or (chair_id is not None and chair.id != chair_id):
                continue
            for s in profile.chair_free_starts(chair.id, length, starts):
                result.setdefault(s, []).append(chair.id)
        return result


def feasible_starts(
    center: Center,
    *,
    day: datetime.date,
    chair_time: ChairTime,
    patient_id: int | None = None,
    step: int = DEFAULT_STEP_MINUTES,
) -> set[tuple[int, int]]:
    """Every (chair id, start minute) on the step grid where the chair time fits on that day."""
    search = _Search(center, patient_id=patient_id, step=step, not_before=None)
    free = search.free_chairs_by_start(day, chair_time.total_minutes, None)
    return {(chair, s) for s, chairs in free.items() for chair in chairs}


def _day_key(day: datetime.date, window: WindowLike) -> tuple[bool, int]:
    in_window = window.earliest <= day <= window.latest
    return (not in_window, abs((day - window.target).days))


def find_slots(
    center: Center,
    *,
    chair_times: Sequence[ChairTime],
    window: WindowLike,
    date_from: datetime.date,
    date_to: datetime.date,
    patient_id: int | None = None,
    preferences: Preferences = Preferences(),
    limit: int = 8,
    step: int = DEFAULT_STEP_MINUTES,
    not_before: datetime.datetime | None = None,
    ceiling: Ceiling | None = None,
) -> list[Slot]:
    """The best `limit` slots for a dose whose course days need `chair_times` (one per day), all days feasible.

    Days are searched from the best-ranked (in the window; with a ceiling, the least chair time over it, worked out
    from the day's bookings alone; nearest the target) outwards and the search stops once enough slots are found
    among equally-ranked days, so a typical search touches only a few days.
    """
    if not chair_times or date_to < date_from or limit <= 0:
        return []
    if preferences.time_of_day is not None and preferences.time_of_day not in TIMES_OF_DAY:
        raise ValueError(f"time_of_day must be one of {TIMES_OF_DAY}")
    search = _Search(center, patient_id=patient_id, step=step, not_before=not_before)
    span = (date_to - date_from).days + 1

    def day_key(day: datetime.date):
        outside, distance = _day_key(day, window)
        if ceiling is None:
            return outside, 0, distance
        return outside, _day_over(search, day, chair_times, ceiling), distance

    keys = {day: day_key(day) for day in (date_from + datetime.timedelta(days=i) for i in range(span))}
    days = sorted(keys, key=lambda d: (keys[d], d))
    found: list[Slot] = []
    for _key, group in groupby(days, key=keys.__getitem__):
        for day in group:
            if preferences.weekday is not None and day.weekday() != preferences.weekday:
                continue
            found.extend(_slots_starting(search, day, chair_times, window, preferences, ceiling))
        # with a ceiling, a later day may still have room under it where this one has none at any time
        under = [slot for slot in found if not slot.score[1]] if ceiling is not None else found
        if len(under) >= limit and len({slot.days[0].day for slot in under}) >= _days_wanted(limit):
            break
    found.sort(key=lambda slot: slot.score)
    picked = _varied(found, limit)
    if ceiling is not None:
        picked = [
            replace(slot, reason=_ceiling_reason(slot, window, ceiling, found, search, chair_times)) for slot in picked
        ]
    return picked


def _day_over(search: _Search, first_day: datetime.date, chair_times, ceiling: Ceiling) -> int:
    """Hours by which the course's days would go past the ceiling's chair time (0 when they stay inside it)."""
    key = (first_day, len(chair_times))
    cached = search.day_over.get(key)
    if cached is None:
        cached = search.day_over[key] = _day_over_uncached(search, first_day, chair_times, ceiling)
    return cached


def _day_over_uncached(search: _Search, first_day: datetime.date, chair_times, ceiling: Ceiling) -> int:
    over = 0
    for k, chair_time in enumerate(chair_times):
        day = first_day + datetime.timedelta(days=k)
        rules = search.center.rules(day)
        if not rules.is_open or rules.opens is None or rules.closes is None:
            return 0  # no slot there anyway
        room = ceiling.limit * (rules.closes - rules.opens)
        kept = ceiling.reserved_minutes(day, patient_id=search.patient_id)
        over = max(over, math.ceil((search.booked_minutes(day) + chair_time.total_minutes + kept - room) / 60))
    return max(over, 0)


def _ceiling_reason(
    slot: Slot, window: WindowLike, ceiling: Ceiling, found: list[Slot], search: _Search, chair_times
) -> str:
    """What the choice protects, in words: the target day kept under the ceiling, and for which doses."""
    first = slot.days[0].day
    text = slot.reason.rstrip(".")
    if slot.score[1]:
        return f"{text}; goes over the ceiling of {ceiling.limit} in chairs planned for {first:%A}."
    if slot.score[2]:
        return f"{text}; uses chair time kept for doses still to book on {first:%A}."
    target = window.target
    on_target = [s for s in found if s.days[0].day == target]
    target_over = (search.center.rules(target).is_open and _day_over(search, target, chair_times, ceiling) > 0) or (
        on_target and not any(not any(s.score[1:4]) for s in on_target)
    )
    if first != target and target_over:
        names = ceiling.reserved_for(target, patient_id=search.patient_id)
        protects = f" for the {' and '.join(names[:2])} doses due" if names else ""
        return f"{text}; keeps {target:%A} under the ceiling of {ceiling.limit}{protects}."
    return f"{text}; stays under the ceiling of {ceiling.limit} in chairs."


SPREAD_MINUTES = 60  # offered starts on one day at least this far apart, before closer ones fill the list


def _per_day_cap(limit: int) -> int:
    return max(2, -(-limit // 3))


def _days_wanted(limit: int) -> int:
    return -(-limit // _per_day_cap(limit))


def _varied(ranked: list[Slot], limit: int) -> list[Slot]:
    """The best `limit` slots, spread out: a scheduler offering the patient a choice wants other days and other
    times of day, not eight starts 15 minutes apart. The best slot always comes first; slots that the spreading
    passes over fill the list, best first, when there are not enough different ones."""
    cap = _per_day_cap(limit)
    picked: list[Slot] = []
    starts_by_day: dict[datetime.date, list[int]] = {}
    for slot in ranked:
        first = slot.days[0]
        taken = starts_by_day.setdefault(first.day, [])
        if len(taken) < cap and all(abs(first.start_minute - other) >= SPREAD_MINUTES for other in taken):
            picked.append(slot)
            taken.append(first.start_minute)
            if len(picked) == limit:
                break
    if len(picked) < limit:
        chosen = {id(slot) for slot in picked}
        picked += [slot for slot in ranked if id(slot) not in chosen][: limit - len(picked)]
    picked.sort(key=lambda slot: slot.score)
    return picked


@dataclass
class _Load:
    """What a start does to its day(s): the peaks it leaves, its own moment, and what the ceiling's plan holds."""

    peak_chairs: int = 0
    peak_starts: int = 0
    quiet: int = 0  # the most patients in chairs during its chair time (lower is a quieter moment)
    moment_starts: int = 0  # this dose's own moment: what it adds to, not the day's old peak
    planned_chairs: int = 0  # the same, counting the chair time the plan holds for doses still to book
    held_setup: bool = False  # every nurse free then is kept for setting up a dose the plan holds
    walls: int = 0


def _free_starts(
    search: _Search, course: list[datetime.date], chair_times: Sequence[ChairTime], preferences: Preferences
) -> tuple[list[dict[int, list[int]]], set[int]]:
    """Per course day, the free chairs by start minute; and the starts free on every day, at the time of day asked."""
    per_day: list[dict[int, list[int]]] = []
    for day, chair_time in zip(course, chair_times, strict=True):
        free = search.free_chairs_by_start(day, chair_time.total_minutes, preferences.chair_id)
        if not free:
            return [], set()
        per_day.append(free)
    common = set(per_day[0])
    for free in per_day[1:]:
        common &= set(free)
    if preferences.time_of_day == "morning":
        common = {s for s in common if s < NOON}
    elif preferences.time_of_day == "afternoon":
        common = {s for s in common if s >= NOON}
    return per_day, common


def _chairs_at(
    start: int, per_day: list[dict[int, list[int]]], usual: int | None, chair_order: dict[int, int]
) -> tuple[list[int], bool]:
    """The chair for each course day at `start`: one chair all days when one is free on all (the usual one first),
    else each day's best. Also whether it is the same chair every day."""
    shared = set(per_day[0][start])
    for free in per_day[1:]:
        shared &= set(free[start])
    if shared:
        chair = usual if usual in shared else min(shared, key=chair_order.__getitem__)
        return [chair] * len(per_day), True
    return [usual if usual in free[start] else min(free[start], key=chair_order.__getitem__) for free in per_day], False


def _load_of(
    search: _Search,
    course: list[datetime.date],
    chair_times: Sequence[ChairTime],
    start: int,
    ceiling: Ceiling | None,
) -> _Load:
    load = _Load()
    for day, chair_time in zip(course, chair_times, strict=True):
        profile = search.profile(day)
        length = chair_time.total_minutes
        in_chairs, starts = profile.load_at(start, start + length, profile.rules.staffing.setup_minutes)
        load.peak_chairs = max(load.peak_chairs, profile.peak_in_chairs, in_chairs + 1)
        load.peak_starts = max(load.peak_starts, profile.peak_starts, starts + 1)
        load.quiet = max(load.quiet, in_chairs)
        load.walls += _walls(profile, start, start + length, in_chairs)
        load.moment_starts = max(load.moment_starts, starts + 1)
        planned = search.planned(day, ceiling) if ceiling is not None else None
        if planned is None:
            load.planned_chairs = max(load.planned_chairs, in_chairs + 1)
            continue
        load.planned_chairs = max(load.planned_chairs, max(planned[0][start : start + length]) + 1)
        staffing = profile.rules.staffing
        if max(planned[1][start : start + staffing.setup_minutes], default=0) >= staffing.start_cap:
            load.held_setup = True
    return load


def _reason(
    center: Center,
    first_day: datetime.date,
    start: int,
    window: WindowLike,
    chairs: list[int],
    same_chair: bool,
    usual_chair: bool,
    load: _Load,
) -> str:
    """The offer in words: when, where in the window, which chair, and the peaks it keeps the day to."""
    parts = [f"{formats.day(first_day)} at {hhmm(start)}, {_position(first_day, window)}"]
    chair_name = center.chair_names[chairs[0]]
    if len(chairs) > 1:
        parts.append(f"{chair_name} all {len(chairs)} days" if same_chair else "chairs differ between days")
    else:
        parts.append(chair_name)
    if usual_chair:
        parts[-1] += " (usual chair)"
    parts.append(f"keeps the day's peak at {load.peak_chairs} in chairs and {load.peak_starts} starting at once")
    return "; ".join(parts) + "."


def _slots_starting(
    search: _Search,
    first_day: datetime.date,
    chair_times: Sequence[ChairTime],
    window: WindowLike,
    preferences: Preferences,
    ceiling: Ceiling | None = None,
) -> list[Slot]:
    """Every slot whose first day is `first_day`, one per start time (its best chair), each with its rank."""
    center = search.center
    course = [first_day + datetime.timedelta(days=k) for k in range(len(chair_times))]
    per_day, starts = _free_starts(search, course, chair_times, preferences)
    in_window = window.earliest <= first_day <= window.latest
    distance = abs((first_day - window.target).days)
    chair_order = {chair.id: index for index, chair in enumerate(center.chairs)}
    usual = preferences.usual_chair_id
    # how far the day's chair time would go past the ceiling, in hours: the least over wins when all are
    over_minutes = _day_over(search, first_day, chair_times, ceiling) if ceiling is not None and starts else 0
    slots: list[Slot] = []
    for start in sorted(starts):
        chairs, same_chair = _chairs_at(start, per_day, usual, chair_order)
        load = _load_of(search, course, chair_times, start, ceiling)
        if ceiling is not None:
            chairs_excess = max(0, load.planned_chairs - ceiling.limit) + load.held_setup
            starts_excess = max(0, load.moment_starts - ceiling.starts)
        else:
            chairs_excess = starts_excess = 0
        usual_chair = usual is not None and chairs[0] == usual
        time_gap = abs(start - preferences.usual_start_minute) if preferences.usual_start_minute is not None else 0
        score = (
            not in_window,
            chairs_excess,
            over_minutes,
            starts_excess,
            distance,
            load.peak_chairs,
            load.peak_starts,
            load.quiet,
            not same_chair,
            not usual_chair,
            time_gap,
            -load.walls,
            first_day,
            start,
        )
        slots.append(
            Slot(
                chair_id=chairs[0],
                chair_name=center.chair_names[chairs[0]],
                days=tuple(
                    slot_day(center, day, start, chair, chair_time)
                    for day, chair, chair_time in zip(course, chairs, chair_times, strict=True)
                ),
                reason=_reason(center, first_day, start, window, chairs, same_chair, usual_chair, load),
                in_window=in_window,
                score=score,
            )
        )
    return slots


def _walls(profile: DayProfile, start: int, end: int, level: int) -> int:
    """Sides of [start, end) that meet a busier moment or the opening hours: a snug fit leaves the longer gaps
    whole for the longer doses still to come (best fit), instead of cutting them up."""
    rules = profile.rules
    left = start <= (rules.opens or 0) or profile.in_chairs[start - 1] > level
    right = end >= (rules.closes or 0) or profile.in_chairs[end] > level
    return int(left) + int(right)


def _position(day: datetime.date, window: WindowLike) -> str:
    delta = (day - window.target).days
    if day > window.latest:
        return f"{formats.count((day - window.latest).days, 'day')} late"
    if day < window.earliest:
        return "before the window"
    if delta == 0:
        return "on the target date"
    return f"{abs(delta)} day{'s' if abs(delta) != 1 else ''} {'after' if delta > 0 else 'before'} the target"
