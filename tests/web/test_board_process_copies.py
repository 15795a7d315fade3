"""Each web process keeps the board grids it served, under the same keys as the shared cache: a hit then reads
nothing but the fingerprint. These tests run outside a transaction, as a web request does (inside one no copy is
used or kept)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.board import cache as board_cache
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db(transaction=True)
TZ = ZoneInfo(settings.TIME_ZONE)
DAY = datetime.date(2026, 3, 11)
NOON = datetime.datetime(2026, 3, 11, 12, 0, 10, tzinfo=TZ)
TABLE = settings.CACHES[board_cache.CACHE_ALIAS]["LOCATION"]


@pytest.fixture
def board(client, nurse, monkeypatch):
    with time_machine.travel(NOON, tick=False):
        opening_hours()
        (chair,) = chairs(1)
        plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Ada", last_name="Lovelace"))
        AppointmentFactory(ocrevus_maintenance=True, chair=chair, premed_start=local(DAY, 13), plan=plan)
        client.force_login(nurse)
        now = [1000.0]
        monkeypatch.setattr(board_cache, "_clock", lambda: now[0])
        yield {"client": client, "chair": chair, "now": now}


def htmx(client) -> str:
    response = client.get(reverse("scheduling:board"), {"day": DAY.isoformat()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def reads_cache_table(queries) -> bool:
    return any(TABLE in q["sql"] for q in queries)


def test_a_process_serves_the_grid_it_rendered_again_without_reading_the_cache_table(board, monkeypatch):
    first = htmx(board["client"])
    assert "A. Lovelace" in first

    def not_again(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(board_cache, "board_context", not_again)
    with CaptureQueriesContext(connection) as ctx:
        again = htmx(board["client"])
    assert again == first
    assert not reads_cache_table(ctx.captured_queries)
    assert not any("scheduling_appointment" in q["sql"] for q in ctx.captured_queries)


def test_a_change_is_shown_at_once_although_the_process_kept_a_copy(board):
    assert "Window chair" not in htmx(board["client"])
    chair = board["chair"]
    chair.name = "Window chair"
    chair.save()
    assert "Window chair" in htmx(board["client"])


def test_a_copy_is_kept_a_minute_at_most_then_the_shared_cache_is_read(board):
    first = htmx(board["client"])
    board["now"][0] += board_cache.PROCESS_COPY_SECONDS - 1
    with CaptureQueriesContext(connection) as ctx:
        htmx(board["client"])
    assert not reads_cache_table(ctx.captured_queries)
    board["now"][0] += 2
    with CaptureQueriesContext(connection) as ctx:
        again = htmx(board["client"])
    assert reads_cache_table(ctx.captured_queries)
    assert again == first


def test_inside_a_transaction_no_copy_is_used_or_kept(board):
    with transaction.atomic():
        board_cache.board_grid_and_patients(DAY)
    assert not board_cache._copies
    board_cache.board_grid_and_patients(DAY)
    assert len(board_cache._copies) == 1
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        board_cache.board_grid_and_patients(DAY)
    assert reads_cache_table(ctx.captured_queries)
