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
