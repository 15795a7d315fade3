"""Readiness of booked appointments (batched) and of a plan; the day's load for the board."""

import datetime

import pytest

from scheduling.models import Appointment, Closure, NurseStaffing
from scheduling.selectors.capacity import day_load
from scheduling.selectors.plan_state import plan_next_dose
from scheduling.selectors.readiness import readiness_for_appointments, readiness_for_plans
from scheduling.services.booking import appointment_book, dose_book
from tests.factories import PatientFactory, ScreeningFactory
from tests.scheduling.conftest import MON, NOW, at, give_mitoxantrone_doses

pytestmark = pytest.mark.usefixtures("frozen", "clinic")


def test_readiness_of_booked_appointments(make_plan, clinic, user):
    plan = make_plan()
    appt = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    readiness = readiness_for_appointments([appt])[appt.pk]
    assert readiness.status == "blocked"
    assert readiness.blocking == (
        "Hepatitis B screening (HBsAg, anti-HBc) is needed before the first dose: none is on record.",
    )
    assert readiness.pending and "Active-infection check still to be done" in readiness.warnings[0]
    ScreeningFactory(patient=plan.patient, kind="hep_b", taken_on=NOW.date(), result="negative", valid_days=365)
    readiness = readiness_for_appointments([appt])[appt.pk]
    assert readiness.status == "warnings" and readiness.blocking == ()


def test_an_expired_screening_counts_as_missing_on_the_appointment_date(make_plan, clinic, user):
    plan = make_plan("Tysabri")
    appt = appointment_book(plan=plan, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    ScreeningFactory(patient=plan.patient, kind="jcv", taken_on=NOW.date(), result="negative", valid_days=182)
    ScreeningFactory(
        patient=plan.patient, kind="rems", taken_on=datetime.date(2026, 6, 10), result="authorised", valid_days=170
    )
    readiness = readiness_for_appointments([appt])[appt.pk]
    assert readiness.status == "warnings"
    assert "no longer valid on 7 Dec 2026" in readiness.pending[0]


def test_readiness_for_appointments_uses_a_fixed_number_of_queries(make_plan, clinic, user, django_assert_num_queries):
    one = appointment_book(plan=make_plan("Tysabri"), chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    many = [one]
    for i, drug in enumerate(["Ocrevus (IV)", "Briumvi", "Mitoxantrone"]):
        many.append(
            appointment_book(
                plan=make_plan(drug, patient=PatientFactory(reproductive_potential=True)),
                chair_id=clinic[i % 3].pk,
                premed_start=at(MON + datetime.timedelta(1 + i), 9),
                user=user,
            )
        )
    many += dose_book(
        plan=make_plan("Lemtrada", start=MON + datetime.timedelta(7)),
        chair_id=clinic[1].pk,
        premed_start=at(MON + datetime.timedelta(7), 8),
        user=user,
    )
    # 8 for the checks, screenings and history, 1 for the plans' insurance authorisations, and 2 for the doses
    # actually given (here and elsewhere): only they make a dose "not the first"
    with django_assert_num_queries(11):
        readiness_for_appointments([one])
    with django_assert_num_queries(11):
        result = readiness_for_appointments(many)
    assert len(result) == len(many)


def test_readiness_for_plan(make_plan):
    plan = make_plan("Briumvi", patient=PatientFactory(reproductive_potential=True))
    r = readiness_for_plans([(plan, plan_next_dose(plan=plan), NOW.date())])[plan.pk]
    assert r.status == "blocked" and any("Pregnancy test" in m for m in r.blocking)
    assert any("Hepatitis B" in m for m in r.blocking)


def test_readiness_for_plans_agrees_with_each_plan_and_uses_four_queries(
    make_plan, clinic, user, django_assert_num_queries
):
    plans = [
        make_plan("Briumvi", patient=PatientFactory(reproductive_potential=True)),
        make_plan("Tysabri"),
        make_plan("Mitoxantrone"),
    ]
    appointment_book(plan=plans[1], chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    ScreeningFactory(patient=plans[1].patient, kind="jcv", taken_on=NOW.date(), result="negative", valid_days=182)
    ScreeningFactory(patient=plans[2].patient, kind="lvef", taken_on=NOW.date(), value=45, valid_days=90)
    items = [(plan, plan_next_dose(plan=plan), MON + datetime.timedelta(days=i)) for i, plan in enumerate(plans)]
    with django_assert_num_queries(4):  # screenings, booked history, and the doses given (here, elsewhere)
        batched = readiness_for_plans(items)
    for plan, _, on_date in items:
        assert batched[plan.pk] == readiness_for_plans([(plan, plan_next_dose(plan=plan), on_date)])[plan.pk]
    assert {r.status for r in batched.values()} >= {"blocked"}
    assert readiness_for_plans([(plans[0], None, MON)])[plans[0].pk].status == "ready"


def test_day_load_ticks_caps_and_closures(make_plan, clinic, user):
    appointment_book(plan=make_plan("Tysabri"), chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    appointment_book(plan=make_plan("Tysabri"), chair_id=clinic[1].pk, premed_start=at(MON, 9, 15), user=user)
    NurseStaffing.objects.create(date=MON, nurses_on_duty=2, setup_minutes=20, patients_per_nurse=3)
    Closure.objects.create(chair=clinic[2], starts_on=MON, ends_on=MON, reason="Broken recliner")
    load = day_load(day=MON)
    assert (load.monitor_cap, load.start_cap) == (6, 2)
    assert load.opens_at == datetime.time(7) and load.closes_at == datetime.time(19)
    ticks = {t: (chairs, starts) for t, chairs, starts in load.ticks}
    assert ticks[datetime.time(9)] == (1, 1)
    assert ticks[datetime.time(9, 15)] == (2, 2)  # 20-minute set-ups overlap from 09:15 to 09:20
    assert ticks[datetime.time(10)] == (2, 0)
    assert ticks[datetime.time(11)] == (1, 0)
    assert load.closed_chair_ids == {clinic[2].pk} and load.center_closed_reason == ""
    assert load.staffing.nurses == 2 and day_load(day=MON + datetime.timedelta(1)).staffing.nurses == 3
    saturday = day_load(day=MON + datetime.timedelta(5))
    assert saturday.opens_at is None and saturday.closes_at is None
    Closure.objects.create(starts_on=MON, ends_on=MON, reason="Snow day")
    assert day_load(day=MON).center_closed_reason == "Snow day"
    assert Appointment.objects.count() == 2


def test_center_snapshot_reads_only_the_range_and_local_times_match(make_plan, clinic, user):
    """The database's local day and minute (PostgreSQL) agree with Python's, on a DST day too."""
    from scheduling.selectors.center import center_for_range

    plan = make_plan("Tysabri")
    phase = plan.drug.phases.get()
    for day in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2), MON):
        Appointment.objects.create(
            patient=PatientFactory(),
            plan=plan,
            phase=phase,
            chair=clinic[0],
            infusion_number=1,
            dose_mg=300,
            premed_start=at(day, 8, 45),
            infusion_start=at(day, 9),
            infusion_end=at(day, 10),
            observation_end=at(day, 11),
        )
    center = center_for_range(datetime.date(2026, 11, 1), datetime.date(2026, 11, 2))
    assert len(center.bookings) == 2
    for day in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)):
        [(booking, start, end)] = center.bookings_on(day)
        assert (start, end) == (8 * 60 + 45, 11 * 60)
        stored = Appointment.objects.get(pk=booking.id)
        assert center.local_minute(stored.premed_start) == (day, 8 * 60 + 45)


def test_readiness_in_one_batch_reads_first_doses_and_lifetime_totals(make_plan, clinic, user):
    """The batch reads only the first dose of drugs without a lifetime limit, every dose of the others."""
    ocrevus = make_plan("Ocrevus (IV)")
    first = appointment_book(plan=ocrevus, chair_id=clinic[0].pk, premed_start=at(MON, 9), user=user)
    second = appointment_book(
        plan=ocrevus, chair_id=clinic[0].pk, premed_start=at(MON + datetime.timedelta(14), 9), user=user
    )
    mitoxantrone = make_plan("Mitoxantrone", start=datetime.date(2024, 1, 1))
    give_mitoxantrone_doses(mitoxantrone, clinic[1], 10)  # 10 x 12 = 120 mg/m2 given
    dose = appointment_book(plan=mitoxantrone, chair_id=clinic[1].pk, premed_start=at(MON, 9), user=user)
    result = readiness_for_appointments([first, second, dose])
    hep_b_first = "Hepatitis B screening (HBsAg, anti-HBc) is needed before the first dose: none is on record."
    assert hep_b_first in result[first.pk].blocking
    # the first infusion is only booked, not given: the second is still checked as a first dose
    assert hep_b_first in result[second.pk].blocking
    assert "Mitoxantrone lifetime dose after this one: 132 of 140 mg/m²." in result[dose.pk].warnings
