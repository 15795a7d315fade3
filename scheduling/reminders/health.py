"""Is the mail server failing? Read from the outbox itself: reminders being retried after a failure, with
nothing sent since the first of those failures, for longer than REMINDERS_MAIL_ALERT_MINUTES."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from scheduling.models import Reminder


@dataclass(frozen=True)
class MailOutage:
    since: datetime.datetime
    minutes: int
    waiting: int
    last_error: str


def mail_outage(*, now: datetime.datetime | None = None) -> MailOutage | None:
    now = now or timezone.now()
    retrying = Reminder.objects.filter(
        status__in=(Reminder.Status.PENDING, Reminder.Status.SENDING), failing_since__isnull=False
    )
    since = retrying.aggregate(first=Min("failing_since"))["first"]
    if since is None or now - since < datetime.timedelta(minutes=settings.REMINDERS_MAIL_ALERT_MINUTES):
        return None
    if Reminder.objects.filter(sent_at__gte=since).exists():
        return None  # some mail goes through: single bad addresses, not the server
    latest = retrying.order_by("-updated_at").values_list("last_error", flat=True).first() or ""
    return MailOutage(
        since=since,
        minutes=int((now - since).total_seconds() // 60),
        waiting=retrying.count(),
        last_error=latest[:200],
    )
