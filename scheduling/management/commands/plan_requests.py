"""Simulate the front desk on a center described in a file, with the app's own engine and ranking.

    manage.py plan_requests --in REQUESTS.json --out SCHEDULE.json [--reoptimise]

Input: {"center": {"timezone", "start_date", "days", "chairs", "nurses", "setup_minutes", "patients_per_nurse",
"opens": "07:00", "closes": "19:00", "weekdays_open": [0, 1, 2, 3, 4]}, "requests": [{"id", "arrives_on",
"earliest", "target", "latest", "premed_minutes", "infusion_minutes", "observation_minutes", "course_days"}]}.
Requests are booked in `arrives_on` order (ties in file order), each at arrival at the best slot inside its
window, planned against the ceiling that the forecast of every request's window gives; with --reoptimise the
CP-SAT re-optimisation then moves doses inside their windows once. Output: {"placements": [{"id", "day", "chair",
"premed_start": "HH:MM"}], "unplaced": [ids]}, one placement per course day.

Nothing is read from or written to the database: the simulation runs on the pure engine alone.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError

from scheduling.engine.capacity import hhmm
from scheduling.engine.frontdesk import CenterSpec, DeskResult, Request, book_ranked, reoptimise
from scheduling.engine.protocol import ChairTime

MAX_REQUESTS = 20_000
MAX_DAYS = 400


class InputError(ValueError):
    pass


def _date(value, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {value!r} is not a date (YYYY-MM-DD).") from None


def _time(value, where: str) -> datetime.time:
    try:
        return datetime.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {value!r} is not a time (HH:MM).") from None


def _int(data: dict, name: str, where: str, *, low: int = 0, high: int = 10_000, default=None) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{where}: {name} must be a whole number from {low} to {high}, not {value!r}.")
    return value


def parse(document) -> tuple[CenterSpec, list[Request]]:
    if not isinstance(document, dict) or not isinstance(document.get("center"), dict):
        raise InputError('The file needs a "center" object and a "requests" list.')
    c = document["center"]
    try:
        ZoneInfo(str(c.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"center: unknown timezone {c.get('timezone')!r}.") from None
    weekdays = c.get("weekdays_open", [0, 1, 2, 3, 4])
    if not isinstance(weekdays, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in weekdays):
        raise InputError("center: weekdays_open must list weekdays 0 (Monday) to 6 (Sunday).")
    spec = CenterSpec(
        timezone=str(c["timezone"]),
        start_date=_date(c.get("start_date"), "center.start_date"),
        days=_int(c, "days", "center", low=1, high=MAX_DAYS),
        chairs=_int(c, "chairs", "center", low=1, high=500),
        nurses=_int(c, "nurses", "center", low=0, high=500),
        setup_minutes=_int(c, "setup_minutes", "center", low=0, high=240, default=15),
        patients_per_nurse=_int(c, "patients_per_nurse", "center", low=0, high=50),
        opens=_time(c.get("opens", "07:00"), "center.opens"),
        closes=_time(c.get("closes", "19:00"), "center.closes"),
        weekdays_open=tuple(sorted(set(weekdays))),
    )
    if spec.closes <= spec.opens:
        raise InputError("center: closes must be after opens.")
    raw = document.get("requests")
    if not isinstance(raw, list) or len(raw) > MAX_REQUESTS:
        raise InputError(f'"requests" must be a list of at most {MAX_REQUESTS} requests.')
    requests, seen = [], set()
    for n, r in enumerate(raw, start=1):
        where = f"request {n}"
        if not isinstance(r, dict) or "id" not in r:
            raise InputError(f"{where}: needs an id.")
        where = f"request {r['id']!r}"
        if r["id"] in seen:
            raise InputError(f"{where}: the id is used twice.")
        seen.add(r["id"])
        earliest = _date(r.get("earliest"), f"{where}.earliest")
        target = _date(r.get("target"), f"{where}.target")
        latest = _date(r.get("latest"), f"{where}.latest")
        if not earliest <= target <= latest:
            raise InputError(f"{where}: the window must run earliest <= target <= latest.")
        chair_time = ChairTime(
            _int(r, "premed_minutes", where, default=0),
            _int(r, "infusion_minutes", where, low=1),
            _int(r, "observation_minutes", where, default=0),
        )
        requests.append(
            Request(
                id=r["id"],
                arrives_on=_date(r.get("arrives_on", c.get("start_date")), f"{where}.arrives_on"),
                earliest=earliest,
                target=target,
                latest=latest,
                chair_time=chair_time,
                course_days=_int(r, "course_days", where, low=1, high=14, default=1),
            )
        )
    return spec, requests


def schedule_document(requests: list[Request], result: DeskResult) -> dict:
    placements = []
    for request in requests:
        placement = result.placements.get(request.id)
        if placement is None:
            continue
        for k in range(request.course_days):
            placements.append(
                {
                    "id": request.id,
                    "day": (placement.day + datetime.timedelta(days=k)).isoformat(),
                    "chair": placement.chairs[k],
                    "premed_start": hhmm(placement.start),
                }
            )
    return {"placements": placements, "unplaced": [r.id for r in requests if r.id not in result.placements]}


class Command(BaseCommand):
    help = "Book requests in arrival order with the app's ranking (and re-optimise once): a front desk simulated."

    def add_arguments(self, parser):
        parser.add_argument("--in", dest="source", required=True, help="REQUESTS.json")
        parser.add_argument("--out", dest="target", required=True, help="SCHEDULE.json")
        parser.add_argument("--reoptimise", action="store_true", help="Run the re-optimisation once after booking.")
        parser.add_argument("--time-limit", type=float, default=60.0, help="Seconds for the re-optimisation.")

    def handle(self, *args, **options):
        try:
            document = json.loads(Path(options["source"]).read_text())
        except OSError as exc:
            raise CommandError(f"Cannot read {options['source']}: {exc.strerror}.") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{options['source']} is not valid JSON: {exc}.") from exc
        try:
            spec, requests = parse(document)
        except (InputError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        result = book_ranked(spec, requests)
        searches = sorted(result.search_ms)
        if options["reoptimise"]:
            result = reoptimise(spec, requests, result, time_limit=options["time_limit"])
        Path(options["target"]).write_text(json.dumps(schedule_document(requests, result), indent=1))
        p50 = searches[int(0.50 * (len(searches) - 1))] if searches else 0.0
        p95 = searches[int(0.95 * (len(searches) - 1))] if searches else 0.0
        self.stdout.write(
            f"{len(result.placements)} of {len(requests)} requests placed; slot search p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms" + (f" (ceiling {result.ceiling.in_chairs} in chairs)" if result.ceiling else "")
        )
