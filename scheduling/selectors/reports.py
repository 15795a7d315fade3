"""Figures for the week view and the reports page, from a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from infusion_center import formats
from scheduling.engine.capacity import Center
from scheduling.models import Appointment, InfusionReaction
from scheduling.selectors import appointments as selectors
from scheduling.selectors.center import center_for_range, day_bounds

S = Appointment.Status
HOLDS_CHAIR = set(Appointment.ACTIVE_STATUSES)


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


class Calendar:
    """The engine's center for a range of days, asked what the week view and the reports show."""

    def __init__(self, center: Center) -> None:
        self.center = center

    @classmethod
    def load(cls, first: datetime.date, last: datetime.date, *, with_bookings: bool = True) -> Calendar:
        """Without bookings the rules alone are read (no peaks), whatever the length of the range."""
        return cls(center_for_range(first, last, with_bookings=with_bookings))

    def open_minutes(self, day: datetime.date, chair_id: int) -> int:
        rules = self.center.rules(day)
        if not rules.is_open or chair_id in rules.closed_chairs:
            return 0
        return rules.closes - rules.opens

    def center_closed(self, day: datetime.date) -> str:
        rules = self.center.rules(day)
        return "Closed" if rules.opens is None else rules.center_closed_reason

    def monitor_cap(self, day: datetime.date) -> int:
        return self.center.staffing_for(day).monitor_cap

    def peak(self, day: datetime.date) -> tuple[int, datetime.datetime | None]:
        """Most patients in chairs at once that day, and when it first happens."""
        profile = self.center.profile(day)
        if not profile.peak_in_chairs:
            return 0, None
        return profile.peak_in_chairs, self.center.aware(day, profile.in_chairs.index(profile.peak_in_chairs))


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
    # the bookings the calendar read for the peaks (active ones, by local day): no second read of the week
    booked: dict[tuple[int, datetime.date], int] = Counter()
    counts: dict[datetime.date, int] = Counter()
    for day in days:
        for booking, start, end in calendar.center.bookings_on(day):
            booked[(booking.chair_id, day)] += end - start
            counts[day] += 1
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
        peak, when = calendar.peak(day)
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
                "count": counts[day],
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


@dataclass
class _Totals:
    booked_minutes_by_chair: dict[int, int]
    visits_by_drug: list[dict]  # {"name", "missed", "due"} per drug with visits in the range, by name


def _totals(first: datetime.date, last: datetime.date) -> _Totals:
    """Booked chair minutes per chair, and per drug the visits that were due (given or missed) and the no-shows:
    one pass over the range's appointments, summed in the database per chair and drug. It reads only columns of
    the covering index on the start (appt_premed_start_cover_idx): an index-only scan on PostgreSQL, no table
    page, so a year costs milliseconds whatever the history."""
    start, end = day_bounds(first, last)
    length = ExpressionWrapper(F("observation_end") - F("premed_start"), output_field=DurationField())
    rows = (
        Appointment.objects.filter(premed_start__gte=start, premed_start__lt=end)
        .values("chair_id", name=F("phase__drug__name"))
        .annotate(
            booked=Sum(length, filter=Q(status__in=HOLDS_CHAIR)),
            missed=Count("status", filter=Q(status=S.NO_SHOW)),
            due=Count("status", filter=Q(status__in=[S.NO_SHOW, *Appointment.GIVEN_STATUSES])),
        )
        .order_by()
    )
    booked: Counter = Counter()
    visits: dict[str, dict] = {}
    for row in rows:
        if row["booked"]:
            booked[row["chair_id"]] += int(row["booked"].total_seconds() // 60)
        drug = visits.setdefault(row["name"], {"name": row["name"], "missed": 0, "due": 0})
        drug["missed"] += row["missed"]
        drug["due"] += row["due"]
    return _Totals(dict(booked), [visits[name] for name in sorted(visits)])


def reports(*, first: datetime.date, last: datetime.date) -> dict:
    """The reports page: totals per chair, day and drug aggregated in SQL, so a longer range (up to two years) costs
    the same queries and no object per appointment; only the nurse-load chart reads chair times, of its 31 days."""
    calendar = Calendar.load(first, last, with_bookings=False)
    totals = _totals(first, last)
    visits = [row for row in totals.visits_by_drug if row["due"]]
    reactions = _reactions_by_drug(first, last)
    return {
        "utilisation": _utilisation_chart(calendar, first, last, totals.booked_minutes_by_chair),
        "load": _load_chart(calendar, first, last),
        "no_shows": _no_show_chart(visits),
        "reactions": _reaction_chart(reactions),
        "totals": {
            "visits": sum(row["due"] for row in visits),
            "no_shows": sum(row["missed"] for row in visits),
            "reactions": sum(sum(c.values()) for c in reactions.values()),
            "serious": sum(c[s] for c in reactions.values() for s in InfusionReaction.SERIOUS),
        },
    }


def _utilisation_chart(calendar: Calendar, first: datetime.date, last: datetime.date, used: dict[int, int]) -> Chart:
    """Booked chair-hours over open chair-hours, per chair."""
    days = _days(first, last)
    bars = []
    for chair in selectors.chairs_for_board():
        available = sum(calendar.open_minutes(day, chair.pk) for day in days)
        booked = used.get(chair.pk, 0)
        ratio = booked / available if available else 0
        bars.append(
            Bar(
                chair.name,
                ratio * 100,
                f"{ratio:.0%} · {booked / 60:.0f} of {available / 60:.0f} h",
                "bad" if ratio > 0.9 else "",
            )
        )
    return Chart("Chair utilisation", bars, unit="%", cap=100, top=100)


def _load_chart(calendar: Calendar, first: datetime.date, last: datetime.date) -> Chart:
    """The day's peak of patients in chairs against the monitoring cap (the last 31 open days), drawn as a share of
    that day's cap, so days with different staffing compare fairly."""
    open_days = [d for d in _days(first, last) if calendar.monitor_cap(d) and not calendar.center_closed(d)][-31:]
    peaks = Calendar.load(open_days[0], open_days[-1]) if open_days else calendar
    bars = []
    for day in open_days:
        peak, _ = peaks.peak(day)
        cap = calendar.monitor_cap(day)
        bars.append(Bar(formats.day(day), peak / cap * 100, f"{peak} of {cap}", "bad" if peak > cap else ""))
    return Chart("Nurse load: peak patients in chairs per day", bars, unit="%", cap=100, top=100)


def _no_show_chart(visits: list[dict]) -> Chart:
    """No-shows per drug, as a share of the visits that were due."""
    bars = [
        Bar(
            row["name"],
            row["missed"] / row["due"] * 100,
            f"{row['missed']} of {row['due']} ({row['missed'] / row['due']:.0%})",
            "bad" if row["missed"] else "",
        )
        for row in visits
    ]
    return Chart("No-shows per drug", bars, unit="%", top=20)


def _reactions_by_drug(first: datetime.date, last: datetime.date) -> dict[str, Counter]:
    """Per drug name, the reactions of each severity, counted in the database."""
    start, end = day_bounds(first, last)
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in (
        InfusionReaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("drug__name", "severity")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["drug__name"]][row["severity"]] += row["n"]
    return counts


def _reaction_chart(reactions: dict[str, Counter]) -> Chart:
    """Reactions per drug, by severity (red where any was serious)."""
    bars = []
    for name in sorted(reactions):
        counts = reactions[name]
        serious = sum(counts[s] for s in InfusionReaction.SERIOUS)
        total = sum(counts.values())
        parts = ", ".join(
            f"{counts[value]} {label.lower()}" for value, label in InfusionReaction.Severity.choices if counts[value]
        )
        bars.append(Bar(name, total, f"{total}: {parts}", "bad" if serious else "alt"))
    return Chart("Infusion reactions per drug", bars)
