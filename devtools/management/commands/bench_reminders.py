"""Benchmark: sweep N due reminders through a real Celery worker (on the configured broker and database)
with the in-memory mail backend, and report emails per second, end-to-end time and duplicates.

Creates its own patients, appointments and reminders (MRN prefix BENCH-) and deletes them afterwards.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
from collections import Counter

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.utils import timezone

from patients.models import Patient
from scheduling.catalogue import drug_spec, drugs_with_protocol
from scheduling.engine.protocol import chair_time
from scheduling.models import Appointment, Chair, Drug, Reminder, TreatmentPlan

PREFIX = "BENCH-"
KINDS = [
    Reminder.Kind.CONFIRMATION,
    Reminder.Kind.PREPARATION,
    Reminder.Kind.HYDRATION,
    Reminder.Kind.REACTION_MONITORING,
    Reminder.Kind.CHECK_IN,
]


class Command(BaseCommand):
    help = "Send N due reminders through a Celery worker with the in-memory mail backend and report the rate."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000, help="Reminders to send (default 10000).")
        parser.add_argument("--concurrency", type=int, default=8, help="Worker threads (default 8).")
        parser.add_argument("--timeout", type=int, default=900, help="Give up after this many seconds.")

    def handle(self, *args, count: int, concurrency: int, timeout: int, **options):
        if count < len(KINDS):
            raise CommandError(f"--count must be at least {len(KINDS)}.")
        self._cleanup()
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mail.outbox = []
        ids = self._create(count)
        self.stdout.write(
            f"Created {len(ids)} due reminders; broker {settings.CELERY_BROKER_URL.split('://')[0]}, database "
            f"{connections['default'].vendor}, {concurrency} worker threads, templates {self._template_loaders()}."
        )
        if settings.DEBUG:
            self.stdout.write("Note: DEBUG is on (every query is logged); production runs with DJANGO_DEBUG=false.")
        try:
            cpu0 = time.process_time()
            elapsed = self._run(ids, concurrency=concurrency, timeout=timeout)
            self._report(ids, elapsed, cpu=time.process_time() - cpu0)
        finally:
            self._cleanup()

    def _create(self, count: int) -> list[int]:
        drug = Drug.objects.get(name="Ocrevus (IV)")
        phase = drug.phases.get(order=1)
        spec = drug_spec(drugs_with_protocol().get(pk=drug.pk))
        ct = chair_time(next(p for p in spec.phases if p.id == phase.pk), infusion_number=1)
        visits = -(-count // len(KINDS))
        now = timezone.now()
        start = (now + datetime.timedelta(days=400)).replace(microsecond=0)
        with transaction.atomic():
            chair = Chair.objects.create(name=f"{PREFIX}chair", position=999, is_active=False)
            patients = Patient.objects.bulk_create(
                Patient(
                    mrn=f"{PREFIX}{n:06d}",
                    first_name="Bench",
                    last_name=f"Patient {n}",
                    date_of_birth=datetime.date(1980, 1, 1),
                    email=f"bench{n}@patients.example",
                    reminder_consent=True,
                )
                for n in range(visits)
            )
            plans = TreatmentPlan.objects.bulk_create(
                TreatmentPlan(patient=p, drug=drug, start_date=start.date()) for p in patients
            )
            appointments = []
            for n, (patient, plan) in enumerate(zip(patients, plans, strict=True)):
                premed = start + datetime.timedelta(hours=6 * n)
                infusion_start = premed + datetime.timedelta(minutes=ct.premed_minutes)
                infusion_end = infusion_start + datetime.timedelta(minutes=ct.infusion_minutes)
                appointments.append(
                    Appointment(
                        patient=patient,
                        plan=plan,
                        phase=phase,
                        chair=chair,
                        infusion_number=1,
                        dose_mg=phase.dose_amount,
                        premed_start=premed,
                        infusion_start=infusion_start,
                        infusion_end=infusion_end,
                        observation_end=infusion_end + datetime.timedelta(minutes=ct.observation_minutes),
                    )
                )
            appointments = Appointment.objects.bulk_create(appointments)
            reminders = [
                Reminder(appointment=a, kind=kind, due_at=now - datetime.timedelta(minutes=1))
                for a in appointments
                for kind in KINDS
            ][:count]
            return [r.pk for r in Reminder.objects.bulk_create(reminders, batch_size=2000)]

    def _run(self, ids: list[int], *, concurrency: int, timeout: int) -> float:
        from celery.contrib.testing.worker import start_worker

        from infusion_center.celery import app
        from scheduling.reminders.tasks import reminders_sweep

        app.control.purge()
        stop = threading.Event()
        pending = Reminder.objects.filter(pk__in=ids).exclude(status__in=[Reminder.Status.SENT, Reminder.Status.FAILED])
        try:
            with start_worker(
                app, pool="threads", concurrency=concurrency, perform_ping_check=False, loglevel="WARNING"
            ):
                started = time.monotonic()
                reminders_sweep.delay()  # beat's tick
                while pending.exists():
                    if time.monotonic() - started > timeout:
                        raise CommandError(f"Timed out with {pending.count()} reminders unsent.")
                    if stop.wait(1.0):
                        break
                    reminders_sweep.delay()
                elapsed = time.monotonic() - started
        finally:
            connections.close_all()
        return elapsed

    @staticmethod
    def _template_loaders() -> str:
        """The loaders the emails are rendered with (the cached loader compiles each template once)."""
        from django.template import engines

        loaders = [getattr(loader, "__module__", str(loader)) for loader in engines["django"].engine.template_loaders]
        return ", ".join(name.rsplit(".", 1)[-1] for name in loaders)

    def _report(self, ids: list[int], elapsed: float, *, cpu: float) -> None:
        per_reminder = Counter(m.extra_headers.get("X-Reminder-ID") for m in mail.outbox)
        duplicates = sum(n - 1 for n in per_reminder.values() if n > 1)
        statuses = Counter(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))
        sent = len(mail.outbox)
        self.stdout.write(f"Reminders: {len(ids)}; statuses: {dict(statuses)}")
        self.stdout.write(f"Emails sent: {sent}")
        self.stdout.write(f"End-to-end time: {elapsed:.1f} s")
        self.stdout.write(f"Emails per second: {sent / elapsed:.0f}")
        self.stdout.write(
            f"Worker process CPU: {cpu:.1f} s ({cpu * 1000 / max(sent, 1):.1f} ms per email; the database's own CPU "
            "is not included)"
        )
        self.stdout.write(f"Load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        self.stdout.write(f"Duplicates: {duplicates}")
        if duplicates or statuses.get(Reminder.Status.SENT, 0) != len(ids):
            raise CommandError("Not every reminder was sent exactly once.")

    def _cleanup(self) -> None:
        with transaction.atomic():
            Reminder.objects.filter(appointment__patient__mrn__startswith=PREFIX).delete()
            Appointment.objects.filter(patient__mrn__startswith=PREFIX).delete()
            TreatmentPlan.objects.filter(patient__mrn__startswith=PREFIX).delete()
            Patient.objects.filter(mrn__startswith=PREFIX).delete()
            Chair.objects.filter(name=f"{PREFIX}chair").delete()
