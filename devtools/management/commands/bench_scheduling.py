"""Benchmark slot finding, course search and booking on a large center, with 1x, 4x and 16x the history.

It WIPES the scheduling and patient tables of the database it runs on, so it refuses to run without
--yes-wipe and is meant for a dedicated, empty PostgreSQL database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench python manage.py bench_scheduling --yes-wipe

With --build-only it builds the 1x center and stops, leaving the data for `make loadtest`.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import random
import statistics
import time
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from patients.models import Patient
from scheduling.models import Appointment, Chair, Drug, OpeningHours, RegimenPhase, TreatmentPlan
from scheduling.selectors.center import center_tz, day_bounds
from scheduling.services.booking import BookingError, appointment_book, slots_find
from scheduling.services.planning_refresh import forecast_refresh

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


class _QueryCounter:
    """Counts the queries run inside `connection.execute_wrapper` (no debug cursor, no test tooling)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bench_rooms(chairs: int) -> list[Chair]:
    """The benchmark center's week and chairs: open 07:00-19:00 on weekdays, 10 nurses of 4 patients each."""
    for weekday in range(5):
        OpeningHours.objects.create(
            weekday=weekday,
            opens_at=datetime.time(7),
            closes_at=datetime.time(19),
            nurses_on_duty=10,
            setup_minutes=15,
            patients_per_nurse=4,
        )
    return Chair.objects.bulk_create(Chair(name=f"Chair {i}", position=i) for i in range(1, chairs + 1))


class Command(BaseCommand):
    help = "Benchmark slot finding and booking on a large generated center (wipes the database: --yes-wipe)."

    def add_arguments(self, parser):
        parser.add_argument("--yes-wipe", action="store_true", help="Confirm that this database may be wiped.")
        parser.add_argument("--searches", type=int, default=40, help="Plans searched per round (each kind).")
        parser.add_argument("--rounds", type=int, default=5, help="Measurement rounds per history size.")
        parser.add_argument("--bookings", type=int, default=10, help="Bookings measured per round.")
        parser.add_argument(
            "--recheck",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="After 16x, go back to 1x and measure again (machine drift shows; the ratio uses both 1x).",
        )
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
        self.rounds = options["rounds"]
        self.bookings = min(options["bookings"], self.searches)
        started = time.perf_counter()
        self.wipe()
        self.build()
        self.out(f"Built in {time.perf_counter() - started:.0f} s.")
        if options["build_only"]:
            forecast_refresh()  # the load test's find-a-time pages read it, as a worker's beat would have stored it
            return
        results = {"1x": self.measure("1x history")}
        base_history = self.history_count()
        for factor, copies in ((4, range(1, 4)), (16, range(4, 16))):
            t0 = time.perf_counter()
            self._retrying(self.replicate, copies)
            self.out(f"History x{factor}: {self.history_count():,} appointments ({time.perf_counter() - t0:.0f} s).")
            results[f"{factor}x"] = self.measure(f"{factor}x history")
        if options["recheck"]:
            t0 = time.perf_counter()
            self._retrying(self.unreplicate)
            self.out(f"History back to 1x: {self.history_count():,} ({time.perf_counter() - t0:.0f} s).")
            results["1x again"] = self.measure("1x history again")
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
        self.chairs = bench_rooms(CHAIRS)
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
            "notes, created_at, updated_at, attention_acceptable, attention_reason, reschedule_reason"
        )
        shift = f"(k * interval '{HISTORY_DAYS} days')"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO scheduling_appointment ({columns})
                SELECT a.patient_id, a.plan_id, a.phase_id, a.chair_id, a.infusion_number, a.course_day, a.course_id,
                       a.dose_mg, a.short_infusion, a.premed_start - {shift}, a.infusion_start - {shift},
                       a.infusion_end - {shift}, a.observation_end - {shift}, a.status, '', 0, gen_random_uuid(), '',
                       now(), now(), a.attention_acceptable, a.attention_reason, a.reschedule_reason
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

    def unreplicate(self):
        """Remove the copies made by replicate(): back to the two years built.

        Nothing refers to the copies, so the per-row foreign-key checks are skipped where the database role may
        (a million of them would take minutes)."""
        start, _end = day_bounds(self.today - datetime.timedelta(days=HISTORY_DAYS), self.today)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM scheduling_appointment WHERE premed_start < %s", [start])

    # --- measurements -------------------------------------------------------
    def settle(self):
        """Leave the database as a long-running one would be before measuring: vacuumed (visibility map set, dead
        rows gone), analysed (the planner sees the real sizes) and checkpointed, so that no autovacuum or
        checkpoint triggered by the bulk inserts runs during the measurement."""
        with connection.cursor() as cursor:
            for table in ("scheduling_appointment", "scheduling_historicalappointment", "scheduling_reminder"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("CHECKPOINT")

    def _backend_pid(self) -> int | None:
        """The PostgreSQL backend serving this connection, when its CPU time can be read (same machine)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        return pid if os.path.exists(f"/proc/{pid}/stat") else None

    def _backend_cpu(self) -> float:
        """CPU seconds the backend has used so far (counted in clock ticks: exact on average over many calls)."""
        if self.db_pid is None:
            return 0.0
        try:
            with open(f"/proc/{self.db_pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def timed(self, key, func):
        """Run func once; record wall, app-process CPU and database CPU time (ms) under `key`, and its queries."""
        db0 = self._backend_cpu()
        queries = _QueryCounter()
        with connection.execute_wrapper(queries):
            t0 = time.perf_counter()
            c0 = time.process_time()
            result = func()
            wall = (time.perf_counter() - t0) * 1000
            cpu = (time.process_time() - c0) * 1000
        self.samples[key].append((wall, cpu))
        self.db_cpu[key].append((self._backend_cpu() - db0) * 1000)
        self.queries[key].add(queries.count)
        return result

    def measure(self, label):
        """`rounds` rounds of the same work; every round does every search kind in turn, plan by plan."""
        date_from = self.today + datetime.timedelta(1)
        date_to = self.today + datetime.timedelta(30)
        user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_user(
            "bench", password=None
        )
        self._retrying(self.settle)
        # the planning ceiling slot search reads, stored as the worker's beat stores it (timed: the worker's side)
        t0 = time.perf_counter()
        self._retrying(forecast_refresh)
        self.out(f"[{label}] forecast refresh (the worker's task): {time.perf_counter() - t0:.1f} s")

        def slot(plan, limit=8):
            return slots_find(plan=plan, date_from=date_from, date_to=date_to, limit=limit)

        # warm-up, not recorded: one round of every search (connection, first-use imports, and the database's
        # buffers, which the bulk insert and VACUUM before a measurement have filled with other pages)
        for dose_plan, course_plan in zip(self.dose_plans, self.course_plans, strict=True):
            slot(dose_plan)
            slot(course_plan)
            slot(dose_plan, limit=10_000)
        self.db_pid = self._backend_pid()
        self.samples = defaultdict(list)
        self.db_cpu = defaultdict(list)
        self.queries = defaultdict(set)
        round_p95 = defaultdict(list)
        round_number = 0
        while round_number < self.rounds:
            gc.collect()
            before = {key: len(values) for key, values in self.samples.items()}
            t0 = time.perf_counter()
            try:
                self._round(slot, user)
            except (OperationalError, InterfaceError) as exc:
                # the database server restarted under us: drop this round's samples and run it again
                for key, values in list(self.samples.items()):
                    del values[before.get(key, 0) :]
                    del self.db_cpu[key][before.get(key, 0) :]
                self._reconnect(exc)
                Appointment.objects.filter(created_by=user).delete()
                self.db_pid = self._backend_pid()
                continue
            for key, values in self.samples.items():
                round_p95[key].append(self._stats([wall for wall, _cpu in values[before.get(key, 0) :]])[1])
            round_number += 1
            self.out(f"  [{label}] round {round_number}/{self.rounds}: {time.perf_counter() - t0:.1f} s")
        figures = {
            key: {
                "wall": self._stats([wall for wall, _cpu in values]),
                "cpu": self._stats([cpu for _wall, cpu in values]),
                "round_p95": statistics.median(round_p95[key]),
                "best_round_p95": min(round_p95[key]),
                "db_cpu": statistics.fmean(self.db_cpu[key]) if self.db_pid else None,
                "total_cpu": statistics.fmean(cpu for _wall, cpu in values) + statistics.fmean(self.db_cpu[key])
                if self.db_pid
                else None,
                "queries": sorted(self.queries[key]),
                "n": len(values),
            }
            for key, values in self.samples.items()
        }
        for key, name in NAMES:
            f = figures[key]
            self.out(
                f"[{label}] {name}: n={f['n']}, wall median {f['wall'][0]:.1f} ms, p95 {f['wall'][1]:.1f} ms "
                f"(median of the rounds' p95 {f['round_p95']:.1f}); app CPU median {f['cpu'][0]:.1f} ms, "
                f"p95 {f['cpu'][1]:.1f} ms; "
                + (f"database CPU mean {f['db_cpu']:.1f} ms; " if f["db_cpu"] is not None else "")
                + f"queries {f['queries']}"
            )
        self.out(f"[{label}] load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return figures

    def _round(self, slot, user):
        for dose_plan, course_plan in zip(self.dose_plans, self.course_plans, strict=True):
            self.timed("reference", _reference_work)
            if not self.timed("slots", lambda p=dose_plan: slot(p)):
                raise CommandError("No slot found for a benchmark dose: the generated center is too full.")
            self.timed("course", lambda p=course_plan: slot(p))
            self.timed("full", lambda p=dose_plan: slot(p, limit=10_000))
        booked = []
        for plan in self.dose_plans[: self.bookings]:
            first = slot(plan, limit=1)[0]
            try:
                appointment = self.timed(
                    "book",
                    lambda p=plan, s=first: appointment_book(
                        plan=p, chair_id=s.chair_id, premed_start=s.premed_start, user=user
                    ),
                )
            except BookingError as exc:
                raise CommandError(f"Booking failed: {exc}") from exc
            booked.append(appointment.pk)
        Appointment.objects.filter(pk__in=booked).delete()  # the center stays identical for the next round

    def _reconnect(self, exc, *, wait_seconds=120):
        """After the database server went away: wait until it accepts connections again."""
        self.out(f"  database connection lost ({str(exc).strip()[:80]}); reconnecting and repeating that step")
        deadline = time.monotonic() + wait_seconds
        while True:
            connection.close()
            try:
                connection.ensure_connection()
                return
            except (OperationalError, InterfaceError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def _retrying(self, func, *args):
        """Run a database step again if the server restarts during it (each step is one transaction or idempotent)."""
        for attempt in range(3):
            try:
                return func(*args)
            except (OperationalError, InterfaceError) as exc:
                if attempt == 2:
                    raise
                self._reconnect(exc)

    @staticmethod
    def _stats(values):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return statistics.median(ordered), p95

    def summary(self, results, base_history):
        self.out("")
        self.out(f"History at 1x: {base_history:,} past appointments.")
        sizes = list(results)
        self.out(f"{'':34}" + "".join(f"{size:>10}" for size in sizes) + f"{'16x/1x':>9}")

        def row(name, values):
            ratio = values[sizes.index("16x")] / self._baseline(results, values, sizes)
            self.out(f"{name:34}" + "".join(f"{v:>10.1f}" for v in values) + f"{ratio:>9.2f}")

        for key, name in NAMES:
            row(f"{name} p95 (ms)", [results[s][key]["wall"][1] for s in sizes])
            row("  median (ms)", [results[s][key]["wall"][0] for s in sizes])
            row("  median of round p95s (ms)", [results[s][key]["round_p95"] for s in sizes])
            row("  best round's p95 (ms)", [results[s][key]["best_round_p95"] for s in sizes])
            row("  app CPU p95 (ms)", [results[s][key]["cpu"][1] for s in sizes])
            if all(results[s][key]["total_cpu"] is not None for s in sizes):
                row("  app + database CPU mean (ms)", [results[s][key]["total_cpu"] for s in sizes])
        self.out(
            f"{'queries per slot search':34}" + "".join(f"{str(results[s]['slots']['queries']):>10}" for s in sizes)
        )
        row(
            "slot search p95 / reference p95",
            [results[s]["slots"]["wall"][1] / results[s]["reference"]["wall"][1] for s in sizes],
        )
        self.out(
            f"The reference is a fixed piece of work ({REFERENCE_NOTE}) timed between the searches: the ratio "
            "shows the search's cost against the machine's speed at this load."
        )
        if "1x again" in results:
            self.out("16x/1x divides by the mean of the two 1x measurements (before and after the 16x one).")
        self.out(
            "On a shared machine, wall times follow the other processes' load: the CPU rows (app + database) and the "
            "best round's p95 show the work itself; the other rows show what the load did to it."
        )

    @staticmethod
    def _baseline(results, values, sizes):
        ones = [values[sizes.index(s)] for s in ("1x", "1x again") if s in results]
        return sum(ones) / len(ones)


REFERENCE_NOTE = "one trivial query and a fixed loop of Python arithmetic"


def _reference_work():
    """A fixed amount of work, the same in every run: one round trip to the database and pure Python arithmetic."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    total = 0
    for n in range(100_000):
        total += n * n % 7
    return total


NAMES = (
    ("reference", "fixed reference work"),
    ("slots", "slot search, one dose"),
    ("course", "5-day course search"),
    ("full", "every feasible slot in 30 days"),
    ("book", "booking"),
)
