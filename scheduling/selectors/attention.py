"""Reads for the "Needs attention" queue: bookings the dose history or the center no longer fits."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from scheduling.models import Appointment
from scheduling.selectors.history import PENDING_STATUSES


def _future() -> QuerySet[Appointment]:
    today = timezone.localdate()
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=timezone.get_current_timezone())
    return Appointment.objects.filter(status__in=PENDING_STATUSES, premed_start__gte=start).exclude(attention_reason="")


def needing_attention() -> QuerySet[Appointment]:
    """Flagged future bookings not accepted after review, soonest first."""
    return (
        _future()
        .filter(attention_accepted_at__isnull=True)
        .select_related("patient", "phase", "phase__drug", "chair")
        .order_by("premed_start")
    )


def accepted_after_review() -> QuerySet[Appointment]:
    return (
        _future()
        .filter(attention_accepted_at__isnull=False)
        .select_related("patient", "phase", "phase__drug", "chair", "attention_accepted_by")
        .order_by("premed_start")
    )


def attention_count() -> int:
    return _future().filter(attention_accepted_at__isnull=True).count()
