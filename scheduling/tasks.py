"""Celery tasks of planning: thin wrappers that take ids and call a service (the reminder tasks are in
scheduling/reminders/tasks.py)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


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


@shared_task(
    name="scheduling.tasks.forecast_refresh",
    ignore_result=True,
    soft_time_limit=settings.FORECAST_REFRESH_TIME_LIMIT_SECONDS,
    time_limit=settings.FORECAST_REFRESH_TIME_LIMIT_SECONDS + 60,
)
def forecast_refresh() -> int | None:
    """Beat, and queued when a search or the forecast page finds none for today: the six-month forecast worked out
    and stored for slot search and the forecast page. Returns the snapshot's id (None: a fresh one was there)."""
    from scheduling.services.planning_refresh import forecast_refresh as refresh

    snapshot = refresh(unless_newer_than=settings.FORECAST_REFRESH_SKIP_SECONDS)
    return snapshot.pk if snapshot is not None else None
