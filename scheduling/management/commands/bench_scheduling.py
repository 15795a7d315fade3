"""Benchmark slot finding, course search and booking on a large center, with 1x, 4x and 16x the history.

It WIPES the scheduling and patient tables of the database it runs on, so it refuses to run without
--yes-wipe and is meant for a dedicated, empty PostgreSQL database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench python manage.py bench_scheduling --yes-wipe

With --build-only it builds the 1x center and stops, leaving the data for `make loadtest`.
"""

from __future__ import annotations

import datetime
import random
import statistics
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients.models import Patient
from scheduling.models import Appointment, Chair, Drug, OpeningHours, RegimenPhase, TreatmentPlan
from scheduling.services.booking import BookingError, appointment_book, slots_find
from scheduling.services.center import center_tz, day_bounds

CHAIRS = 40
PATIENTS = 5000
HISTORY_DAYS = 728  # 104 weeks: copies of the history shifted by this keep their weekdays and never overlap
# Each chair's day: four blocks (07:00-09:30, 09:30-12:30, 12:30-16:30, 16:30-19:00), staggered by chair so that
# at most 10 chairs start together (10 nurses); a block is booked with probability 0.8 (80% of chair time).
BLOCKS = [(7 * 60, 150), (9 * 60 + 30, 180), (12 * 60 + 30, 240), (16 * 60 + 30, 150)]
FILL = 0.8
DRUG_MIX = [("Ocrevus (IV)", 40), ("Tysabri", 35), ("Briumvi", 15), ("Mitoxantrone", 5), ("Lemtrada", 5)]
WIPE_TABLES = [
    "scheduling_readinessoverride",
    "scheduling_infusionreaction",
    "scheduling_premedicationgiven",
    "scheduling_appointment",
    "scheduling_historicalappointment",
    "scheduling_treatmentplan",
    "scheduling_historicaltreatmentplan",
    "scheduling_closure",
    "scheduling_nursestaffing",
    "scheduling_chair",
    "scheduling_openinghours",
    "patients_screening",
    "patients_emergencycontact",
    "patients_patient",
    "patients_historicalpatient",
]


class Command(BaseCommand):
    help = "Benchmark slot finding and booking on a large generated center (wipes the database: --yes-wipe)."

    def add_arguments(self, parser):
        parser.add_argument("--yes-wipe", action="store_true", help="Confirm that this database may be wiped.")
        parser.add_argument("--searches", type=int, default=40, help="Slot searches measured per history size.")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--build-only",
            action="store_true",
            help="Build the 1x center and stop, leaving its data in place (for the load test); measure nothing.",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark needs PostgreSQL (set DATABASE_URL to a dedicated, empty database).")
        if not options["yes_wipe"]:
            raise CommandError(
                "This benchmark deletes every patient, plan, chair and appointment in "
                f"'{connection.settings_dict['NAME']}'. Run it only on a dedicated database, with --yes-wipe."
            )
        self.rng = random.Random(options["seed"])
        self.searches = options["searches"]
        started = time.perf_counter()
        self.wipe()
        self.build()
        self.out(f"Built in {time.perf_counter() - started:.0f} s.")
        if options["build_only"]:
            return
        results = {1: self.measure("1x history")}
        base_history = self.history_count()
        for factor, copies in ((4, range(1, 4)), (16, range(4, 16))):
            t0 = time.perf_counter()
            self.replicate(copies)
            self.out(f"History x{factor}: {self.history_count():,} appointments ({time.perf_counter() - t0:.0f} s).")
            results[factor] = self.measure(f"{factor}x history")
        self.summary(results, base_history)
        self.out(f"Total {time.perf_counter() - started:.0f} s.")

    # --- data ---------------------------------------------------------------
    def out(self, text):
        self.stdout.write(text)
        self.stdout.flush()

    def wipe(self):
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(WIPE_TABLES)} RESTART IDENTITY CASCADE")

    def build(self):
        rng = self.rng
        tz = center_tz()
        for weekday in range(5):
            OpeningHours.objects.create(
                weekday=weekday,
                opens_at=datetime.time(7),
                closes_at=datetime.time(19),
                nurses_on_duty=10,
                setup_minutes=15,
                patients_per_nurse=4,
            )
        self.chairs = Chair.objects.bulk_create(Chair(name=f"Chair {i}", position=i) for i in range(1, CHAIRS + 1))
        patients = Patient.objects.bulk_create(
            (
                Patient(
                    mrn=f"B{i:06d}",
                    first_name="Bench",
                    last_name=f"Patient {i}",
                    date_of_birth=datetime.date(1980, 1, 1),
                    height_cm=Decimal("170"),
                    weight_kg=Decimal("70"),
                    reminder_consent=False,
                )
                for i in range(PATIENTS)
            ),
            batch_size=2000,
        )
        drugs = {d.name: d for d in Drug.objects.all()}
        last_phase = {d.pk: RegimenPhase.objects.filter(drug=d).order_by("-order").first() for d in drugs.values()}
        names = [name for name, weight in DRUG_MIX for _ in range(weight)]
        self.today = timezone.localdate(timezone.now(), tz)
        plans = TreatmentPlan.objects.bulk_create(
            (
                TreatmentPlan(patient=p, drug=drugs[rng.choice(names)], start_date=self.today - datetime.timedelta(800))
                for p in patients
            ),
            batch_size=2000,
        )
        rows = []
        patient_cursor = 0
        days = [self.today - datetime.timedelta(d) for d in range(HISTORY_DAYS, 0, -1)]
        future = [self.today + datetime.timedelta(d) for d in range(1, 31)]
        for day in days + future:
            if day.weekday() >= 5:
                continue
            status = Appointment.Status.COMPLETED if day < self.today else Appointment.Status.SCHEDULED
            for index, chair in enumerate(self.chairs):
                offset = (index % 4) * 15
                for block_start, length in BLOCKS:
                    if rng.random() > FILL:
                        continue
                    start = block_start + offset
                    end = min(block_start + length + offset, 19 * 60 if day >= self.today else 24 * 60)
                    if block_start == BLOCKS[-1][0]:
                        end = 19 * 60
                    plan = plans[patient_cursor % PATIENTS]
                    patient_cursor += 1
                    phase = last_phase[plan.drug_id]
                    t0 = datetime.datetime.combine(day, datetime.time(start // 60, start % 60), tzinfo=tz)
                    t3 = t0 + datetime.timedelta(minutes=end - start)
                    rows.append(
                        Appointment(
                            patient_id=plan.patient_id,
                            plan=plan,
                            phase=phase,
                            chair=chair,
                            infusion_number=1,
                            dose_mg=phase.dose_amount if phase.dose_unit == "mg" else Decimal("21.6"),
                            premed_start=t0,
                            infusion_start=t0,
                            infusion_end=t3,
                            observation_end=t3,
                            status=status,
                        )
                    )
        Appointment.objects.bulk_create(rows, batch_size=5000)
        self.out(
            f"Center: {CHAIRS} chairs, {PATIENTS:,} patients, {len(rows):,} appointments "
            f"({sum(1 for r in rows if r.status == 'scheduled'):,} in the next 30 days, about 80% of chair time)."
        )
        # the patients measured: new plans starting within the next month, with nothing booked yet
        bench_patients = Patient.objects.bulk_create(
            Patient(
                mrn=f"N{i:05d}",
                first_name="New",
                last_name=f"Patient {i}",
                date_of_birth=datetime.date(1985, 1, 1),
                height_cm=Decimal("165"),
                weight_kg=Decimal("60"),
            )
            for i in range(2 * self.searches)
        )
        self.dose_plans = [
            TreatmentPlan.objects.create(
                patient=p, drug=drugs["Tysabri"], start_date=self.today + datetime.timedelta(5)
            )
            for p in bench_patients[: self.searches]
        ]
        self.course_plans = [
            TreatmentPlan.objects.create(
                patient=p, drug=drugs["Lemtrada"], start_date=self.today + datetime.timedelta(5)
            )
            for p in bench_patients[self.searches :]
        ]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def history_count(self) -> int:
        return Appointment.objects.filter(premed_start__lt=timezone.now()).count()

    def replicate(self, copies: range):
        """Copy the past two years further back in time, in SQL (generate_series): the same days, weekdays, chairs."""
        columns = (
            "patient_id, plan_id, phase_id, chair_id, infusion_number, course_day, course_id, dose_mg, short_infusion, "
            "premed_start, infusion_start, infusion_end, observation_end, status, cancel_reason, ics_sequence, uid, "
            "notes, created_at, updated_at"
        )
        shift = f"(k * interval '{HISTORY_DAYS} days')"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO scheduling_appointment ({columns})
                SELECT a.patient_id, a.plan_id, a.phase_id, a.chair_id, a.infusion_number, a.course_day, a.course_id,
                       a.dose_mg, a.short_infusion, a.premed_start - {shift}, a.infusion_start - {shift},
                       a.infusion_end - {shift}, a.observation_end - {shift}, a.status, '', 0, gen_random_uuid(), '',
                       now(), now()
                FROM scheduling_appointment a
                CROSS JOIN generate_series(%s, %s) AS k
                WHERE a.premed_start >= %s AND a.premed_start < %s""",
                [
                    copies.start,
                    copies.stop - 1,
                    *day_bounds(self.today - datetime.timedelta(days=HISTORY_DAYS), self.today - datetime.timedelta(1)),
                ],
            )
            cursor.execute("ANALYZE scheduling_appointment")

    # --- measurements -------------------------------------------------------
    def timed(self, func):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            c0 = time.process_time()
            result = func()
            elapsed = (time.perf_counter() - t0) * 1000
            self.cpu_ms.append((time.process_time() - c0) * 1000)
        return elapsed, len(queries), result

    def measure(self, label):
        date_from = self.today + datetime.timedelta(1)
        date_to = self.today + datetime.timedelta(30)
        slot_times, slot_queries, full_times, course_times, course_queries, book_times = [], [], [], [], [], []
        self.cpu_ms = []
        slot_cpu = []
        for plan in self.dose_plans:
            ms, q, slots = self.timed(lambda p=plan: slots_find(plan=p, date_from=date_from, date_to=date_to))
            if not slots:
                raise CommandError("No slot found for a benchmark dose: the generated center is too full.")
            slot_times.append(ms)
            slot_queries.append(q)
            slot_cpu.append(self.cpu_ms[-1])
            ms, _q, _ = self.timed(
                lambda p=plan: slots_find(plan=p, date_from=date_from, date_to=date_to, limit=10_000)
            )
            full_times.append(ms)
        for plan in self.course_plans:
            ms, q, slots = self.timed(lambda p=plan: slots_find(plan=p, date_from=date_from, date_to=date_to))
            course_times.append(ms)
            course_queries.append(q)
        user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_user(
            "bench", password=None
        )
        booked = []
        for plan in self.dose_plans[:20]:
            slots = slots_find(plan=plan, date_from=date_from, date_to=date_to, limit=1)
            try:
                ms, _q, appt = self.timed(
                    lambda p=plan, s=slots[0]: appointment_book(
                        plan=p, chair_id=s.chair_id, premed_start=s.premed_start, user=user
                    )
                )
            except BookingError as exc:
                raise CommandError(f"Booking failed: {exc}") from exc
            book_times.append(ms)
            booked.append(appt.pk)
        Appointment.objects.filter(pk__in=booked).delete()  # keep the center identical for the next round
        figures = {
            "slots": self._stats(slot_times),
            "slot_queries": sorted(set(slot_queries)),
            "slots_cpu": self._stats(slot_cpu),
            "full": self._stats(full_times),
            "course": self._stats(course_times),
            "course_queries": sorted(set(course_queries)),
            "book": self._stats(book_times),
        }
        self.out(
            f"[{label}] slot search (30-day window, best 8): median {figures['slots'][0]:.1f} ms, "
            f"p95 {figures['slots'][1]:.1f} ms (app CPU median {figures['slots_cpu'][0]:.1f}, "
            f"p95 {figures['slots_cpu'][1]:.1f} ms), queries {figures['slot_queries']}; "
            f"every feasible slot of the 30 days: median {figures['full'][0]:.1f} ms, p95 {figures['full'][1]:.1f} ms; "
            f"5-day course: median {figures['course'][0]:.1f} ms, p95 {figures['course'][1]:.1f} ms, "
            f"queries {figures['course_queries']}; booking: median {figures['book'][0]:.1f} ms, "
            f"p95 {figures['book'][1]:.1f} ms"
        )
        return figures

    @staticmethod
    def _stats(values):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return statistics.median(ordered), p95

    def summary(self, results, base_history):
        self.out("")
        self.out(f"History at 1x: {base_history:,} past appointments.")
        self.out(f"{'':28}{'1x':>10}{'4x':>10}{'16x':>10}{'16x/1x':>9}")
        for key, name in (
            ("slots", "slot search p95 (ms)"),
            ("slots_cpu", "  app CPU p95 (ms)"),
            ("full", "full 30-day scan p95 (ms)"),
            ("course", "5-day course p95 (ms)"),
            ("book", "booking p95 (ms)"),
        ):
            values = [results[f][key][1] for f in (1, 4, 16)]
            self.out(f"{name:28}{values[0]:>10.1f}{values[1]:>10.1f}{values[2]:>10.1f}{values[2] / values[0]:>9.2f}")
        self.out(
            f"{'queries per slot search':28}" + "".join(f"{str(results[f]['slot_queries']):>10}" for f in (1, 4, 16))
        )
