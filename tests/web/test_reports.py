"""The reports page: figures summed in the database, the same queries for any number of visits or days."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, InfusionReaction
from scheduling.selectors.reports import reports
from tests.clock import local
from tests.factories import AppointmentFactory, opening_hours
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
S = Appointment.Status
URL = reverse("scheduling:reports")


def _visits(chair, day, statuses):
    # the default booking: 30 + 210 + 60 = 300 chair minutes
    return [
        AppointmentFactory(ocrevus_maintenance=True, chair=chair, premed_start=local(day, 7 + 5 * n), status=s)
        for n, s in enumerate(statuses)
    ]


def test_figures_per_chair_drug_and_severity():
    opening_hours()
    chair_a, chair_b = chairs(2)
    day = timezone.localdate() - datetime.timedelta(days=3)
    _visits(chair_a, day, [S.COMPLETED, S.NO_SHOW, S.SCHEDULED])
    _visits(chair_a, day - datetime.timedelta(days=1), [S.CANCELLED])  # holds no chair, was not due
    (given,) = _visits(chair_b, day, [S.COMPLETED])
    for severity in ("mild", "severe"):
        InfusionReaction.objects.create(
            appointment=given,
            patient=given.patient,
            drug=given.phase.drug,
            occurred_at=given.infusion_end,
            severity=severity,
            symptoms="Rash",
        )
    figures = reports(first=day - datetime.timedelta(days=6), last=day)
    by_chair = {bar.label: bar.text for bar in figures["utilisation"].bars}
    open_hours = 7 * 12
    assert by_chair[chair_a.name] == f"{5 * 2 / open_hours:.0%} · 10 of {open_hours} h"  # not the no-show
    assert by_chair[chair_b.name] == f"{5 / open_hours:.0%} · 5 of {open_hours} h"
    assert [bar.text for bar in figures["no_shows"].bars] == ["1 of 3 (33%)"]
    assert [bar.text for bar in figures["reactions"].bars] == ["2: 1 mild, 1 severe"]
    assert figures["totals"] == {"visits": 3, "no_shows": 1, "reactions": 2, "serious": 1}
    peak = {bar.label: bar.text for bar in figures["load"].bars}[f"{day:%a %d %b}"]
    assert peak.startswith("2 of ")  # two chairs busy at 07:00


def test_a_range_up_to_two_years_and_a_clear_error_beyond(client, manager):
    opening_hours()
    client.force_login(manager)
    today = timezone.localdate()
    two_years = {"date_from": (today - datetime.timedelta(days=730)).isoformat(), "date_to": today.isoformat()}
    assert client.get(URL, two_years).status_code == 200
    more = {"date_from": (today - datetime.timedelta(days=800)).isoformat(), "date_to": today.isoformat()}
    response = client.get(URL, more)
    assert response.status_code == 400
    assert "at most two years" in response.content.decode()


def _reads(client, params) -> list[str]:
    """The queries that read a warm page (asked twice: the navigation caches its badges for a minute; the session's
    and the access log's writes aside)."""
    client.get(URL, params)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and "django_session" not in q["sql"]
    ]


def test_the_same_queries_at_ten_times_the_visits_and_for_two_years(client, manager):
    opening_hours()
    client.force_login(manager)
    (chair,) = chairs(1)
    today = timezone.localdate()
    month = {"date_from": (today - datetime.timedelta(days=29)).isoformat(), "date_to": today.isoformat()}
    for n in range(2):
        _visits(chair, today - datetime.timedelta(days=n + 1), [S.COMPLETED, S.NO_SHOW])
    small = len(_reads(client, month))
    for n in range(20):
        _visits(chair, today - datetime.timedelta(days=n + 3), [S.COMPLETED, S.NO_SHOW])
    large = _reads(client, month)
    assert len(large) == small
    # no query reads appointments one by one: each is an aggregate (or the nurse-load chair times of 31 days)
    reads = [sql for sql in large if 'FROM "scheduling_appointment"' in sql]
    assert len(reads) == 2
    assert sum("GROUP BY" in sql for sql in reads) == 1  # the totals per chair and drug, in one pass
    years = {"date_from": (today - datetime.timedelta(days=730)).isoformat(), "date_to": today.isoformat()}
    assert len(_reads(client, years)) == small
