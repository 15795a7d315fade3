"""The forecast refresh task: on the beat schedule, and storing what slot search and the forecast page read."""

import pytest
from django.conf import settings

from infusion_center.celery import app as celery_app
from scheduling.models import PlanningSnapshot
from scheduling.selectors import planning
from scheduling.tasks import forecast_refresh

pytestmark = pytest.mark.django_db


def test_the_beat_refreshes_the_forecast_every_ten_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["forecast-refresh"]
    assert entry["task"] == forecast_refresh.name and entry["schedule"] == 600.0
    assert forecast_refresh.name in celery_app.tasks


def test_the_task_stores_today_s_forecast_once_however_often_it_is_queued(crowded):
    first = forecast_refresh.apply().get()  # the task body, run here as the worker runs it
    again = forecast_refresh.apply().get()  # queued by another process meanwhile: the fresh one stands
    assert first == PlanningSnapshot.objects.get().pk and again is None
    stored = planning.stored_forecast()
    assert stored.summary.first == planning.today() and stored.summary.dose_count > 0
    assert planning.search_ceiling().limit == stored.summary.ceiling.limit
