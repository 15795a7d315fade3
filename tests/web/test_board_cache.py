"""The chair board's cached grid: served again only while nothing it shows has changed, never across a minute.

Each test freezes the clock, so a second request in the same minute would be served from the cache unless the
fingerprint saw the change: a change the fingerprint missed fails the test.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Patient, Screening
from scheduling.board import cache as board_cache
from scheduling.models import (
    Appointment,
    Chair,
    Closure,
    Drug,
    InfusionReaction,
    NurseStaffing,
    OpeningHours,
    RegimenPhase,
    ScreeningRequirement,
)
from scheduling.services import booking, visits
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
    opening_hours,
)
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(settings.TIME_ZONE)
DAY = datetime.date(2026, 3, 11)  # a Wednesday
NOON = datetime.datetime(2026, 3, 11, 12, 0, 10, tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def board(clock, client, nurse):
    """A center open every day, two chairs, one patient booked at 09:00 today (checked in) and one at 13:00."""
    opening_hours()
    first, second = chairs(2)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    plan = TreatmentPlanFactory(patient=patient)
    clear_first_dose_checks(patient, taken_on=DAY - datetime.timedelta(days=30))
    later = AppointmentFactory(ocrevus_maintenance=True, chair=first, premed_start=local(DAY, 13), plan=plan)
    client.force_login(nurse)
    return {"client": client, "chairs": (first, second), "patient": patient, "plan": plan, "later": later}


def grid(client, day=DAY, **headers) -> str:
    response = client.get(reverse("scheduling:board"), {"day": day.isoformat()}, **headers)
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    return response.content.decode()


def htmx(client, day=DAY) -> str:
    return grid(client, day, HTTP_HX_REQUEST="true")


def light(html: str, who: str) -> str:
    match = re.search(r'light light-(\w+)" aria-label="Readiness: \w+"></span>' + re.escape(who), html)
    assert match, f"no readiness light for {who}"
    return match.group(1)


# --- the cache serves what a fresh render would -------------------------------------------------------------


def test_a_cache_hit_is_the_same_html_as_a_fresh_render(board):
    client = board["client"]
    first = htmx(client)
    with CaptureQueriesContext(connection) as ctx:
        again = htmx(client)
    assert again == first
    assert not any("scheduling_appointment" in q["sql"] for q in ctx.captured_queries)  # served from the cache
    caches[board_cache.CACHE_ALIAS].clear()
    assert htmx(client) == first  # a fresh render gives the same bytes
    page = grid(client)
    assert first in page  # the full page embeds the very same grid


def test_the_grid_holds_nothing_of_the_user(board, scheduler, manager):
    client = board["client"]
    nurse_grid = htmx(client)
    for other in (scheduler, manager):
        client.force_login(other)
        assert htmx(client) == nurse_grid
        caches[board_cache.CACHE_ALIAS].clear()
        assert htmx(client) == nurse_grid
    assert "csrf" not in nurse_grid.lower() and "nonce" not in nurse_grid


# --- time ---------------------------------------------------------------------------------------------------


def test_the_key_holds_the_minute(board, clock):
    client = board["client"]
    before = htmx(client)
    assert "updated 12:00" in before
    clock.move_to(NOON + datetime.timedelta(seconds=40))  # same minute: the cached grid
    assert htmx(client) == before
    clock.move_to(NOON + datetime.timedelta(seconds=60))
    with CaptureQueriesContext(connection) as ctx:
        after = htmx(client)
    assert any("scheduling_appointment" in q["sql"] for q in ctx.captured_queries)  # rendered afresh
    assert "updated 12:01" in after and "updated 12:00" not in after


def test_another_day_is_kept_across_minutes_with_its_updated_time_refreshed(board, clock, nurse):
    client = board["client"]
    tomorrow = DAY + datetime.timedelta(days=1)
    AppointmentFactory(
        ocrevus_maintenance=True, chair=board["chairs"][1], premed_start=local(tomorrow, 9), plan=board["plan"]
    )
    before = htmx(client, tomorrow)
    clock.move_to(NOON + datetime.timedelta(minutes=7))
    with CaptureQueriesContext(connection) as ctx:
        after = htmx(client, tomorrow)
    assert not any("scheduling_appointment" in q["sql"] for q in ctx.captured_queries)  # served from the cache
    assert after == before.replace("updated 12:00", "updated 12:07")
    caches[board_cache.CACHE_ALIAS].clear()
    assert htmx(client, tomorrow) == after  # what a fresh render gives
    clock.move_to(datetime.datetime(2026, 3, 12, 0, 0, 5, tzinfo=TZ))  # midnight: readiness is judged on a new day
    client.force_login(nurse)  # the session has been idle for hours
    with CaptureQueriesContext(connection) as ctx:
        htmx(client, tomorrow)
    assert any("scheduling_appointment" in q["sql"] for q in ctx.captured_queries)


def test_the_now_line_and_a_running_stay_move_with_the_clock(board, clock, nurse):
    client = board["client"]
    early = AppointmentFactory(
        ocrevus_maintenance=True, chair=board["chairs"][1], premed_start=local(DAY, 11), plan=TreatmentPlanFactory()
    )
    visits.appointment_check_in(appointment=early, user=nurse, at=local(DAY, 11))
    noon = htmx(client)
    clock.move_to(NOON + datetime.timedelta(minutes=20))
    later = htmx(client)
    now_column = re.compile(r'class="now-line cs-(\d+)"')
    assert int(now_column.search(later).group(1)) == int(now_column.search(noon).group(1)) + 4  # 20 min, 5-min columns
    stay = re.compile(r'class="actual actual-stay cs-(\d+) ce-(\d+) running"')
    assert int(stay.search(later).group(2)) == int(stay.search(noon).group(2)) + 4


# --- every input changes the next grid ----------------------------------------------------------------------


def test_booking_shows_the_new_block(board, scheduler):
    client = board["client"]
    before = htmx(client)
    plan = TreatmentPlanFactory(patient=PatientFactory(first_name="Grace", last_name="Hopper"))
    booking.appointment_book(plan=plan, chair_id=board["chairs"][1].pk, premed_start=local(DAY, 14), user=scheduler)
    after = htmx(client)
    assert "G. Hopper" not in before and "G. Hopper" in after


def test_cancelling_removes_the_block(board, scheduler):
    client = board["client"]
    assert "A. Lovelace" in htmx(client)
    booking.appointment_cancel(appointment=board["later"], reason="Patient unwell", user=scheduler)
    assert "A. Lovelace" not in htmx(client)


def test_checking_in_draws_the_stay(board, nurse, clock):
    client = board["client"]
    early = AppointmentFactory(
        ocrevus_maintenance=True, chair=board["chairs"][1], premed_start=local(DAY, 11, 30), plan=TreatmentPlanFactory()
    )
    before = htmx(client)
    visits.appointment_check_in(appointment=early, user=nurse, at=local(DAY, 11, 35))
    after = htmx(client)
    assert "In the chair from 11:35" not in before and "In the chair from 11:35" in after


def test_a_screening_turns_the_light_green(board):
    client = board["client"]
    assert light(htmx(client), "A. Lovelace") == "blocked"  # no infection screen in the last 3 days
    ScreeningFactory(patient=board["patient"], kind="infection", taken_on=DAY, valid_days=3)
    assert light(htmx(client), "A. Lovelace") == "ready"


def test_a_drug_requirement_edit_changes_the_light(board):
    client = board["client"]
    assert light(htmx(client), "A. Lovelace") == "blocked"
    requirement = ScreeningRequirement.objects.get(drug=board["plan"].drug, kind="infection")
    requirement.blocking = False
    requirement.save()
    assert light(htmx(client), "A. Lovelace") == "warnings"


def test_the_patient_changes_the_light_and_the_name(board):
    client = board["client"]
    ScreeningFactory(patient=board["patient"], kind="infection", taken_on=DAY, valid_days=3)
    assert "A. Lovelace" in htmx(client)
    patient = Patient.objects.get(pk=board["patient"].pk)
    patient.last_name = "King"
    patient.save()
    html = htmx(client)
    assert "A. King" in html and "A. Lovelace" not in html


def test_an_earlier_dose_on_another_day_changes_the_light(board):
    """Readiness reads the patient's other appointments: a dose before this one means hepatitis B is not due."""
    client = board["client"]
    Screening.objects.filter(patient=board["patient"], kind="hep_b").delete()
    ScreeningFactory(patient=board["patient"], kind="infection", taken_on=DAY, valid_days=3)
    assert light(htmx(client), "A. Lovelace") == "blocked"  # first dose: hepatitis B screening needed
    AppointmentFactory(
        ocrevus_maintenance=True,
        chair=board["chairs"][1],
        premed_start=local(DAY - datetime.timedelta(days=180), 9),
        plan=board["plan"],
        status=Appointment.Status.COMPLETED,
    )
    assert light(htmx(client), "A. Lovelace") == "ready"


def test_a_closure_greys_the_chair(board):
    client = board["client"]
    assert "Pump serviced" not in htmx(client)
    Closure.objects.create(chair=board["chairs"][1], starts_on=DAY, ends_on=DAY, reason="Pump serviced")
    assert "Closed: Pump serviced" in htmx(client)


def test_staffing_changes_the_caps(board):
    client = board["client"]
    assert "(cap 12)" in htmx(client)  # 3 nurses x 4 patients
    NurseStaffing.objects.create(date=DAY, nurses_on_duty=2, patients_per_nurse=4)
    assert "(cap 8)" in htmx(client)


def test_opening_hours_change_the_day(board):
    client = board["client"]
    assert "Open 07:00–19:00" in htmx(client)
    hours = OpeningHours.objects.get(weekday=DAY.weekday())
    hours.opens_at = datetime.time(8, 0)
    hours.save()
    assert "Open 08:00–19:00" in htmx(client)


def test_a_chair_rename_shows(board):
    client = board["client"]
    chair = Chair.objects.get(pk=board["chairs"][1].pk)
    assert "Recliner by the window" not in htmx(client)
    chair.name = "Recliner by the window"
    chair.save()
    assert "Recliner by the window" in htmx(client)


def test_a_drug_rename_shows(board):
    client = board["client"]
    assert "Ocrevus Zunovo" not in htmx(client)
    drug = Drug.objects.get(pk=board["plan"].drug_id)
    drug.brand_name = "Ocrevus Zunovo"
    drug.save()
    assert "Ocrevus Zunovo" in htmx(client)


def test_every_write_to_an_input_changes_the_fingerprint(board, nurse):
    before = board_cache.board_fingerprint()
    phase = RegimenPhase.objects.get(pk=board["later"].phase_id)
    phase.name += " (maintenance)"
    phase.save()
    after_phase = board_cache.board_fingerprint()
    assert after_phase != before
    InfusionReaction.objects.create(
        appointment=board["later"],
        patient=board["patient"],
        drug=board["plan"].drug,
        occurred_at=NOON,
        severity="mild",
        symptoms="Flushing",
        recorded_by=nurse,
    )
    assert board_cache.board_fingerprint() != after_phase


def test_a_late_commit_below_the_highest_id_changes_the_fingerprint(board):
    """A transaction can take a history id before another and commit after it: the highest id stays, the sum
    of the recent ids sees it."""
    AppointmentFactory(
        ocrevus_maintenance=True, chair=board["chairs"][1], premed_start=local(DAY, 8), plan=TreatmentPlanFactory()
    )
    history = Appointment.history.model
    ids = sorted(history.objects.values_list("history_id", flat=True))
    assert len(ids) >= 2
    lower = history.objects.get(history_id=ids[-2])
    history.objects.filter(history_id=lower.history_id).delete()  # as if its transaction had not committed yet
    without = board_cache.board_fingerprint()
    lower.save(force_insert=True)  # it commits now, below the highest id
    assert history.objects.filter(history_id=ids[-2]).exists() and max(ids) == ids[-1]
    assert board_cache.board_fingerprint() != without


def test_the_fingerprint_covers_every_table_the_grid_reads(board, nurse):
    """A cold render reads only tables whose writes the fingerprint sees."""
    client = board["client"]
    ScreeningFactory(patient=board["patient"], kind="infection", taken_on=DAY, valid_days=3)
    Closure.objects.create(chair=board["chairs"][1], starts_on=DAY, ends_on=DAY, reason="Pump serviced")
    NurseStaffing.objects.create(date=DAY, nurses_on_duty=2)
    covered = {model._meta.db_table for model in board_cache.INPUTS}
    covered |= {model.history.model._meta.db_table for model in board_cache.INPUTS}
    with CaptureQueriesContext(connection) as ctx:
        htmx(client)
    read = set()
    for query in ctx.captured_queries:
        read |= set(re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"]))
    request_tables = {"django_session", "auth_user", "auth_permission", "auth_group", "django_content_type"}
    request_tables |= {"auth_user_groups", "auth_user_user_permissions", "auth_group_permissions"}
    request_tables |= {"patients_patientaccess"}  # the access log of the patients shown
    request_tables |= {"board_cache"}  # the cached grids themselves
    assert {"scheduling_appointment", "patients_screening", "scheduling_closure"} <= read
    assert read - request_tables - covered == set()


# --- a warm request is cheap ----------------------------------------------------------------------------------


def test_a_warm_board_request_makes_a_few_fixed_queries(board):
    client = board["client"]
    grid(client)
    with CaptureQueriesContext(connection) as small:
        grid(client)
    for chair in chairs(8):
        for hour in (7, 13):
            AppointmentFactory(
                ocrevus_maintenance=True, chair=chair, premed_start=local(DAY, hour), plan=TreatmentPlanFactory()
            )
    grid(client)  # the fingerprint changed: rendered afresh
    with CaptureQueriesContext(connection) as big:
        page = grid(client)
    assert page.count("seg seg-infusion") == 17
    assert (
        len(big.captured_queries) == len(small.captured_queries) <= 8
    )  # session, user, 2 permissions, roles, fingerprint, the cached grid, the access log's one insert
    fingerprints = [q for q in big.captured_queries if "UNION ALL" in q["sql"] or "EXECUTE board_" in q["sql"]]
    assert len(fingerprints) == 1


def test_every_web_process_serves_the_grid_one_of_them_rendered(board, monkeypatch):
    """The grids live in a database table, not in a process's memory: with five web processes, a grid is rendered
    once for all of them (a process that did not render it finds it there)."""
    client = board["client"]
    first = htmx(client)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(settings.CACHES['board']['LOCATION'])}")
        assert cursor.fetchone()[0] == 1

    def not_again(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(board_cache, "board_context", not_again)
    caches["board"].close()  # another process: a connection of its own to the same table
    assert htmx(client) == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a prepared statement of PostgreSQL's")
def test_the_fingerprint_is_prepared_once_a_database_session_and_again_on_a_new_one(board):
    with CaptureQueriesContext(connection) as first:
        before = board_cache.board_fingerprint()
        assert board_cache.board_fingerprint() == before  # nothing written between: the same answer
    sql = [query["sql"] for query in first.captured_queries]
    assert sum(s.startswith("PREPARE") for s in sql) <= 1 and sql[-1].startswith("EXECUTE")
    Closure.objects.create(chair=board["chairs"][1], starts_on=DAY, ends_on=DAY, reason="Pump serviced")
    assert board_cache.board_fingerprint() != before  # the prepared statement sees the write
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a new session has: no statement yet
    connection.connection._board_fingerprint_prepared = False
    with CaptureQueriesContext(connection) as again:
        board_cache.board_fingerprint()
    assert [q["sql"].split()[0] for q in again.captured_queries] == ["PREPARE", "EXECUTE"]
