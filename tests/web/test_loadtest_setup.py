"""`manage.py loadtest_setup`: the load test's sign-in user and the pages it requests."""

import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from infusion_center import roles
from scheduling.models import Appointment
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_center():
    """A tiny center shaped like the benchmark's: Tysabri patients with history; one has next week booked,
    the other's next dose (four weeks after the last) is due next week and not booked yet."""
    opening_hours()
    chair = chairs(1)[0]
    today = timezone.localdate()
    plans = []
    for mrn in ("B000000", "B000001"):
        plan = TreatmentPlanFactory(
            patient=PatientFactory(mrn=mrn), drug=seeded_drug("Tysabri"), start_date=today - datetime.timedelta(70)
        )
        for weeks_ago in (7, 3):
            AppointmentFactory(
                ocrevus_maintenance=True,
                chair=chair,
                plan=plan,
                premed_start=local(today - datetime.timedelta(weeks=weeks_ago), 9 + len(plans) * 3),
                status=Appointment.Status.COMPLETED,
                phase_order=1,
                infusion_minutes=60,
            )
        plans.append(plan)
    AppointmentFactory(
        ocrevus_maintenance=True,
        chair=chair,
        plan=plans[0],
        premed_start=local(today + datetime.timedelta(days=7), 9),
        phase_order=1,
        infusion_minutes=60,
    )
    return plans


def _run(**options) -> dict:
    out = io.StringIO()
    call_command("loadtest_setup", stdout=out, **options)
    return json.loads(out.getvalue())


def test_refuses_with_debug_off_unless_confirmed(settings, bench_center):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--yes"):
        call_command("loadtest_setup")
    assert not get_user_model().objects.filter(username="loadtest").exists()


def test_refuses_a_database_without_the_benchmark_center(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="benchmark center"):
        call_command("loadtest_setup", yes=True)
    assert not get_user_model().objects.filter(username="loadtest").exists()


def test_creates_a_user_with_both_roles_and_pages_that_answer(settings, client, bench_center):
    settings.DEBUG = False
    first = _run(yes=True)
    second = _run(yes=True)  # a rerun resets the password
    assert first["username"] == second["username"] == "loadtest"
    assert first["password"] != second["password"]
    user = get_user_model().objects.get(username="loadtest")
    assert not user.username.startswith("demo-")
    assert sorted(user.groups.values_list("name", flat=True)) == sorted([roles.NURSE, roles.SCHEDULER])
    assert not user.is_staff and not user.is_superuser
    assert not user.check_password(first["password"]) and user.check_password(second["password"])
    booked_day = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    assert second["board"] == [f"/board/?day={booked_day}"]
    assert second["patients"] == [f"/patients/{plan.patient_id}/" for plan in bench_center]
    assert second["slots"] == [f"/plans/{bench_center[1].pk}/find/"]
    assert second["appointments"] == 5 and second["patient_count"] == 2
    client.force_login(user)
    for path in second["board"] + second["patients"] + second["slots"]:
        assert client.get(path).status_code == 200, path


def test_the_load_tests_port_is_a_setting(monkeypatch):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "loadtest.py"
    spec = importlib.util.spec_from_file_location("loadtest_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.delenv("LOADTEST_PORT", raising=False)
    assert script.default_port() == script.DEFAULT_PORT
    monkeypatch.setenv("LOADTEST_PORT", "18250")
    assert script.default_port() == 18250
    monkeypatch.setenv("LOADTEST_PORT", "eighty")
    with pytest.raises(script.LoadTestError, match="must be a port number"):
        script.default_port()
