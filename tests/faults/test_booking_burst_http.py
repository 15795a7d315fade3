"""Over HTTP, on a real threaded server: fifty schedulers book one chair at one time at the same instant.

Exactly one booking is made; the other forty-nine get the booking page back with a plain-words "already
booked" refusal and a 409; no request fails with a server error; the table holds one appointment on the chair.
"""

from __future__ import annotations

import datetime
import threading

import pytest
import requests
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment
from scheduling.services import booking
from tests.factories import ChairFactory, PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug
from tests.faults.helpers import ALREADY_BOOKED, CSRF_INPUT, overlapping_pairs, scheduler_session_keys

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def test_fifty_concurrent_booking_posts_for_one_chair_give_one_booking(live_server):
    opening_hours(nurses_on_duty=THREADS, patients_per_nurse=4)
    chair = ChairFactory(name="Chair 1")
    ChairFactory(name="Chair 2")
    day = timezone.localdate() + datetime.timedelta(days=10)
    tysabri = seeded_drug("Tysabri")
    plans = [TreatmentPlanFactory(drug=tysabri, start_date=day, patient=PatientFactory()) for _ in range(THREADS)]
    slot = booking.slots_find(plan=plans[0], chair_id=chair.pk, date_from=day, date_to=day)[0]
    assert slot.chair_id == chair.pk
    sessions = scheduler_session_keys(THREADS)
    connections.close_all()  # the server's threads open their own connections

    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def book(plan, session_key):
        http = requests.Session()
        http.cookies.set("sessionid", session_key)
        try:
            page = http.get(f"{live_server.url}{reverse('scheduling:plan-find', args=[plan.pk])}", timeout=60)
            token = CSRF_INPUT.search(page.text).group(1)
            barrier.wait(timeout=120)
            response = http.post(
                f"{live_server.url}{reverse('scheduling:plan-book', args=[plan.pk])}",
                data={
                    "csrfmiddlewaretoken": token,
                    "chair_id": slot.chair_id,
                    "premed_start": slot.premed_start.isoformat(),
                },
                allow_redirects=False,
                timeout=120,
            )
            outcome = (response.status_code, response.headers.get("Location", ""), response.text)
        except Exception as exc:  # a dropped connection or a timeout is a failure, reported below
            outcome = (0, "", repr(exc))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=book, args=(plan, key)) for plan, key in zip(plans, sessions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _, _ in results)
    assert len(results) == THREADS
    assert not [s for s in statuses if s >= 500 or s == 0], [(s, body[:300]) for s, _, body in results if s >= 500]
    successes = [(status, location) for status, location, _ in results if status == 302]
    refusals = [body for status, _, body in results if status == 409]
    assert len(successes) == 1, statuses
    assert successes[0][1].startswith("/appointments/")
    assert len(refusals) == THREADS - 1, statuses
    for body in refusals:
        assert "Not booked." in body and ALREADY_BOOKED.search(body), body[:2000]

    active = Appointment.objects.filter(chair=chair, status__in=Appointment.ACTIVE_STATUSES)
    assert active.count() == 1
    assert active.get().premed_start == slot.premed_start
    assert Appointment.objects.count() == 1
    assert overlapping_pairs("chair_id") == 0
