"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from replies.services import waitlist


@shared_task(name="replies.tasks.waitlist_offers_send", acks_late=True, ignore_result=True)
def waitlist_offers_send(freed_id: int) -> int:
    return waitlist.offers_send(freed_id=freed_id)


@shared_task(name="replies.tasks.waitlist_offers_sweep", ignore_result=True)
def waitlist_offers_sweep() -> int:
    return waitlist.offers_sweep()
