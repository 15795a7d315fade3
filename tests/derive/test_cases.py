"""The eight reproduced cases of stale derived state, through the real services."""

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from scheduling.models import Appointment, Chair, Closure, InfusionReaction, NurseStaffing, RegimenPhase, Reminder
from scheduling.reminders.services import SKIP_HELD
from scheduling.selectors.attention import needing_attention
from scheduling.selectors.readiness import readiness_for_appointments
from scheduling.services import visits
from scheduling.services.booking import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    dose_book,
    slots_find,
    slots_search,
)
from scheduling.services.derive import AttentionError, attention_accept
from scheduling.services.plans import plan_start
from tests.clock import local
from tests.derive.conftest import booked_row, given
from tests.factories import PatientFactory, ScreeningFactory, seeded_drug
from tests.scheduling.conftest import MON, give_mitoxantrone_doses

pytestmark = pytest.mark.usefixtures("frozen", "clinic", "drugs_outside_the_pharmacy")
S = Appointment.Status
HEP_B_FIRST = "Hepatitis B screening (HBsAg, anti-HBc) is needed before the first dose: none is on record."


def _stop(plan):
    plan.status = plan.Status.STOPPED
    plan.save()


def _fresh(appointment):
    return Appointment.objects.get(pk=appointment.pk)


# 1. Stopping a plan and starting a new one no longer bypasses the minimum gap -------------------------------


def test_1_a_new_ocrevus_plan_counts_the_600_mg_dose_of_the_stopped_one(make_plan, clinic, user):
    old = make_plan("Ocrevus (IV)", start=datetime.date(2026, 3, 2))
    given(old, clinic[0], datetime.date(2026, 3, 2), order=1, number=1)
    given(old, clinic[0], datetime.date(2026, 3, 16), order=2, number=2)
    given(old, clinic[0], datetime.date(2026, 11, 2), order=3, number=3, dose_mg=Decimal("600"))
    _stop(old)
    new = plan_start(patient=old.patient, drug=old.drug, start_date=datetime.date(2026, 12, 3), user=user)
    with pytest.raises(BookingError) as refused:
        appointment_book(plan=new, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 3), 9), user=user)
    assert refused.value.message == (
        "Ocrevus (IV) 600 mg cannot be given before 3 Apr 2027: the last dose was 2 Nov 2026 and doses must be at "
        "least 152 days apart."
    )
    offers = slots_find(plan=new)
    assert offers and all(s.days[0].day >= datetime.date(2027, 4, 3) for s in offers)
    booked = appointment_book(plan=new, chair_id=offers[0].chair_id, premed_start=offers[0].premed_start, user=user)
    assert booked.phase.order == 3 and booked.infusion_number == 4 and booked.dose_mg == Decimal("600")


def test_1_a_new_lemtrada_plan_books_course_2_a_year_after_course_1(make_plan, clinic, user):
    old = make_plan("Lemtrada", start=datetime.date(2026, 10, 26))
    course = uuid.uuid4()
    for k in range(5):
        given(
            old, clinic[0], datetime.date(2026, 10, 26) + datetime.timedelta(k), order=1, number=k + 1,
            course_day=k + 1, course_id=course,
        )  # fmt: skip
    _stop(old)
    new = plan_start(patient=old.patient, drug=old.drug, start_date=datetime.date(2026, 12, 1), user=user)
    with pytest.raises(BookingError, match="at least 365 days apart"):
        dose_book(plan=new, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 2), 8), user=user)
    assert not Appointment.objects.filter(plan=new).exists()
    offers = slots_find(plan=new)
    assert offers and offers[0].days[0].day >= datetime.date(2027, 10, 30) and len(offers[0].days) == 3


def test_1_tyruko_after_tysabri_is_one_natalizumab_history(make_plan, clinic, user, tysabri_11_given):
    _stop(tysabri_11_given)
    tyruko = plan_start(
        patient=tysabri_11_given.patient, drug=seeded_drug("Tyruko"), start_date=datetime.date(2026, 12, 1), user=user
    )
    with pytest.raises(BookingError, match="at least 24 days apart"):
        appointment_book(
            plan=tyruko, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 3), 9), user=user
        )
    booked = appointment_book(
        plan=tyruko, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 8), 9), user=user
    )
    assert booked.infusion_number == 12 and booked.chair_minutes == 120  # 60 min observation for infusions 1-12


def test_1_bookings_of_a_stopped_plan_need_attention(make_plan, clinic, user):
    plan = make_plan("Ocrevus (IV)")
    booked = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    _stop(plan)
    booked = _fresh(booked)
    assert booked.needs_attention and "plan is stopped" in booked.attention_reason


# 2. Cancelling Briumvi infusion 1: the booked infusion 2 is flagged and cannot start as a first dose --------


@pytest.fixture
def briumvi_two_booked(make_plan, clinic, user):
    plan = make_plan("Briumvi")
    first = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 8), user=user)
    second = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(MON + datetime.timedelta(14), 9), user=user
    )
    assert (first.dose_mg, second.dose_mg) == (Decimal("150"), Decimal("450"))
    return first, second


def test_2_cancelling_briumvi_infusion_1_flags_infusion_2_and_holds_its_emails(briumvi_two_booked, user):
    first, second = briumvi_two_booked
    appointment_cancel(appointment=first, reason="Patient unwell", user=user)
    second = _fresh(second)
    assert second.needs_attention and not second.attention_acceptable
    assert "the patient's next Briumvi dose is Infusion 1: 150 mg, 4 h infusion" in second.attention_reason
    held = Reminder.objects.filter(appointment=second, kind__in=Reminder.BEFORE_VISIT_KINDS)
    assert held.exists() and all(r.skip_reason == SKIP_HELD for r in held if r.status == Reminder.Status.SKIPPED)
    assert Reminder.objects.filter(appointment=second, status=Reminder.Status.PENDING).count() == 0
    assert list(needing_attention()) == [second]
    with pytest.raises(AttentionError, match="cannot be accepted"):
        attention_accept(appointment=second, user=user)


def test_2_the_nurse_cannot_start_infusion_2_as_the_first_dose(briumvi_two_booked, user):
    first, second = briumvi_two_booked
    appointment_cancel(appointment=first, reason="Patient unwell", user=user)
    with time_machine.travel(local(MON + datetime.timedelta(14), 9, 5), tick=False):
        visits.appointment_check_in(appointment=second, user=user)
        with pytest.raises(visits.VisitError) as refused:
            visits.infusion_start(appointment=second, user=user, override_reason="nurse insists")
    assert "the dose due is Briumvi Infusion 1: 150 mg, 4 h infusion" in refused.value.message
    assert _fresh(second).status == S.CHECKED_IN


def test_2_rebooking_makes_it_infusion_1_over_4_hours_and_releases_its_emails(briumvi_two_booked, clinic, user):
    first, second = briumvi_two_booked
    appointment_cancel(appointment=first, reason="Patient unwell", user=user)
    moved = appointment_reschedule(
        appointment=second, chair_id=clinic[1].pk, premed_start=local(MON + datetime.timedelta(14), 8), user=user
    )
    assert not moved.needs_attention and moved.phase.order == 1 and moved.dose_mg == Decimal("150")
    assert moved.infusion_number == 1 and (moved.infusion_end - moved.infusion_start) == datetime.timedelta(hours=4)
    assert Reminder.objects.filter(appointment=moved, status=Reminder.Status.PENDING).exists()
    assert not Reminder.objects.filter(appointment=moved, skip_reason=SKIP_HELD).exists()
    assert HEP_B_FIRST in readiness_for_appointments([moved])[moved.pk].blocking


# 3. Cancelling Tysabri infusion 12: the next booking becomes the 12th, with 60 min observation --------------


def test_3_cancelling_tysabri_12_renumbers_13_with_60_minutes_observation(tysabri_11_given, clinic, user):
    plan = tysabri_11_given
    twelfth = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 8), 9), user=user
    )
    thirteenth = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(datetime.date(2027, 1, 5), 9), user=user
    )
    assert (twelfth.infusion_number, twelfth.chair_minutes) == (12, 120)
    assert (thirteenth.infusion_number, thirteenth.chair_minutes) == (13, 60)
    sequence = thirteenth.ics_sequence
    appointment_cancel(appointment=twelfth, reason="Patient travelling", user=user)
    thirteenth = _fresh(thirteenth)
    assert (thirteenth.infusion_number, thirteenth.chair_minutes) == (12, 120) and not thirteenth.attention_reason
    assert thirteenth.observation_end == local(datetime.date(2027, 1, 5), 11)
    assert thirteenth.ics_sequence == sequence + 1  # the patient's calendar and emails carry the longer visit
    assert Reminder.objects.filter(appointment=thirteenth, kind=Reminder.Kind.PREPARATION, status="pending").exists()


# 4. A reaction recorded after booking changes the booked chair time -----------------------------------------


def test_4_a_serious_reaction_ends_the_booked_2_hour_ocrevus_infusion(make_plan, clinic, user):
    plan = make_plan("Ocrevus (IV)", start=datetime.date(2026, 7, 6))
    given(plan, clinic[0], datetime.date(2026, 7, 6), order=1, number=1)
    second = given(plan, clinic[0], datetime.date(2026, 7, 20), order=2, number=2)
    booked = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 21), 8), user=user
    )
    assert booked.short_infusion and booked.infusion_end - booked.infusion_start == datetime.timedelta(hours=2)
    visits.reaction_record(
        appointment=second, occurred_at=local(datetime.date(2026, 7, 20), 11), severity="severe",
        symptoms="Bronchospasm", action_taken="Infusion stopped", user=user,
    )  # fmt: skip
    booked = _fresh(booked)
    assert not booked.short_infusion and booked.infusion_end - booked.infusion_start == datetime.timedelta(minutes=210)
    assert booked.observation_end == local(datetime.date(2026, 12, 21), 13, 30) and not booked.attention_reason


def test_4_a_reaction_at_tysabri_12_keeps_60_minutes_observation_for_13(tysabri_11_given, clinic, user):
    plan = tysabri_11_given
    twelfth = given(plan, clinic[2], datetime.date(2026, 11, 24), order=1, number=12)
    thirteenth = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 22), 9), user=user
    )
    assert (thirteenth.infusion_number, thirteenth.chair_minutes) == (13, 60)
    visits.reaction_record(
        appointment=twelfth, occurred_at=local(datetime.date(2026, 11, 24), 9, 40), severity="mild",
        symptoms="Itching", action_taken="", user=user,
    )  # fmt: skip
    assert InfusionReaction.objects.count() == 1
    assert _fresh(thirteenth).chair_minutes == 120


# 5. A booked, never-given first dose does not count as given ---------------------------------------------


def test_5_hepatitis_b_applies_when_infusion_1_was_booked_but_never_given(make_plan, clinic, user):
    plan = make_plan("Ocrevus (IV)", start=datetime.date(2026, 11, 16))
    booked_row(plan, clinic[0], local(datetime.date(2026, 11, 16), 9), order=1, number=1)  # still "scheduled"
    second = booked_row(plan, clinic[1], local(datetime.date(2026, 12, 1), 8), order=2, number=2)
    assert HEP_B_FIRST in readiness_for_appointments([second])[second.pk].blocking
    visits.appointment_check_in(appointment=second, user=user)
    with pytest.raises(visits.VisitError, match="the dose due is Ocrevus \\(IV\\) Initial dose, infusion 1: 300 mg"):
        visits.infusion_start(appointment=second, user=user, override_reason="Screening done elsewhere")


def test_5_once_infusion_1_is_given_infusion_2_starts_without_the_first_dose_check(make_plan, clinic, user):
    plan = make_plan("Ocrevus (IV)", start=datetime.date(2026, 11, 16))
    given(plan, clinic[0], datetime.date(2026, 11, 17), order=1, number=1)
    ScreeningFactory(patient=plan.patient, kind="infection", valid_days=3, taken_on=datetime.date(2026, 12, 1))
    second = booked_row(plan, clinic[1], local(datetime.date(2026, 12, 1), 8), order=2, number=2)
    assert HEP_B_FIRST not in readiness_for_appointments([second])[second.pk].blocking
    visits.appointment_check_in(appointment=second, user=user)
    for premed in visits.required_premedications(second):
        visits.premedication_record(
            appointment=second, premedication_id=premed.pk, given_at=local(datetime.date(2026, 12, 1), 11), user=user
        )
    visits.infusion_start(appointment=second, user=user)
    assert _fresh(second).status == S.INFUSING


# 6. A catalogue edit reaches existing bookings ------------------------------------------------------------


def test_6_longer_observation_in_the_catalogue_updates_or_flags_existing_bookings(tysabri_11_given, clinic, user):
    plan = tysabri_11_given
    early = appointment_book(
        plan=plan, chair_id=clinic[0].pk, premed_start=local(datetime.date(2026, 12, 8), 9), user=user
    )
    other = PatientFactory()
    late_plan = plan_start(patient=other, drug=plan.drug, start_date=datetime.date(2026, 12, 8), user=user)
    late = appointment_book(
        plan=late_plan, chair_id=clinic[1].pk, premed_start=local(datetime.date(2026, 12, 8), 17), user=user
    )
    phase = RegimenPhase.objects.get(drug=plan.drug, order=1)
    phase.observation_minutes = 90
    with transaction.atomic():
        phase.save()
    early, late = _fresh(early), _fresh(late)
    assert early.chair_minutes == 150 and not early.attention_reason  # 09:00-11:30 still fits
    assert late.chair_minutes == 120 and late.needs_attention  # 17:00-19:30 would end after closing
    assert "outside opening hours" in late.attention_reason
    phase.observation_minutes = 60
    phase.save()
    assert not _fresh(late).attention_reason  # fits again: unflagged


# 7. Closures, chairs and staffing flag the bookings they break ------------------------------------------


def test_7_a_closure_flags_the_booking_holds_its_emails_and_releases_them_when_removed(make_plan, clinic, user):
    booked = appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    closure = Closure.objects.create(starts_on=MON, ends_on=MON, reason="Water leak")
    booked = _fresh(booked)
    assert (
        booked.status == S.SCHEDULED
        and booked.needs_attention
        and "closed on 7 Dec 2026: Water leak" in booked.attention_reason
    )
    assert not Reminder.objects.filter(appointment=booked, status=Reminder.Status.PENDING).exists()
    closure.delete()
    booked = _fresh(booked)
    assert not booked.attention_reason
    assert Reminder.objects.filter(appointment=booked, kind=Reminder.Kind.HYDRATION, status="pending").exists()


def test_7_an_inactive_chair_and_zero_nurses_flag_the_bookings(make_plan, clinic, user):
    one = appointment_book(plan=make_plan(), chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    two = appointment_book(
        plan=make_plan(), chair_id=clinic[1].pk, premed_start=local(MON + datetime.timedelta(1), 9), user=user
    )
    chair = Chair.objects.get(pk=clinic[0].pk)
    chair.is_active = False
    chair.save()
    assert "Chair 1 is out of service (inactive)." in _fresh(one).attention_reason
    NurseStaffing.objects.create(date=MON + datetime.timedelta(1), nurses_on_duty=0)
    two = _fresh(two)
    assert two.needs_attention and not two.attention_acceptable and "No nurses are on duty" in two.attention_reason


def test_7_a_capacity_overload_may_be_accepted_after_review(make_plan, clinic, user):
    bookings = [
        appointment_book(plan=make_plan(), chair_id=clinic[i].pk, premed_start=local(MON, 9, 15 * i), user=user)
        for i in range(3)
    ]
    NurseStaffing.objects.create(date=MON, nurses_on_duty=1, patients_per_nurse=2)
    flagged = [b for b in map(_fresh, bookings) if b.needs_attention]
    assert flagged and all(b.attention_acceptable and "Too many patients" in b.attention_reason for b in flagged)
    accepted = attention_accept(appointment=flagged[0], user=user)
    assert not accepted.needs_attention and accepted.attention_accepted_by == user
    assert accepted not in list(needing_attention())


# 8. Offer = bookable -------------------------------------------------------------------------------------


def test_8_rescheduling_dose_1_offers_only_days_that_keep_dose_2_valid(make_plan, clinic, user):
    plan = make_plan("Ocrevus (IV)")
    first = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON + datetime.timedelta(14), 9), user=user)
    search = slots_search(plan=plan, appointment=first)
    assert search.slots and all(s.days[0].day == MON for s in search.slots)  # later would bring dose 2 too close
    assert all((s.chair_id, s.premed_start) != (first.chair_id, first.premed_start) for s in search.slots)
    assert any(
        "would then be too early" in r
        for r in slots_search(plan=plan, appointment=first, date_from=MON + datetime.timedelta(1)).reasons
    )
    for slot in search.slots:  # every offer books
        with transaction.atomic():
            appointment_reschedule(appointment=first, chair_id=slot.chair_id, premed_start=slot.premed_start, user=user)
            transaction.set_rollback(True)
    with pytest.raises(BookingError, match="would then be too early"):
        appointment_reschedule(
            appointment=first, chair_id=clinic[0].pk, premed_start=local(MON + datetime.timedelta(1), 9), user=user
        )
    with pytest.raises(BookingError, match="current time"):
        appointment_reschedule(appointment=first, chair_id=first.chair_id, premed_start=first.premed_start, user=user)
    assert not Reminder.objects.filter(appointment=first, kind=Reminder.Kind.UPDATE).exists()


def test_8_mitoxantrone_past_its_lifetime_limit_offers_nothing_and_says_why(make_plan, clinic):
    plan = make_plan("Mitoxantrone", start=datetime.date(2024, 1, 1))
    give_mitoxantrone_doses(plan, clinic[1], 11)  # 132 mg/m2
    search = slots_search(plan=plan)
    assert search.slots == []
    assert search.reasons == (
        "Mitoxantrone lifetime limit: 132 mg/m² given plus this dose of 12 mg/m² would exceed 140 mg/m².",
    )


def test_8_nothing_fits_says_why_in_the_engines_words(make_plan, clinic, user):
    plan = make_plan("Ocrevus (IV)")
    appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    early = slots_search(plan=plan, date_from=MON, date_to=MON + datetime.timedelta(3))
    assert early.slots == [] and early.reasons[0].startswith("Ocrevus (IV) 300 mg cannot be given before 21 Dec 2026")
    past = slots_search(plan=plan, date_from=datetime.date(2026, 11, 1), date_to=datetime.date(2026, 11, 20))
    assert "The dates asked for are in the past (today is 1 Dec 2026)." in past.reasons
    Closure.objects.create(
        starts_on=datetime.date(2026, 12, 21), ends_on=datetime.date(2026, 12, 28), reason="Holidays"
    )
    closed = slots_search(plan=plan, date_from=datetime.date(2026, 12, 21), date_to=datetime.date(2026, 12, 28))
    assert closed.slots == [] and closed.reasons[0].startswith("The center is closed on every day searched")
    assert "Holidays" in closed.reasons[0]


def test_8_a_course_day_is_offered_only_other_times_that_day_and_each_offer_books(make_plan, clinic, user):
    plan = make_plan("IV methylprednisolone (relapse)", start=MON, course_days=3)
    days = dose_book(plan=plan, chair_id=clinic[0].pk, premed_start=local(MON, 9), user=user)
    second = days[1]
    search = slots_search(plan=plan, appointment=second)
    assert search.slots and all(s.days[0].day == MON + datetime.timedelta(1) for s in search.slots)
    for slot in search.slots:
        with transaction.atomic():
            appointment_reschedule(
                appointment=second, chair_id=slot.chair_id, premed_start=slot.premed_start, user=user
            )
            transaction.set_rollback(True)
    Closure.objects.create(starts_on=MON + datetime.timedelta(1), ends_on=MON + datetime.timedelta(1), reason="Flood")
    closed = slots_search(plan=_fresh(second).plan, appointment=_fresh(second))
    assert closed.slots == [] and any("cancel it and book it again" in r for r in closed.reasons)
