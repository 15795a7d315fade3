"""Celery tasks: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from integrations.hl7 import services


@shared_task(name="integrations.tasks.siu_deliver", bind=True, ignore_result=True)
def siu_deliver(self) -> int:
    """Send the waiting SIU messages in order; when the EHR cannot be reached, try again after the backoff
    (the beat sweep every minute also wakes it, so a lost retry loses nothing)."""
    answered, retry_in = services.siu_deliver_pending()
    if retry_in:
        self.apply_async(countdown=retry_in)
    return answered
