"""Level-loading benchmark: generated months of MS requests, the front desk (`plan_requests`), and the optimum.

For each instance it writes a requests file, runs `manage.py plan_requests` on it (at booking, and with
--reoptimise), books the same requests earliest-first, and solves them with CP-SAT for the lowest peak (or its
bound) and the fewest days off target at that peak. Every schedule is re-checked against every rule.

    manage.py bench_levelload [--instances small,large] [--seed 14] [--time-limit 40]

It uses no database.
"""

from __future__ import annotations

import datetime
import json
import random
import tempfile
import time
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from scheduling.engine.forecast import day_capacity, planning_ceiling
from scheduling.engine.frontdesk import Placement, book_earliest, check_schedule, demand, optimum
from scheduling.management.commands.plan_requests import parse

# (name, share, (premed, infusion, observation) options, (days early, days late), course days, days of notice)
MS_MIX = [
    ("Ocrevus maintenance", 30, [(60, 210, 60), (60, 120, 60)], (16, 14), (1, 1), (14, 60)),
    ("Ocrevus initial", 4, [(60, 150, 60)], (0, 7), (1, 1), (7, 21)),
    ("Tysabri", 36, [(0, 60, 60), (0, 60, 0)], (4, 7), (1, 1), (7, 28)),
    ("Briumvi maintenance", 10, [(60, 60, 0)], (16, 14), (1, 1), (14, 60)),
    ("Mitoxantrone", 4, [(0, 30, 30)], (7, 14), (1, 1), (14, 42)),
    ("Lemtrada", 4, [(60, 240, 120)], (0, 7), (3, 5), (14, 42)),
    ("IV methylprednisolone", 12, [(0, 60, 30)], (0, 2), (3, 5), (0, 2)),
]

INSTANCES = {
    # name: chairs, nurses, patients per nurse, weeks, target peak the demand is sized for
    "small": (12, 3, 4, 8, 3),
    "large": (40, 10, 4, 6, 8),
}


def generate(name: str, *, seed: int, start: datetime.date) -> dict:
    """Requests for an MS center: the mix above, targets on any day (weekends too), windows, courses, notice."""
    chairs, nurses, per_nurse, weeks, peak = INSTANCES[name]
    rng = random.Random(f"{name}-{seed}")
    days = weeks * 7
    last = start + datetime.timedelta(days=days - 1)
    open_days = sum(1 for n in range(days) if (start + datetime.timedelta(days=n)).weekday() < 5)
    budget = 0.85 * peak * 12 * 60 * open_days  # chair-minutes: 85% of the lanes the target peak allows
    kinds = [k for k in MS_MIX for _ in range(k[1])]
    requests, used, number = [], 0.0, 0
    while used < budget:
        kind, _share, times, (early, late), (low, high), (notice_low, notice_high) = rng.choice(kinds)
        course = rng.randint(low, high)
        premed, infusion, observation = rng.choice(times)
        minutes = (premed + infusion + observation) * course
        target = start + datetime.timedelta(days=rng.randint(3, days - 10))
        earliest = max(start, target - datetime.timedelta(days=early))
        latest = min(last - datetime.timedelta(days=course - 1), target + datetime.timedelta(days=late))
        if latest < target or not any(
            all((day + datetime.timedelta(days=k)).weekday() < 5 for k in range(course))
            for day in (earliest + datetime.timedelta(days=n) for n in range((latest - earliest).days + 1))
        ):
            continue  # no open run of days for the course inside its window: not a request a center would take
        arrives = max(start, earliest - datetime.timedelta(days=rng.randint(notice_low, notice_high)))
        number += 1
        requests.append(
            {
                "id": f"{kind.split()[0][:4].upper()}-{number}",
                "arrives_on": arrives.isoformat(),
                "earliest": earliest.isoformat(),
                "target": target.isoformat(),
                "latest": latest.isoformat(),
                "premed_minutes": premed,
                "infusion_minutes": infusion,
                "observation_minutes": observation,
                "course_days": course,
            }
        )
        used += minutes
    return {
        "center": {
            "timezone": "America/New_York",
            "start_date": start.isoformat(),
            "days": days,
            "chairs": chairs,
            "nurses": nurses,
            "setup_minutes": 15,
            "patients_per_nurse": per_nurse,
            "opens": "07:00",
            "closes": "19:00",
            "weekdays_open": [0, 1, 2, 3, 4],
        },
        "requests": requests,
    }


def read_schedule(path: Path) -> dict[str, Placement]:
    data = json.loads(path.read_text())
    grouped: dict[str, list[dict]] = {}
    for row in data["placements"]:
        grouped.setdefault(row["id"], []).append(row)
    placements = {}
    for key, rows in grouped.items():
        rows.sort(key=lambda r: r["day"])
        h, m = map(int, rows[0]["premed_start"].split(":"))
        placements[key] = Placement(
            datetime.date.fromisoformat(rows[0]["day"]), h * 60 + m, tuple(r["chair"] for r in rows)
        )
    return placements


class Command(BaseCommand):
    help = "Benchmark level-loading: the app at booking and after re-optimisation against the CP-SAT optimum."

    def add_arguments(self, parser):
        parser.add_argument("--instances", default="small,large")
        parser.add_argument("--seed", type=int, default=14)
        parser.add_argument("--time-limit", type=float, default=40.0, help="CP-SAT seconds per solve.")
        parser.add_argument("--keep", help="Directory to keep the request and schedule files in.")

    def out(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **options):
        folder = Path(options["keep"] or tempfile.mkdtemp(prefix="levelload-"))
        folder.mkdir(parents=True, exist_ok=True)
        start = datetime.date(2027, 1, 4)  # a Monday
        rows = []
        for name in options["instances"].split(","):
            rows.append(self.instance(name.strip(), folder, start, options["seed"], options["time_limit"]))
        for line in report(rows, options["time_limit"]):
            self.out(line)
        self.out(f"Files in {folder}")

    def instance(self, name: str, folder: Path, start: datetime.date, seed: int, time_limit: float) -> dict:
        document = generate(name, seed=seed, start=start)
        source = folder / f"{name}-requests.json"
        source.write_text(json.dumps(document, indent=1))
        spec, requests = parse(document)
        self.out(
            f"[{name}] {len(requests)} requests over {spec.days} days, {spec.chairs} chairs, {spec.nurses} nurses."
        )
        timings = {}
        for label, extra in (("booked", []), ("reoptimised", ["--reoptimise", "--time-limit", str(time_limit)])):
            target = folder / f"{name}-{label}.json"
            t0 = time.perf_counter()
            output = StringIO()
            call_command("plan_requests", "--in", str(source), "--out", str(target), *extra, stdout=output)
            timings[label] = time.perf_counter() - t0
            self.out(f"[{name}] plan_requests {label}: {output.getvalue().strip()} ({timings[label]:.0f} s)")
            if label == "booked":
                summary = output.getvalue()
        p50 = float(summary.split("p50 ")[1].split(" ms")[0])
        p95 = float(summary.split("p95 ")[1].split(" ms")[0])
        booked = check_schedule(spec, requests, read_schedule(folder / f"{name}-booked.json"))
        reoptimised = check_schedule(spec, requests, read_schedule(folder / f"{name}-reoptimised.json"))
        t0 = time.perf_counter()
        earliest = book_earliest(spec, requests)
        early = check_schedule(spec, requests, earliest.placements)
        self.out(f"[{name}] earliest-first: peak {early.peak} ({time.perf_counter() - t0:.0f} s)")
        center = spec.center()
        days = [spec.start_date + datetime.timedelta(days=n) for n in range(spec.days)]
        bound = planning_ceiling({d: day_capacity(center, d) for d in days}, demand(requests)).in_chairs
        hints = read_schedule(folder / f"{name}-reoptimised.json")
        best = optimum(spec, requests, time_limit=time_limit, hints=hints, lower_bound=bound)
        opt_check = check_schedule(spec, requests, _with_chairs(spec, requests, best.placements))
        self.out(
            f"[{name}] CP-SAT: peak {best.peak} (bound {best.bound}, {'proven' if best.proven else 'not proven'}), "
            f"{best.off_target_days} days off target, {best.seconds:.0f} s; busiest day "
            + (max(opt_check.daily_peaks, key=opt_check.daily_peaks.get).isoformat() if opt_check.daily_peaks else "-")
        )
        broken = len(booked.problems) + len(reoptimised.problems) + len(early.problems)
        for problem in (booked.problems + reoptimised.problems)[:5]:
            self.out(f"[{name}] BROKEN: {problem}")
        unplaced = len(requests) - booked.placed
        if unplaced:
            self.out(f"[{name}] {unplaced} requests unplaced at booking, {len(requests) - reoptimised.placed} after.")
        return {
            "name": name,
            "bound": max(bound, best.bound),
            "opt": best.peak if best.placements else None,  # CP-SAT found no schedule in its time limit
            "proven": best.proven or best.peak == max(bound, best.bound),
            "book": booked.peak,
            "reopt": reoptimised.peak,
            "early": early.peak,
            "off_opt": best.off_target_days,
            "off_book": booked.off_target_days,
            "off_reopt": reoptimised.off_target_days,
            "p50": p50,
            "p95": p95,
            "broken": broken,
        }


def report(rows: list[dict], time_limit: float) -> list[str]:
    """The table and the verdicts. An instance CP-SAT found no schedule for in its time limit has no optimum to
    compare with: its ratios to the optimum say so, and those to the bound still stand."""
    lines = [
        "",
        f"{'instance':<9} {'bound':>5} {'optimum':>8} {'booking':>7} {'reopt':>5} {'earliest':>8} "
        f"{'book/opt':>8} {'reopt/opt':>9} {'early/opt':>9} {'book/bnd':>8} {'reopt/bnd':>9} "
        f"{'off-target opt/book/reopt':>26} {'search p50/p95 ms':>18} {'broken':>6}",
    ]
    none = f"no solution in {time_limit:g} s"

    def ratio(value: int, of: int | None, width: int) -> str:
        return f"{value / of:>{width}.2f}" if of else f"{none if of is None else '-':>{width}}"

    for r in rows:
        opt, bound = r["opt"], r["bound"]
        optimum_text = "-" if opt is None else f"{opt}{'' if r['proven'] else '*'}"
        off_opt = "-" if opt is None else r["off_opt"]
        off = f"{off_opt}/{r['off_book']}/{r['off_reopt']}"
        lines.append(
            f"{r['name']:<9} {bound:>5} {optimum_text:>8} {r['book']:>7} {r['reopt']:>5} {r['early']:>8} "
            f"{ratio(r['book'], opt, 8)} {ratio(r['reopt'], opt, 9)} {ratio(r['early'], opt, 9)} "
            f"{ratio(r['book'], bound, 8)} {ratio(r['reopt'], bound, 9)} "
            f"{off:>26} {r['p50']:>8.1f}/{r['p95']:<9.1f} {r['broken']:>6}"
        )
    lines.append("* best found in the time limit, not proven optimal (the bound is the proven floor).")
    lines.append("Off-target: patient-days between target and booked day; the optimum's is its best for its peak.")
    lines.append("")
    for r in rows:
        broken = "no rule broken" if not r["broken"] else f"{r['broken']} RULES BROKEN"
        if r["opt"] is None:
            lines.append(f"{r['name']}: CP-SAT found no solution in {time_limit:g} s, nothing to compare; {broken}.")
            continue
        verdict = [
            f"at booking {'meets' if r['book'] <= 1.15 * r['opt'] else 'MISSES'} 1.15x",
            f"after re-optimisation {'meets' if r['reopt'] <= 1.05 * r['opt'] else 'MISSES'} 1.05x",
            "off-target "
            + ("meets" if r["off_reopt"] <= 2 * max(r["off_opt"], 1) else "MISSES")
            + " 2x after re-optimisation, "
            + ("meets" if r["off_book"] <= 2 * max(r["off_opt"], 1) else "MISSES")
            + " at booking",
            broken,
        ]
        lines.append(f"{r['name']}: " + "; ".join(verdict) + ".")
    return lines


def _with_chairs(spec, requests, placements: dict[int, Placement]) -> dict[str, Placement]:
    """The optimum's days and times given chairs (the model has none), so its schedule is checked like the others."""
    from scheduling.engine.levelload import Item, apply_placements

    items = [
        Item(i, i + 1, r.chair_times, r.earliest, r.target, r.latest) for i, r in enumerate(requests) if i in placements
    ]
    _center, moves = apply_placements(spec.center(), items, placements)
    return {requests[m.item.key].id: m.new for m in moves}
