"""Sign-in lock-outs (django-axes records, per username and address): what managers see and lift."""

from __future__ import annotations

import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import LockoutRelease
from infusion_center.client_ip import client_ip


def cooloff() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)


def recent_failures():
    """Failed sign-ins still counting (within the cool-off), newest first, each marked locked or not."""
    since = timezone.now() - cooloff()
    attempts = list(AccessAttempt.objects.filter(attempt_time__gte=since).order_by("-attempt_time"))
    for attempt in attempts:
        attempt.locked = attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT
        attempt.unlocks_at = attempt.attempt_time + cooloff()
    return attempts


class LockoutError(Exception):
    pass


@transaction.atomic
def lockout_clear(*, attempt_id: int, user, request) -> LockoutRelease:
    """Lift one lock-out (delete its failures) and record who did it, when and from where."""
    attempt = AccessAttempt.objects.select_for_update().filter(pk=attempt_id).first()
    if attempt is None:
        raise LockoutError("That lock-out has already ended or been lifted.")
    release = LockoutRelease.objects.create(
        username=attempt.username or "",
        ip_address=attempt.ip_address,
        failures=attempt.failures_since_start,
        released_by=user,
        released_by_username=user.get_username(),
        released_from=client_ip(request),
    )
    attempt.delete()
    return release


def recent_releases(limit: int = 20) -> list[LockoutRelease]:
    return list(LockoutRelease.objects.all()[:limit])
