"""Benchmark every staff page of a large center under gunicorn with production settings.

    DEVTOOLS=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ic_bench1 \\
        python manage.py bench_pages --yes-wipe --patients 5000 --years 2 \\
        --compare-database-url postgres://postgres@127.0.0.1:5432/ic_bench10 --compare-factor 10

For each center (the one in DATABASE_URL, and with --compare-database-url a second one with `factor` times the
patients and the years) it migrates the database, builds the center unless the database already holds one of
that size (a marker on the first patient says which), stores the forecast as the worker's beat does (timed),
starts gunicorn on the production settings (DEBUG off) serving `devtools.bench_wsgi` (which adds the request's
SQL count and server time as response headers), signs in as the `benchpages` user, and requests every staff
page: first once in every gunicorn worker (a worker's first use - its imports and its copies of the catalogue
and of the stored forecast - is printed apart: a running center pays it once per process, or per forecast
refresh), then one user after another, then 10 users at once, and the chair board against /healthz/ at 20
users. With two centers, both gunicorns run at once and each page is measured on one and then the other, so
that a page's growth ratio compares two figures of the same minute of the machine. It prints, per page, the
server time p50/p95, the wall time at 10 users, the queries and the table rows
rendered, each against its target, and for two centers the growth (p95, and the typical query count).

Building WIPES the database's patients, plans, chairs, appointments, reminders and access log: --yes-wipe.

The center: 40 chairs (fewer for a tiny center) open 07:00-19:00 on weekdays, four blocks a chair a day booked
80% of the time (the layout of `bench_scheduling`), `years` of completed visits up to today and 30 days
booked ahead, one plan a patient (a center larger than its chairs' caseload treats its patients in cohorts over
the years: see `cohort_count`), two reminders a visit, two history rows a past visit and one access-log row
a visit. Patients, plans and chairs go through bulk_create; the visits and the rows that follow them are
generated in SQL (INSERT ... SELECT over generate_series), so 50,000 patients and 20 years take minutes.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import http.client
import importlib.util
import json
import os
import random
import re
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

# the center layout and page pickers of the scheduling benchmark and the load test
from devtools.management.commands import bench_scheduling, loadtest_setup
from patients.models import Patient, PatientAccess
from scheduling.models import Appointment, Chair, Drug, Reminder, TreatmentPlan
from scheduling.selectors.center import center_tz
from scheduling.services.next_dose import next_doses_refresh
from scheduling.services.planning_refresh import forecast_refresh

ROOT = Path(__file__).resolve().parents[3]
USERNAME = "benchpages"
MARKER_MRN = "B000000"
BOOKED_DAYS = 30
WORKERS = 2 * (os.cpu_count() or 1) + 1
P95_TARGET_MS = 150.0
GROWTH_TARGET = 1.3
BOARD_SHARE_TARGET = 0.25
ADMIN_APPS = ("auth", "patients", "scheduling", "replies")
FIRST_NAMES = [
    "Sofia", "Liam", "Ava", "Noah", "Mia", "Seán", "Chloé", "José", "Amelia", "Oliver", "Zoë", "Lucas", "Inés",
    "Ethan", "Maya", "Björn", "Grace", "Omar", "Hannah", "Mateo", "Aoife", "Daniel", "Léa", "Samuel", "Nora",
    "Jack", "Elena", "Ryan", "Emma", "Tomás", "Ruth", "Aaron", "Freya", "Kofi", "Isla", "David", "Anaïs", "Ben",
]  # fmt: skip
LAST_NAMES = [
    "Doyle", "O'Brien", "Núñez", "García", "Smith-Jones", "MacDonald", "Nguyen", "Kowalski", "Murphy", "Chen",
    "Okafor", "Müller", "Rossi", "Patel", "Johansson", "Kelly", "Dubois", "Silva", "Walsh", "Brown", "Ahmed",
    "Schmidt", "Jensen", "Martínez", "Byrne", "Novak", "Kim", "Ryan", "Lefèvre", "Costa", "O'Neill", "Taylor",
    "Fischer", "Hughes", "Moreau", "Papadopoulos", "Wilson", "Ferreira", "Lynch", "Santos", "Clarke", "Yilmaz",
]  # fmt: skip


def _load_loadtest_script():
    """scripts/loadtest.py: signing in like a browser, and starting and stopping gunicorn."""
    spec = importlib.util.spec_from_file_location("loadtest_script", ROOT / "scripts" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url(settings_dict: dict) -> str:
    user = urllib.parse.quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{urllib.parse.quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@dataclass
class Page:
    name: str
    paths: list[str]
    method: str = "GET"
    form: dict[str, str] | None = None  # POSTed with the CSRF token
    page_size: int | None = None  # at most this many table rows


@dataclass
class Sample:
    status: int
    wall_ms: float
    server_ms: float
    queries: int
    rows: int


@dataclass
class Figures:
    single: list[Sample] = field(default_factory=list)
    many: list[Sample] = field(default_factory=list)
    many_seconds: float = 0.0
    cold_ms: float = 0.0  # the slowest first request of a worker, before measuring

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return self.pct([s.server_ms for s in self.single], 0.5)

    @property
    def p95(self) -> float:
        return self.pct([s.server_ms for s in self.single], 0.95)

    @property
    def queries(self) -> list[int]:
        return sorted({s.queries for s in self.single + self.many})

    @property
    def typical_queries(self) -> int:
        """The most common count of the single-user requests: a page's own queries, without the first-use reads
        of a process's copies (catalogue, forecast), which expire and come back now and then."""
        counts = Counter(s.queries for s in self.single)
        return max(counts, key=lambda n: (counts[n], -n)) if counts else 0

    @property
    def rows(self) -> int:
        return max((s.rows for s in self.single), default=0)

    @property
    def failures(self) -> int:
        return sum(1 for s in self.single + self.many if s.status != 200)

    @property
    def rps(self) -> float:
        return len(self.many) / self.many_seconds if self.many_seconds else 0.0


@dataclass
class Running:
    """A center under test: its gunicorn, the signed-in session, its pages and what was measured."""

    label: str
    tag: str  # its patients, before each printed line
    port: int
    cookie: str
    server: object
    csrf_token: str = ""
    pages: list[Page] = field(default_factory=list)
    figures: dict[str, Figures] = field(default_factory=dict)
    board_share: float = 0.0

    def client(self) -> Client:
        return Client(self.port, self.cookie, self.csrf_token)


class Client:
    """One keep-alive HTTP connection with the signed-in session (a user's browser tab)."""

    timeout = 70.0  # seconds: a little longer than gunicorn's worker timeout

    def __init__(self, port: int, cookie: str, csrf_token: str = ""):
        self.port, self.cookie, self.csrf_token = port, cookie, csrf_token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)

    def request(self, page: Page, path: str, *, read_rows: bool = True) -> tuple[Sample, str]:
        """One request; read_rows=False (the concurrent runs) leaves the body unparsed: the load generator shares
        the server's cores, and decoding and scanning a large page would take CPU from the server it measures."""
        headers = {"Cookie": self.cookie}
        body = None
        if page.method == "POST":
            body = urllib.parse.urlencode({**(page.form or {}), "csrfmiddlewaretoken": self.csrf_token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in range(2):
            try:
                self.connection.request(page.method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                body_bytes = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                # at once: a keep-alive connection the server had closed, so once more on a new one; after a
                # while: no answer (gunicorn's worker timeout killed the request), a failure
                if attempt or time.perf_counter() - started > 1:
                    wall = (time.perf_counter() - started) * 1000
                    return Sample(status=0, wall_ms=wall, server_ms=wall, queries=-1, rows=0), ""
        wall = (time.perf_counter() - started) * 1000
        html = body_bytes.decode(errors="replace") if read_rows else ""
        sample = Sample(
            status=response.status,
            wall_ms=wall,
            server_ms=float(response.getheader("X-Bench-Server-Ms") or wall),
            queries=int(response.getheader("X-Bench-Queries") or -1),
            rows=sum(part.count("<tr") for part in re.findall(r"<tbody.*?</tbody>", html, re.DOTALL)),
        )
        return sample, html

    def close(self):
        self.connection.close()


class Command(BaseCommand):
    help = "Benchmark every staff page under gunicorn on a generated center (builds it: wipes the database)."

    def add_arguments(self, parser):
        parser.add_argument("--yes-wipe", action="store_true", help="Confirm the databases may be wiped to build.")
        parser.add_argument("--patients", type=int, default=5000, help="Patients of the center (default 5,000).")
        parser.add_argument("--years", type=int, default=2, help="Years of visit history (default 2).")
        parser.add_argument(
            "--compare-database-url", help="A second dedicated database: a center `--compare-factor` times larger."
        )
        parser.add_argument("--compare-factor", type=int, default=10, help="Patients and years of the second.")
        parser.add_argument("--seconds", type=float, default=5.0, help="Seconds per page and mode (default 5).")
        parser.add_argument(
            "--requests", type=int, default=60, help="Most single-user requests per page (a p95 of 60, not of 20)."
        )
        parser.add_argument("--users", type=int, default=10, help="Concurrent users of the second mode.")
        parser.add_argument(
            "--timeout", type=int, default=60, help="gunicorn's worker timeout: a page slower fails (default 60 s)."
        )
        parser.add_argument(
            "--slow-ms", type=float, default=5000, help="A page slower than this: three requests, one user only."
        )
        parser.add_argument("--port", type=int, default=18310, help="gunicorn's port (the next one for a second).")
        parser.add_argument("--rebuild", action="store_true", help="Build even when the center is already there.")
        parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)  # run per center
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="PAGE",
            help='Measure only this page (its name as printed, e.g. "board, today"; repeatable); the board\'s '
            "throughput against /healthz/ is always measured.",
        )

    # --- the run ------------------------------------------------------------
    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The page benchmark needs PostgreSQL (set DATABASE_URL to a dedicated database).")
        if not options["yes_wipe"]:
            raise CommandError(
                f"Building the benchmark center deletes every patient, plan and appointment in "
                f"'{connection.settings_dict['NAME']}'. Run it only on dedicated databases, with --yes-wipe."
            )
        if options["build_only"]:
            self.stdout.write(json.dumps(self.build_or_reuse(options)))
            return
        centers = [(database_url(connection.settings_dict), options["patients"], options["years"])]
        if options["compare_database_url"]:
            factor = options["compare_factor"]
            centers.append((options["compare_database_url"], options["patients"] * factor, options["years"] * factor))
        connection.close()  # the parent only drives the subprocesses and gunicorn
        self.script = _load_loadtest_script()
        running: list[Running] = []
        try:
            for index, (url, patients, years) in enumerate(centers):
                running.append(self.start_center(url, patients, years, options["port"] + index, options))
            # page by page, each center in turn: a page's figures at both sizes come from the same minute of a
            # shared machine, so their ratio does not carry the load of another moment
            self.out(f"   Load average before: {self.script.load_average()}")
            if options["only"]:
                unknown = set(options["only"]) - {page.name for page in running[0].pages}
                if unknown:
                    raise CommandError(f"No such page: {', '.join(sorted(unknown))}.")
            for position, page in enumerate(running[0].pages):
                if options["only"] and page.name not in options["only"]:
                    continue
                for center in running:
                    center.figures[page.name] = self.measure_page(center, center.pages[position], options)
            for center in running:
                center.board_share = self.board_share(center, options)
            self.out(f"   Load average after: {self.script.load_average()}")
        finally:
            for center in running:
                self.script.stop_server(center.server)
        missed = []
        for center in running:
            missed += self.report(center.label, center.figures, center.pages, center.board_share)
        if len(running) == 2:
            missed += self.growth(running[0], running[1])
        self.out("")
        if missed:
            self.out(f"TARGETS MISSED ({len(missed)}):")
            for line in missed:
                self.out(f"  {line}")
        else:
            self.out("Every page within target.")

    def out(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def start_center(self, url: str, patients: int, years: int, port: int, options) -> Running:
        env = self.script.server_env(port)
        env.update(DATABASE_URL=url, DEVTOOLS="true")
        self.out(f"== Center of {patients:,} patients and {years} years in {url.rsplit('/', 1)[-1]}")
        started = time.perf_counter()
        self.script.manage("migrate", "--noinput", env=env)
        build_args = ["bench_pages", "--build-only", "--yes-wipe", "--patients", str(patients), "--years", str(years)]
        build_args += ["--seed", str(options["seed"])] + (["--rebuild"] if options["rebuild"] else [])
        targets = json.loads(self.script.manage(*build_args, env=env).strip().splitlines()[-1])
        self.script.manage("collectstatic", "--noinput", env=env)
        self.out(f"   {targets['summary']} ({time.perf_counter() - started:.0f} s)")
        self.script.free_port(port)
        Client.timeout = options["timeout"] + 10
        server = self.script.start_server(env, WORKERS, port, app="devtools.bench_wsgi", timeout=options["timeout"])
        try:
            base = f"http://127.0.0.1:{port}"
            self.script.wait_until_up(server, base)
            cookie = self.script.sign_in(base, targets["username"], targets["password"])
            center = Running(f"{patients:,} patients, {years} years", f"{patients:,}", port, cookie, server)
            center.pages = self.pages(center, targets)
        except BaseException:
            self.script.stop_server(server)
            raise
        return center

    # --- the pages ----------------------------------------------------------
    def pages(self, center: Running, targets: dict) -> list[Page]:
        today = timezone.localdate()
        client = Client(center.port, center.cookie)
        listing, html = client.request(Page("patients", [""]), reverse("patients:patient-list"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        center.csrf_token = token[1] if token else ""
        worklist = reverse("scheduling:worklist")
        _sample, html = client.request(Page("worklist", [""]), worklist)  # its page count, for a middle page
        numbers = [int(n) for n in re.findall(r"[?&]page=(\d+)", html)] or [1]
        client.close()
        reports = reverse("scheduling:reports")

        def report(days: int) -> str:
            first = today - datetime.timedelta(days=days - 1)
            return f"{reports}?date_from={first:%Y-%m-%d}&date_to={today:%Y-%m-%d}"

        board = reverse("scheduling:board")
        patient_list = reverse("patients:patient-list")
        forecast = reverse("scheduling:planning-forecast")
        pages = [
            Page("board, today", [board]),
            Page("board, another day", targets["board"][:3]),
            Page("week", [reverse("scheduling:week")]),
            Page("worklist, first page", [worklist], page_size=100),
            Page("worklist, a middle page", [f"{worklist}?page={max(1, max(numbers) // 2)}"], page_size=100),
            Page("patient list", [patient_list], page_size=25),
            Page("search: name", [patient_list], "POST", {"q": targets["search"]["name"]}, page_size=25),
            Page("search: date of birth", [patient_list], "POST", {"q": targets["search"]["dob"]}, page_size=25),
            Page("search: partial MRN", [patient_list], "POST", {"q": targets["search"]["mrn"]}, page_size=25),
            Page("patient page", targets["patients"]),
            Page("find a time", targets["slots"]),
            Page("forecast", [forecast]),
            Page("forecast, what if", [f"{forecast}?weekday=1&nurses=1"]),  # worked out in the request
            Page("appointment", targets["appointments"]),
            Page("reports, 30 days", [report(30)]),
            Page("reports, 365 days", [report(365)]),
            Page("outbox", [reverse("scheduling:outbox")], page_size=50),
            Page("audit: changes", [reverse("audit:changes")], page_size=50),
            Page("audit: access log", [reverse("audit:access")], page_size=50),
        ]
        pages += [Page(f"admin: {label}", [path], page_size=100) for label, path in targets["admin"]]
        return pages

    # --- measuring ----------------------------------------------------------
    def measure_page(self, center: Running, page: Page, options) -> Figures:
        seconds, most = options["seconds"], options["requests"]
        result = Figures()
        client = center.client()
        warm = [client.request(page, path)[0] for path in page.paths[:2]]  # first-use imports and caches
        if any(sample.status != 200 for sample in warm):  # no answer or an error: nothing more to measure
            result.single = warm
            client.close()
            self.out(f"   {center.tag:>7} {page.name:38} answered {[s.status for s in warm]} (0: no answer)")
            return result
        # a page slower than --slow-ms is measured three times, by one user only: it misses anyway
        slow = max(sample.server_ms for sample in warm) > options["slow_ms"]
        if not slow:
            result.cold_ms = max(sample.server_ms for sample in warm + self.warm_every_worker(center, page))
        deadline = time.monotonic() + seconds
        n = 0
        while n < (3 if slow else max(3, len(page.paths))) or (not slow and n < most and time.monotonic() < deadline):
            result.single.append(client.request(page, page.paths[n % len(page.paths)])[0])
            n += 1
        client.close()
        if not slow:
            result.many, result.many_seconds = self.concurrent(center, page, options["users"], seconds)
        self.out(
            f"   {center.tag:>7} {page.name:38} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms  "
            f"{options['users']} users p95 {Figures.pct([s.wall_ms for s in result.many], 0.95):7.1f} ms  "
            f"queries {result.queries}  rows {result.rows}  a worker's first use {result.cold_ms:.0f} ms"
        )
        return result

    def warm_every_worker(self, center: Running, page: Page) -> list[Sample]:
        """Each gunicorn worker's first requests for the page (its imports, its copies of the catalogue and of the
        stored forecast) before the page is measured: as many requests at once as there are workers, three times
        (gunicorn's workers close every connection, so each request goes to whichever worker takes it)."""

        def one(n: int) -> Sample:
            client = center.client()
            try:
                return client.request(page, page.paths[n % len(page.paths)])[0]
            finally:
                client.close()

        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(one, range(3 * WORKERS)))

    def concurrent(self, center: Running, page: Page, users: int, seconds: float):
        deadline = time.monotonic() + seconds
        samples: list[Sample] = []
        lock = threading.Lock()

        def user(index: int):
            client = center.client()
            n = index
            try:
                while time.monotonic() < deadline:
                    sample = client.request(page, page.paths[n % len(page.paths)], read_rows=False)[0]
                    with lock:
                        samples.append(sample)
                    n += 1
            finally:
                client.close()

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=users) as pool:
            list(pool.map(user, range(users)))
        return samples, time.perf_counter() - started

    def board_share(self, center: Running, options) -> float:
        board = next(page for page in center.pages if page.name == "board, today")
        healthz = Page("healthz", ["/healthz/"])
        board_samples, board_seconds = self.concurrent(center, board, 20, options["seconds"])
        trivial_samples, trivial_seconds = self.concurrent(center, healthz, 20, options["seconds"])
        board_rps = len(board_samples) / board_seconds
        trivial_rps = len(trivial_samples) / trivial_seconds
        self.out(f"   {center.tag:>7} at 20 users: board {board_rps:.1f} req/s, /healthz/ {trivial_rps:.1f} req/s")
        return board_rps / max(trivial_rps, 1e-9)

    # --- the report ---------------------------------------------------------
    def report(self, label: str, figures: dict[str, Figures], pages: list[Page], board_share: float) -> list[str]:
        self.out("")
        self.out(f"Center of {label}: server time single-user; wall time with concurrent users")
        header = (
            f"{'page':38} {'p50 ms':>8} {'p95 ms':>8} {'N-user p50':>11} {'N-user p95':>11} {'req/s':>7} "
            f"{'queries':>10} {'rows':>5}  verdict"
        )
        self.out(header)
        self.out("-" * len(header))
        missed = []
        for page in pages:
            if page.name not in figures:  # left out by --only
                continue
            f = figures[page.name]
            problems = []
            if f.failures:
                problems.append(f"{f.failures} answers not 200")
            if not f.p95 < P95_TARGET_MS:
                problems.append(f"p95 {f.p95:.0f} ms >= {P95_TARGET_MS:.0f}")
            if page.page_size is not None and f.rows > page.page_size:
                problems.append(f"{f.rows} rows > a page of {page.page_size}")
            many = [s.wall_ms for s in f.many]
            self.out(
                f"{page.name:38} {f.p50:>8.1f} {f.p95:>8.1f} {Figures.pct(many, 0.5):>11.1f} "
                f"{Figures.pct(many, 0.95):>11.1f} {f.rps:>7.1f} {_queries(f.queries):>10} {f.rows:>5}  "
                + ("; ".join(problems) if problems else "ok")
            )
            missed += [f"{label}: {page.name}: {problem}" for problem in problems]
        verdict = "ok" if board_share >= BOARD_SHARE_TARGET else f"< {BOARD_SHARE_TARGET}"
        self.out(f"Board throughput at 20 users = {board_share:.2f} x /healthz/'s ({verdict})")
        if board_share < BOARD_SHARE_TARGET:
            missed.append(f"{label}: board throughput {board_share:.2f} x /healthz/'s at 20 users")
        return missed

    def growth(self, small: Running, large: Running) -> list[str]:
        small_label, small_figures, pages = small.label, small.figures, small.pages
        large_label, large_figures = large.label, large.figures
        self.out("")
        self.out(f"Growth from {small_label} to {large_label} (single-user server p95; queries)")
        header = f"{'page':38} {'small p95':>10} {'large p95':>10} {'ratio':>6} {'queries':>18}  verdict"
        self.out(header)
        self.out("-" * len(header))
        missed = []
        for page in pages:
            a, b = small_figures.get(page.name), large_figures.get(page.name)
            if a is None or b is None:
                continue
            ratio = b.p95 / a.p95 if a.p95 else float("inf")
            problems = []
            if ratio > GROWTH_TARGET:
                problems.append(f"p95 grew {ratio:.2f}x > {GROWTH_TARGET}x")
            if b.typical_queries > a.typical_queries:
                problems.append(f"queries grew {a.typical_queries} -> {b.typical_queries} (typical)")
            self.out(
                f"{page.name:38} {a.p95:>10.1f} {b.p95:>10.1f} {ratio:>6.2f} "
                f"{_queries(a.queries) + ' -> ' + _queries(b.queries):>18}  " + ("; ".join(problems) or "ok")
            )
            missed += [f"growth: {page.name}: {problem}" for problem in problems]
        return missed

    # --- building the center (run in a subprocess on the center's database) ---
    def build_or_reuse(self, options) -> dict:
        patients, years = options["patients"], options["years"]
        marker = f"bench_pages center: {patients} patients, {years} years"
        existing = Patient.objects.filter(mrn=MARKER_MRN).values_list("notes", "created_at").first()
        today = timezone.localdate()
        fresh = existing and existing[0] == marker and timezone.localdate(existing[1]) == today
        if options["rebuild"] or not fresh:
            # built on another day, the booked month and "today" of the board would have moved: build again
            self.build(patients, years, random.Random(options["seed"]))
            next_doses_refresh()  # the worklist's stored next doses, as the app's services would have kept them
            state = "built"
        else:
            state = "reused (built today)"
        # the forecast and planning ceiling as the worker's beat stores them (find a time and the forecast page
        # read it), timed: the worker's side of what requests no longer do
        started = time.perf_counter()
        stored = forecast_refresh()
        refresh = (
            f"forecast refresh task {time.perf_counter() - started:.1f} s (stored: ceiling "
            f"{len(stored.ceiling) / 1e6:.1f} MB, page {len(stored.summary) / 1e3:.0f} kB)"
        )
        return {**self.targets(random.Random(options["seed"])), "summary": f"{state}: {self.summary()}; {refresh}"}

    def summary(self) -> str:
        counts = {
            "chairs": Chair.objects.count(),
            "patients": Patient.objects.count(),
            "appointments": Appointment.objects.count(),
            "history rows": Appointment.history.count(),
            "reminders": Reminder.objects.count(),
            "access-log rows": PatientAccess.objects.count(),
        }
        return ", ".join(f"{n:,} {name}" for name, n in counts.items())

    def build(self, patients: int, years: int, rng: random.Random) -> None:
        tz = center_tz()
        today = timezone.localdate()
        chairs = min(bench_scheduling.CHAIRS, max(1, patients // 40))  # a patient is never booked twice a day
        with connection.cursor() as cursor:
            tables = [*bench_scheduling.WIPE_TABLES, "scheduling_reminder", "patients_patientaccess"]
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        with transaction.atomic():
            self.user()
            bench_scheduling.bench_rooms(chairs)
            Patient.objects.bulk_create(
                (self.patient(i, rng, patients, years) for i in range(patients)), batch_size=5000
            )
            drugs = {d.name: d for d in Drug.objects.all()}
            names = [name for name, weight in bench_scheduling.DRUG_MIX for _ in range(weight)]
            cohorts = cohort_count(patients, chairs)
            span = 365 * years / cohorts
            first = today - datetime.timedelta(days=365 * years)
            TreatmentPlan.objects.bulk_create(
                (
                    TreatmentPlan(
                        patient_id=pk,
                        drug=drugs[rng.choice(names)],
                        start_date=first + datetime.timedelta(days=int(span * cohort) - 30),
                        status=TreatmentPlan.Status.ACTIVE if cohort == cohorts - 1 else TreatmentPlan.Status.STOPPED,
                    )
                    for index, pk in enumerate(Patient.objects.order_by("pk").values_list("pk", flat=True).iterator())
                    for cohort in [min(cohorts - 1, index // -(-patients // cohorts))]  # as insert_appointments
                ),
                batch_size=5000,
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [rng.random()])
            self.insert_appointments(cursor, today, years, tz, cohort_count(patients, chairs))
            self.insert_following_rows(cursor)
        with connection.cursor() as cursor:
            for model in (Patient, TreatmentPlan, Appointment, Appointment.history.model, Reminder, PatientAccess):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")

    @staticmethod
    def patient(i: int, rng: random.Random, patients: int, years: int) -> Patient:
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        return Patient(
            mrn=f"B{i:06d}",
            first_name=first,
            last_name=last,
            date_of_birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 65)),
            sex=rng.choice(["F", "F", "M"]),
            email=f"patient{i}@patients.example" if i % 3 else "",
            phone=f"+1 555 {rng.randrange(1000):03d} {rng.randrange(10000):04d}",
            height_cm=Decimal(rng.randrange(150, 195)),
            weight_kg=Decimal(rng.randrange(50, 110)),
            reminder_consent=bool(i % 3),
            notes=f"bench_pages center: {patients} patients, {years} years" if i == 0 else "",
        )

    @staticmethod
    def user():
        from axes.utils import reset

        User = get_user_model()
        user, _ = User.objects.get_or_create(username=USERNAME)
        user.first_name, user.last_name = "Page", "Benchmark"
        user.is_active = user.is_staff = user.is_superuser = True  # every staff page, the admin included
        user.save()
        reset(username=USERNAME)

    def insert_appointments(self, cursor, today: datetime.date, years: int, tz, cohorts: int = 1) -> None:
        """Every weekday of `years` up to today and the next 30 days: each chair's four blocks, 80% booked, in
        turn to every patient of the cohort under treatment that day (their plan's last phase); past visits
        completed (3% no-shows, 2% cancelled)."""
        first = today - datetime.timedelta(days=365 * years)
        last = today + datetime.timedelta(days=BOOKED_DAYS)
        span_days = max(1, (365 * years) // cohorts)
        blocks = ", ".join(
            f"({start}, {length}, {str(index == len(bench_scheduling.BLOCKS) - 1).lower()})"
            for index, (start, length) in enumerate(bench_scheduling.BLOCKS)
        )
        cursor.execute("CREATE TEMPORARY TABLE bench_plan ON COMMIT DROP AS "
                       "SELECT row_number() OVER (ORDER BY p.id) - 1 AS k, p.id, p.patient_id, p.drug_id, "
                       "(SELECT r.id FROM scheduling_regimenphase r WHERE r.drug_id = p.drug_id "
                       " ORDER BY r.\"order\" DESC LIMIT 1) AS phase_id FROM scheduling_treatmentplan p")  # fmt: skip
        cursor.execute("SELECT count(*) FROM bench_plan")
        plans = cursor.fetchone()[0]
        cohort_size = -(-plans // cohorts)  # the last cohort may be smaller: its missing turns stay free
        source = f"""
            (SELECT s.*, bp.id AS plan_id, bp.patient_id, bp.phase_id, ph.dose_amount, ph.dose_unit,
                    row_number() OVER (PARTITION BY bp.id ORDER BY s.n) AS dose_number,
                    (s.day + make_interval(mins => s.start_min)) AT TIME ZONE %(tz)s AS t0,
                    (s.day + make_interval(mins => s.end_min)) AT TIME ZONE %(tz)s AS t3,
                    s.day < %(today)s AS past, random() AS luck
             FROM (SELECT d::date AS day, c.id AS chair_id,
                          b.start_min + ((c.position - 1) %% 4) * 15 AS start_min,
                          CASE WHEN b.is_last THEN 19 * 60 ELSE b.start_min + b.len + ((c.position - 1) %% 4) * 15
                          END AS end_min,
                          row_number() OVER (ORDER BY d, c.position, b.start_min) AS n
                   FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
                   CROSS JOIN scheduling_chair c
                   CROSS JOIN (VALUES {blocks}) AS b(start_min, len, is_last)
                   WHERE extract(isodow FROM d) < 6 AND random() < %(fill)s) s
             JOIN bench_plan bp ON bp.k = LEAST((s.day - %(first)s::date) / %(span)s, %(cohorts)s - 1) * %(size)s
                                          + (s.n - 1) %% %(size)s
             JOIN scheduling_regimenphase ph ON ph.id = bp.phase_id) AS slot"""
        status = (
            "CASE WHEN NOT slot.past THEN 'scheduled' WHEN slot.luck < 0.03 THEN 'no_show' "
            "WHEN slot.luck < 0.05 THEN 'cancelled' ELSE 'completed' END"
        )
        computed = {
            "patient_id": "slot.patient_id",
            "plan_id": "slot.plan_id",
            "phase_id": "slot.phase_id",
            "chair_id": "slot.chair_id",
            "infusion_number": "slot.dose_number",
            "course_day": "1",
            "dose_mg": "CASE WHEN slot.dose_unit = 'mg' THEN slot.dose_amount ELSE 21.6 END",
            "premed_start": "slot.t0",
            "infusion_start": "slot.t0 + interval '30 minutes'",
            "infusion_end": "slot.t3 - interval '60 minutes'",
            "observation_end": "slot.t3",
            "status": status,
            "checked_in_at": "CASE WHEN slot.past AND slot.luck >= 0.05 THEN slot.t0 END",
            "infusion_started_at": "CASE WHEN slot.past AND slot.luck >= 0.05 THEN slot.t0 + interval '30 minutes' END",
            "infusion_ended_at": "CASE WHEN slot.past AND slot.luck >= 0.05 THEN slot.t3 - interval '60 minutes' END",
            "discharged_at": "CASE WHEN slot.past AND slot.luck >= 0.05 THEN slot.t3 END",
            "no_show_at": "CASE WHEN slot.past AND slot.luck < 0.03 THEN slot.t0 + interval '1 hour' END",
            "cancelled_at": "CASE WHEN slot.past AND slot.luck >= 0.03 AND slot.luck < 0.05 "
            "THEN slot.t0 - interval '2 days' END",
            "cancel_reason": "CASE WHEN slot.past AND slot.luck >= 0.03 AND slot.luck < 0.05 "
            "THEN 'Patient unwell' ELSE '' END",
            "uid": "gen_random_uuid()",
            "created_at": "slot.t0 - interval '30 days'",
            "updated_at": "slot.t0",
        }
        params = {
            "tz": str(tz),
            "today": today,
            "first": first,
            "last": last,
            "fill": bench_scheduling.FILL,
            "span": span_days,
            "cohorts": cohorts,
            "size": cohort_size,
        }
        insert_select(cursor, Appointment, computed, source, params)

    def insert_following_rows(self, cursor) -> None:
        """Per visit: its history (booked, and done for a past one), two reminders, one access-log row."""
        user_id = get_user_model().objects.get(username=USERNAME).pk
        history = Appointment.history.model
        copied = {f.attname: f"a.{connection.ops.quote_name(f.column)}" for f in Appointment._meta.concrete_fields}
        booked = {
            **copied,
            "history_date": "a.created_at",
            "history_type": "'+'",
            "history_user_id": str(user_id),
            "status": "'scheduled'",
        }
        insert_select(cursor, history, booked, "scheduling_appointment a", {})
        done = {**copied, "history_date": "a.updated_at", "history_type": "'~'", "history_user_id": str(user_id)}
        insert_select(cursor, history, done, "scheduling_appointment a WHERE a.status <> 'scheduled'", {})
        for kind, days in (("preparation", 7), ("hydration", 1)):
            due = f"a.premed_start - interval '{days} days'"
            reminder = {
                "appointment_id": "a.id",
                "kind": f"'{kind}'",
                "due_at": due,
                "status": f"CASE WHEN {due} < now() THEN 'sent' ELSE 'pending' END",
                "attempts": f"CASE WHEN {due} < now() THEN 1 ELSE 0 END",
                "sent_at": f"CASE WHEN {due} < now() THEN {due} END",
                "created_at": "a.created_at",
                "updated_at": f"LEAST({due}, now())",
            }
            insert_select(cursor, Reminder, reminder, "scheduling_appointment a WHERE a.status <> 'cancelled'", {})
        access = {
            "patient_id": "a.patient_id",
            "user_id": str(user_id),
            "username": f"'{USERNAME}'",
            "accessed_at": "a.premed_start",
            "path": "'/patients/' || a.patient_id || '/'",
            "view_name": "'patients:patient-detail'",
            "ip_address": "'127.0.0.1'",
        }
        insert_select(cursor, PatientAccess, access, "scheduling_appointment a", {})

    # --- the pages to request -----------------------------------------------
    def targets(self, rng: random.Random) -> dict:
        password = secrets.token_urlsafe(24)
        user = get_user_model().objects.get(username=USERNAME)
        user.set_password(password)  # a new password each run also ends the sessions of an earlier one
        user.save(update_fields=["password"])
        today = timezone.localdate()
        month = (today + datetime.timedelta(days=1), today + datetime.timedelta(days=BOOKED_DAYS))
        count = Patient.objects.count()
        middle = Patient.objects.order_by("pk")[count // 2]
        appointments = list(
            Appointment.objects.filter(premed_start__date__gte=month[0], status=Appointment.Status.SCHEDULED)
            .order_by("premed_start")
            .values_list("pk", flat=True)[:5]
        )
        admin_pages = [
            (
                str(model._meta.verbose_name_plural),
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
            )
            for model in admin.site._registry
            if model._meta.app_label in ADMIN_APPS
        ]
        any_plan = TreatmentPlan.objects.order_by("pk").values_list("pk", flat=True).first()
        return {
            "username": USERNAME,
            "password": password,
            "board": loadtest_setup.Command._board_paths(month, 3)
            or [f"{reverse('scheduling:board')}?day={month[0]:%Y-%m-%d}"],
            "patients": loadtest_setup.Command._patient_paths(rng, 5) or [middle.get_absolute_url()],
            # plans whose next dose falls in the booked month; in a tiny center, any plan
            "slots": loadtest_setup.Command._slot_paths(rng, month, 5)
            or [reverse("scheduling:plan-find", args=[any_plan])],
            "appointments": [reverse("scheduling:appointment-detail", args=[pk]) for pk in appointments]
            or [reverse("scheduling:appointment-detail", args=[Appointment.objects.order_by("-pk").first().pk])],
            "search": {
                "name": f"{middle.last_name}, {middle.first_name}",
                "dob": f"{middle.date_of_birth:%d/%m/%Y}",
                "mrn": middle.mrn[-4:],
            },
            "admin": admin_pages,
        }


CASELOAD_PER_CHAIR = 125  # patients under treatment a chair serves: 40 chairs, 5,000 patients


def cohort_count(patients: int, chairs: int) -> int:
    """The successive groups of patients a center treats over its history. A center with 20 years of records has
    ten times the patients of one with 2, not ten times the caseload: its chairs serve about CASELOAD_PER_CHAIR
    patients each at a time. So the history is cohorts, each under treatment for an equal share of the years
    (the last one now, its plans active; the earlier ones' plans stopped), each as busy as the one center."""
    return max(1, -(-patients // (CASELOAD_PER_CHAIR * chairs)))


def insert_select(cursor, model, computed: dict[str, str], source: str, params: dict) -> int:
    """INSERT INTO the model's table SELECT ... FROM `source`: the `computed` SQL for the columns named by
    attribute, the field's default for the others (so that a column added later needs no change here)."""
    columns, values = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in computed:
            columns.append(model_field.column)
            values.append(computed[model_field.attname])
        elif model_field.primary_key:
            continue  # the sequence numbers it
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            columns.append(model_field.column)
            values.append("now()")
        else:
            default = model_field.get_default() if model_field.has_default() or not model_field.null else None
            key = f"default_{model_field.attname}"
            params = {**params, key: model_field.get_db_prep_save(default, connection)}
            columns.append(model_field.column)
            values.append(f"%({key})s")
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({quoted}) SELECT {', '.join(values)} FROM {source}", params)
    return cursor.rowcount


def _queries(values: list[int]) -> str:
    if not values:
        return "-"
    return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"
