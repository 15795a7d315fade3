"""Cancelling a whole multi-day course at once: one reason, every day still to come, one email to the patient."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from scheduling.models import Appointment, Reminder
from scheduling.reminders.services import SKIP_WITH_FIRST_DAY, reminders_on_cancelled
from scheduling.services.booking import CANCELLABLE, BookingError


def course_days_to_cancel(appointment: Appointment) -> list[Appointment]:
    """The days of the appointment's course that can still be cancelled, in order."""
    if not appointment.course_id:
        return [appointment] if appointment.status in CANCELLABLE else []
    return list(
        Appointment.objects.filter(course_id=appointment.course_id, status__in=CANCELLABLE).order_by("course_day")
    )


@transaction.atomic
def course_cancel(*, appointment: Appointment, reason: str, user) -> list[Appointment]:
    """Cancel every day of the course not yet started, with one reason; the patient gets one cancellation email
    (listing the days) instead of one per day. Days already given are left as they are."""
    reason = (reason or "").strip()
    if not reason:
        raise BookingError("Give a reason for cancelling.")
    if not appointment.course_id:
        raise BookingError("This appointment is not part of a multi-day course.")
    days = list(
        Appointment.objects.select_for_update()
        .filter(course_id=appointment.course_id, status__in=CANCELLABLE)
        .order_by("course_day", "pk")
    )
    if not days:
        raise BookingError("No day of this course can still be cancelled.")
    now = timezone.now()
    for day in days:
        day.status = Appointment.Status.CANCELLED
        day.cancelled_at = now
        day.cancel_reason = reason[:255]
        day._history_user = user
        day._change_reason = f"Course cancelled ({len(days)} days): {reason}"[:100]
        day.save()
    armed = [reminders_on_cancelled(appointment=day) for day in days]
    # One email for the course: the first day's tells of every day (see reminders.emails); the others stay quiet.
    later = [r.pk for rows in armed[1:] for r in rows if r.kind == Reminder.Kind.CANCELLATION]
    Reminder.objects.filter(pk__in=later, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SKIPPED, skip_reason=SKIP_WITH_FIRST_DAY, updated_at=now
    )
    return days
