"""Celery tasks for staff accounts: thin wrappers that take plain values and call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.password_reset import reset_links_send


@shared_task(name="accounts.tasks.password_reset_send", ignore_result=True)
def password_reset_send(*, email: str = "", user_id: int | None = None, domain: str, use_https: bool) -> int:
    return reset_links_send(email=email, user_id=user_id, domain=domain, use_https=use_https)
