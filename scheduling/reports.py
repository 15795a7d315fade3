"""Figures for the week view and the reports page, from a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.utils import timezone

from infusion_center import formats
from scheduling import selectors
from scheduling.models import Appointment, InfusionReaction

S = Appointment.Status
HOLDS_CHAIR = set(Appointment.ACTIVE_STATUSES)


def _minutes(t: datetime.time) -> int:
    return t.hour * 60 + t.minute


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Calendar:
    """Opening hours, closures and staffing for a range of days (three queries)."""

    hours: dict
    closures: list
    staffing: dict

    @classmethod
    def load(cls, first: datetime.date, last: datetime.date) -> Calendar:
        return cls(
            hours=selectors.opening_hours_by_weekday(),
            closures=selectors.closures_between(first, last),
            staffing=selectors.staffing_overrides_between(first, last),
        )

    def open_minutes(self, day: datetime.date, chair_id: int) -> int:
        hours = self.hours.get(day.weekday())
        if hours is None:
            return 0
        for closure in self.closures:
            if closure.starts_on <= day <= closure.ends_on and closure.chair_id in (None, chair_id):
                return 0
        return _minutes(hours.closes_at) - _minutes(hours.opens_at)

    def center_closed(self, day: datetime.date) -> str:
        if day.weekday() not in self.hours:
            return "Closed"
        for closure in self.closures:
            if closure.chair_id is None and closure.starts_on <= day <= closure.ends_on:
                return closure.reason
        return ""

    def monitor_cap(self, day: datetime.date) -> int:
        override = self.staffing.get(day)
        if override is not None:
            return override.nurses_on_duty * override.patients_per_nurse
        hours = self.hours.get(day.weekday())
        return hours.nurses_on_duty * hours.patients_per_nurse if hours else 0


def _chair_minutes(appointment: Appointment) -> int:
    return int((appointment.observation_end - appointment.premed_start).total_seconds() // 60)


def _peak(intervals: list[tuple[datetime.datetime, datetime.datetime]]) -> tuple[int, datetime.datetime | None]:
    """Most patients in chairs at once, and when it first happens (half-open intervals)."""
    events = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals], key=lambda e: (e[0], e[1])
    )
    current = peak = 0
    when = None
    for moment, delta in events:
        current += delta
        if current > peak:
            peak, when = current, moment
    return peak, when


def fill_class(ratio: float | None) -> str:
    if ratio is None:
        return "fill-closed"
    if ratio <= 0:
        return "fill-0"
    return f"fill-{min(5, 1 + int(ratio * 5))}"


def week_fill(*, monday: datetime.date) -> dict:
    days = _days(monday, monday + datetime.timedelta(days=6))
    calendar = Calendar.load(days[0], days[-1])
    chairs = selectors.chairs_for_board()
    appointments = [a for a in selectors.appointments_in_range(days[0], days[-1]) if a.status in HOLDS_CHAIR]
    booked: dict[tuple[int, datetime.date], int] = Counter()
    by_day: dict[datetime.date, list] = defaultdict(list)
    for a in appointments:
        day = timezone.localtime(a.premed_start).date()
        booked[(a.chair_id, day)] += _chair_minutes(a)
        by_day[day].append((a.premed_start, a.observation_end))
    rows = []
    for chair in chairs:
        cells = []
        for day in days:
            available = calendar.open_minutes(day, chair.pk)
            used = booked.get((chair.pk, day), 0)
            ratio = used / available if available else None
            cells.append(
                {
                    "day": day,
                    "used_h": used / 60,
                    "available_h": available / 60,
                    "ratio": ratio,
                    "css": fill_class(ratio),
                }
            )
        rows.append({"chair": chair, "cells": cells})
    totals = []
    for day in days:
        available = sum(calendar.open_minutes(day, c.pk) for c in chairs)
        used = sum(booked.get((c.pk, day), 0) for c in chairs)
        peak, when = _peak(by_day.get(day, []))
        cap = calendar.monitor_cap(day)
        ratio = used / available if available else None
        totals.append(
            {
                "day": day,
                "used_h": used / 60,
                "available_h": available / 60,
                "ratio": ratio,
                "percent": round(ratio * 100) if ratio is not None else None,
                "css": fill_class(ratio),
                "peak": peak,
                "peak_at": timezone.localtime(when) if when else None,
                "cap": cap,
                "over": peak > cap if available else False,
                "closed": calendar.center_closed(day),
                "count": len(by_day.get(day, [])),
            }
        )
    return {"days": days, "rows": rows, "totals": totals}


# ---- Reports ----


@dataclass
class Bar:
    label: str
    value: float
    text: str
    css: str = ""
    width: float = 0.0
    y: int = 0


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    unit: str = ""
    cap: float | None = None  # a reference line (in value units)
    width: int = 640
    label_width: int = 150
    row: int = 26
    top: float | None = None  # the value a full-width bar stands for; the largest value when None

    def __post_init__(self) -> None:
        top = max([b.value for b in self.bars] + [self.cap or 0, self.top or 0, 1e-9])
        span = self.width - self.label_width - 90
        for index, bar in enumerate(self.bars):
            bar.width = round(bar.value / top * span, 1)
            bar.y = index * self.row + 4
        self.cap_x = round(self.label_width + (self.cap / top * span), 1) if self.cap else None
        self.height = max(1, len(self.bars)) * self.row + 8
        self.bar_height = self.row - 8
        self.text_x = self.label_width + 6


def reports(*, first: datetime.date, last: datetime.date) -> dict:
    days = _days(first, last)
    calendar = Calendar.load(first, last)
    chairs = selectors.chairs_for_board()
    appointments = selectors.appointments_in_range(first, last)
    reactions = selectors.reactions_in_range(first, last)

    # Chair utilisation: booked chair-hours over open chair-hours, per chair.
    used: Counter = Counter()
    by_day: dict[datetime.date, list] = defaultdict(list)
    for a in appointments:
        if a.status in HOLDS_CHAIR:
            used[a.chair_id] += _chair_minutes(a)
            by_day[timezone.localtime(a.premed_start).date()].append((a.premed_start, a.observation_end))
    utilisation_bars = []
    for chair in chairs:
        available = sum(calendar.open_minutes(day, chair.pk) for day in days)
        ratio = used[chair.pk] / available if available else 0
        utilisation_bars.append(
            Bar(
                chair.name,
                ratio * 100,
                f"{ratio:.0%} · {used[chair.pk] / 60:.0f} of {available / 60:.0f} h",
                "bad" if ratio > 0.9 else "",
            )
        )

    # Nurse load: the day's peak of patients in chairs against the monitoring cap.
    load_bars = []
    open_days = [d for d in days if calendar.monitor_cap(d) and not calendar.center_closed(d)]
    for day in open_days[-31:]:
        peak, _ = _peak(by_day.get(day, []))
        cap = calendar.monitor_cap(day)
        # Drawn as a share of that day's cap, so days with different staffing compare fairly.
        load_bars.append(Bar(formats.day(day), peak / cap * 100, f"{peak} of {cap}", "bad" if peak > cap else ""))

    # No-shows per drug, as a share of the visits that were due.
    due: Counter = Counter()
    missed: Counter = Counter()
    for a in appointments:
        if a.status == S.CANCELLED:
            continue
        name = a.phase.drug.name
        if a.status == S.NO_SHOW:
            missed[name] += 1
            due[name] += 1
        elif a.status in Appointment.GIVEN_STATUSES:
            due[name] += 1
    no_show_bars = [
        Bar(
            name,
            missed[name] / due[name] * 100,
            f"{missed[name]} of {due[name]} ({missed[name] / due[name]:.0%})",
            "bad" if missed[name] else "",
        )
        for name in sorted(due)
    ]

    # Reactions per drug, by severity.
    severity_count: dict[str, Counter] = defaultdict(Counter)
    for r in reactions:
        severity_count[r.drug.name][r.severity] += 1
    reaction_bars = []
    for name in sorted(severity_count):
        counts = severity_count[name]
        serious = sum(counts[s] for s in InfusionReaction.SERIOUS)
        total = sum(counts.values())
        parts = ", ".join(
            f"{counts[value]} {label.lower()}" for value, label in InfusionReaction.Severity.choices if counts[value]
        )
        reaction_bars.append(Bar(name, total, f"{total}: {parts}", "bad" if serious else "alt"))

    return {
        "utilisation": Chart("Chair utilisation", utilisation_bars, unit="%", cap=100, top=100),
        "load": Chart("Nurse load: peak patients in chairs per day", load_bars, unit="%", cap=100, top=100),
        "no_shows": Chart("No-shows per drug", no_show_bars, unit="%", top=20),
        "reactions": Chart("Infusion reactions per drug", reaction_bars),
        "totals": {
            "visits": sum(due.values()),
            "no_shows": sum(missed.values()),
            "reactions": len(reactions),
            "serious": sum(1 for r in reactions if r.severity in InfusionReaction.SERIOUS),
        },
    }
