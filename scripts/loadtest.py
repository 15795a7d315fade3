"""Load test: gunicorn on PostgreSQL with the large benchmark center, measured with wrk.

Usage (from the repository root; `make loadtest` does all of it on LOADTEST_DATABASE_URL):

    DATABASE_URL=postgres://... .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://... .venv/bin/python manage.py bench_scheduling --yes-wipe --build-only
    DATABASE_URL=postgres://... .venv/bin/python scripts/loadtest.py [--duration 15] [--users 20 50]

It runs the production settings (DEBUG off; plain HTTP, since wrk does not speak TLS) behind gunicorn with
2 x cores + 1 sync workers, signs in as the `loadtest` user (created by `manage.py loadtest_setup`), checks
that every page it will request answers 200, warms the workers up, then measures with wrk the chair board,
the patient page and slot finding at each concurrency, next to a trivial Django view (/healthz/: one
`SELECT 1`) measured in the same run as the ceiling. A request that does not answer 200 (a redirect to the
sign-in page included) counts as a failure.

Prints req/s, p50/p95/p99 latency, failures, the app's CPU time per request (gunicorn processes only, not
PostgreSQL) and the machine's load average, then checks the targets: board p95 under 150 ms at 20 users,
no failures, board throughput at least a quarter of the trivial view's. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRIVIAL = "trivial view (/healthz/)"
BOARD = "chair board"
BOARD_P95_MS = 150.0
BOARD_SHARE = 0.25
BOARD_P95_USERS = 20
DEFAULT_PORT = 8765  # gunicorn's; LOADTEST_PORT (or --port) picks another


class LoadTestError(Exception):
    """A problem that stops the load test, with a message saying what to do."""


def default_port() -> int:
    value = os.environ.get("LOADTEST_PORT") or str(DEFAULT_PORT)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise LoadTestError(f"LOADTEST_PORT must be a port number (1-65535), not {value!r}.")
    return int(value)


def server_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="infusion_center.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",  # wrk speaks plain HTTP; the __Host- cookies go in a raw Cookie header
        LOG_LEVEL="WARNING",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise LoadTestError(f"`manage.py {' '.join(args)}` failed:\n{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def cookies_from(response) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(base: str, username: str, password: str) -> str:
    """Signs in like a browser and returns the Cookie header of the session."""
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        jar = cookies_from(response)
        html = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise LoadTestError("The sign-in page has no CSRF token field.")
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match[1]})
    request = urllib.request.Request(
        f"{base}/accounts/login/",
        data=data.encode(),
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Referer": f"{base}/accounts/login/"},
    )
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as redirect:
        if redirect.code != 302:
            raise LoadTestError(f"Sign-in failed with HTTP {redirect.code}.") from redirect
        jar.update(cookies_from(redirect))
    else:
        raise LoadTestError("Sign-in did not redirect: wrong password, or the account is locked out?")
    if not any("sessionid" in name for name in jar):
        raise LoadTestError("Sign-in set no session cookie.")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def status_of(base: str, path: str, cookie: str) -> int:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def check_all_ok(base: str, endpoints: dict[str, list[str]], cookie: str, parallel: int) -> None:
    """Every page the load test requests answers 200 (this also warms up each worker's caches)."""
    jobs = [(name, path) for name, paths in endpoints.items() for path in paths]
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        statuses = list(pool.map(lambda job: status_of(base, job[1], cookie), jobs))
    bad = [(name, path, status) for (name, path), status in zip(jobs, statuses, strict=True) if status != 200]
    if bad:
        listing = "\n".join(f"  {name}: {path} answered {status}" for name, path, status in bad[:10])
        raise LoadTestError(f"{len(bad)} of {len(jobs)} pages do not answer 200:\n{listing}")


def process_group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in the group (gunicorn's master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid:  # fields[2] is the process group id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_until_idle(pgid: int, timeout: float = 120) -> None:
    """Let gunicorn finish the requests still queued from the previous row, so that they do not count against
    the next one (under overload, connections wrk has closed are still in the listen queue)."""
    deadline = time.monotonic() + timeout
    before = process_group_cpu_seconds(pgid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = process_group_cpu_seconds(pgid)
        if now - before < 0.02:
            return
        before = now
    raise LoadTestError(f"gunicorn was still busy {timeout:.0f} s after the last measurement.")


def run_wrk(base: str, paths: list[str], cookie: str, users: int, duration: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    try:
        env = dict(os.environ, LOADTEST_PATHS=handle.name, LOADTEST_COOKIE=cookie)
        command = [
            "wrk",
            f"-t{min(2, users)}",
            f"-c{users}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "scripts" / "loadtest.lua"),
            base,
        ]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(handle.name)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not lines[-1].startswith("{"):
        raise LoadTestError(f"wrk failed (exit {result.returncode}):\n{result.stderr.strip() or result.stdout.strip()}")
    figures = json.loads(lines[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def free_port(port: int) -> int:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no conflict
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise LoadTestError(f"Port {port} is in use: pass --port with a free one.") from exc
    return port


def start_server(
    env: dict[str, str], workers: int, port: int, *, app: str = "infusion_center.wsgi", timeout: int = 60
) -> subprocess.Popen:
    """gunicorn serving `app` with production settings (from `env`) on 127.0.0.1:`port`."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            str(timeout),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: stopped as a whole, measured as a whole
    )


def wait_until_up(server: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LoadTestError(f"gunicorn exited with code {server.returncode} (see its messages above).")
        try:
            urllib.request.urlopen(f"{base}/healthz/", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise LoadTestError("gunicorn did not answer /healthz/ within 30 s.")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


def measure(args, targets: dict, base: str, cookie: str, server: subprocess.Popen) -> list[str]:
    endpoints = {
        TRIVIAL: ["/healthz/"],
        BOARD: targets["board"],
        "patient page": targets["patients"],
        "slot finding": targets["slots"],
    }
    print(
        f"Checking that the {sum(len(p) for p in endpoints.values())} pages answer 200 (and warming up)...",
        flush=True,
    )
    check_all_ok(base, endpoints, cookie, parallel=args.workers)
    for paths in endpoints.values():
        run_wrk(base, paths, cookie, args.workers, args.warmup)
        wait_until_idle(server.pid)
    header = (
        f"{'endpoint':26} {'users':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'failures':>8} {'CPU ms/req':>10}  load avg"
    )
    print(header)
    print("-" * len(header))
    missed = []
    for users in args.users:
        results = {}
        for name, paths in endpoints.items():
            wait_until_idle(server.pid)
            cpu_before = process_group_cpu_seconds(server.pid)
            figures = run_wrk(base, paths, cookie, users, args.duration)
            cpu_per_request = (process_group_cpu_seconds(server.pid) - cpu_before) * 1000 / max(1, figures["requests"])
            results[name] = figures
            print(
                f"{name:26} {users:>5} {figures['rps']:>8.1f} {figures['p50_ms']:>8.1f} "
                f"{figures['p95_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['failures']:>8} "
                f"{cpu_per_request:>10.1f}  {load_average()}",
                flush=True,
            )
            if figures["failures"]:
                missed.append(
                    f"{name} at {users} users: {figures['failures']} failures ({figures['not_200']} not 200, "
                    f"{figures['timeouts']} timed out after 10 s, {figures['socket_errors']} socket errors)"
                )
            if not figures["requests"]:
                missed.append(f"{name} at {users} users: no request finished in {args.duration} s")
        share = results[BOARD]["rps"] / max(results[TRIVIAL]["rps"], 1e-9)
        print(f"  board throughput = {share:.2f} x the trivial view's at {users} users (target >= {BOARD_SHARE})")
        if share < BOARD_SHARE:
            missed.append(f"board throughput {share:.2f} x the trivial view's at {users} users (< {BOARD_SHARE})")
        if users == BOARD_P95_USERS and results[BOARD]["p95_ms"] >= BOARD_P95_MS:
            missed.append(f"board p95 {results[BOARD]['p95_ms']:.0f} ms at {users} users (>= {BOARD_P95_MS:.0f} ms)")
    return missed


def on_term(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and kill both stop the run and gunicorn with it (even when started from a shell that ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_term)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measurement (default 15).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per endpoint (default 3).")
    parser.add_argument(
        "--users", type=int, nargs="+", default=[20, 50], help="Concurrent connections (default 20 50)."
    )
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers (2 x cores + 1)."
    )
    parser.add_argument(
        "--port",
        type=int,
        default=default_port(),
        help=f"gunicorn's port (default: LOADTEST_PORT, else {DEFAULT_PORT})",
    )
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise LoadTestError(
            "Set DATABASE_URL to the PostgreSQL database holding the benchmark center "
            "(or run `make loadtest LOADTEST_DATABASE_URL=postgres://...`)."
        )
    if not shutil.which("wrk"):
        raise LoadTestError("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk).")
    port = free_port(args.port)
    base = f"http://127.0.0.1:{port}"
    env = server_env(port)
    print("Preparing: the load-test user and the pages to request (manage.py loadtest_setup)...", flush=True)
    targets = json.loads(manage("loadtest_setup", "--yes", env=env))
    manage("collectstatic", "--noinput", env=env)

    print(
        f"Setup: gunicorn {args.workers} sync workers on {os.cpu_count()} cores, production settings over HTTP, "
        f"PostgreSQL with {targets['appointments']:,} appointments and {targets['patient_count']:,} patients; "
        f"pages: {len(targets['board'])} board days, {len(targets['patients'])} patients, "
        f"{len(targets['slots'])} plans to find a time for; wrk {args.duration:g} s per row after a "
        f"{args.warmup:g} s warm-up; load average before: {load_average()}",
        flush=True,
    )
    server = start_server(env, args.workers, port)
    try:
        wait_until_up(server, base)
        cookie = sign_in(base, targets["username"], targets["password"])
        missed = measure(args, targets, base, cookie, server)
    finally:
        stop_server(server)
    print(f"load average after: {load_average()}")
    if missed:
        print("TARGETS MISSED:\n  " + "\n  ".join(missed))
        return 1
    print(
        f"Targets met: board p95 < {BOARD_P95_MS:.0f} ms at {BOARD_P95_USERS} users, no failures, "
        f"board throughput >= {BOARD_SHARE} x the trivial view's."
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LoadTestError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("loadtest: interrupted; gunicorn stopped.", file=sys.stderr)
        sys.exit(130)
