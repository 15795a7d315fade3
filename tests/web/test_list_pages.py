"""The long lists (outbox, audit, access log, admin changelists): paged without counting the whole table, the
same queries at ten times the rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from infusion_center import paging
from patients.models import PatientAccess
from scheduling.models import Appointment, Reminder
from tests.clock import local
from tests.factories import AppointmentFactory, opening_hours, staff
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
S = Appointment.Status
KINDS = [Reminder.Kind.CONFIRMATION, Reminder.Kind.PREPARATION, Reminder.Kind.HYDRATION]


def _appointments(n: int, *, first_day: int = 1) -> list[Appointment]:
    (chair,) = chairs(1)
    today = timezone.localdate()
    return [
        AppointmentFactory(
            ocrevus_maintenance=True, chair=chair, premed_start=local(today + datetime.timedelta(days=first_day + k), 9)
        )
        for k in range(n)
    ]


def _reminders(appointments) -> None:
    for appointment in appointments:
        for kind in KINDS:
            Reminder.objects.get_or_create(
                appointment=appointment,
                kind=kind,
                defaults={"due_at": appointment.premed_start - datetime.timedelta(days=KINDS.index(kind) + 1)},
            )


def _get(client, url, params=None):
    """The page and the queries that read it (not the session's or the access log's writes, which come and go);
    asked twice so that what the navigation caches for a minute is warm both times."""
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    reads = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and "django_session" not in q["sql"]
    ]
    return response, reads


def _counts(queries, table: str) -> list[str]:
    return [sql for sql in queries if "COUNT(" in sql.upper() and f'"{table}"' in sql]


@pytest.mark.parametrize("params", [{}, {"status": "pending"}, {"kind": "hydration"}, {"page": "2"}])
def test_outbox_pages_without_counting_the_reminders(client, scheduler, params):
    opening_hours()
    client.force_login(scheduler)
    url = reverse("scheduling:outbox")
    _reminders(_appointments(20))  # 60: more than a page
    client.get(url)
    small, small_queries = _get(client, url, params)
    _reminders(_appointments(180, first_day=30))  # 10x
    large, large_queries = _get(client, url, params)
    assert len(large_queries) == len(small_queries)
    rows = list(large.context["reminders"])
    assert len(rows) == 50
    assert rows == sorted(rows, key=lambda r: (r.due_at, r.id), reverse=True)  # newest due first
    # only the failed ones are counted (for the "retry all" button), never the whole outbox
    assert all("failed" in sql for sql in _counts(large_queries, "scheduling_reminder"))
    assert "page=" in large.content.decode()


def test_outbox_last_page_has_no_next_link(client, scheduler):
    opening_hours()
    client.force_login(scheduler)
    _reminders(_appointments(20))  # 60 reminders: two pages
    first, _ = _get(client, reverse("scheduling:outbox"))
    assert first.context["page"].has_next()
    second, _ = _get(client, reverse("scheduling:outbox"), {"page": 2})
    assert not second.context["page"].has_next() and len(second.context["reminders"]) == 10


def test_access_log_pages_without_counting(client, manager):
    client.force_login(manager)
    url = reverse("audit:access")
    PatientAccess.objects.bulk_create(
        PatientAccess(patient_id=1, user=manager, username="m", path=f"/patients/{n}/") for n in range(60)
    )
    client.get(url)
    _, small = _get(client, url)
    PatientAccess.objects.bulk_create(
        PatientAccess(patient_id=2, user=manager, username="m", path=f"/patients/{n}/") for n in range(600)
    )
    response, large = _get(client, url)
    assert len(large) == len(small)
    assert not _counts(large, "patients_patientaccess")
    assert response.context["page_obj"].has_next()


@pytest.mark.parametrize(
    ("changelist", "params"),
    [
        ("admin:scheduling_appointment_changelist", {}),
        ("admin:scheduling_appointment_changelist", {"status__exact": "scheduled"}),
        ("admin:scheduling_treatmentplan_changelist", {}),
        ("admin:patients_patient_changelist", {}),
    ],
)
def test_admin_changelists_the_same_queries_at_ten_times_the_rows(client, changelist, params):
    opening_hours()
    client.force_login(staff(None, "root", is_superuser=True, is_staff=True))
    url = reverse(changelist)
    _appointments(12)
    client.get(url)
    _, small = _get(client, url, params)
    _appointments(120, first_day=20)
    response, large = _get(client, url, params)
    assert len(large) == len(small)
    assert response.context["cl"].show_full_result_count is False
    # one count at most (the page's), not a second one of the whole table
    table = {"appointment": "scheduling_appointment", "treatmentplan": "scheduling_treatmentplan"}.get(
        changelist.split("_")[1], "patients_patient"
    )
    assert len(_counts(large, table)) <= 1
    assert "date_hierarchy" not in response.content.decode() and "xfull" not in response.content.decode()


@pytest.mark.parametrize("model", ["appointment", "treatmentplan"])
def test_the_big_lists_in_admin_have_no_date_hierarchy(client, model):
    """Its years and months are a DISTINCT over every row of the table: a center's whole history."""
    client.force_login(staff(None, "root", is_superuser=True, is_staff=True))
    response = client.get(reverse(f"admin:scheduling_{model}_changelist"))
    assert response.context["cl"].date_hierarchy is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")
def test_admin_uses_the_planners_estimate_for_an_unfiltered_large_table(client, monkeypatch):
    opening_hours()
    _appointments(30)
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "scheduling_appointment"')
    monkeypatch.setattr(paging, "ESTIMATE_ABOVE", 10)
    client.force_login(staff(None, "root", is_superuser=True, is_staff=True))
    response, queries = _get(client, reverse("admin:scheduling_appointment_changelist"))
    assert not _counts(queries, "scheduling_appointment")
    assert response.context["cl"].result_count == 30  # the estimate of a freshly analysed table
    # a filtered list counts exactly
    response, queries = _get(client, reverse("admin:scheduling_appointment_changelist"), {"status__exact": S.NO_SHOW})
    assert response.context["cl"].result_count == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")
def test_the_patient_list_words_the_planners_estimate_and_a_search_counts_exactly(client, monkeypatch):
    from tests.factories import PatientFactory

    PatientFactory.create_batch(30, last_name="Zed")
    PatientFactory(first_name="Marie", last_name="Curie")
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "patients_patient"')
    monkeypatch.setattr(paging, "ESTIMATE_ABOVE", 10)
    client.force_login(staff("Scheduler", "sam"))
    url = reverse("patients:patient-list")
    response, queries = _get(client, url)
    assert not _counts(queries, "patients_patient")  # every patient: no count of the table
    assert "Page 1 of about 2 · about 31 patients" in response.content.decode()
    searched = client.post(url, {"q": "zed"}).content.decode()
    assert "Page 1 of 2 · 30 patients" in searched  # a search's count is exact, and worded so
    assert "1 patient<" in client.post(url, {"q": "curie"}).content.decode()
    monkeypatch.setattr(paging.EstimatedCountPaginator, "count", 50_000)
    assert "Page 1 of 2,000 · 50,000 patients" in client.get(url).content.decode()  # thousands grouped


def test_next_page_paginator_reads_one_row_more_than_the_page():
    opening_hours()
    _appointments(7)
    queryset = Appointment.objects.order_by("pk")
    first = paging.NextPagePaginator(queryset, 5).get_page(1)
    assert len(first) == 5 and first.has_next() and not first.has_previous()
    second = paging.NextPagePaginator(queryset, 5).get_page("2")
    assert len(second) == 2 and not second.has_next() and second.start_index() == 6
    assert paging.NextPagePaginator(queryset, 5).get_page("junk").number == 1
    beyond = paging.NextPagePaginator(queryset, 5).get_page(99)
    assert (beyond.number, len(beyond), beyond.has_previous()) == (99, 0, True)  # past the end: empty, a way back
