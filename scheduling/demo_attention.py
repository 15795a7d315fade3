"""Demo data for the "Needs attention" queue: the demo's bookings re-derived, then a chair out of order for a day."""

from __future__ import annotations

import datetime
from collections import Counter

from django.utils import timezone

from scheduling.models import Appointment, Closure
from scheduling.services.derive import derive_future
from scheduling.services.history import PENDING_STATUSES

REASON = "Recliner motor broken; repair booked"


def demo_needs_attention(*, today: datetime.date, user) -> int:
    """Re-derive every booking (the stored values become the engine's), then close one chair for one day that has
    two or three bookings on it: they need attention. Returns how many bookings need attention."""
    derive_future(user=user)
    booked = Appointment.objects.filter(
        status=Appointment.Status.SCHEDULED,
        premed_start__gte=timezone.now() + datetime.timedelta(days=2),
        premed_start__lt=timezone.now() + datetime.timedelta(days=12),
    )
    per_chair_day = Counter((a.chair_id, timezone.localtime(a.premed_start).date()) for a in booked)
    candidates = sorted((day, chair) for (chair, day), n in per_chair_day.items() if 2 <= n <= 3)
    if candidates:
        day, chair_id = candidates[0]
        closure = Closure(chair_id=chair_id, starts_on=day, ends_on=day, reason=REASON)
        closure._history_user = user
        closure.save()
    return (
        Appointment.objects.filter(status__in=PENDING_STATUSES, attention_accepted_at__isnull=True)
        .exclude(attention_reason="")
        .count()
    )
