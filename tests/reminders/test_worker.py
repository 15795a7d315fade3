"""Reminders through a real Celery worker on real Redis and PostgreSQL, and what happens when things break.

Run with DATABASE_URL (PostgreSQL) and REDIS_URL set; skipped otherwise.
"""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from infusion_center.celery import app as celery_app
from scheduling.models import Reminder
from scheduling.reminders.tasks import reminders_sweep
from tests.celery_worker import worker
from tests.clock import local
from tests.reminders.conftest import book, cancel, reschedule

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)"),
]

KIND = Reminder.Kind
STATUS = Reminder.Status
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def beat(every: float = 0.5):
    """Calls the sweep through the broker on a schedule, as beat does every minute in production."""
    stop = threading.Event()

    def tick():
        while not stop.wait(every):
            reminders_sweep.delay()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def wait_for(condition, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def subjects():
    return [m.subject.split(" at ")[0].split(":")[0] for m in mail.outbox]


def test_beat_schedule_sweeps_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["reminders-sweep"]
    assert entry["task"] == reminders_sweep.name and entry["schedule"] == 60.0
    assert reminders_sweep.name in celery_app.tasks


def test_booking_rebooking_and_cancelling_through_the_worker(settings):
    # The preparation reminder falls due a few seconds after booking: only the sweep can send it.
    settings.REMINDERS_PREPARATION_TIME = (timezone.localtime() + datetime.timedelta(seconds=3)).strftime("%H:%M:%S")
    with worker(), beat():
        appointment = book(premed_start=local(settings.REMINDERS_PREPARATION_DAYS_BEFORE, 9))
        assert wait_for(lambda: len(mail.outbox) >= 2), subjects()
        assert sorted(subjects()) == ["Getting ready for your appointment", "Your appointment"]
        # The worker records a send just after the mail backend took the message: wait for the record too.
        assert wait_for(
            lambda: (
                set(
                    appointment.reminders.filter(kind__in=[KIND.CONFIRMATION, KIND.PREPARATION]).values_list(
                        "status", flat=True
                    )
                )
                == {STATUS.SENT}
            )
        )
        assert appointment.reminders.get(kind=KIND.HYDRATION).status == STATUS.PENDING

        reschedule(appointment, premed_start=local(12, 9))
        assert wait_for(lambda: len(mail.outbox) >= 3)
        assert mail.outbox[2].subject.startswith("Your appointment at") and "has changed" in mail.outbox[2].subject
        prep = appointment.reminders.get(kind=KIND.PREPARATION)
        assert prep.status == STATUS.PENDING and prep.due_at > timezone.now()  # replanned for the new date

        cancel(appointment)
        assert wait_for(lambda: len(mail.outbox) >= 4)
        time.sleep(2)  # a few more sweeps: nothing else may go out
    assert subjects() == ["Your appointment", "Getting ready for your appointment", "Your appointment", "Cancelled"]
    assert set(appointment.reminders.values_list("kind", "status")) == {
        (KIND.CONFIRMATION, STATUS.SENT),
        (KIND.PREPARATION, STATUS.CANCELLED),
        (KIND.HYDRATION, STATUS.CANCELLED),
        (KIND.UPDATE, STATUS.SENT),
        (KIND.CANCELLATION, STATUS.SENT),
    }


def test_booking_succeeds_with_redis_down_and_the_sweep_sends_once_redis_is_back(monkeypatch):
    from scheduling.reminders import services

    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    good_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/4"  # nothing listens there
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        first = book(premed_start=local(10, 9))  # waits for the Redis client's connection retries, then gives up
        started = time.monotonic()
        second = book(premed_start=local(11, 9))  # the broker is known to be down: no waiting
        assert time.monotonic() - started < 1.0
    finally:
        celery_app.conf.broker_url = good_url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
    confirmations = Reminder.objects.filter(kind=KIND.CONFIRMATION, appointment__in=[first, second])
    assert set(confirmations.values_list("status", "enqueued_at")) == {(STATUS.PENDING, None)}

    with worker():
        time.sleep(1)
        assert mail.outbox == []  # nothing reached the broker
        with beat():
            assert wait_for(lambda: len(mail.outbox) == 2)
            time.sleep(1.5)
    assert len(mail.outbox) == 2
    assert set(confirmations.values_list("status", flat=True)) == {STATUS.SENT}


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mail_server_down_retries_then_fails_and_a_staff_retry_sends_through_real_smtp(
    settings, fast_retries, client, staff_base_template, scheduler
):
    from aiosmtpd.controller import Controller

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    with worker(), beat(every=0.3):
        appointment = book(premed_start=local(10, 9))
        confirmation = appointment.reminders.get(kind=KIND.CONFIRMATION)

        def failed():
            confirmation.refresh_from_db()
            return confirmation.status == STATUS.FAILED

        assert wait_for(failed, timeout=30)
        assert confirmation.attempts == 3 and "ConnectionRefusedError" in confirmation.last_error

        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            client.force_login(scheduler)
            response = client.post(reverse("scheduling:reminder-retry", args=[confirmation.pk]))
            assert response.status_code == 302
            assert wait_for(lambda: len(sink.messages) == 1, timeout=20)
            time.sleep(1)
        finally:
            controller.stop()
    assert len(sink.messages) == 1
    received = message_from_bytes(sink.messages[0])
    assert received["To"] == appointment.patient.email
    assert received["Subject"].startswith("Your appointment at")
    types = [part.get_content_type() for part in received.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    confirmation.refresh_from_db()
    assert confirmation.status == STATUS.SENT and confirmation.last_error == ""


def _worker_process(tmp_path: Path, *, slow_seconds: float, name: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infusion_center.settings.base",
        "DJANGO_SECRET_KEY": "worker-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "VAR_DIR": str(tmp_path),
        "EMAIL_BACKEND": "tests.reminders.slow_backend.SlowFileBackend",
        "SLOW_MAIL_SECONDS": str(slow_seconds),
        "REMINDERS_CLAIM_TIMEOUT_SECONDS": "3",
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "infusion_center", "worker", "--pool=solo", "-n", f"{name}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_a_worker_killed_mid_send_leads_to_one_email_after_restart(tmp_path):
    celery_app.control.purge()
    mail_dir = tmp_path / "mail"
    first = _worker_process(tmp_path, slow_seconds=60, name="doomed")
    second = None
    try:
        appointment = book(premed_start=local(10, 9))
        confirmation = appointment.reminders.get(kind=KIND.CONFIRMATION)

        def sending():
            confirmation.refresh_from_db()
            return confirmation.status == STATUS.SENDING

        assert wait_for(sending, timeout=30), (tmp_path / "doomed.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert not list(mail_dir.glob("*.eml"))

        second = _worker_process(tmp_path, slow_seconds=0, name="fresh")
        time.sleep(3.5)  # the dead worker's claim goes stale

        def sent():
            reminders_sweep.delay()
            confirmation.refresh_from_db()
            return confirmation.status == STATUS.SENT

        assert wait_for(sent, timeout=40, step=1.0), (tmp_path / "fresh.log").read_text()
        for _ in range(3):  # later sweeps change nothing
            reminders_sweep.delay()
        time.sleep(2)
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    files = list(mail_dir.glob("*.eml"))
    assert len(files) == 1
    assert message_from_bytes(files[0].read_bytes())["X-Reminder-ID"] == str(confirmation.pk)
    confirmation.refresh_from_db()
    assert confirmation.attempts == 2
