"""After the visit: the patient's "I'm fine" / "I have symptoms", and the nurses' follow-up of it."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from replies.models import AfterVisitAnswer, SymptomOption
from replies.services import queues_changed
from replies.services.confirm import ReplyError
from scheduling.models import Appointment, InfusionReaction

A = AfterVisitAnswer.Answer
O = AfterVisitAnswer.Outcome  # noqa: E741
DEFAULT_WINDOW_HOURS = 24  # drugs without a recorded window: the anti-CD20 message of "the 24 hours after"

# How long ago "when did it start" puts the start, for the reaction's time.
STARTED_AGO = {
    AfterVisitAnswer.Started.LAST_HOUR: datetime.timedelta(minutes=30),
    AfterVisitAnswer.Started.FEW_HOURS: datetime.timedelta(hours=3),
    AfterVisitAnswer.Started.TODAY: datetime.timedelta(hours=8),
    AfterVisitAnswer.Started.YESTERDAY: datetime.timedelta(hours=24),
}


def window_hours(appointment: Appointment) -> int:
    return appointment.phase.drug.reaction_window_hours or DEFAULT_WINDOW_HOURS


def window_end(appointment: Appointment) -> datetime.datetime | None:
    """When the drug's reaction window after this visit ends (None before discharge)."""
    if appointment.discharged_at is None:
        return None
    return appointment.discharged_at + datetime.timedelta(hours=window_hours(appointment))


def can_answer(appointment: Appointment) -> bool:
    return appointment.status == Appointment.Status.COMPLETED


def symptom_options(appointment: Appointment) -> list[SymptomOption]:
    return list(SymptomOption.objects.filter(drug_id=appointment.phase.drug_id))


@transaction.atomic
def patient_fine(*, appointment: Appointment) -> AfterVisitAnswer:
    """'I'm fine'. Answering it again changes nothing."""
    if not can_answer(appointment):
        raise ReplyError("This visit is not finished, so there is nothing to answer yet.")
    existing = AfterVisitAnswer.objects.filter(appointment=appointment, answer=A.FINE).first()
    if existing is not None:
        return existing
    answer = AfterVisitAnswer(appointment=appointment, answer=A.FINE, answered_at=timezone.now())
    answer.save()
    queues_changed()
    return answer


@transaction.atomic
def patient_symptoms(
    *, appointment: Appointment, symptom_ids, other: str, started: str, callback_phone: str
) -> AfterVisitAnswer:
    """'I have symptoms': one open report per visit; sending the form again adds to it, it does not duplicate it."""
    if not can_answer(appointment):
        raise ReplyError("This visit is not finished, so there is nothing to answer yet.")
    list(Appointment.objects.select_for_update(of=("self",)).filter(pk=appointment.pk))  # one report at a time
    chosen = list(SymptomOption.objects.filter(drug_id=appointment.phase.drug_id, pk__in=list(symptom_ids)))
    other = " ".join((other or "").split())[:300]
    if not chosen and not other:
        raise ReplyError("Tick at least one symptom, or describe it in your own words.")
    if started and started not in AfterVisitAnswer.Started.values:
        raise ReplyError("Choose when it started.")
    report = AfterVisitAnswer.objects.filter(appointment=appointment, answer=A.SYMPTOMS, closed_at__isnull=True).first()
    if report is None:
        report = AfterVisitAnswer(appointment=appointment, answer=A.SYMPTOMS)
    elif other and report.other_symptoms and other not in report.other_symptoms:
        other = f"{report.other_symptoms}; {other}"[:300]
    report.answered_at = timezone.now()
    report.other_symptoms = other or report.other_symptoms
    report.started = started or report.started
    report.callback_phone = " ".join((callback_phone or "").split())[:40] or report.callback_phone
    report.urgent = report.urgent or any(option.urgent for option in chosen)
    report.save()
    report.symptoms.add(*chosen)
    queues_changed()
    return report


def _reaction_time(appointment: Appointment, report: AfterVisitAnswer | None) -> datetime.datetime:
    """When the reaction began, as near as the patient's answer tells, never before the infusion started."""
    now = timezone.now()
    moment = now - STARTED_AGO.get(report.started, datetime.timedelta()) if report and report.started else now
    floor = appointment.discharged_at or appointment.infusion_started_at or appointment.premed_start
    return max(moment, floor)


@transaction.atomic
def follow_up_close(
    *,
    appointment: Appointment,
    outcome: str,
    note: str,
    user,
    report: AfterVisitAnswer | None = None,
    severity: str = "",
    reaction_symptoms: str = "",
) -> AfterVisitAnswer:
    """A nurse records what came of the follow-up. 'Recorded as a reaction' records an InfusionReaction through
    the visit service, so the eligibility rules (e.g. no shortened infusion after a serious one) read it."""
    from scheduling.services.visits import VisitError, reaction_record

    if outcome not in O.values:
        raise ReplyError("Choose the outcome of the follow-up.")
    note = (note or "").strip()
    if report is not None:
        report = AfterVisitAnswer.objects.select_for_update().get(pk=report.pk)
        if report.closed_at is not None:
            raise ReplyError("This follow-up was already closed by another nurse.")
    else:
        list(Appointment.objects.select_for_update(of=("self",)).filter(pk=appointment.pk))
        if AfterVisitAnswer.objects.filter(appointment=appointment).exists():
            raise ReplyError("The patient has answered or the call is already recorded.")
        report = AfterVisitAnswer(appointment=appointment, answer=A.NO_ANSWER, answered_at=timezone.now())
    reaction = None
    if outcome == O.REACTION:
        if severity not in InfusionReaction.Severity.values:
            raise ReplyError("Choose the severity of the reaction.")
        symptoms = (reaction_symptoms or "").strip() or describe(report) or note
        if not symptoms:
            raise ReplyError("Describe the symptoms of the reaction in the note.")
        try:
            reaction = reaction_record(
                appointment=appointment,
                occurred_at=_reaction_time(appointment, report if report.pk else None),
                severity=severity,
                symptoms=symptoms,
                action_taken=note or "Followed up by phone after the visit.",
                user=user,
            )
        except VisitError as exc:
            raise ReplyError(exc.message) from exc
    report.outcome = outcome
    report.outcome_note = note
    report.closed_at = timezone.now()
    report.closed_by = user
    report.reaction = reaction
    report._history_user = user
    report.save()
    queues_changed()
    return report


def describe(report: AfterVisitAnswer) -> str:
    """The patient's symptoms in one line (for the queue and the reaction record)."""
    if report.pk is None:
        return ""
    parts = [option.label for option in report.symptoms.all()]
    if report.other_symptoms:
        parts.append(report.other_symptoms)
    return "; ".join(parts)
