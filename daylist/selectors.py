"""The day list: one line per visit of a day (optionally one chair's or one nurse's), grouped by hour."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from daylist.models import ChairAssignment
from infusion_center.roles import NURSE
from patients.templatetags.patient_tags import one_per_line
from scheduling.models import Appointment
from scheduling.selectors.center import day_bounds

SHOWN_STATUSES = (*Appointment.ACTIVE_STATUSES, Appointment.Status.NO_SHOW)
READINESS_WORDS = {"ready": "Ready", "warnings": "Warnings", "blocked": "Blocked"}


@dataclass
class DayLine:
    appointment: Appointment
    nurse: str
    allergies: list[str]
    readiness: object | None
    confirmation: object | None = None  # the patient's answer to a booked visit (replies.selectors.ConfirmationMark)

    @property
    def readiness_word(self) -> str:
        if self.readiness is None:
            return self.appointment.get_status_display()
        return READINESS_WORDS.get(self.readiness.status, self.readiness.status)

    @property
    def readiness_detail(self) -> str:
        if self.readiness is None:
            return ""
        return " ".join((*self.readiness.blocking, *self.readiness.warnings))


@dataclass
class HourGroup:
    hour: int
    lines: list[DayLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


def nurses():
    """Active users in the Nurse role, by name."""
    return get_user_model().objects.filter(groups__name=NURSE, is_active=True).order_by("first_name", "last_name")


def nurse_name(user) -> str:
    return user.get_full_name() or user.get_username()


def assignments_for(day: datetime.date) -> dict[int, object]:
    """chair id -> the nurse assigned to it on `day`."""
    return {a.chair_id: a.nurse for a in ChairAssignment.objects.filter(date=day).select_related("nurse")}


def day_lines(day: datetime.date, *, chair_id: int | None = None, nurse_id: int | None = None) -> list[DayLine]:
    """The day's visits (not cancelled) by arrival time, with the readiness judged now."""
    from replies.selectors import confirmation_marks
    from scheduling.selectors.readiness import readiness_for_loaded_appointments

    start, end = day_bounds(day)
    assigned = assignments_for(day)
    appointments = Appointment.objects.filter(premed_start__gte=start, premed_start__lt=end, status__in=SHOWN_STATUSES)
    if chair_id is not None:
        appointments = appointments.filter(chair_id=chair_id)
    if nurse_id is not None:
        appointments = appointments.filter(chair_id__in=[c for c, n in assigned.items() if n.pk == nurse_id])
    rows = list(
        appointments.select_related("patient", "plan", "phase", "phase__drug", "chair").order_by(
            "premed_start", "chair__position", "chair__name"
        )
    )
    readiness = readiness_for_loaded_appointments([a for a in rows if a.is_active])
    confirmations = confirmation_marks(rows)
    return [
        DayLine(
            appointment=a,
            nurse=nurse_name(assigned[a.chair_id]) if a.chair_id in assigned else "",
            allergies=one_per_line(a.patient.allergies),
            readiness=readiness.get(a.pk),
            confirmation=confirmations.get(a.pk),
        )
        for a in rows
    ]


def by_hour(lines: list[DayLine]) -> list[HourGroup]:
    groups: dict[int, HourGroup] = {}
    for line in lines:
        hour = timezone.localtime(line.appointment.premed_start).hour
        groups.setdefault(hour, HourGroup(hour)).lines.append(line)
    return list(groups.values())
