"""Celery tasks: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from integrations import services as integration_services
from integrations.hl7 import services


@shared_task(name="integrations.tasks.siu_deliver", bind=True, ignore_result=True)
def siu_deliver(self) -> int:
    """Send the waiting SIU messages in order; when the EHR cannot be reached, try again after the backoff
    (the beat sweep every minute also wakes it, so a lost retry loses nothing)."""
    answered, retry_in = services.siu_deliver_pending()
    if retry_in:
        self.apply_async(countdown=retry_in)
    return answered


# an import of thousands of patients takes minutes, far longer than the default limits made for emails
@shared_task(
    name="integrations.tasks.import_batch_run",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
)
def import_batch_run(batch_id: int) -> str:
    """Check or import one uploaded batch (a redelivered task finds it done and does nothing)."""
    return integration_services.import_batch_run(batch_id=batch_id)
