"""The waitlist: which waitlisted doses fit a freed time (the engine decides), the ranking, one-click booking
by a scheduler, and the emailed offers the first to accept gets."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from replies import links
from replies.models import FreedTime, WaitlistEntry, WaitlistOffer
from replies.services import waitlist
from scheduling.engine.waitlist import NOT_BOOKED_GAIN, WaitlistFit, rank
from scheduling.models import Appointment
from scheduling.services.booking import appointment_cancel, appointment_reschedule
from tests.clock import local
from tests.factories import PatientFactory, TreatmentPlanFactory, UserFactory, seeded_drug
from tests.replies.conftest import MON, NOW, book, ready

pytestmark = pytest.mark.django_db
S = Appointment.Status
LATER = MON + datetime.timedelta(days=7)  # Monday 14 December, the last day of a first Tysabri dose due on the 7th


def tysabri_plan(name, start=MON, **patient):
    return TreatmentPlanFactory(
        drug=seeded_drug("Tysabri"), start_date=start, patient=ready(PatientFactory(last_name=name, **patient))
    )


@pytest.fixture
def freed_monday(clock, center):
    """Monday 09:00 on chair 1 was booked for someone who then cancelled: 09:00-11:00 is free."""
    leaving = book(center[0], local(MON, 9), patient=ready(PatientFactory(last_name="Leaving")))
    appointment_cancel(appointment=leaving, reason="Patient moved away", user=None)
    return FreedTime.objects.get(source=leaving)


def add(plan, *, weekdays=(), appointment=None):
    return waitlist.waitlist_add(plan=plan, appointment=appointment, weekdays=weekdays, note="", user=None)


def test_a_cancellation_and_a_move_record_the_freed_chair_time(clock, center):
    moving = book(center[0], local(MON, 9))
    old = (moving.chair_id, moving.premed_start, moving.observation_end)
    appointment_reschedule(appointment=moving, chair_id=center[1].pk, premed_start=local(MON, 14), user=None)
    freed = FreedTime.objects.get()
    assert (freed.chair_id, freed.starts_at, freed.ends_at, freed.reason) == (*old, "Moved to another time")


def test_the_engine_decides_who_fits_and_the_ranking(clock, center, freed_monday):
    booked_later = tysabri_plan("Later")
    later = book(center[1], local(LATER, 9), plan=booked_later)
    not_booked = tysabri_plan("Unbooked")
    tuesdays_only = tysabri_plan("Tuesdays")
    too_early = tysabri_plan("TooEarly", start=MON + datetime.timedelta(days=21))  # window opens on the 24th
    not_ready = TreatmentPlanFactory(drug=seeded_drug("Tysabri"), start_date=MON, patient=PatientFactory())
    add(booked_later, appointment=later)
    add(not_booked)
    add(tuesdays_only, weekdays=[1])
    add(too_early)
    add(not_ready)
    found = waitlist.candidates(freed_monday)
    assert [c.entry.plan.patient.last_name for c in found] == ["Unbooked", "Later"]
    assert [c.days_gained for c in found] == [None, 7]
    assert all(c.slot.chair_id == center[0].pk and c.slot.premed_start == local(MON, 9) for c in found)


def test_ranking_puts_doses_in_their_window_and_most_urgent_first():
    now = NOW
    day = datetime.date(2026, 12, 14)
    fits = [
        WaitlistFit(1, in_window=False, latest=day, days_gained=None, waiting_since=now),
        WaitlistFit(2, in_window=True, latest=day + datetime.timedelta(days=3), days_gained=None, waiting_since=now),
        WaitlistFit(3, in_window=True, latest=day, days_gained=2, waiting_since=now),
        WaitlistFit(4, in_window=True, latest=day, days_gained=9, waiting_since=now),
        WaitlistFit(5, in_window=True, latest=day, days_gained=9, waiting_since=now - datetime.timedelta(days=1)),
        WaitlistFit(6, in_window=True, latest=day, days_gained=0, waiting_since=now),  # no earlier at all
    ]
    assert [f.entry_id for f in rank(fits)] == [5, 4, 3, 2, 1]
    assert NOT_BOOKED_GAIN > 365


def test_a_scheduler_books_a_candidate_in_one_click(client, clock, center, freed_monday, scheduler):
    plan = tysabri_plan("Later")
    later = book(center[1], local(LATER, 9), plan=plan)
    entry = add(plan, appointment=later)
    client.force_login(scheduler)
    page = client.get(reverse("replies:waitlist")).content.decode()
    assert "Later" in page and "7 days earlier" in page
    response = client.post(reverse("replies:freed-book", args=[freed_monday.pk, entry.pk]))
    later.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == later.get_absolute_url()
    assert (later.premed_start, later.chair_id, later.status) == (local(MON, 9), center[0].pk, S.SCHEDULED)
    freed_monday.refresh_from_db()
    entry.refresh_from_db()
    assert freed_monday.status == "filled" and freed_monday.filled_by == later and entry.status == "booked"
    # the move freed the later time in turn: it is offered to the waitlist too
    assert FreedTime.objects.filter(starts_at=local(LATER, 9), status="open").exists()
    # a second click (another scheduler, a double submit) books nothing more
    other = add(tysabri_plan("Second"))
    response = client.post(reverse("replies:freed-book", args=[freed_monday.pk, other.pk]), follow=True)
    assert b"just been taken" in response.content
    assert Appointment.objects.filter(plan=other.plan).count() == 0


def test_offers_are_emailed_to_the_top_candidates_when_the_center_turns_them_on(
    client, clock, center, settings, django_capture_on_commit_callbacks
):
    settings.WAITLIST_EMAIL_OFFERS = True
    settings.WAITLIST_OFFER_CANDIDATES = 2
    entries = [add(tysabri_plan(name)) for name in ("First", "Second", "Third")]
    add(tysabri_plan("NoEmail", email=""))
    leaving = book(center[0], local(MON, 9), patient=ready(PatientFactory()))
    mail.outbox = []
    sent = []
    import replies.services.waitlist as module

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appointment_cancel(appointment=leaving, reason="ill", user=None)
    assert callbacks, "the offers are queued after the commit"
    freed = FreedTime.objects.get()
    sent.append(module.offers_send(freed_id=freed.pk))
    offers = list(WaitlistOffer.objects.order_by("rank"))
    assert sent == [2] and [o.entry for o in offers] == entries[:2]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.plan.patient.email for e in entries[:2])
    assert module.offers_send(freed_id=freed.pk) == 0  # sent once
    message = next(m for m in mail.outbox if m.to == [entries[0].plan.patient.email])
    assert "Monday 7 December 2026" in message.body and "arriving at 08:45" in message.body
    assert "the first to take it gets it" in message.body
    assert "Tysabri" not in message.subject + message.body
    path = next(p for p in message.body.split() if "/p/offer/" in p).split("8000", 1)[1]

    first_page = client.get(path).content.decode()
    assert "Take this time" in first_page
    booked = client.post(path)
    assert b"It is yours" in booked.content
    assert Appointment.objects.get(plan=entries[0].plan).premed_start == local(MON, 9)
    second_path = links.offer_url(offers[1].uid).split("8000", 1)[1]
    taken = client.post(second_path)
    assert taken.status_code == 409 and b"taken" in taken.content
    assert not Appointment.objects.filter(plan=entries[1].plan).exists()
    offers[1].refresh_from_db()
    assert offers[1].status == "taken"
    assert client.post(path).status_code == 200  # the winner's replay still says it is theirs
    assert Appointment.objects.filter(plan=entries[0].plan).count() == 1


def test_the_offer_link_expires(client, clock, center, freed_monday):
    entry = add(tysabri_plan("Slow"))
    offer = WaitlistOffer.objects.create(
        freed=freed_monday, entry=entry, chair=center[0], premed_start=local(MON, 9), rank=1
    )
    path = links.offer_url(offer.uid).split("8000", 1)[1]
    clock.shift(datetime.timedelta(hours=25))
    assert client.post(path).status_code == 410
    assert not Appointment.objects.filter(plan=entry.plan).exists()


def test_waitlist_add_form_and_guard_rails(client, clock, center, scheduler):
    plan = tysabri_plan("Form")
    booked = book(center[1], local(LATER, 9), plan=plan)
    client.force_login(scheduler)
    page = client.get(reverse("replies:waitlist-add", args=[plan.pk])).content.decode()
    assert "an earlier time moves this visit" in page
    client.post(reverse("replies:waitlist-add", args=[plan.pk]), {"weekdays": ["0", "2"], "note": "any time"})
    entry = WaitlistEntry.objects.get()
    assert (entry.appointment, entry.weekdays, entry.weekdays_label) == (booked, "0,2", "Monday, Wednesday")
    again = client.post(reverse("replies:waitlist-add", args=[plan.pk]), {})
    assert again.status_code == 400 and b"already on the waitlist" in again.content
    client.post(reverse("replies:waitlist-withdraw", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == "withdrawn"
    nurse_like = UserFactory()
    client.force_login(nurse_like)
    assert client.post(reverse("replies:waitlist-add", args=[plan.pk]), {}).status_code == 403
