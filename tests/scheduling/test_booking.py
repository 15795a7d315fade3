"""Booking services on the database: every rule re-checked at commit, clear refusals, history kept."""

import datetime
from decimal import Decimal

import pytest

from scheduling.models import Appointment, Closure, InfusionReaction
from scheduling.selectors.plan_state import plan_next_dose
from scheduling.services.booking import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    dose_book,
    maintenance_book,
    slots_find,
)
from scheduling.services.plans import PlanError, plan_start
from tests.factories import PatientFactory, seeded_drug
from tests.scheduling.conftest import MON, at, give_mitoxantrone_doses

pytestmark = pytest.mark.usefixtures("frozen", "clinic")


def test_booking_the_first_ocrevus_dose_stores_every_field(make_plan, clinic, user):
    plan = make_plan()
    appt = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    assert appt.phase.order == 1 and appt.infusion_number == 1 and appt.course_day == 1 and appt.course_id is None
    assert appt.dose_mg == Decimal("300") and appt.created_by == user and not appt.short_infusion
    assert appt.infusion_start == at(MON, 10) and appt.infusion_end == at(MON, 12, 30)
    assert appt.observation_end == at(MON, 13, 30)
    assert appt.history.latest().history_user == user


def test_the_second_loading_dose_cannot_be_booked_before_day_15(make_plan, clinic, user):
    plan = make_plan()
    appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    with pytest.raises(BookingError) as err:
        appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON + datetime.timedelta(10), 9), user=user)
    assert str(err.value) == (
        "Ocrevus (IV) 300 mg cannot be given before 21 Dec 2026: the last dose was 7 Dec 2026 and doses must be at "
        "least 14 days apart."
    )
    second = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=at(MON + datetime.timedelta(14), 9), user=user
    )
    assert second.phase.order == 2 and second.infusion_number == 2


def test_a_busy_chair_and_a_busy_patient_are_refused_in_words(make_plan, clinic, user):
    appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    with pytest.raises(BookingError, match=r"^Chair 1 is already booked from 09:00 to 13:30 on 7 Dec 2026\.$"):
        appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=at(MON, 11), user=user)
    patient = PatientFactory()
    appointment_book(plan=make_plan(patient=patient), chair_id=clinic[1].pk, premed_start=at(MON, 9, 30), user=user)
    tysabri = make_plan("Tysabri", patient=patient)
    with pytest.raises(BookingError, match="The patient already has an appointment from 09:30 to 14:00"):
        appointment_book(plan=tysabri, chair_id=clinic[2].pk, premed_start=at(MON, 12), user=user)


def test_outside_hours_past_and_paused_are_refused(make_plan, clinic, user):
    plan = make_plan()
    with pytest.raises(BookingError, match="outside opening hours"):
        appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 16), user=user)
    with pytest.raises(BookingError, match="is in the past"):
        appointment_book(
            plan=make_plan("Tysabri", start=datetime.date(2026, 11, 30)),
            chair_id=clinic[0].pk,
            premed_start=at(datetime.date(2026, 11, 30), 9),
            user=user,
        )
    plan.status = "paused"
    plan.save()
    with pytest.raises(BookingError, match="The plan is paused"):
        appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)


def test_short_infusion_unless_a_serious_reaction(make_plan, clinic, user):
    plan = make_plan(start=datetime.date(2026, 6, 1))
    first = Appointment.objects.create(
        patient=plan.patient,
        plan=plan,
        phase=plan.drug.phases.get(order=1),
        chair=clinic[0],
        infusion_number=1,
        dose_mg=300,
        premed_start=at(datetime.date(2026, 6, 1), 9),
        infusion_start=at(datetime.date(2026, 6, 1), 10),
        infusion_end=at(datetime.date(2026, 6, 1), 12, 30),
        observation_end=at(datetime.date(2026, 6, 1), 13, 30),
        status="completed",
    )
    Appointment.objects.create(
        patient=plan.patient,
        plan=plan,
        phase=plan.drug.phases.get(order=2),
        chair=clinic[0],
        infusion_number=2,
        dose_mg=300,
        premed_start=at(datetime.date(2026, 6, 15), 9),
        infusion_start=at(datetime.date(2026, 6, 15), 10),
        infusion_end=at(datetime.date(2026, 6, 15), 12, 30),
        observation_end=at(datetime.date(2026, 6, 15), 13, 30),
        status="completed",
    )
    dose = plan_next_dose(plan=plan)
    assert (
        dose.phase.name == "Maintenance"
        and dose.target == datetime.date(2026, 11, 16)
        and dose.chair_times[0].short_infusion
    )
    assert dose.is_overdue(datetime.date(2026, 12, 1))
    InfusionReaction.objects.create(
        appointment=first,
        patient=plan.patient,
        drug=plan.drug,
        occurred_at=first.infusion_start,
        severity="severe",
        symptoms="Hypotension",
    )
    appt = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 8), user=user)
    assert not appt.short_infusion and appt.infusion_end - appt.infusion_start == datetime.timedelta(minutes=210)
    assert appt.dose_mg == Decimal("600") and appt.infusion_number == 3


def test_a_lemtrada_course_is_booked_whole_or_not_at_all(make_plan, clinic, user):
    plan = make_plan("Lemtrada")
    with pytest.raises(BookingError, match="5-day course: book it as a course"):
        appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 8), user=user)
    Closure.objects.create(
        starts_on=MON + datetime.timedelta(2), ends_on=MON + datetime.timedelta(2), reason="Fire drill"
    )
    with pytest.raises(BookingError, match="The center is closed on 9 Dec 2026: Fire drill."):
        dose_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 8), user=user)
    assert not Appointment.objects.exists()
    Closure.objects.all().delete()
    days = dose_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 8), user=user)
    assert [a.course_day for a in days] == [1, 2, 3, 4, 5] and len({a.course_id for a in days}) == 1
    assert [a.infusion_number for a in days] == [1, 2, 3, 4, 5]
    assert days[3].infusion_start == days[3].premed_start and days[0].infusion_start == at(MON, 9)


def test_methylprednisolone_course_length_within_its_range(clinic, user):
    drug = seeded_drug("IV methylprednisolone (relapse)")
    patient = PatientFactory()
    with pytest.raises(PlanError, match="is given over 3-5 days"):
        plan_start(patient=patient, drug=drug, start_date=MON, user=user, course_days=6)
    plan = plan_start(patient=patient, drug=drug, start_date=MON, user=user, course_days=4)
    days = dose_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 8), user=user)
    assert [a.course_day for a in days] == [1, 2, 3, 4]


def test_mitoxantrone_needs_a_body_surface_area_and_stops_at_the_lifetime_limit(make_plan, clinic, user):
    plan = make_plan("Mitoxantrone", patient=PatientFactory(height_cm=None))
    with pytest.raises(BookingError, match="body surface area is unknown"):
        appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    plan = make_plan("Mitoxantrone", start=datetime.date(2024, 1, 1))
    give_mitoxantrone_doses(plan, clinic[0], 11)  # 11 x 12 = 132 mg/m2 given
    with pytest.raises(BookingError, match="would exceed 140 mg/m²"):
        appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)


def test_maintenance_book_books_six_tysabri_doses_each_from_the_one_before(make_plan, clinic, user):
    plan = make_plan("Tysabri")
    booked = maintenance_book(plan=plan, count=6, user=user)
    assert len(booked) == 6 and [a.infusion_number for a in booked] == [1, 2, 3, 4, 5, 6]
    days = [a.local_date for a in booked]
    assert days[0] == MON
    for before, after in zip(days, days[1:], strict=False):
        assert 24 <= (after - before).days <= 35
    assert len({a.chair_id for a in booked}) == 1  # the usual chair is kept


def test_maintenance_book_is_all_or_nothing(make_plan, clinic, user):
    plan = make_plan("IV methylprednisolone (relapse)")
    with pytest.raises(BookingError, match="only 1 more dose"):
        maintenance_book(plan=plan, count=2, user=user)
    assert not Appointment.objects.exists()


def test_slots_find_and_dose_book(make_plan, clinic, user):
    plan = make_plan("Tysabri")
    slots = slots_find(plan=plan)
    assert slots and slots[0].in_window and slots[0].premed_start.date() == MON and slots[0].reason
    appt = dose_book(plan=plan, chair_id=slots[0].chair_id, premed_start=slots[0].premed_start, user=user)[0]
    assert appt.premed_start == slots[0].premed_start
    # the next search is for the following dose, 24-35 days later
    assert slots_find(plan=plan)[0].days[0].day == MON + datetime.timedelta(28)
    assert all(s.days[0].start_minute >= 12 * 60 for s in slots_find(plan=plan, time_of_day="afternoon"))
    moving = slots_find(plan=plan, appointment=appt)
    assert moving and moving[0].days[0].day == MON


def test_reschedule_in_place_and_keep_history(make_plan, clinic, user):
    plan = make_plan("Tysabri")
    appt = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    uid = appt.uid
    moved = appointment_reschedule(
        appointment=appt, chair_id=clinic[1].pk, premed_start=at(MON + datetime.timedelta(1), 10), user=user
    )
    assert moved.pk == appt.pk and moved.uid == uid and moved.ics_sequence == 1 and moved.chair_id == clinic[1].pk
    assert moved.observation_end - moved.premed_start == datetime.timedelta(minutes=120)
    record = moved.history.latest()
    assert record.history_user == user
    assert record.history_change_reason == (
        f"Rescheduled from 7 Dec 09:00 ({clinic[0].name}) to 8 Dec 10:00 ({clinic[1].name})"
    )
    with pytest.raises(BookingError, match="cannot be given before"):
        appointment_reschedule(
            appointment=moved, chair_id=clinic[1].pk, premed_start=at(MON - datetime.timedelta(5), 10), user=user
        )
    other = appointment_book(
        plan=make_plan(), chair_id=clinic[2].pk, premed_start=at(MON + datetime.timedelta(2), 9), user=user
    )
    with pytest.raises(BookingError, match="Chair 3 is already booked"):
        appointment_reschedule(
            appointment=moved, chair_id=clinic[2].pk, premed_start=at(MON + datetime.timedelta(2), 10), user=user
        )
    moved.refresh_from_db()
    assert moved.premed_start == at(MON + datetime.timedelta(1), 10) and other.pk


def test_cancel_needs_a_reason_and_keeps_it(make_plan, clinic, user):
    appt = appointment_book(plan=make_plan("Tysabri"), chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    with pytest.raises(BookingError, match="Give a reason"):
        appointment_cancel(appointment=appt, reason="  ", user=user)
    cancelled = appointment_cancel(appointment=appt, reason="Patient has a cold", user=user)
    assert (
        cancelled.status == "cancelled" and cancelled.cancelled_at and cancelled.cancel_reason == "Patient has a cold"
    )
    record = cancelled.history.latest()
    assert record.history_user == user and record.history_change_reason == "Cancelled: Patient has a cold"
    with pytest.raises(BookingError, match="only a booked appointment can be cancelled"):
        appointment_cancel(appointment=cancelled, reason="again", user=user)
    # the chair is free again
    appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)


def test_the_slot_grid_step_is_configurable(make_plan, settings):
    settings.SCHEDULING_SLOT_STEP_MINUTES = 30
    slots = slots_find(plan=make_plan("Tysabri"), limit=50)
    assert slots and all(s.days[0].start_minute % 30 == 0 for s in slots)
    assert any(s.days[0].start_minute % 30 == 0 and s.days[0].start_minute % 60 for s in slots)


def test_moving_a_dose_later_cannot_make_the_next_booked_dose_too_early(make_plan, user):
    plan = make_plan("Tysabri")
    first, second = maintenance_book(plan=plan, count=2, user=user)
    assert (second.local_date - first.local_date).days == 28
    with pytest.raises(BookingError, match=r"The next booked dose on .* would then be too early"):
        appointment_reschedule(
            appointment=first, chair_id=first.chair_id, premed_start=at(MON + datetime.timedelta(7), 9), user=user
        )
    moved = appointment_reschedule(
        appointment=first, chair_id=first.chair_id, premed_start=at(MON + datetime.timedelta(1), 9), user=user
    )
    assert moved.local_date == MON + datetime.timedelta(1)
