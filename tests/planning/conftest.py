"""Planning tests' center: three first Tysabri doses booked at the same time, with time frozen."""

import datetime

import pytest
import time_machine

from scheduling.services.booking import appointment_book
from tests.clock import local
from tests.factories import WEEKDAYS, ChairFactory, PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)  # a Tuesday
START = datetime.date(2026, 12, 14)  # a Monday, 13 days ahead: the bookings may move


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def crowded(frozen, scheduler):
    """Three first Tysabri doses (window Mon 14 - Mon 21 Dec) all booked on Monday at 09:00: a peak of three."""
    opening_hours(WEEKDAYS, nurses_on_duty=3, setup_minutes=15, patients_per_nurse=4)
    chairs = [ChairFactory(name=f"Chair {n}", position=n) for n in (1, 2, 3)]
    booked = []
    for n, chair in enumerate(chairs):
        plan = TreatmentPlanFactory(
            patient=PatientFactory(email=f"p{n}@example.org"), drug=seeded_drug("Tysabri"), start_date=START
        )
        booked.append(appointment_book(plan=plan, chair_id=chair.pk, premed_start=local(START, 9), user=scheduler))
    return chairs, booked


@pytest.fixture
def forecast_stored(crowded):
    """The crowded center's forecast as the refresh task stores it (slot search and the forecast page read it)."""
    from scheduling.services.planning_refresh import forecast_refresh

    return forecast_refresh()


@pytest.fixture
def queued(monkeypatch):
    """The forecast refresh tasks queued (recorded here, not sent to a broker)."""
    from scheduling.tasks import forecast_refresh

    calls = []
    monkeypatch.setattr(forecast_refresh, "apply_async", lambda *args, **kwargs: calls.append(args))
    return calls


@pytest.fixture
def no_forecast_in_requests(monkeypatch):
    """Working the forecast out fails the test: requests read the stored one."""
    from scheduling.selectors import planning

    def refused(*args, **kwargs):
        raise AssertionError("the forecast was worked out in the request")

    monkeypatch.setattr(planning, "center_forecast", refused)
    monkeypatch.setattr(planning, "doses_due", refused)
