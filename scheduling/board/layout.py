"""Lays out the chair board: which grid columns each segment and mark takes (no queries here).

The board is a CSS grid of 5-minute columns; templates use the generated classes `cs-N`/`ce-N`
(grid-column start/end), so no inline style is needed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.template.defaultfilters import floatformat
from django.utils import timezone

from infusion_center import formats

TICK_MINUTES = 5
MAX_COLUMNS = 298  # the generated CSS classes go up to 299


@dataclass
class Segment:
    kind: str  # premed, infusion, observation
    start: int  # column inside the appointment, from 1
    end: int
    minutes: int


@dataclass
class Mark:
    kind: str  # stay (checked in to discharged) or infusion (actual infusion)
    start: int
    end: int
    running: bool
    title: str


@dataclass
class BoardItem:
    appointment: object
    start: int  # column inside the lane, from 1
    end: int
    columns: int
    segments: list[Segment]
    marks: list[Mark]
    readiness: object | None
    # The texts of the block, made once here rather than by ~40 template lookups per block (the board shows
    # a few hundred blocks and is refreshed every minute on every screen).
    url: str = ""
    title: str = ""
    who: str = ""
    what: str = ""
    state: str = ""
    confirmation: object | None = None  # the patient's answer (replies.selectors.ConfirmationMark), if booked ahead
    pharmacy: tuple[str, str] | None = None  # (status, label) of the dose in the pharmacy, where it has one

    @property
    def css(self) -> str:
        status = self.appointment.status
        done = " is-done" if status == "completed" else ""
        # Short visits get compact labels so the patient's name stays readable.
        size = " is-tiny" if self.columns < 12 else " is-narrow" if self.columns < 21 else ""
        attention = " needs-attention" if getattr(self.appointment, "needs_attention", False) else ""
        return f"gcols-{self.columns} cs-{self.start} ce-{self.end} is-{status}{done}{size}{attention}"

    @property
    def segment_classes(self) -> list[str]:
        return [f"seg seg-{s.kind} cs-{s.start} ce-{s.end}" for s in self.segments]


@dataclass
class Lane:
    chair: object
    closed_reason: str
    items: list[BoardItem] = field(default_factory=list)


@dataclass
class Axis:
    day: datetime.date
    start_minute: int  # local minutes after midnight of column 1
    columns: int

    def column(self, moment: datetime.datetime) -> int:
        """1-based column of a moment, clamped to the axis (end-exclusive positions may be columns+1)."""
        local = timezone.localtime(moment)
        days = (local.date() - self.day).days
        minute = days * 1440 + local.hour * 60 + local.minute
        index = (minute - self.start_minute) // TICK_MINUTES + 1
        return max(1, min(self.columns + 1, index))

    def column_end(self, moment: datetime.datetime) -> int:
        local = timezone.localtime(moment)
        days = (local.date() - self.day).days
        minute = days * 1440 + local.hour * 60 + local.minute
        index = -(-(minute - self.start_minute) // TICK_MINUTES) + 1
        return max(1, min(self.columns + 1, index))

    def minute_column(self, minute: int) -> int:
        return max(1, min(self.columns + 1, (minute - self.start_minute) // TICK_MINUTES + 1))

    @property
    def hours(self) -> list[dict]:
        first_hour = -(-self.start_minute // 60)
        last_minute = self.start_minute + self.columns * TICK_MINUTES
        result = []
        for hour in range(first_hour, last_minute // 60 + 1):
            start = self.minute_column(hour * 60)
            if start > self.columns:
                break
            result.append({"label": f"{hour % 24:02d}:00", "start": start, "end": min(start + 12, self.columns + 1)})
        return result

    @property
    def quarter_ticks(self) -> list[dict]:
        ticks = []
        minute = -(-self.start_minute // 15) * 15
        while minute < self.start_minute + self.columns * TICK_MINUTES:
            ticks.append({"column": self.minute_column(minute), "hour": minute % 60 == 0})
            minute += 15
        return ticks


def minutes_of(value: datetime.time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def make_axis(day: datetime.date, opens: datetime.time | None, closes: datetime.time | None, appointments) -> Axis:
    """From the hour before opening (or the first booking) to the hour after closing (or the last booking)."""
    starts = [minutes_of(opens)] if opens else []
    ends = [minutes_of(closes)] if closes else []
    for appointment in appointments:
        local_start = timezone.localtime(appointment.premed_start)
        local_end = timezone.localtime(appointment.observation_end)
        starts.append(local_start.hour * 60 + local_start.minute if local_start.date() == day else 0)
        ends.append(local_end.hour * 60 + local_end.minute if local_end.date() == day else 1440)
    first = min(starts, default=7 * 60)
    last = max(ends, default=19 * 60)
    first = (first // 60) * 60
    last = min(1440, -(-last // 60) * 60)
    if last <= first:
        last = min(1440, first + 60)
    columns = min(MAX_COLUMNS, (last - first) // TICK_MINUTES)
    return Axis(day=day, start_minute=first, columns=columns)


def _segment_columns(appointment, axis: Axis) -> tuple[int, int, list[Segment]]:
    start = axis.column(appointment.premed_start)
    end = max(start + 1, axis.column_end(appointment.observation_end))
    infusion_start = max(start, axis.column(appointment.infusion_start))
    infusion_end = max(infusion_start + 1, axis.column_end(appointment.infusion_end))
    infusion_end = min(infusion_end, end)
    segments = []

    def minutes(a, b):
        return int((b - a).total_seconds() // 60)

    if infusion_start > start:
        segments.append(
            Segment(
                "premed", 1, infusion_start - start + 1, minutes(appointment.premed_start, appointment.infusion_start)
            )
        )
    segments.append(
        Segment(
            "infusion",
            infusion_start - start + 1,
            infusion_end - start + 1,
            minutes(appointment.infusion_start, appointment.infusion_end),
        )
    )
    if end > infusion_end:
        segments.append(
            Segment(
                "observation",
                infusion_end - start + 1,
                end - start + 1,
                minutes(appointment.infusion_end, appointment.observation_end),
            )
        )
    return start, end, segments


def _marks(appointment, axis: Axis, now: datetime.datetime) -> list[Mark]:
    marks = []
    arrived = appointment.checked_in_at or appointment.infusion_started_at
    if arrived:
        left = appointment.discharged_at or now
        running = appointment.discharged_at is None
        marks.append(
            Mark(
                "stay",
                axis.column(arrived),
                max(axis.column(arrived) + 1, axis.column_end(left)),
                running,
                f"In the chair from {formats.time(arrived)}" + ("" if running else f" to {formats.time(left)}"),
            )
        )
    if appointment.infusion_started_at:
        ended = appointment.infusion_ended_at or now
        running = appointment.infusion_ended_at is None
        start = axis.column(appointment.infusion_started_at)
        marks.append(
            Mark(
                "infusion",
                start,
                max(start + 1, axis.column_end(ended)),
                running,
                f"Infusion from {formats.time(appointment.infusion_started_at)}"
                + ("" if running else f" to {formats.time(ended)}"),
            )
        )
    return marks


def build_lanes(
    *, axis: Axis, chairs, appointments, closed_chair_ids, center_closed_reason: str, closures, readiness, now
) -> list[Lane]:
    reasons = {c.chair_id: c.reason for c in closures if c.chair_id}
    lanes = {
        chair.pk: Lane(
            chair=chair,
            closed_reason=center_closed_reason
            or (reasons.get(chair.pk, "Closed") if chair.pk in closed_chair_ids else ""),
        )
        for chair in chairs
    }
    for appointment in appointments:
        lane = lanes.get(appointment.chair_id)
        if lane is None:
            # a chair taken out of service still shows its bookings (they need attention), on a row of its own
            lane = lanes[appointment.chair_id] = Lane(chair=appointment.chair, closed_reason="Out of service")
        start, end, segments = _segment_columns(appointment, axis)
        marks = [m for m in _marks(appointment, axis, now) if m.end > m.start]
        item_readiness = readiness.get(appointment.pk)
        lane.items.append(
            BoardItem(
                appointment=appointment,
                start=start,
                end=end,
                columns=end - start,
                segments=segments,
                marks=marks,
                readiness=item_readiness,
                **_texts(appointment, item_readiness),
            )
        )
    return list(lanes.values())


def _texts(appointment, readiness) -> dict[str, str]:
    """The block's link, tooltip and three label lines (plain text: the template escapes them)."""
    patient = appointment.patient
    drug = appointment.phase.drug
    dose = floatformat(appointment.dose_mg, "-2")
    times = formats.time_range(appointment.premed_start, appointment.observation_end)
    status = appointment.get_status_display()
    title = f"{patient.full_name} · {drug.name} {dose} mg · {times} · {status}"
    if getattr(appointment, "needs_attention", False):
        title = f"Needs attention: {appointment.attention_reason} · {title}"
    if readiness:
        if readiness.status == "ready":
            title += " · ready"
        else:
            title += " · " + "".join(f"{p} " for p in (*readiness.blocking, *readiness.warnings))
    what = f"{drug.brand_name} {dose} mg"
    if appointment.course_day > 1:
        what += f" · day {appointment.course_day}"
    if appointment.short_infusion:
        what += " · short"
    return {
        "url": appointment.get_absolute_url(),
        "title": title,
        "who": f"{patient.first_name[:1]}. {patient.last_name}",
        "what": what,
        "state": times if appointment.status == "scheduled" else status,
    }


@dataclass
class LoadBar:
    x: int
    width: int
    value: int
    height: float
    y: float
    over: bool
    title: str


def load_bars(ticks, *, axis: Axis, cap: int, index: int, label: str) -> tuple[list[LoadBar], int, float]:
    """SVG bars for one series of day_load ticks (index 1 = patients in chairs, 2 = starts in set-up).

    The SVG's x axis is minutes after the axis start; bar heights are out of 100.
    Returns the bars, the peak value and the y of the cap line.
    """
    values = [tick[index] for tick in ticks]
    top = max([cap, *values, 1])
    times = [minutes_of(tick[0]) for tick in ticks]
    step = min((b - a for a, b in zip(times, times[1:], strict=False) if b > a), default=15)
    bars = []
    for minute, value in zip(times, values, strict=True):
        x = minute - axis.start_minute
        if value <= 0 or x < 0 or x >= axis.columns * TICK_MINUTES:
            continue
        bars.append(
            LoadBar(
                x=x,
                width=step,
                value=value,
                height=round(value / top * 96, 1),
                y=round(100 - value / top * 96, 1),
                over=value > cap,
                title=f"{minute // 60:02d}:{minute % 60:02d} · {value} {label} (cap {cap})",
            )
        )
    peak = max(values, default=0)
    cap_y = round(100 - cap / top * 96, 1)
    return bars, peak, cap_y
