"""Demo data for the "Needs attention" queue: the demo's bookings re-derived, then a chair out of order for a day
and a dose given elsewhere."""

from __future__ import annotations

import datetime
from collections import Counter

from django.utils import timezone

from scheduling.models import Appointment, Closure, OutsideDose
from scheduling.selectors.history import PENDING_STATUSES
from scheduling.services.derive import derive_future

REASON = "Footrest broken; repair booked"


def demo_needs_attention(*, today: datetime.date, user, note: str) -> int:
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
        closure = Closure(chair_id=chair_id, starts_on=day, ends_on=day, reason=f"{REASON} ({note})")
        closure._history_user = user
        closure.save()
    # a Tysabri patient was given a dose at the hospital yesterday: their booked dose is now too early
    tysabri = booked.filter(plan__drug__name="Tysabri", plan__status="active").select_related("plan").first()
    if tysabri is not None:
        outside = OutsideDose(
            patient_id=tysabri.patient_id,
            drug_id=tysabri.plan.drug_id,
            phase_id=tysabri.phase_id,
            given_on=today - datetime.timedelta(days=1),
            dose_mg=tysabri.dose_mg,
            source=f"Given at the hospital during an admission, discharge letter ({note})",
            recorded_by=user,
        )
        outside._history_user = user
        outside.save()
    return (
        Appointment.objects.filter(status__in=PENDING_STATUSES, attention_accepted_at__isnull=True)
        .exclude(attention_reason="")
        .count()
    )
