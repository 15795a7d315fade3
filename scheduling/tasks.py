"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

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


@shared_task(name="scheduling.tasks.reminder_send", acks_late=True, ignore_result=True)
def reminder_send(reminder_id: int) -> str:
    """Send one reminder. Idempotent (claimed by a conditional update), so a redelivered message is harmless."""
    return services.reminder_deliver(reminder_id=reminder_id)
