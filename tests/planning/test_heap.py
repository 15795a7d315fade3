"""The large copies a web process keeps (the planning ceiling, the stored forecast page) are frozen out of the
garbage collector's full passes once the request that loaded them has answered."""

import gc

import pytest
from django.core.signals import request_finished
from django.urls import reverse

from infusion_center import heap
from scheduling.selectors import planning

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_process():
    """The signal handler a web process installs, without freezing the test process for the rest of the run."""
    request_finished.connect(heap.on_request_finished, dispatch_uid="test-heap")
    heap._wanted.clear()
    try:
        yield
    finally:
        request_finished.disconnect(dispatch_uid="test-heap")
        heap._wanted.clear()
        gc.unfreeze()


def test_a_freeze_asked_for_runs_when_the_request_has_finished(web_process):
    gc.unfreeze()
    heap.freeze_after_response()
    assert gc.get_freeze_count() == 0  # not in the middle of the request
    request_finished.send(sender=None)
    assert gc.get_freeze_count() > 0
    assert not heap._wanted.is_set()
    gc.unfreeze()
    request_finished.send(sender=None)  # once per request that asked
    assert gc.get_freeze_count() == 0


def test_loading_the_ceiling_or_the_stored_page_asks_for_a_freeze_once(
    forecast_stored, client, manager, web_process, monkeypatch
):
    asked = []
    ask = heap.freeze_after_response

    def counting():
        asked.append(1)
        ask()

    monkeypatch.setattr(heap, "freeze_after_response", counting)
    assert planning.search_ceiling() is not None
    assert planning.search_ceiling() is not None  # the process's copy: nothing new to freeze
    assert len(asked) == 1
    client.force_login(manager)
    gc.unfreeze()
    assert client.get(reverse("scheduling:planning-forecast")).status_code == 200
    assert len(asked) == 2
    assert gc.get_freeze_count() > 0  # frozen once the response was finished


def test_a_slow_full_pass_asks_for_a_freeze_and_a_quick_or_young_one_does_not(web_process, monkeypatch):
    now = [0.0]
    monkeypatch.setattr(heap, "_clock", lambda: now[0])

    def collection(generation: int, milliseconds: float) -> None:
        heap.on_collection("start", {"generation": generation})
        now[0] += milliseconds / 1000
        heap.on_collection("stop", {"generation": generation, "collected": 0, "uncollectable": 0})

    collection(2, heap.SLOW_FULL_PASS_MS / 2)
    collection(0, heap.SLOW_FULL_PASS_MS * 5)
    assert not heap._wanted.is_set()
    collection(2, heap.SLOW_FULL_PASS_MS * 2)
    assert heap._wanted.is_set()
    request_finished.send(sender=None)
    assert not heap._wanted.is_set() and gc.get_freeze_count() > 0
