"""Re-optimisation proposals: moves that lower the coming weeks' peaks, proposed to a scheduler, applied only when
accepted - each as a normal reschedule through the booking service (every rule re-checked, history, emails).

Which bookings may move: scheduled ones not confirmed by the patient (`is_confirmed_by_patient`), more than
REOPTIMISE_MIN_DAYS_AHEAD days away, inside their own dose window. A dose with a later dose of its plan already
booked keeps its day (moving it would move the next dose's window) and may change time; the days of a
consecutive-day course stay as they are (a course moves as a whole, and the booking service moves one day at a time).
"""

from __future__ import annotations

import datetime
import logging

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from scheduling.engine.levelload import Item, Placement, Weights, apply_placements, day_peaks, solve
from scheduling.models import Appointment, ProposedMove, ReoptimisationProposal
from scheduling.selectors.center import center_for_range, center_tz, day_bounds
from scheduling.services.booking import (
    BookingError,
    _appointment_dose,
    appointment_reschedule,
    plan_state,
    slot_step_minutes,
)

logger = logging.getLogger(__name__)
MOVE_WEIGHTS = Weights(daily_peaks=1000, moved=40, off_target=10, retimed=15)


def is_confirmed_by_patient(appointment: Appointment) -> bool:
    """Whether the patient has confirmed this booking (a confirmed booking is never proposed to move).

    Nothing records a patient's confirmation yet, so every scheduled booking counts as unconfirmed: change this
    one function when a confirmation is recorded.
    """
    return False


def may_move(appointment: Appointment, *, first_day: datetime.date) -> bool:
    local_day = timezone.localtime(appointment.premed_start, center_tz()).date()
    return (
        appointment.status == Appointment.Status.SCHEDULED
        and local_day >= first_day
        and not is_confirmed_by_patient(appointment)
    )


def _today() -> datetime.date:
    return timezone.localdate(timezone.now(), center_tz())


@transaction.atomic
def proposal_request(*, user, enqueue: bool = True) -> ReoptimisationProposal:
    """Record a proposal to compute and queue the Celery task that computes it (after the commit)."""
    today = _today()
    days_ahead = settings.REOPTIMISE_MIN_DAYS_AHEAD
    proposal = ReoptimisationProposal.objects.create(
        first_day=today + datetime.timedelta(days=days_ahead + 1),
        last_day=today + datetime.timedelta(weeks=settings.REOPTIMISE_WEEKS),
        min_days_ahead=days_ahead,
        requested_by=user,
    )
    if enqueue:
        transaction.on_commit(lambda: _enqueue(proposal.pk))
    return proposal


def _enqueue(proposal_id: int) -> None:
    try:
        # named, not imported: the tasks module imports this one
        current_app.signature("scheduling.tasks.reoptimise_propose").apply_async((proposal_id,), retry=False)
    except Exception:  # the broker is down: say so on the proposal instead of leaving it queued for ever
        logger.warning("Could not queue re-optimisation %s", proposal_id, exc_info=True)
        ReoptimisationProposal.objects.filter(pk=proposal_id, status=ReoptimisationProposal.Status.QUEUED).update(
            status=ReoptimisationProposal.Status.FAILED,
            error="The task queue could not be reached; try again in a minute.",
            finished_at=timezone.now(),
        )


def proposal_compute(*, proposal_id: int, time_limit: float | None = None) -> ReoptimisationProposal:
    """Compute the moves of a queued proposal and store them. Moves nothing."""
    proposal = ReoptimisationProposal.objects.get(pk=proposal_id)
    if proposal.status not in (ReoptimisationProposal.Status.QUEUED, ReoptimisationProposal.Status.RUNNING):
        return proposal
    proposal.status = ReoptimisationProposal.Status.RUNNING
    proposal.save(update_fields=["status"])
    try:
        _compute(proposal, time_limit or settings.REOPTIMISE_TIME_LIMIT_SECONDS)
    except Exception as exc:
        logger.exception("Re-optimisation %s failed", proposal_id)
        ProposedMove.objects.filter(proposal=proposal).delete()
        proposal.status = ReoptimisationProposal.Status.FAILED
        proposal.error = f"The re-optimisation stopped: {exc.__class__.__name__}. Nothing was moved."
        proposal.finished_at = timezone.now()
        proposal.save()
        raise
    return proposal


def _compute(proposal: ReoptimisationProposal, time_limit: float) -> None:
    first, last = proposal.first_day, proposal.last_day
    tz = center_tz()
    center = center_for_range(first, last + datetime.timedelta(days=14))
    start, end = day_bounds(first, last)
    appointments = list(
        Appointment.objects.filter(
            status=Appointment.Status.SCHEDULED, premed_start__gte=start, premed_start__lt=end, course_id__isnull=True
        ).select_related("plan", "plan__patient", "phase")
    )
    states = {}
    items: list[Item] = []
    by_key: dict[int, Appointment] = {}
    for appointment in appointments:
        if not may_move(appointment, first_day=first):
            continue
        state = states.get(appointment.plan_id)
        if state is None:
            state = states[appointment.plan_id] = plan_state(appointment.plan)
        dose, times = _appointment_dose(state, appointment)
        later = [
            r
            for r in state.rows  # the patient's active bookings of this drug, across plans
            if r.premed_start > appointment.premed_start and r.pk != appointment.pk
        ]
        local = timezone.localtime(appointment.premed_start, tz)
        items.append(
            Item(
                key=appointment.pk,
                patient_id=appointment.patient_id,
                chair_times=times,
                earliest=max(dose.earliest, first),
                target=dose.target,
                latest=dose.latest,
                current=Placement(local.date(), local.hour * 60 + local.minute, (appointment.chair_id,)),
                booking_ids=(appointment.pk,),
                days_movable=not later,
                usual_chair=appointment.chair_id,
            )
        )
        by_key[appointment.pk] = appointment
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    before = day_peaks(center, days)
    moves = []
    solution = None
    if items:
        solution = solve(
            center.without(by_key),
            items,
            first=first,
            last=last,
            step=slot_step_minutes(),
            time_limit=time_limit,
            weights=MOVE_WEIGHTS,
        )
        after_center, moves = apply_placements(center, items, solution.placements)
        if max(day_peaks(after_center, days).values(), default=0) > max(day_peaks(center, days).values(), default=0):
            after_center, moves = center, []  # the moves that could be applied would make it worse: propose none
    else:
        after_center = center
    after = day_peaks(after_center, days)
    open_days = [d for d in days if center.rules(d).is_open]
    with transaction.atomic():
        ProposedMove.objects.filter(proposal=proposal).delete()
        ProposedMove.objects.bulk_create(
            ProposedMove(
                proposal=proposal,
                position=position,
                appointment=by_key[move.item.key],
                from_chair_id=move.old.chairs[0],
                from_start=by_key[move.item.key].premed_start,
                to_chair_id=move.new.chairs[0],
                to_start=center.aware(move.new.day, move.new.start),
                from_day_peak=[before.get(move.old.day, 0), after.get(move.old.day, 0)],
                to_day_peak=[before.get(move.new.day, 0), after.get(move.new.day, 0)],
            )
            for position, move in enumerate(moves)
        )
        proposal.peak_before = max((before[d] for d in open_days), default=0)
        proposal.peak_after = max((after[d] for d in open_days), default=0)
        proposal.daily_peaks = {d.isoformat(): [before[d], after[d]] for d in open_days}
        proposal.movable_count = len(items)
        proposal.solver_status = solution.status if solution else "NOTHING TO MOVE"
        proposal.solve_seconds = round(solution.seconds, 1) if solution else 0
        proposal.status = ReoptimisationProposal.Status.READY
        proposal.finished_at = timezone.now()
        proposal.save()


def moves_accept(*, proposal: ReoptimisationProposal, move_ids, user) -> list[ProposedMove]:
    """Apply the chosen moves, in the proposal's order, each as a normal reschedule. A move that no longer fits
    (the appointment changed, or the chair time was taken since) is refused with the reason; the others go on."""
    proposal = ReoptimisationProposal.objects.get(pk=proposal.pk)
    if proposal.status != ReoptimisationProposal.Status.READY:
        raise BookingError("This proposal is not ready: nothing was moved.")
    chosen = list(
        proposal.moves.filter(pk__in=list(move_ids), status=ProposedMove.Status.PROPOSED).select_related("appointment")
    )
    for move in chosen:
        move.decided_by = user
        move.decided_at = timezone.now()
        appointment = Appointment.objects.get(pk=move.appointment_id)
        changed = (
            appointment.status != Appointment.Status.SCHEDULED
            or appointment.premed_start != move.from_start
            or appointment.chair_id != move.from_chair_id
        )
        if changed:
            move.status = ProposedMove.Status.REFUSED
            move.refusal = "The appointment was changed or moved after the proposal was made; it was left as it is."
        else:
            try:
                appointment_reschedule(
                    appointment=appointment, chair_id=move.to_chair_id, premed_start=move.to_start, user=user
                )
            except BookingError as exc:
                move.status = ProposedMove.Status.REFUSED
                move.refusal = f"No longer fits: {exc.message}"
            else:
                move.status = ProposedMove.Status.ACCEPTED
        move.save(update_fields=["status", "refusal", "decided_by", "decided_at"])
    return chosen
