"""The demo center's patient replies: confirmed and unconfirmed bookings, a call to confirm, an another-time
request, after-visit answers with an open symptom report, and a waitlisted patient for a freed chair time.

Called by `manage.py demo_center` once the bookings exist; everything goes through the same services as the app.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from replies.models import AfterVisitAnswer, CallAttempt, FreedTime, WaitlistEntry
from replies.services import after_visit, confirm, waitlist
from replies.services.confirm import ReplyError
from scheduling.models import Appointment

S = Appointment.Status


def demo_replies_delete(patients) -> None:
    """Before the demo's appointments go: the freed times they left (the rest cascades with them)."""
    FreedTime.objects.filter(source__patient__in=patients).delete()
    FreedTime.objects.filter(source__isnull=True, filled_by__isnull=True, offers__isnull=True).delete()


def demo_replies(*, patients, scheduler, nurse, rng: random.Random) -> None:
    now = timezone.now()
    upcoming = list(
        Appointment.objects.filter(patient__in=patients, status=S.SCHEDULED, premed_start__gt=now)
        .select_related("patient", "plan", "phase__drug")
        .order_by("premed_start")
    )
    emailed = [a for a in upcoming if a.patient.can_receive_reminders]
    # About two in three of the coming visits confirmed from the email; the rest still open.
    for appointment in emailed:
        if rng.random() < 0.65:
            confirm.patient_confirm(appointment=appointment)
    # The front desk has tried one of the patients without email once already.
    calls = [
        a for a in upcoming if not a.patient.can_receive_reminders and a.premed_start < now + datetime.timedelta(days=7)
    ]
    if calls:
        confirm.call_record(appointment=calls[0], outcome=CallAttempt.Outcome.NO_ANSWER, note="", user=scheduler)
    # One patient asked for another time from the email.
    later = [a for a in emailed if a.premed_start > now + datetime.timedelta(days=3) and not a.course_id]
    if later:
        confirm.patient_ask_another_time(
            appointment=later[-1], weekdays=[1, 3], note="Mornings are easier for me, after school drop-off."
        )
    _after_visit(patients, nurse, rng, now)
    # Only the visit the patient asked to move is spoken for; the other later visits can still free a time.
    _waitlist(upcoming, later[-1:], scheduler)


def _after_visit(patients, nurse, rng: random.Random, now: datetime.datetime) -> None:
    recent = list(
        Appointment.objects.filter(
            patient__in=patients, status=S.COMPLETED, discharged_at__gte=now - datetime.timedelta(days=2)
        )
        .select_related("patient", "phase__drug")
        .order_by("-discharged_at")
    )
    for number, appointment in enumerate(recent):
        options = after_visit.symptom_options(appointment)
        if number == 0 and options:
            mild = [o for o in options if not o.urgent]
            after_visit.patient_symptoms(
                appointment=appointment,
                symptom_ids=[o.pk for o in mild[:2]],
                other="An itchy rash on my arms since this evening",
                started=AfterVisitAnswer.Started.FEW_HOURS,
                callback_phone=appointment.patient.phone,
            )
        elif number == 1 and options:
            dizzy = [o for o in options if "Dizziness" in o.label] or options[:1]
            report = after_visit.patient_symptoms(
                appointment=appointment,
                symptom_ids=[o.pk for o in dizzy],
                other="",
                started=AfterVisitAnswer.Started.YESTERDAY,
                callback_phone=appointment.patient.phone,
            )
            after_visit.follow_up_close(
                appointment=appointment,
                report=report,
                outcome=AfterVisitAnswer.Outcome.ADVISED,
                note="Mild, settled with fluids and rest; call again if it returns.",
                user=nurse,
            )
        elif rng.random() < 0.6 and appointment.patient.can_receive_reminders:
            after_visit.patient_fine(appointment=appointment)


def _waitlist(upcoming, taken, scheduler) -> None:
    """Cancel a visit in the coming days (a patient with a cold) and put patients whose booked dose could move
    into the freed time on the waitlist; the scheduler's waitlist page then offers them, ranked. Until two patients
    wait, the next visit in the coming days frees a time too: a later step of the demo (a Tysabri dose given at the
    hospital, scheduling/demo/attention.py) can move one waiting patient's dose out of reach."""
    soon = [a for a in upcoming if not a.course_id and a.premed_start > timezone.now() + datetime.timedelta(days=1)]
    soon = [a for a in soon if a not in taken][:6]
    added = 0
    for freed_source in soon:
        later = [
            a
            for a in upcoming
            if not a.course_id
            and a.pk != freed_source.pk
            and a.patient_id != freed_source.patient_id
            and a.phase.drug_id == freed_source.phase.drug_id
            and (a.premed_start - freed_source.premed_start).days >= 3
        ]
        if not later or WaitlistEntry.objects.filter(appointment=freed_source).exists():
            continue
        from scheduling.services.booking import appointment_cancel

        appointment_cancel(
            appointment=freed_source, reason="Patient unwell (a cold): will call to rebook", user=scheduler
        )
        freed = FreedTime.objects.filter(source=freed_source).first()
        for appointment in later:
            if WaitlistEntry.objects.filter(plan=appointment.plan, status=WaitlistEntry.Status.WAITING).exists():
                continue
            try:
                entry = waitlist.waitlist_add(
                    plan=appointment.plan,
                    appointment=appointment,
                    weekdays=[],
                    note="Any day, any time",
                    user=scheduler,
                )
            except ReplyError:
                continue
            if freed is None or waitlist.candidate_for(entry, freed) is None:
                entry.delete()
                continue
            added += 1
            if added == 2:
                return
