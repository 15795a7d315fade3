"""Load test: gunicorn on PostgreSQL with the large benchmark center, measured with wrk.

Usage (from the repository root, PostgreSQL in DATABASE_URL, the benchmark center already built
with `python manage.py bench_scheduling --yes-wipe --build-only`):

    .venv/bin/python scripts/loadtest.py [--duration 15] [--users 20 50]

Prints req/s, p50/p95/p99 and failures for the chair board, the patient page and slot finding at each
concurrency, next to a trivial Django view (/healthz/) measured in the same run as the ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="infusion_center.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY", secrets.token_urlsafe(50)),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
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


def sign_in(username: str, password: str) -> str:
    """Signs in like a browser and returns the Cookie header of the session."""
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{BASE}/accounts/login/") as response:
        jar = cookies_from(response)
        html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(
        f"{BASE}/accounts/login/",
        data=data.encode(),
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Referer": f"{BASE}/accounts/login/"},
    )
    try:
        opener.open(request)
    except urllib.error.HTTPError as redirect:
        if redirect.code != 302:
            raise SystemExit(f"Sign-in failed with HTTP {redirect.code}") from redirect
        jar.update(cookies_from(redirect))
    else:
        raise SystemExit("Sign-in did not redirect: wrong password or locked out?")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def check_ok(path: str, cookie: str) -> None:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(BASE + path, headers={"Cookie": cookie})
    try:
        with opener.open(request) as response:
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{path} answered {error.code}; the load test needs 200") from error


def run_wrk(paths: list[str], cookie: str, users: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    env = dict(os.environ, LOADTEST_PATHS=handle.name, LOADTEST_COOKIE=cookie)
    threads = min(2, users)
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{users}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "scripts" / "loadtest.lua"),
            BASE,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    os.unlink(handle.name)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measurement.")
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50], help="Concurrent connections.")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL database holding the benchmark center.")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk).")
    env = server_env()
    targets = json.loads(manage("loadtest_setup", env=env))
    manage("collectstatic", "--noinput", env=env)

    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "infusion_center.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = sign_in(targets["username"], targets["password"])
        endpoints = {
            "trivial view (/healthz/)": ["/healthz/"],
            "chair board": targets["board"],
            "patient page": targets["patients"],
            "slot finding": targets["slots"],
        }
        for paths in endpoints.values():
            check_ok(paths[0], cookie)
        print(
            f"gunicorn {args.workers} sync workers, wrk {args.duration}s per row, PostgreSQL, "
            f"{targets['appointments']} appointments, {targets['patient_count']} patients"
        )
        print(f"{'endpoint':26} {'users':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'failures':>8}")
        for users in args.users:
            results = {}
            for name, paths in endpoints.items():
                figures = run_wrk(paths, cookie, users, args.duration)
                results[name] = figures
                print(
                    f"{name:26} {users:>5} {figures['rps']:>8.1f} {figures['p50_ms']:>8.1f} "
                    f"{figures['p95_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['failures']:>8}"
                )
            ceiling = results["trivial view (/healthz/)"]["rps"]
            board = results["chair board"]["rps"]
            print(f"  board throughput = {board / ceiling:.2f} x the trivial view at {users} users")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
