"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from scheduling.reminders import services


@shared_task(name="scheduling.tasks.reminders_sweep", ignore_result=True)
def reminders_sweep() -> int:
    """Every minute (beat): queue the reminders that are due. Returns how many were queued."""
    total = 0
    # Drain a backlog in one tick, a batch per transaction, without running forever.
    for _ in range(20):
        queued = len(services.reminders_sweep())
        total += queued
        if queued == 0:
            break
    return total


@shared_task(name="scheduling.tasks.reminders_send", acks_late=True, ignore_result=True)
def reminders_send(reminder_ids: list[int]) -> list[str]:
    """Send a chunk of reminders, each claimed on its own by a conditional update: a redelivered message is
    harmless. What the time budget leaves over stays pending for the next sweep, so no send is cut short by the
    soft time limit."""
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    return services.reminders_deliver(reminder_ids=reminder_ids, budget_seconds=budget)


@shared_task(name="scheduling.tasks.reminder_send", acks_late=True, ignore_result=True)
def reminder_send(reminder_id: int) -> str:
    """Send one reminder (messages queued one id at a time). Idempotent, like reminders_send."""
    return services.reminder_deliver(reminder_id=reminder_id)


@shared_task(
    name="scheduling.tasks.reoptimise_propose",
    ignore_result=True,
    soft_time_limit=settings.REOPTIMISE_TIME_LIMIT_SECONDS + 60,
    time_limit=settings.REOPTIMISE_TIME_LIMIT_SECONDS + 120,
)
def reoptimise_propose(proposal_id: int) -> str:
    """Compute a re-optimisation proposal (moves nothing). The solver stops itself within its time limit."""
    from scheduling.services.reoptimise import proposal_compute

    return proposal_compute(proposal_id=proposal_id).status


@shared_task(name="scheduling.tasks.next_doses_refresh", ignore_result=True)
def next_doses_refresh() -> int:
    """Nightly (beat): every plan's stored next dose again, so readiness judged "today" follows the calendar
    (a screening that expires, an overdue dose judged on the new day). Returns how many rows are stored."""
    from scheduling.services.next_dose import next_doses_refresh as refresh

    return refresh()
