"""A mail-server outage of hours loses no reminder and sends each exactly once; staff see the outage and can
retry every failed reminder at once.

Found: with 5 attempts and backoff from one minute, an SMTP outage longer than ~19 minutes left every due
reminder failed for good, with no bulk retry and no alert.
"""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.reminders import services
from scheduling.reminders.health import mail_outage
from tests.clock import local
from tests.reminders import outage_backend
from tests.reminders.conftest import book
from tests.reminders.test_services import QUEUE, queued, queued_after_commit  # noqa: F401

pytestmark = pytest.mark.django_db
STATUS = Reminder.Status


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "tests.reminders.outage_backend.OutageBackend"
    outage_backend.DELIVERED.clear()
    yield outage_backend.DOWN_UNTIL
    outage_backend.DOWN_UNTIL["at"] = None


def _run_worker_for(minutes: int, time_machine) -> None:
    """Beat's sweep every minute and a worker sending what it queued, on a simulated clock."""
    for _ in range(minutes):
        services.reminders_sweep()
        ids = list(QUEUE)
        QUEUE.clear()
        services.reminders_deliver(reminder_ids=ids)
        time_machine.shift(datetime.timedelta(minutes=1))


def test_a_two_hour_smtp_outage_loses_nothing_and_sends_each_email_once(queued, smtp_down, settings, time_machine):  # noqa: F811
    assert settings.REMINDERS_RETRY_HOURS >= 24
    time_machine.move_to(timezone.now(), tick=False)
    smtp_down["at"] = timezone.now() + datetime.timedelta(hours=2)
    appointments = [book(premed_start=local(10 + i % 5, 9)) for i in range(40)]  # 40 confirmations due now

    _run_worker_for(30, time_machine)
    assert mail_outage() is not None  # staff are told while it lasts
    _run_worker_for(4 * 60, time_machine)  # the outage ends after two hours; backoff is at most an hour

    confirmations = Reminder.objects.filter(appointment__in=appointments, kind=Reminder.Kind.CONFIRMATION)
    assert Counter(confirmations.values_list("status", flat=True)) == {STATUS.SENT: 40}
    sent_to = Counter(tuple(m.to) for m in outage_backend.DELIVERED)
    assert len(sent_to) == 40 and set(sent_to.values()) == {1}  # each patient once
    assert all(r.attempts > settings.REMINDERS_MAX_ATTEMPTS for r in confirmations)  # it did need the longer window
    assert not confirmations.filter(failing_since__isnull=False).exists()
    assert mail_outage() is None


def test_a_reminder_fails_for_good_only_after_the_retry_window(queued, smtp_down, settings, time_machine):  # noqa: F811
    settings.REMINDERS_RETRY_HOURS = 24
    time_machine.move_to(timezone.now(), tick=False)
    smtp_down["at"] = timezone.now() + datetime.timedelta(days=30)
    appointment = book(premed_start=local(20, 9))
    confirmation = appointment.reminders.get(kind=Reminder.Kind.CONFIRMATION)
    start = timezone.now()
    while True:
        _run_worker_for(1, time_machine)
        confirmation.refresh_from_db()
        if confirmation.status == STATUS.FAILED:
            break
        assert timezone.now() - start < datetime.timedelta(hours=27)
    assert timezone.now() - start >= datetime.timedelta(hours=24)


def test_the_outage_shows_on_the_outbox_and_in_the_mail_health_check(queued, smtp_down, client, time_machine, nurse):  # noqa: F811
    time_machine.move_to(timezone.now(), tick=False)
    smtp_down["at"] = timezone.now() + datetime.timedelta(hours=2)
    book(premed_start=local(10, 9))
    _run_worker_for(5, time_machine)
    health = client.get("/healthz/mail/")
    assert (health.status_code, health.content) == (200, b"ok"), health  # too short to alert
    _run_worker_for(20, time_machine)
    health = client.get("/healthz/mail/")
    assert health.status_code == 503 and b"mail failing since" in health.content

    client.force_login(nurse)
    assert "The mail server has been failing" in client.get("/outbox/").content.decode()

    smtp_down["at"] = None
    _run_worker_for(70, time_machine)
    assert Client().get("/healthz/mail/").content == b"ok"


def test_staff_retry_every_failed_reminder_at_once(queued, client, settings, nurse, scheduler):  # noqa: F811
    appointments = [book(premed_start=local(10, 9)) for _ in range(3)]
    Reminder.objects.filter(kind=Reminder.Kind.CONFIRMATION).update(status=STATUS.FAILED, attempts=5, last_error="x")
    QUEUE.clear()
    client.force_login(nurse)
    assert client.post(reverse("scheduling:reminders-retry-failed")).status_code == 403
    assert Reminder.objects.filter(status=STATUS.FAILED).count() == 3

    client.force_login(scheduler)
    page = client.get("/outbox/").content.decode()
    assert "Retry all 3 failed emails" in page
    response = client.post(reverse("scheduling:reminders-retry-failed"), follow=True)
    assert "3 failed reminders queued to be sent again." in response.content.decode()
    assert not Reminder.objects.filter(status=STATUS.FAILED).exists()
    assert sorted(QUEUE) == sorted(a.reminders.get(kind=Reminder.Kind.CONFIRMATION).pk for a in appointments)
