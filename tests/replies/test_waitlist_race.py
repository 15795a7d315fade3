"""PostgreSQL: many patients (or one patient on many devices) accept offers of one freed time at once; exactly
one booking is made and everyone else is told it is taken."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connections

from replies.models import FreedTime, WaitlistEntry, WaitlistOffer
from replies.services.waitlist import OfferTaken, offer_accept
from scheduling.models import Appointment
from scheduling.services.booking import appointment_cancel
from tests.clock import local
from tests.factories import WEEKDAYS, ChairFactory, PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug
from tests.replies.conftest import MON, NOW, book, ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ACCEPTS = 50


def race(jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes, lock = [], threading.Lock()

    def run(job):
        try:
            barrier.wait()
            outcome = ("booked", job().pk)
        except OfferTaken as exc:
            outcome = ("taken", exc.message)
        except Exception as exc:  # anything else fails the test
            outcome = ("error", repr(exc))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return outcomes


def freed_time_with_offers(count):
    opening_hours(WEEKDAYS, nurses_on_duty=6, patients_per_nurse=4)
    chair = ChairFactory(name="Chair 1")
    with time_machine.travel(NOW, tick=False):
        leaving = book(chair, local(MON, 9), patient=ready(PatientFactory()))
        appointment_cancel(appointment=leaving, reason="ill", user=None)
        freed = FreedTime.objects.get()
        offers = []
        for rank in range(1, count + 1):
            plan = TreatmentPlanFactory(drug=seeded_drug("Tysabri"), start_date=MON, patient=ready(PatientFactory()))
            entry = WaitlistEntry.objects.create(plan=plan)
            offers.append(
                WaitlistOffer.objects.create(
                    freed=freed, entry=entry, chair=chair, premed_start=local(MON, 9), rank=rank
                )
            )
    return freed, offers


def test_fifty_patients_accepting_one_freed_time_give_exactly_one_booking():
    freed, offers = freed_time_with_offers(ACCEPTS)
    outcomes = race([lambda offer=offer: offer_accept(offer=offer) for offer in offers])
    kinds = [o[0] for o in outcomes]
    assert kinds.count("booked") == 1, outcomes
    assert kinds.count("taken") == ACCEPTS - 1, outcomes
    assert all("taken" in message for kind, message in outcomes if kind == "taken")
    booked = Appointment.objects.filter(status="scheduled", premed_start=local(MON, 9))
    assert booked.count() == 1
    freed.refresh_from_db()
    assert freed.status == "filled" and freed.filled_by_id == booked.get().pk
    statuses = list(WaitlistOffer.objects.values_list("status", flat=True))
    assert statuses.count("accepted") == 1 and statuses.count("taken") == ACCEPTS - 1
    assert WaitlistEntry.objects.filter(status="booked").count() == 1


def test_fifty_accepts_of_the_same_offer_book_once():
    freed, offers = freed_time_with_offers(1)
    outcomes = race([lambda: offer_accept(offer=offers[0]) for _ in range(ACCEPTS)])
    assert {o[0] for o in outcomes} == {"booked"}, outcomes  # the patient sees it is theirs on every device
    assert len({o[1] for o in outcomes}) == 1
    assert Appointment.objects.filter(status="scheduled", plan=offers[0].entry.plan).count() == 1
