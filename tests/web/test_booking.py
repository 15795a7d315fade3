"""Booking pages over the real booking services: find, book, maintenance, reschedule, cancel, refusals."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, TreatmentPlan
from scheduling.selectors.plan_state import plan_next_dose_to_book
from scheduling.services import booking, visits
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, seeded_drug
from tests.pharmacy.helpers import dose_ready

pytestmark = pytest.mark.django_db
S = Appointment.Status


@pytest.fixture
def plan(center):
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    return TreatmentPlanFactory(patient=patient, start_date=timezone.localdate() + datetime.timedelta(days=3))


def _first_slot(client, plan):
    response = client.get(reverse("scheduling:plan-find", args=[plan.pk]))
    assert response.status_code == 200
    slots = response.context["slots"]
    assert slots, "the engine offers times"
    return slots[0]


def test_find_and_book_a_time(client, scheduler, plan):
    client.force_login(scheduler)
    slot = _first_slot(client, plan)
    response = client.post(
        reverse("scheduling:plan-book", args=[plan.pk]),
        {"chair_id": slot.chair_id, "premed_start": slot.premed_start.isoformat()},
    )
    appointment = Appointment.objects.get(plan=plan)
    assert response.status_code == 302 and response.url == appointment.get_absolute_url()
    assert appointment.premed_start == slot.premed_start and appointment.chair_id == slot.chair_id
    assert appointment.created_by == scheduler


def test_search_filters_reach_the_engine(client, scheduler, plan, center):
    client.force_login(scheduler)
    day = plan.start_date + datetime.timedelta(days=2)
    response = client.get(
        reverse("scheduling:plan-find", args=[plan.pk]),
        {"date_from": day.isoformat(), "date_to": day.isoformat(), "chair": center[2].pk, "time_of_day": "afternoon"},
    )
    slots = response.context["slots"]
    assert slots
    for slot in slots:
        assert slot.chair_id == center[2].pk
        assert timezone.localtime(slot.premed_start).date() == day
        assert timezone.localtime(slot.premed_start).hour >= 12


def test_bad_search_is_a_form_error(client, scheduler, plan):
    client.force_login(scheduler)
    response = client.get(
        reverse("scheduling:plan-find", args=[plan.pk]), {"date_from": "2026-12-10", "date_to": "2026-12-01"}
    )
    assert response.status_code == 200
    assert "before its start" in response.content.decode()


def test_taken_slot_shows_the_refusal_on_the_page(client, scheduler, plan, center):
    client.force_login(scheduler)
    slot = _first_slot(client, plan)
    other = TreatmentPlanFactory(patient=PatientFactory())
    booking.appointment_book(plan=other, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler)
    response = client.post(
        reverse("scheduling:plan-book", args=[plan.pk]),
        {"chair_id": slot.chair_id, "premed_start": slot.premed_start.isoformat()},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not booked." in html and "already booked" in html
    assert not Appointment.objects.filter(plan=plan).exists()


def test_time_before_the_window_is_refused_in_plain_words(client, scheduler, plan, center):
    client.force_login(scheduler)
    too_early = local(timezone.localdate() + datetime.timedelta(days=1), 9)
    response = client.post(
        reverse("scheduling:plan-book", args=[plan.pk]),
        {"chair_id": center[0].pk, "premed_start": too_early.isoformat()},
    )
    assert response.status_code == 409
    assert "Not booked." in response.content.decode()


def test_garbage_pick_is_a_form_error_not_a_500(client, scheduler, plan):
    client.force_login(scheduler)
    response = client.post(reverse("scheduling:plan-book", args=[plan.pk]), {"chair_id": "x", "premed_start": "soon"})
    assert response.status_code == 400
    assert "Choose one of the times offered" in response.content.decode()


def test_nurse_cannot_book(client, nurse, plan, center):
    client.force_login(nurse)
    assert client.get(reverse("scheduling:plan-find", args=[plan.pk])).status_code == 403
    assert client.post(reverse("scheduling:plan-book", args=[plan.pk]), {}).status_code == 403


def test_book_next_doses_for_maintenance(client, scheduler, center):
    patient = PatientFactory()
    plan = TreatmentPlanFactory(patient=patient, drug=seeded_drug("Tysabri"))
    client.force_login(scheduler)
    html = client.get(reverse("scheduling:plan-find", args=[plan.pk])).content.decode()
    assert "Book the next doses together" in html
    response = client.post(reverse("scheduling:plan-book-maintenance", args=[plan.pk]), {"count": 3})
    assert response.status_code == 302
    assert Appointment.objects.filter(plan=plan, status=S.SCHEDULED).count() == 3


def test_maintenance_count_is_validated(client, scheduler, plan):
    client.force_login(scheduler)
    response = client.post(reverse("scheduling:plan-book-maintenance", args=[plan.pk]), {"count": 99})
    assert response.status_code == 400


def test_reschedule_moves_the_same_booking(client, scheduler, plan):
    client.force_login(scheduler)
    slot = _first_slot(client, plan)
    (appointment,) = booking.dose_book(
        plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler
    )
    response = client.get(reverse("scheduling:appointment-reschedule", args=[appointment.pk]))
    assert response.status_code == 200
    other = next(s for s in response.context["slots"] if s.premed_start != appointment.premed_start)
    response = client.post(
        reverse("scheduling:appointment-reschedule", args=[appointment.pk]),
        {"chair_id": other.chair_id, "premed_start": other.premed_start.isoformat()},
    )
    assert response.status_code == 302
    moved = Appointment.objects.get(pk=appointment.pk)
    assert moved.premed_start == other.premed_start and moved.ics_sequence == appointment.ics_sequence + 1
    assert Appointment.objects.filter(plan=plan).count() == 1


def test_reschedule_refusal_keeps_the_old_time(client, scheduler, plan):
    client.force_login(scheduler)
    slot = _first_slot(client, plan)
    (appointment,) = booking.dose_book(
        plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler
    )
    blocker = TreatmentPlanFactory(patient=PatientFactory())
    target = slot.premed_start + datetime.timedelta(days=1)
    booking.appointment_book(plan=blocker, chair_id=slot.chair_id, premed_start=target, user=scheduler)
    response = client.post(
        reverse("scheduling:appointment-reschedule", args=[appointment.pk]),
        {"chair_id": slot.chair_id, "premed_start": target.isoformat()},
    )
    assert response.status_code == 409
    assert "Not booked." in response.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).premed_start == slot.premed_start


def test_cancel_needs_a_reason(client, scheduler, plan):
    client.force_login(scheduler)
    slot = _first_slot(client, plan)
    (appointment,) = booking.dose_book(
        plan=plan, chair_id=slot.chair_id, premed_start=slot.premed_start, user=scheduler
    )
    url = reverse("scheduling:appointment-cancel", args=[appointment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert Appointment.objects.get(pk=appointment.pk).status == S.SCHEDULED
    response = client.post(url, {"reason": "Patient has a cold"})
    assert response.status_code == 302
    cancelled = Appointment.objects.get(pk=appointment.pk)
    assert cancelled.status == S.CANCELLED and cancelled.cancel_reason == "Patient has a cold"


def test_nurse_cannot_cancel_or_reschedule(client, nurse, center):
    appointment = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(timezone.localdate() + datetime.timedelta(days=2), 9),
    )
    client.force_login(nurse)
    assert (
        client.post(reverse("scheduling:appointment-cancel", args=[appointment.pk]), {"reason": "x"}).status_code == 403
    )
    assert client.get(reverse("scheduling:appointment-reschedule", args=[appointment.pk])).status_code == 403


def test_after_a_serious_reaction_the_next_ocrevus_maintenance_uses_the_full_infusion(
    midday, client, scheduler, nurse, center
):
    """End to end: the nurse records a severe reaction; the scheduler's next booking is the 3.5 h infusion."""
    patient = PatientFactory()
    today = timezone.localdate()
    ScreeningFactory(patient=patient, kind="hep_b", taken_on=today - datetime.timedelta(days=200))
    ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=today)
    plan = TreatmentPlanFactory(patient=patient, start_date=today - datetime.timedelta(days=400))
    # Two initial doses and one maintenance dose already given, long ago.
    for number, (order, days_ago) in enumerate([(1, 400), (2, 386), (3, 232)], start=1):
        AppointmentFactory(
            ocrevus_maintenance=True,
            chair=center[0],
            premed_start=local(today - datetime.timedelta(days=days_ago), 9),
            plan=plan,
            phase_order=order,
            infusion_number=number,
            status=S.COMPLETED,
            infusion_minutes=150 if order < 3 else 120,
        )
    # The 4th infusion is today: before any reaction, the engine would offer the 2 h infusion.
    dose = plan_next_dose_to_book(plan=plan)
    assert dose.chair_times[0].short_infusion and dose.chair_times[0].infusion_minutes == 120

    today_dose = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=timezone.now() - datetime.timedelta(minutes=45),
        plan=plan,
        infusion_number=4,
        infusion_minutes=120,
    )
    client.force_login(nurse)
    dose_ready(today_dose)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    # premedication given an hour ago: its lead has passed
    hour_ago = (timezone.localtime() - datetime.timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("scheduling:visit-step", args=[today_dose.pk, "check-in"]), {"at": hour_ago})
    for premed in visits.required_premedications(today_dose):
        client.post(
            reverse("scheduling:visit-premedication", args=[today_dose.pk]),
            {"premedication": premed.pk, "given_at": hour_ago},
        )
    assert client.post(reverse("scheduling:visit-start", args=[today_dose.pk])).status_code == 302
    response = client.post(
        reverse("scheduling:visit-reaction", args=[today_dose.pk]),
        {"occurred_at": now, "severity": "severe", "symptoms": "Throat tightness, wheeze", "action_taken": "Stopped"},
    )
    assert response.status_code == 302

    client.force_login(scheduler)
    response = client.get(reverse("scheduling:plan-find", args=[plan.pk]))
    assert response.context["next"].chair_times[0].infusion_minutes == 210
    response = client.post(reverse("scheduling:plan-book-maintenance", args=[plan.pk]), {"count": 1})
    assert response.status_code == 302
    booked = Appointment.objects.filter(plan=plan, status=S.SCHEDULED).get()
    assert not booked.short_infusion
    assert booked.infusion_end - booked.infusion_start == datetime.timedelta(minutes=210)
    assert TreatmentPlan.objects.get(pk=plan.pk).status == TreatmentPlan.Status.ACTIVE


def test_a_multi_day_course_is_booked_as_one(client, scheduler, center):
    plan = TreatmentPlanFactory(
        patient=PatientFactory(),
        drug=seeded_drug("IV methylprednisolone (relapse)"),
        course_days=3,
        start_date=timezone.localdate() + datetime.timedelta(days=2),
    )
    client.force_login(scheduler)
    slot = _first_slot(client, plan)
    assert len(slot.days) == 3
    response = client.post(
        reverse("scheduling:plan-book", args=[plan.pk]),
        {"chair_id": slot.chair_id, "premed_start": slot.premed_start.isoformat()},
    )
    assert response.status_code == 302
    days = list(Appointment.objects.filter(plan=plan).order_by("premed_start"))
    assert [a.course_day for a in days] == [1, 2, 3]
    assert len({a.course_id for a in days}) == 1
    assert "(3 days)" in client.get(response.url).content.decode()


def test_cancelling_a_finished_visit_is_refused_on_the_form(client, scheduler, center):
    done = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(timezone.localdate() - datetime.timedelta(days=3), 9),
        status=S.COMPLETED,
    )
    client.force_login(scheduler)
    response = client.post(reverse("scheduling:appointment-cancel", args=[done.pk]), {"reason": "Mistake"})
    assert response.status_code == 400
    assert 'class="alert alert-danger"' in response.content.decode()
    assert Appointment.objects.get(pk=done.pk).status == S.COMPLETED


def test_rescheduling_a_finished_visit_is_refused(client, scheduler, center):
    done = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(timezone.localdate() - datetime.timedelta(days=3), 9),
        status=S.COMPLETED,
    )
    client.force_login(scheduler)
    response = client.get(reverse("scheduling:appointment-reschedule", args=[done.pk]))
    assert response.status_code == 409
    assert "This appointment is completed: it cannot be moved." in response.content.decode()
