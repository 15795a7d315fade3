"""A real Celery worker for the tests that run one (marked `celery`, with REDIS_URL and PostgreSQL)."""

from __future__ import annotations

from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from infusion_center.celery import app as celery_app


def _close_thread_connections(**_):
    connections.close_all()


@contextmanager
def worker():
    """A real worker consuming from Redis in a thread of this process (so the locmem caches and outbox are
    shared), its database connections closed after each task (the test's flush needs them gone)."""
    celery_app.control.purge()
    task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15):
            yield
    finally:
        task_postrun.disconnect(_close_thread_connections)
