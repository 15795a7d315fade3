"""The dose history engine, pure: next dose across plans and drugs of one ingredient, booked doses re-derived,
the start check."""

import datetime
from decimal import Decimal

from scheduling.engine.history import (
    BOOKED,
    ELSEWHERE,
    PROBLEM_EARLY,
    PROBLEM_LIFETIME,
    PROBLEM_PHASE,
    PROBLEM_PLAN,
    BookedCourse,
    Dose,
    DoseHistory,
    derive,
    next_dose,
    next_phase,
    start_refusal,
)
from scheduling.engine.protocol import DrugSpec, PhaseSpec

D = datetime.date
NATALIZUMAB = {  # Tysabri and Tyruko: one repeating phase, 60 min observation for infusions 1-12
    "dose_amount": Decimal("300"), "infusion_minutes": 60, "observation_minutes": 60,
    "reduced_observation_minutes": 0, "reduced_observation_from_infusion": 13, "interval_days": 28,
    "window_early_days": 4, "window_late_days": 7, "min_gap_days": 24, "repeats": True,
}  # fmt: skip
TYSABRI = DrugSpec("Tysabri", (PhaseSpec(order=1, name="Every 4 weeks", id=11, **NATALIZUMAB),), id=1)
TYRUKO = DrugSpec("Tyruko", (PhaseSpec(order=1, name="Every 4 weeks", id=21, **NATALIZUMAB),), id=2)
BRIUMVI = DrugSpec(
    "Briumvi",
    (
        PhaseSpec(
            order=1, name="Infusion 1", dose_amount=Decimal("150"), infusion_minutes=240, observation_minutes=60, id=31
        ),
        PhaseSpec(
            order=2, name="Infusion 2", dose_amount=Decimal("450"), infusion_minutes=60, observation_minutes=60,
            interval_days=14, min_gap_days=14, id=32,
        ),
        PhaseSpec(
            order=3, name="Maintenance", dose_amount=Decimal("450"), infusion_minutes=60, observation_minutes=60,
            interval_days=168, interval_anchor="first", window_early_days=16, window_late_days=14, min_gap_days=152,
            repeats=True, id=33,
        ),
    ),
    id=3,
)  # fmt: skip
MITOXANTRONE = DrugSpec(
    "Mitoxantrone",
    (
        PhaseSpec(
            order=1, name="Every 3 months", dose_amount=Decimal("12"), dose_unit="mg/m2", infusion_minutes=30,
            observation_minutes=30, interval_days=91, window_early_days=7, window_late_days=14, repeats=True, id=41,
        ),
    ),
    cumulative_limit_mg_m2=Decimal("140"),
    id=4,
)  # fmt: skip
DRUGS = {d.id: d for d in (TYSABRI, TYRUKO, BRIUMVI, MITOXANTRONE)}


def _given(drug, order, day, **kw):
    return Dose(drug_id=drug.id, phase_order=order, first_day=day, last_day=day, **kw)


def test_the_history_spans_drugs_of_one_ingredient():
    history = DoseHistory(
        "natalizumab", tuple(_given(TYSABRI, 1, D(2026, 1, 6) + datetime.timedelta(28 * n)) for n in range(12))
    )
    dose = next_dose(TYRUKO, history, plan_start=D(2026, 12, 1), body_surface_area=None)
    assert dose.phase.id == 21 and dose.infusion_number == 13
    assert dose.chair_times[0].observation_minutes == 0  # the 13th natalizumab infusion, whatever the brand
    assert dose.target == D(2026, 12, 8) and dose.earliest == dose.window.gap_bound == D(2026, 12, 4)


def test_a_switch_counts_the_doses_in_order_and_a_reaction_keeps_full_observation():
    history = DoseHistory("x", (_given(TYSABRI, 1, D(2026, 1, 1)),) * 1, prior_reaction=True)
    assert next_phase(BRIUMVI, history).name == "Infusion 2"
    assert (
        next_dose(TYRUKO, history, plan_start=D(2026, 1, 1), body_surface_area=None).chair_times[0].observation_minutes
        == 60
    )


def test_maintenance_is_anchored_on_the_latest_first_dose():
    history = DoseHistory(
        "ublituximab",
        (_given(BRIUMVI, 1, D(2026, 1, 5)), _given(BRIUMVI, 2, D(2026, 1, 19))),
    )
    dose = next_dose(BRIUMVI, history, plan_start=D(2026, 1, 5), body_surface_area=None)
    assert dose.phase.name == "Maintenance" and dose.target == D(2026, 1, 5) + datetime.timedelta(168)


def test_doses_given_elsewhere_count_like_doses_given_here():
    history = DoseHistory("ublituximab", (_given(BRIUMVI, 1, D(2026, 11, 20), source=ELSEWHERE),))
    dose = next_dose(BRIUMVI, history, plan_start=D(2026, 12, 1), body_surface_area=None)
    assert dose.phase.name == "Infusion 2" and dose.infusion_number == 2 and dose.dose_mg == Decimal("450")


def _booked(drug, phase_id, day, key, **kw):
    return BookedCourse(key=key, drug_id=drug.id, phase_id=phase_id, days=(day,), plan_start=D(2026, 12, 7), **kw)


def test_derive_flags_the_wrong_phase_after_the_first_dose_is_cancelled():
    result = derive(
        DRUGS, DoseHistory("ublituximab"), [_booked(BRIUMVI, 32, D(2026, 12, 21), (2,))], body_surface_area=None
    )
    (only,) = result
    assert [p.code for p in only.problems] == [PROBLEM_PHASE] and not only.problems[0].acceptable
    assert only.expected.phase.name == "Infusion 1" and only.chair_times[0].infusion_minutes == 240


def test_derive_counts_each_booking_from_the_ones_before_it():
    bookings = [_booked(BRIUMVI, 31, D(2026, 12, 7), (1,)), _booked(BRIUMVI, 32, D(2026, 12, 21), (2,))]
    result = derive(DRUGS, DoseHistory("ublituximab"), bookings, body_surface_area=None)
    assert [r.problems for r in result] == [(), ()] and [r.infusion_numbers for r in result] == [(1,), (2,)]


def test_derive_flags_a_dose_now_too_early_and_a_stopped_plan():
    history = DoseHistory("natalizumab", (_given(TYSABRI, 1, D(2026, 11, 20), source=ELSEWHERE),))
    too_early = _booked(TYSABRI, 11, D(2026, 12, 7), (1,))
    stopped = _booked(TYRUKO, 21, D(2027, 1, 5), (2,), plan_active=False, plan_status="stopped")
    early, plan = derive(DRUGS, history, [too_early, stopped], body_surface_area=None)
    assert early.problems[0].code == PROBLEM_EARLY and "at least 24 days apart" in early.problems[0].message
    assert plan.problems[0].code == PROBLEM_PLAN and plan.expected is None


def test_derive_flags_the_lifetime_limit():
    history = DoseHistory(
        "mitoxantrone",
        tuple(
            _given(MITOXANTRONE, 1, D(2024, 1, 1) + datetime.timedelta(91 * n), mg_per_m2=Decimal("12"))
            for n in range(11)
        ),
    )
    (result,) = derive(
        DRUGS, history, [_booked(MITOXANTRONE, 41, D(2026, 12, 7), (1,))], body_surface_area=Decimal("1.8")
    )
    assert [p.code for p in result.problems] == [PROBLEM_LIFETIME]


def test_the_start_goes_by_doses_given_not_booked():
    booked_first = Dose(
        drug_id=BRIUMVI.id, phase_order=1, first_day=D(2026, 12, 7), last_day=D(2026, 12, 7), source=BOOKED
    )
    history = DoseHistory("ublituximab", (booked_first,))
    refusal = start_refusal(
        BRIUMVI, history.given(), phase_id=32, dose_mg_booked=Decimal("450"), today=D(2026, 12, 21),
        plan_start=D(2026, 12, 7), body_surface_area=None,
    )  # fmt: skip
    assert refusal.startswith(
        "This appointment is booked as Infusion 2, but the dose due is Briumvi Infusion 1: 150 mg"
    )
    given = DoseHistory("ublituximab", (_given(BRIUMVI, 1, D(2026, 12, 7)),))
    assert start_refusal(
        BRIUMVI, given, phase_id=32, dose_mg_booked=Decimal("450"), today=D(2026, 12, 21),
        plan_start=D(2026, 12, 7), body_surface_area=None,
    ) is None  # fmt: skip
    assert "cannot be given before 21 Dec 2026" in start_refusal(
        BRIUMVI, given, phase_id=32, dose_mg_booked=Decimal("450"), today=D(2026, 12, 14),
        plan_start=D(2026, 12, 7), body_surface_area=None,
    )  # fmt: skip
