"""PostgreSQL restarted in the middle of a burst of bookings against a gunicorn server.

Every answer is a booking, a refusal in words, or the 503 "database is unavailable" page: never a bare server
error. Nothing is half-written (a course has all its days, each appointment its confirmation reminder), and the
server books again once PostgreSQL is back, without being restarted itself.

Restarting the cluster drops every client of the server, so this test runs only as root on a machine with a local
cluster (pg_ctlcluster and /etc/postgresql/*/main).
"""

from __future__ import annotations

import datetime
import glob
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment
from tests.clock import local
from tests.factories import PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug
from tests.faults.helpers import incomplete_bookings, overlapping_pairs, scheduler_session_keys
from tests.web.helpers import chairs

CLUSTERS = sorted(glob.glob("/etc/postgresql/*/main"))
BASE_DIR = Path(settings.BASE_DIR)
CSRF_SECRET = "faultsfaultsfaultsfaultsfaults12"  # 32 characters: a valid unmasked CSRF secret
WORKERS = 6
TYSABRI_PLANS = 48
AFTER_RESTART = 12  # bookings sent only once PostgreSQL is back
STARTS = [(7, 0), (9, 30), (12, 0), (14, 30)]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("pg_ctlcluster") and CLUSTERS),
        reason="restarts the local PostgreSQL cluster: needs root, pg_ctlcluster and /etc/postgresql/*/main",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def app_server(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "VAR_DIR"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.server_settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # the sessions made here are signed with it
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=_database_url(),
        VAR_DIR=str(tmp_path),  # the file broker for the reminders' on-commit tasks, not the shared Redis
        LOG_LEVEL="WARNING",
    )
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "infusion_center.wsgi:application",
            "--workers=2",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            "--timeout=60",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/healthz/", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still starting on a busy machine
                pass
            time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text()[-3000:])
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for_postgres(timeout: float = 60) -> None:
    db = connection.settings_dict
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(
            ["pg_isready", "-q", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)], check=False
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


def test_bookings_survive_a_postgresql_restart_in_the_middle_of_a_burst(app_server):
    opening_hours(nurses_on_duty=60, patients_per_nurse=4)
    center = chairs(10)
    first_day = timezone.localdate() + datetime.timedelta(days=10)
    tysabri = seeded_drug("Tysabri")
    jobs = []  # (plan, chair, start)
    for index in range(TYSABRI_PLANS):
        day = first_day + datetime.timedelta(days=index // (8 * len(STARTS)))
        chair = center[index % 8]
        hour, minute = STARTS[(index // 8) % len(STARTS)]
        plan = TreatmentPlanFactory(drug=tysabri, start_date=day, patient=PatientFactory())
        jobs.append((plan, chair, local(day, hour, minute)))
    lemtrada = seeded_drug("Lemtrada")
    for k, chair in enumerate(center[8:]):
        day = first_day + datetime.timedelta(days=k * 7)
        plan = TreatmentPlanFactory(drug=lemtrada, start_date=day, patient=PatientFactory())
        jobs.insert(5 + 10 * k, (plan, chair, local(day, 7)))
    sessions = scheduler_session_keys(WORKERS, prefix="restart")
    cluster_version = CLUSTERS[-1].split("/")[3]
    connections.close_all()  # the restart drops this process's connection too; Django reconnects afterwards

    responses: list[dict] = []
    lock = threading.Lock()
    restart = {"started": None, "done": None}
    stop_at = [time.monotonic() + 120]

    recovered = threading.Event()
    during, after = jobs[:-AFTER_RESTART], jobs[-AFTER_RESTART:]

    def post(http, cookie, plan, chair, start) -> None:
        """Book one plan; on a 503 wait a moment and try again, as a scheduler would."""
        while time.monotonic() < stop_at[0]:
            sent = time.monotonic()
            try:
                response = http.post(
                    f"{app_server}{reverse('scheduling:plan-book', args=[plan.pk])}",
                    data={"csrfmiddlewaretoken": CSRF_SECRET, "chair_id": chair.pk, "premed_start": start.isoformat()},
                    headers={"Cookie": cookie},
                    allow_redirects=False,
                    timeout=60,
                )
                status, body = response.status_code, response.text
                if status == 302 and not response.headers.get("Location", "").startswith("/appointments/"):
                    status = -302  # a redirect elsewhere (to the sign-in page) is not a booking
            except requests.RequestException as exc:
                status, body = 0, repr(exc)
            with lock:
                responses.append({"plan": plan.pk, "status": status, "body": body, "sent": sent})
            if status != 503:
                return
            time.sleep(0.3)

    def worker(index: int) -> None:
        http = requests.Session()
        cookie = f"__Host-sessionid={sessions[index]}; __Host-csrftoken={CSRF_SECRET}"
        for job in during[index::WORKERS]:
            post(http, cookie, *job)
            time.sleep(0.25)
        recovered.wait(timeout=120)
        for job in after[index::WORKERS]:
            post(http, cookie, *job)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    restart["started"] = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version, "main", "restart", "-m", "fast"],
        check=True,
        timeout=60,
    )
    _wait_for_postgres()
    restart["done"] = time.monotonic()
    recovered.set()
    stop_at[0] = restart["done"] + 6  # keep booking for a few seconds after PostgreSQL is back
    for thread in threads:
        thread.join()

    statuses = [r["status"] for r in responses]
    summary = {s: statuses.count(s) for s in sorted(set(statuses))}
    print("responses by status:", summary)
    bad = [(r["status"], r["body"][:300]) for r in responses if r["status"] not in (302, 409, 503)]
    assert not bad, (summary, bad[:5])
    for r in responses:
        if r["status"] == 503:
            assert "The database is unavailable, try again" in r["body"]
    assert summary.get(503, 0) >= 1, f"the restart was not felt by any request: {summary}"
    assert any(r["status"] == 302 and r["sent"] < restart["started"] for r in responses), summary
    assert any(r["status"] == 302 and r["sent"] > restart["done"] for r in responses), "no booking after recovery"

    # nothing half-written, nothing overlapping, every confirmed booking is in the table
    assert incomplete_bookings() == []
    assert overlapping_pairs("chair_id") == 0 and overlapping_pairs("patient_id") == 0
    booked_plans = set(Appointment.objects.values_list("plan_id", flat=True))
    assert {r["plan"] for r in responses if r["status"] == 302} <= booked_plans
    assert requests.get(f"{app_server}/healthz/", timeout=10).status_code == 200
