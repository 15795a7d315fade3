"""The page benchmark runs end to end on a tiny center: it builds it, serves it with gunicorn, measures every
page and prints the figures against the targets; a second run reuses the center."""

import io
import re
import socket

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from patients.models import Patient, PatientAccess
from scheduling.models import Appointment, Reminder

PORT = 18390


def _run(*extra) -> str:
    out = io.StringIO()
    call_command(
        "bench_pages",
        "--yes-wipe",
        "--patients",
        "50",
        "--years",
        "1",
        "--seconds",
        "0.3",
        "--requests",
        "3",
        "--users",
        "3",
        "--port",
        str(PORT),
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_pages_measures_every_page_of_a_tiny_center():
    output = _run()
    assert "built: " in output and re.search(r"forecast refresh task [\d.]+ s", output)
    assert Patient.objects.count() == 50
    visits = Appointment.objects.count()
    assert visits > 500  # a year of weekdays, four blocks a day, 80% booked
    assert Reminder.objects.count() > visits and PatientAccess.objects.count() >= visits  # and the pages' own
    assert Appointment.history.count() > visits
    for page in (
        "board, today",
        "board, another day",
        "week",
        "worklist, first page",
        "worklist, a middle page",
        "patient list",
        "search: name",
        "search: date of birth",
        "search: partial MRN",
        "patient page",
        "find a time",
        "forecast",
        "forecast, what if",
        "appointment",
        "reports, 30 days",
        "reports, 365 days",
        "outbox",
        "audit: changes",
        "audit: access log",
        "admin: patients",
        "admin: appointments",
    ):
        # the columns: p50, p95, N-user p50, N-user p95, req/s, queries ("5" or "5-34"), rows, then the verdict
        row = re.search(
            rf"^{re.escape(page)} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +(\d+(?:-\d+)?) +(\d+)  (.+)$", output, re.M
        )
        assert row, f"no figures for {page}"
        assert "not 200" not in row[3], f"{page}: {row[3]}"
        assert int(row[1].split("-")[0]) > 0  # the SQL count came back in the response header
    patient_list = re.search(r"^patient list .* (\d+)  \S.*$", output, re.M)
    assert int(patient_list[1]) == 25  # a page of the patient list: its rows were counted
    assert re.search(r"Board throughput at 20 users = [\d.]+ x /healthz/'s", output)
    assert "TARGETS MISSED" in output or "Every page within target." in output
    with socket.socket() as probe:  # gunicorn was stopped
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", PORT))

    build = io.StringIO()
    call_command("bench_pages", "--build-only", "--yes-wipe", "--patients", "50", "--years", "1", stdout=build)
    assert '"summary": "reused (built today)' in build.getvalue() and Appointment.objects.count() == visits


@pytest.mark.django_db
def test_bench_pages_needs_postgres_and_consent():
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            call_command("bench_pages", "--yes-wipe")
    else:
        with pytest.raises(CommandError, match="with --yes-wipe"):
            call_command("bench_pages")


def test_a_center_of_more_patients_than_its_chairs_serve_has_cohorts():
    from devtools.management.commands.bench_pages import CASELOAD_PER_CHAIR, cohort_count

    assert cohort_count(5000, 40) == 1
    assert cohort_count(50_000, 40) == 10
    assert cohort_count(50, 1) == 1
    assert cohort_count(CASELOAD_PER_CHAIR + 1, 1) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_the_last_cohort_is_under_treatment_and_each_cohort_visits_in_its_own_years(monkeypatch):
    import datetime

    from django.utils import timezone

    from devtools.management.commands import bench_pages
    from scheduling.models import TreatmentPlan

    monkeypatch.setattr(bench_pages, "CASELOAD_PER_CHAIR", 10)  # 50 patients, 1 chair: five cohorts of 10
    build = ["--build-only", "--yes-wipe", "--patients", "50", "--years", "1", "--rebuild"]
    call_command("bench_pages", *build, stdout=io.StringIO())
    plans = list(TreatmentPlan.objects.order_by("patient_id"))
    assert [p.status for p in plans] == ["stopped"] * 40 + ["active"] * 10
    today = timezone.localdate()
    first = today - datetime.timedelta(days=365)
    span = 365 // 5
    for index, plan in enumerate(plans):
        cohort = index // 10
        days = {a.local_date for a in Appointment.objects.filter(plan=plan)}
        assert days, f"plan {index} has no visit"
        assert all(first + datetime.timedelta(days=span * cohort) <= d for d in days)
        if cohort < 4:
            assert all(d < first + datetime.timedelta(days=span * (cohort + 1)) for d in days)
    future = Appointment.objects.filter(premed_start__date__gt=today)
    assert future.exists() and not future.exclude(plan__status="active").exists()
