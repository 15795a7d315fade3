"""The context of the chair board's grid (`_board.html`): chairs, blocks, load bars and the now-line of a day."""

from __future__ import annotations

import datetime

from django.utils import timezone

from pharmacy.board import annotate_board_pharmacy
from scheduling.board import layout as board_layout
from scheduling.models import Appointment
from scheduling.selectors import appointments as selectors
from scheduling.selectors.capacity import day_load
from scheduling.selectors.readiness import (
    readiness_for_loaded_appointments,
)
from scheduling.selectors.visit_clock import observation_minutes_left

S = Appointment.Status


def board_context(day: datetime.date, *, now: datetime.datetime | None = None) -> dict:
    """The context of `_board.html` (its grid is cached by scheduling.board.cache: it must not depend on the user)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    appointments = selectors.appointments_for_board(day)
    chairs = selectors.chairs_for_board()
    load = day_load(day=day)
    closures = selectors.closures_between(day, day)
    readiness = readiness_for_loaded_appointments([a for a in appointments if a.is_active])
    observation_left = observation_minutes_left(appointments, now=now)
    axis = board_layout.make_axis(day, load.opens_at, load.closes_at, appointments)
    lanes = board_layout.build_lanes(
        axis=axis,
        chairs=chairs,
        appointments=appointments,
        closed_chair_ids=load.closed_chair_ids,
        center_closed_reason=load.center_closed_reason,
        closures=closures,
        readiness=readiness,
        now=now,
    )
    for lane in lanes:  # observing patients show the time left before discharge
        for item in lane.items:
            left = observation_left.get(item.appointment.pk)
            if left is not None:
                item.state = f"Observing · {left} min left" if left else "Observation over"
    _mark_confirmations(lanes, appointments)
    annotate_board_pharmacy(lanes)
    in_bars, peak_in, cap_in_y = board_layout.load_bars(
        load.ticks, axis=axis, cap=load.monitor_cap, index=1, label="in chairs"
    )
    start_bars, peak_start, cap_start_y = board_layout.load_bars(
        load.ticks, axis=axis, cap=load.start_cap, index=2, label="starting"
    )
    now_column = None
    if today == day:
        column = axis.column(now)
        if 1 <= column <= axis.columns:
            now_column = column + 1  # the board's first column holds the chair names
    counts = {"ready": 0, "warnings": 0, "blocked": 0}
    for item in readiness.values():
        counts[item.status] = counts.get(item.status, 0) + 1
    return {
        "day": day,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "is_today": day == today,
        "axis": axis,
        "lanes": lanes,
        "load": load,
        "svg_width": axis.columns * board_layout.TICK_MINUTES,
        "in_bars": in_bars,
        "peak_in": peak_in,
        "cap_in_y": cap_in_y,
        "start_bars": start_bars,
        "peak_start": peak_start,
        "cap_start_y": cap_start_y,
        "overloaded": any(b.over for b in in_bars) or any(b.over for b in start_bars),
        "now_column": now_column,
        "booked": sum(1 for a in appointments if a.is_active),
        "readiness_counts": counts,
        "refreshed_at": timezone.localtime(now),
        "patient_ids": sorted({a.patient_id for a in appointments}),  # for the access log
    }


def _mark_confirmations(lanes, appointments) -> None:
    """Whether each booked patient confirmed (replies app): a mark on the block and a word in its tooltip."""
    from replies.selectors import confirmation_marks

    marks = confirmation_marks(appointments)
    for lane in lanes:
        for item in lane.items:
            item.confirmation = marks.get(item.appointment.pk)
            if item.confirmation is not None:
                item.title = f"{item.title.rstrip()} · {item.confirmation.label}"
