"""Concurrent sweeps and workers on PostgreSQL: every due reminder is queued once per sweep round and sent once."""

import datetime
import random
import threading

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from scheduling.models import Reminder
from scheduling.reminders import services
from tests.factories import ChairFactory, PatientFactory
from tests.reminders.conftest import make_appointment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 200
THREADS = 4


def due_reminders(count: int) -> list[int]:
    chair = ChairFactory()
    start = timezone.now() + datetime.timedelta(days=30)
    ids = []
    for n in range(count // 2):
        appointment = make_appointment(
            premed_start=start + datetime.timedelta(hours=6 * n), chair=chair, patient=PatientFactory()
        )
        for kind in (Reminder.Kind.CONFIRMATION, Reminder.Kind.PREPARATION):
            ids.append(Reminder.objects.create(appointment=appointment, kind=kind, due_at=timezone.now()).pk)
    return ids


def run_together(target, count=THREADS):
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def body(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_concurrent_sweeps_queue_each_row_once_and_concurrent_workers_send_each_once(monkeypatch, settings):
    settings.REMINDERS_SWEEP_BATCH = 25  # several batches per sweep, so the sweeps interleave
    queued: list[int] = []
    lock = threading.Lock()

    def publish(ids, *, from_sweep=False):
        with lock:
            queued.extend(ids)

    monkeypatch.setattr(services, "_enqueue", publish)
    ids = due_reminders(ROWS)

    def sweep_until_empty(_):
        swept = []
        while batch := services.reminders_sweep():
            swept.extend(batch)
        return swept

    per_sweeper = run_together(sweep_until_empty)
    assert sorted(queued) == sorted(ids)  # nothing queued twice, nothing left behind
    assert sum(len(s) for s in per_sweeper) == ROWS

    # Every worker receives every id (as if the queue held duplicates) in its own order.
    def deliver_everything(i):
        order = list(ids)
        random.Random(i).shuffle(order)
        return [services.reminder_deliver(reminder_id=rid) for rid in order]

    outcomes = run_together(deliver_everything)
    flat = [o for per_worker in outcomes for o in per_worker]
    assert flat.count("sent") == ROWS
    assert flat.count("not-claimed") == ROWS * (THREADS - 1)
    sent_ids = [m.extra_headers["X-Reminder-ID"] for m in mail.outbox]
    assert len(sent_ids) == ROWS and len(set(sent_ids)) == ROWS
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.SENT}
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}
