"""Reads for the staff pages: the center's outbox and one appointment's reminders."""

from __future__ import annotations

from django.db.models import QuerySet

from patients.models import Patient
from scheduling.models import Appointment, Reminder


def reminder_outbox(*, status: str = "", kind: str = "") -> QuerySet[Reminder]:
    """Every reminder, newest due first, with what the outbox table shows (a fixed number of queries)."""
    queryset = Reminder.objects.select_related("appointment__patient").order_by("-due_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def reminders_for_appointment(*, appointment: Appointment) -> list[Reminder]:
    return list(Reminder.objects.filter(appointment=appointment).order_by("due_at", "id"))


def reminders_for_patient(*, patient_id: int, limit: int = 50) -> list[Reminder]:
    """A patient's most recent reminder emails, across their appointments."""
    return list(
        Reminder.objects.filter(appointment__patient_id=patient_id)
        .select_related("appointment")
        .order_by("-due_at", "-id")[:limit]
    )


def failed_reminder_count() -> int:
    return Reminder.objects.filter(status=Reminder.Status.FAILED).count()


def patient_for_unsubscribe(patient_id: int | None) -> Patient | None:
    """Only what the unsubscribe page shows and changes."""
    if patient_id is None:
        return None
    return Patient.objects.filter(pk=patient_id).only("id", "first_name", "reminders_opted_out_at").first()
