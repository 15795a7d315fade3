"""Reads for the queues and the status marks on the staff pages (a fixed number of queries each)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from infusion_center import formats
from replies.models import AfterVisitAnswer, AnotherTimeRequest, CallAttempt, Confirmation, WaitlistEntry
from replies.services.after_visit import window_hours
from scheduling.models import Appointment

S = Appointment.Status
CALL_HORIZON_DAYS = 7  # the front desk calls about the coming week's visits
CALL_WITHIN_DAYS = 3  # a visit whose window ended without an answer is up for a call for this long
LONGEST_WINDOW = datetime.timedelta(days=14)  # bounds the query; windows are hours to a few days

# --- confirmation -----------------------------------------------------------------------------------------------

UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class ConfirmationMark:
    code: str  # confirmed, another_time, cancelled, unconfirmed
    label: str
    detail: str = ""


def confirmation_marks(appointments: Iterable[Appointment]) -> dict[int, ConfirmationMark]:
    """For scheduled appointments: whether the patient confirmed the visit as it is booked now."""
    appointments = [a for a in appointments if a.status == S.SCHEDULED]
    answers = {c.appointment_id: c for c in Confirmation.objects.filter(appointment__in=[a.pk for a in appointments])}
    marks = {}
    for appointment in appointments:
        answer = answers.get(appointment.pk)
        if answer is None or not answer.holds_for(appointment):
            detail = "moved since the patient answered" if answer is not None else ""
            marks[appointment.pk] = ConfirmationMark(UNCONFIRMED, "Not confirmed", detail)
            continue
        when = timezone.localtime(answer.answered_at)
        how = "by phone" if answer.channel == "phone" else "online"
        marks[appointment.pk] = ConfirmationMark(
            answer.answer, answer.get_answer_display(), f"{how}, {formats.day_month_time(when)}"
        )
    return marks


def calls_to_confirm(now: datetime.datetime | None = None) -> list[dict]:
    """The coming week's booked visits of patients who get no emails and have not confirmed."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=CALL_HORIZON_DAYS)
    no_email = (
        Q(patient__reminder_consent=False) | Q(patient__email="") | Q(patient__reminders_opted_out_at__isnull=False)
    )
    rows = list(
        Appointment.objects.filter(no_email, status=S.SCHEDULED, premed_start__gt=now, premed_start__lte=horizon)
        .select_related("patient", "phase__drug", "chair")
        .prefetch_related(Prefetch("call_attempts", queryset=CallAttempt.objects.order_by("-called_at", "-id")))
        .order_by("premed_start", "pk")  # visits at the same time in the order they were booked, every time
    )
    marks = confirmation_marks(rows)
    result = []
    courses_listed = set()
    for appointment in rows:
        mark = marks[appointment.pk]
        if mark.code != UNCONFIRMED or (appointment.course_id and appointment.course_id in courses_listed):
            continue  # one call covers a whole course
        courses_listed.add(appointment.course_id)
        attempts = list(appointment.call_attempts.all())
        result.append({"appointment": appointment, "patient": appointment.patient, "attempts": attempts})
    return result


def another_time_requests():
    return (
        AnotherTimeRequest.objects.filter(handled_at__isnull=True, appointment__status=S.SCHEDULED)
        .select_related("appointment__patient", "appointment__phase__drug", "appointment__chair")
        .order_by("requested_at", "id")
    )


def waitlist():
    return (
        WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING)
        .select_related("plan__patient", "plan__drug", "appointment")
        .order_by("created_at", "id")
    )


# --- after the visit --------------------------------------------------------------------------------------------


@dataclass
class FollowUp:
    appointment: Appointment
    report: AfterVisitAnswer | None  # None: no answer by the end of the window
    window_hours: int
    window_end: datetime.datetime

    @property
    def urgent(self) -> bool:
        return bool(self.report and self.report.urgent)

    @property
    def kind(self) -> str:
        if self.report is None:
            return "no_answer"
        return "urgent" if self.report.urgent else "symptoms"

    @property
    def sort_key(self) -> tuple:
        order = {"urgent": 0, "symptoms": 1, "no_answer": 2}[self.kind]
        when = self.report.answered_at if self.report is not None else self.window_end
        return (order, when, self.appointment.pk)


def follow_up_queue(now: datetime.datetime | None = None) -> list[FollowUp]:
    """Open symptom reports (urgent signs first, then the oldest), then visits whose reaction window has ended
    without any answer: the nurse calls those patients."""
    now = now or timezone.now()
    reports = list(
        AfterVisitAnswer.objects.filter(answer=AfterVisitAnswer.Answer.SYMPTOMS, closed_at__isnull=True)
        .select_related("appointment__patient", "appointment__phase__drug")
        .prefetch_related("symptoms")
    )
    items = [FollowUp(r.appointment, r, window_hours(r.appointment), _end(r.appointment)) for r in reports]
    silent = (
        Appointment.objects.filter(
            status=S.COMPLETED,
            discharged_at__gte=now - datetime.timedelta(days=CALL_WITHIN_DAYS) - LONGEST_WINDOW,
            discharged_at__lte=now - datetime.timedelta(hours=1),
        )
        .exclude(pk__in=AfterVisitAnswer.objects.values("appointment_id"))
        .select_related("patient", "phase__drug")
    )
    for appointment in silent:
        end = _end(appointment)
        if now - datetime.timedelta(days=CALL_WITHIN_DAYS) <= end <= now:
            items.append(FollowUp(appointment, None, window_hours(appointment), end))
    return sorted(items, key=lambda item: item.sort_key)


def _end(appointment: Appointment) -> datetime.datetime:
    return appointment.discharged_at + datetime.timedelta(hours=window_hours(appointment))


def after_visit_answers(appointment: Appointment) -> list[AfterVisitAnswer]:
    return list(appointment.after_visit_answers.prefetch_related("symptoms").order_by("answered_at", "id"))


NAV_CACHE_SECONDS = 30  # every page shows the counts; a few seconds' lag is fine, a query per page is not
NAV_CACHE_KEY = "replies:nav-counts:{name}"


def _cached_count(name: str, compute) -> int:
    from infusion_center.shared_figures import shared_figure

    return shared_figure(NAV_CACHE_KEY.format(name=name), compute, NAV_CACHE_SECONDS)


def nav_counts_changed() -> None:
    """After a write to a queue: this process shows the new counts at once (others within a few seconds)."""
    from infusion_center.shared_figures import forget_shared_figures

    forget_shared_figures(*(NAV_CACHE_KEY.format(name=name) for name in ("follow_up", "replies")))


def nav_counts(user) -> dict[str, int]:
    """The counts next to the queues in the navigation, for the roles that work them (the same for everyone)."""
    counts = {}
    if user.has_perm("scheduling.add_infusionreaction"):
        counts["follow_up"] = _cached_count("follow_up", lambda: len(follow_up_queue()))
    if user.has_perm("scheduling.change_appointment"):
        counts["replies"] = _cached_count("replies", lambda: len(calls_to_confirm()) + another_time_requests().count())
    return counts


def cutoff_hours() -> int:
    return settings.PATIENT_CANCEL_CUTOFF_HOURS
