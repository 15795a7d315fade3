"""The center's capacity as plain data: hours, closures, staffing, bookings; and whether a chair time fits.

Times inside a day are local wall-clock minutes after midnight (opening hours are wall-clock, so a day on a
DST change keeps its 07:00-19:00); they are turned into aware datetimes only at the edges, through UTC.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from zoneinfo import ZoneInfo

from infusion_center import formats
from scheduling.engine.dosing import fmt_date
from scheduling.engine.protocol import ChairTime

UTC = datetime.UTC
MINUTES_PER_DAY = 24 * 60


def hhmm(minute: int) -> str:
    """A minute of the day as the clock shows it, in the center's convention."""
    return formats.minute_of_day(minute % MINUTES_PER_DAY)


def clock_time(moment: datetime.datetime | None, tz: datetime.tzinfo | None = None) -> str:
    """An aware moment's clock time in tz (the moment's own zone when None); a dash for no moment."""
    if moment is None:
        return "—"
    return formats.time((moment.astimezone(tz) if tz else moment).replace(tzinfo=None))


@dataclass(frozen=True)
class Staffing:
    nurses: int
    setup_minutes: int
    patients_per_nurse: int

    @property
    def monitor_cap(self) -> int:
        """Patients in chairs at any moment."""
        return self.nurses * self.patients_per_nurse

    @property
    def start_cap(self) -> int:
        """Simultaneous starts (a nurse sets up one patient at a time)."""
        return self.nurses


@dataclass(frozen=True)
class WeekdayHours:
    opens_at: datetime.time
    closes_at: datetime.time
    staffing: Staffing


@dataclass(frozen=True)
class ClosureSpec:
    starts_on: datetime.date
    ends_on: datetime.date
    reason: str
    chair_id: int | None = None  # None closes the whole center

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class ChairSpec:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Booking:
    """An active appointment holding a chair and a patient from premedication to the end of observation.

    Either the aware times are given, or `local` = (local day, start minute, end minute) already worked out.
    """

    id: int
    chair_id: int
    patient_id: int
    premed_start: datetime.datetime | None  # aware
    observation_end: datetime.datetime | None  # aware
    local: tuple[datetime.date, int, int] | None = None


@dataclass(frozen=True)
class DayRules:
    day: datetime.date
    opens: int | None  # wall-clock minutes; None = closed
    closes: int | None
    staffing: Staffing
    center_closed_reason: str = ""
    closed_chairs: frozenset[int] = frozenset()
    chair_closure_reasons: dict[int, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_open(self) -> bool:
        return self.opens is not None and not self.center_closed_reason


NO_STAFF = Staffing(0, 15, 0)


@dataclass
class Center:
    """Everything about the center that decides whether a chair time fits, for a range of days."""

    tz: ZoneInfo
    chairs: tuple[ChairSpec, ...]
    hours: dict[int, WeekdayHours]  # weekday 0-6; missing = closed that weekday
    staffing_overrides: dict[datetime.date, Staffing] = field(default_factory=dict)
    closures: tuple[ClosureSpec, ...] = ()
    bookings: tuple[Booking, ...] = ()

    def __post_init__(self) -> None:
        self._rules: dict[datetime.date, DayRules] = {}
        self._by_day: dict[datetime.date, list[tuple[Booking, int, int]]] | None = None
        self.chair_names = {c.id: c.name for c in self.chairs}

    # --- time conversions -------------------------------------------------
    def local_minute(self, moment: datetime.datetime) -> tuple[datetime.date, int]:
        local = moment.astimezone(self.tz)
        return local.date(), local.hour * 60 + local.minute

    def aware(self, day: datetime.date, minute: int) -> datetime.datetime:
        """The instant of a wall-clock minute of a day, in UTC."""
        extra, minute = divmod(minute, MINUTES_PER_DAY)
        local = datetime.datetime.combine(
            day + datetime.timedelta(days=extra), datetime.time(minute // 60, minute % 60), tzinfo=self.tz
        )
        return local.astimezone(UTC)

    # --- rules for one day ------------------------------------------------
    def staffing_for(self, day: datetime.date) -> Staffing:
        if day in self.staffing_overrides:
            return self.staffing_overrides[day]
        hours = self.hours.get(day.weekday())
        return hours.staffing if hours else NO_STAFF

    def rules(self, day: datetime.date) -> DayRules:
        cached = self._rules.get(day)
        if cached is not None:
            return cached
        hours = self.hours.get(day.weekday())
        center_reason = ""
        chair_reasons: dict[int, str] = {}
        for closure in self.closures:
            if not closure.covers(day):
                continue
            if closure.chair_id is None:
                center_reason = center_reason or closure.reason
            else:
                chair_reasons.setdefault(closure.chair_id, closure.reason)
        rules = DayRules(
            day=day,
            opens=hours.opens_at.hour * 60 + hours.opens_at.minute if hours else None,
            closes=hours.closes_at.hour * 60 + hours.closes_at.minute if hours else None,
            staffing=self.staffing_for(day),
            center_closed_reason=center_reason,
            closed_chairs=frozenset(chair_reasons),
            chair_closure_reasons=chair_reasons,
        )
        self._rules[day] = rules
        return rules

    # --- bookings by local day ---------------------------------------------
    def bookings_on(self, day: datetime.date) -> list[tuple[Booking, int, int]]:
        """(booking, start minute, end minute) for bookings starting on `day` (local)."""
        if self._by_day is None:
            by_day: dict[datetime.date, list[tuple[Booking, int, int]]] = defaultdict(list)
            for booking in self.bookings:
                if booking.local is not None:
                    by_day[booking.local[0]].append((booking, booking.local[1], booking.local[2]))
                    continue
                local_day, start = self.local_minute(booking.premed_start)
                length = int((booking.observation_end - booking.premed_start).total_seconds() // 60)
                by_day[local_day].append((booking, start, start + length))
            self._by_day = by_day
        return self._by_day.get(day, [])

    def without(self, booking_ids: Iterable[int]) -> Center:
        """The same center with some bookings left out (an appointment being rescheduled)."""
        skip = set(booking_ids)
        return replace(self, bookings=tuple(b for b in self.bookings if b.id not in skip))

    def with_bookings(self, extra: Sequence[Booking]) -> Center:
        return replace(self, bookings=self.bookings + tuple(extra))

    def profile(self, day: datetime.date) -> DayProfile:
        return DayProfile(self.rules(day), self.bookings_on(day), self)


class DayProfile:
    """One day's occupancy at minute resolution: patients in chairs and starts in set-up, per minute."""

    def __init__(self, rules: DayRules, bookings: Sequence[tuple[Booking, int, int]], center: Center):
        self.rules = rules
        self.center = center
        size = 2 * MINUTES_PER_DAY + 1
        in_chairs = [0] * size
        starts = [0] * size
        setup = rules.staffing.setup_minutes
        self.chair_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.patient_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for booking, start, end in bookings:
            start_c, end_c = max(start, 0), min(end, size - 1)
            in_chairs[start_c] += 1
            in_chairs[end_c] -= 1
            starts[start_c] += 1
            starts[min(start + setup, size - 1)] -= 1
            self.chair_busy[booking.chair_id].append((start, end))
            self.patient_busy[booking.patient_id].append((start, end))
        for busy in self.chair_busy.values():
            busy.sort()
        self.in_chairs = list(accumulate(in_chairs))
        self.starts = list(accumulate(starts))
        self.peak_in_chairs = max(self.in_chairs)
        self.peak_starts = max(self.starts)

    def load_at(self, start: int, end: int, setup: int) -> tuple[int, int]:
        """Highest patients-in-chairs over [start, end) and starts-in-setup over [start, start+setup)."""
        return max(self.in_chairs[start:end], default=0), max(self.starts[start : start + setup], default=0)

    def nurses_allow(self, start: int, end: int) -> bool:
        staffing = self.rules.staffing
        in_chairs, starts = self.load_at(start, end, staffing.setup_minutes)
        return in_chairs + 1 <= staffing.monitor_cap and starts + 1 <= staffing.start_cap

    def chair_free_starts(self, chair_id: int, length: int, candidates: Sequence[int]) -> list[int]:
        """Of sorted candidate starts, those where [s, s+length) overlaps no booking on the chair."""
        busy = self.chair_busy.get(chair_id)
        if not busy:
            return list(candidates)
        return [s for s in candidates if _free(busy, s, s + length)]


def _free(busy: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """No interval of sorted `busy` overlaps [start, end). Intervals on one chair do not overlap each other."""
    i = bisect.bisect_left(busy, (end,))
    # busy[i-1] is the last interval starting before `end`; earlier ones end before it starts
    return i == 0 or busy[i - 1][1] <= start


# ---------------------------------------------------------------------------
# The rule book, one candidate at a time: plain and explicit (used to re-check a booking and in tests)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    chair_id: int
    day: datetime.date
    start: int  # wall-clock minute of the premedication start
    chair_time: ChairTime
    patient_id: int | None = None

    @property
    def end(self) -> int:
        return self.start + self.chair_time.total_minutes


def check_candidate(center: Center, candidate: Candidate) -> list[str]:
    """Every rule the candidate breaks, in plain words (empty when it fits)."""
    problems: list[str] = []
    rules = center.rules(candidate.day)
    day_label = fmt_date(candidate.day)
    chair_name = center.chair_names.get(candidate.chair_id, f"Chair #{candidate.chair_id}")
    start, end = candidate.start, candidate.end
    if candidate.chair_id not in center.chair_names:
        problems.append(f"{chair_name} is not an active chair.")
    if rules.center_closed_reason:
        problems.append(f"The center is closed on {day_label}: {rules.center_closed_reason}.")
    elif rules.opens is None or rules.closes is None:
        problems.append(f"The center is not open on {candidate.day:%A}s.")
    elif start < rules.opens or end > rules.closes:
        problems.append(
            f"{hhmm(start)}-{hhmm(end)} is outside opening hours on {day_label} "
            f"({hhmm(rules.opens)}-{hhmm(rules.closes)})."
        )
    if candidate.chair_id in rules.closed_chairs:
        problems.append(f"{chair_name} is closed on {day_label}: {rules.chair_closure_reasons[candidate.chair_id]}.")
    setup = rules.staffing.setup_minutes
    in_chairs_peak = 0
    starts_peak = 0
    for booking, b_start, b_end in center.bookings_on(candidate.day):
        overlaps = b_start < end and start < b_end
        if overlaps and booking.chair_id == candidate.chair_id:
            problems.append(f"{chair_name} is already booked from {hhmm(b_start)} to {hhmm(b_end)} on {day_label}.")
        if overlaps and candidate.patient_id is not None and booking.patient_id == candidate.patient_id:
            problems.append(
                f"The patient already has an appointment from {hhmm(b_start)} to {hhmm(b_end)} on {day_label}."
            )
    # nurse caps: counts only rise where a booking starts, so the highest count over the candidate's span is at
    # its start or at a booking's start inside it
    bookings = center.bookings_on(candidate.day)
    moments = {start} | {b_start for _b, b_start, _e in bookings if start < b_start < max(end, start + setup)}
    for minute in moments:
        if minute < end:
            in_chairs = sum(1 for _b, b_start, b_end in bookings if b_start <= minute < b_end)
            in_chairs_peak = max(in_chairs_peak, in_chairs + 1)
        if minute < start + setup:
            starts = sum(1 for _b, b_start, _e in bookings if b_start <= minute < b_start + setup)
            starts_peak = max(starts_peak, starts + 1)
    staffing = rules.staffing
    if rules.is_open and in_chairs_peak > staffing.monitor_cap:
        problems.append(
            f"Too many patients in chairs for the nurses on duty on {day_label}: {in_chairs_peak} at once, "
            f"{formats.count(staffing.nurses, 'nurse')} can monitor {staffing.monitor_cap}."
        )
    if rules.is_open and starts_peak > staffing.start_cap:
        problems.append(
            f"Too many patients starting at {hhmm(start)} on {day_label}: {formats.count(staffing.nurses, 'nurse')} "
            f"can set up {staffing.start_cap} at a time ({formats.count(setup, 'minute')} each)."
        )
    return problems
