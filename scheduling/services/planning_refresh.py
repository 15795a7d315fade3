"""The stored six-month forecast: worked out by a Celery task (beat every few minutes, and on demand when none
is stored for today), read by slot search and the forecast page, which never work it out themselves.

At a large center the forecast reads every active plan's dose history and plans the coming weeks: seconds of CPU
that a scheduler waiting for a time must not pay. The ceiling moves slowly (a new plan or a few bookings barely
change it), so minutes-old figures are as good a planning aid as fresh ones.
"""

from __future__ import annotations

import logging
import pickle
import time

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from scheduling.engine.forecast import Ceiling
from scheduling.models import PlanningSnapshot
from scheduling.selectors import planning

logger = logging.getLogger(__name__)

TASK = "scheduling.tasks.forecast_refresh"
QUEUED_KEY = "planning-forecast-refresh-queued"
SNAPSHOTS_KEPT = 3  # the newest is used; the two before it stay for a look at how the figures moved


def forecast_refresh(*, unless_newer_than: float | None = None) -> PlanningSnapshot | None:
    """Work out today's forecast and store the ceiling and the page's figures; keep the last few. With
    `unless_newer_than` (seconds), nothing is done when today's stored one is that recent (a refresh queued by
    several processes at once runs once). Returns the snapshot stored, or None."""
    cache.delete(QUEUED_KEY)  # a search from now on may queue the next one
    if unless_newer_than is not None:
        newest = PlanningSnapshot.objects.values("for_date", "computed_at").first()
        age = (timezone.now() - newest["computed_at"]).total_seconds() if newest else None
        if newest and newest["for_date"] == planning.today() and age < unless_newer_than:
            return None
    as_of, started = timezone.now(), time.perf_counter()  # "as of": when its rows were read
    result = planning.center_forecast()  # seconds of reading and planning: outside the transaction
    seconds = time.perf_counter() - started
    with transaction.atomic():
        snapshot = PlanningSnapshot.objects.create(
            computed_at=as_of,
            for_date=result.first,
            seconds=seconds,
            ceiling=pickle.dumps(result.ceiling, protocol=pickle.HIGHEST_PROTOCOL),
            summary=pickle.dumps(planning.forecast_summary(result), protocol=pickle.HIGHEST_PROTOCOL),
        )
        kept = list(PlanningSnapshot.objects.values_list("pk", flat=True)[:SNAPSHOTS_KEPT])
        PlanningSnapshot.objects.exclude(pk__in=kept).delete()
    logger.info("Forecast from %s stored in %.1f s", result.first, snapshot.seconds)
    return snapshot


def forecast_refresh_request() -> bool:
    """Queue the refresh task, at most once per FORECAST_REFRESH_QUEUED_SECONDS in this process (the default cache
    is each process's own; the task itself skips a refresh another queued just before). Never raises: without a
    broker the beat's next run, or the next request after the lock, tries again. True when queued."""
    if not cache.add(QUEUED_KEY, True, settings.FORECAST_REFRESH_QUEUED_SECONDS):
        return False
    try:
        # named, not imported: the tasks module imports this one
        current_app.signature(TASK).apply_async(retry=False)
    except Exception:
        logger.warning("Could not queue the forecast refresh", exc_info=True)
        return False
    return True


def ceiling_for_search() -> Ceiling | None:
    """The stored ceiling slot search plans against; without one for today, None (slots are ranked without it)
    and the refresh is queued."""
    ceiling = planning.search_ceiling()
    if ceiling is None:
        forecast_refresh_request()
    return ceiling
