"""Reads for the appointment page: the visit's history (every change, override, reason, correction and undo,
with who and when) and the visit's clock (when the infusion may start, should end, and observation ends)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from infusion_center import formats
from scheduling.engine import visit_clock as clock
from scheduling.models import Appointment, PremedicationGiven, ReadinessOverride, VisitNote
from scheduling.services.visit_clock import observation_plan, planned_infusion_minutes, premedications_given

HISTORY_LIMIT = 80

_TIME_FIELDS = {
    "checked_in_at": "checked in",
    "infusion_started_at": "infusion started",
    "infusion_ended_at": "infusion ended",
    "discharged_at": "discharged",
    "no_show_at": "no-show",
    "cancelled_at": "cancelled",
}


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    who: str
    text: str
    detail: str = ""
    tone: str = ""  # "", "warning" (a reason recorded), "danger" (an override)


def _who(user) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def _hm(moment: datetime.datetime | None) -> str:
    return formats.time(moment) if moment else "—"


def _appointment_entries(appointment: Appointment) -> list[HistoryEntry]:
    records = list(appointment.history.select_related("history_user").order_by("history_date", "history_id"))
    entries = []
    previous = None
    for record in records:
        if previous is None:
            text = "Booked" + (f" ({record.history_change_reason})" if record.history_change_reason else "")
        else:
            changes = []
            if record.status != previous.status:
                changes.append(f"{record.get_status_display()}")
            for field, label in _TIME_FIELDS.items():
                old, new = getattr(previous, field), getattr(record, field)
                if old != new and old is not None:
                    changes.append(
                        f"{label} time {_hm(old)} → {_hm(new)}" if new else f"{label} time {_hm(old)} cleared"
                    )
            if record.premed_start != previous.premed_start or record.chair_id != previous.chair_id:
                changes.append("moved")
            reason = record.history_change_reason or ""
            if reason:  # the service's own words (a move from/to with its reason, a cancellation) replace the bare ones
                changes = [c for c in changes if c != "moved" and not reason.startswith(c)] + [reason]
            text = "; ".join(changes) or "Updated"
        entries.append(HistoryEntry(record.history_date, _who(record.history_user), text))
        previous = record
    return entries


def appointment_timeline(appointment: Appointment) -> list[HistoryEntry]:
    """Everything that happened to the appointment, newest first: status changes and time corrections (the
    original value stays), premedications given or undone, readiness overrides, and every reason recorded."""
    entries = _appointment_entries(appointment)
    for override in ReadinessOverride.objects.filter(appointment=appointment).select_related("overridden_by"):
        entries.append(
            HistoryEntry(
                override.overridden_at,
                _who(override.overridden_by),
                f"Readiness override: {override.reason}",
                detail=override.problems,
                tone="danger",
            )
        )
    for note in VisitNote.objects.filter(appointment=appointment).select_related("recorded_by"):
        detail = ""
        if note.previous_time or note.new_time:
            detail = f"{_hm(note.previous_time)} → {_hm(note.new_time)}" if note.previous_time else _hm(note.new_time)
        entries.append(
            HistoryEntry(
                note.recorded_at,
                _who(note.recorded_by),
                f"{note.get_kind_display()}: {note.reason}",
                detail=detail,
                tone="warning",
            )
        )
    premed_history = PremedicationGiven.history.filter(appointment_id=appointment.pk).select_related("history_user")
    for record in premed_history.order_by("history_date"):
        verb = {"+": "given", "~": "time changed", "-": "undone"}[record.history_type]
        name = record.premedication_id
        entries.append(
            HistoryEntry(
                record.history_date,
                _who(record.history_user),
                f"Premedication {verb}: {_premed_names(appointment).get(name, 'medicine')} at {_hm(record.given_at)}",
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:HISTORY_LIMIT]


def _premed_names(appointment: Appointment) -> dict[int, str]:
    cache = getattr(appointment, "_premed_names", None)
    if cache is None:
        cache = {p.pk: str(p) for p in appointment.phase.premedications.all()}
        appointment._premed_names = cache
    return cache


@dataclass(frozen=True)
class ClockSummary:
    earliest_start: datetime.datetime | None
    decided_by: str
    planned_minutes: int
    planned_end: datetime.datetime | None
    observation: clock.Observation | None
    observation_left: int | None
    reactions: int


def visit_clock_summary(appointment: Appointment, *, now: datetime.datetime | None = None) -> ClockSummary:
    now = now or timezone.now()
    earliest = clock.earliest_start(premedications_given(appointment))
    planned = planned_infusion_minutes(appointment)
    planned_end = (
        appointment.infusion_started_at + datetime.timedelta(minutes=planned)
        if appointment.infusion_started_at
        else None
    )
    reactions = list(appointment.reactions.all())
    plan = observation_plan(appointment, reactions=reactions)
    return ClockSummary(
        earliest_start=earliest[0] if earliest else None,
        decided_by=earliest[1] if earliest else "",
        planned_minutes=planned,
        planned_end=planned_end,
        observation=plan,
        observation_left=clock.minutes_left(plan, now=now) if plan else None,
        reactions=len(reactions),
    )
