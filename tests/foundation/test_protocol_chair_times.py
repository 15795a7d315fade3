"""The seeded catalogue, read through the spec loader, gives the reference chair times for every drug.

Chair time = premedication lead + infusion + observation, as the reference and migration 0003 set them.
"""

from decimal import Decimal

import pytest

from scheduling.catalogue import drug_specs
from scheduling.engine.protocol import UNIT_MG_PER_M2, chair_time, dose_mg

pytestmark = pytest.mark.django_db


@pytest.fixture
def specs():
    return {spec.name: spec for spec in drug_specs().values()}


def parts(phase, **kwargs):
    time = chair_time(phase, **kwargs)
    return (time.premed_minutes, time.infusion_minutes, time.observation_minutes)


def test_all_eight_therapies_are_seeded(specs):
    assert set(specs) == {
        "Ocrevus (IV)",
        "Ocrevus Zunovo (SC)",
        "Tysabri",
        "Tyruko",
        "Lemtrada",
        "Briumvi",
        "Mitoxantrone",
        "IV methylprednisolone (relapse)",
    }


def test_ocrevus_initial_infusions_are_60_150_60(specs):
    first, second, _ = specs["Ocrevus (IV)"].phases
    assert parts(first, infusion_number=1) == (60, 150, 60)
    assert parts(second, infusion_number=2) == (60, 150, 60)
    assert second.interval_days == 14


def test_ocrevus_maintenance_standard_and_shorter_option(specs):
    maintenance = specs["Ocrevus (IV)"].phases[2]
    assert parts(maintenance, infusion_number=3, use_short_infusion=False) == (60, 210, 60)
    assert parts(maintenance, infusion_number=3) == (60, 120, 60)
    assert chair_time(maintenance, infusion_number=3).short_infusion is True
    # A mild reaction does not take the shorter option away; a serious one does.
    assert parts(maintenance, infusion_number=3, prior_reaction=True) == (60, 120, 60)
    assert parts(maintenance, infusion_number=3, prior_reaction=True, prior_serious_reaction=True) == (60, 210, 60)
    assert (maintenance.interval_days, maintenance.interval_anchor, maintenance.repeats) == (168, "first", True)
    assert specs["Ocrevus (IV)"].min_gap_days == 152


def test_ocrevus_zunovo_observes_60_minutes_first_then_15(specs):
    first, later = specs["Ocrevus Zunovo (SC)"].phases
    assert parts(first, infusion_number=1) == (30, 10, 60)
    assert parts(later, infusion_number=2) == (30, 10, 15)
    assert later.interval_days == 182


@pytest.mark.parametrize("name", ["Tysabri", "Tyruko"])
def test_natalizumab_observation_for_infusions_1_to_12_only_unless_a_reaction(specs, name):
    (phase,) = specs[name].phases
    for number in (1, 12):
        assert parts(phase, infusion_number=number) == (0, 60, 60)
    assert parts(phase, infusion_number=13) == (0, 60, 0)
    assert parts(phase, infusion_number=40) == (0, 60, 0)
    assert parts(phase, infusion_number=13, prior_reaction=True) == (0, 60, 60)
    assert (phase.interval_days, phase.repeats) == (28, True)


def test_briumvi_first_infusion_is_four_hours_and_later_ones_one(specs):
    first, second, maintenance = specs["Briumvi"].phases
    assert parts(first, infusion_number=1) == (60, 240, 60)
    assert parts(second, infusion_number=2) == (60, 60, 60)
    assert parts(maintenance, infusion_number=3) == (60, 60, 0)
    assert parts(maintenance, infusion_number=3, prior_reaction=True) == (60, 60, 60)
    assert (first.dose_amount, second.dose_amount, maintenance.dose_amount) == (150, 450, 450)


def test_lemtrada_courses_of_five_then_three_days_with_steroids_on_days_1_to_3(specs):
    course1, course2, additional = specs["Lemtrada"].phases
    assert course1.consecutive_days == 5
    assert course2.consecutive_days == 3 and course2.interval_days == 365
    assert additional.consecutive_days == 3 and additional.repeats
    for day in (1, 2, 3):
        assert parts(course1, infusion_number=day, course_day=day) == (60, 240, 120)
    for day in (4, 5):
        assert parts(course1, infusion_number=day, course_day=day) == (0, 240, 120)
    for day in (1, 2, 3):
        assert parts(course2, infusion_number=5 + day, course_day=day) == (60, 240, 120)
    assert specs["Lemtrada"].reaction_window_hours == 48
    assert specs["Lemtrada"].stroke_warning_days == 3


def test_mitoxantrone_is_dosed_per_square_metre_with_a_140_lifetime_limit(specs):
    mitoxantrone = specs["Mitoxantrone"]
    (phase,) = mitoxantrone.phases
    assert mitoxantrone.cumulative_limit_mg_m2 == Decimal("140")
    assert phase.dose_unit == UNIT_MG_PER_M2 and phase.dose_amount == 12
    assert dose_mg(phase, Decimal("1.80")) == Decimal("21.60")
    assert dose_mg(phase, None) is None
    assert parts(phase, infusion_number=1) == (0, 30, 30)  # ondansetron is optional: no lead
    assert phase.interval_days == 91


def test_methylprednisolone_is_a_three_to_five_day_course(specs):
    (phase,) = specs["IV methylprednisolone (relapse)"].phases
    assert (phase.consecutive_days, phase.consecutive_days_max) == (3, 5)
    assert parts(phase, infusion_number=1) == (0, 60, 30)
    assert not phase.repeats
    assert dose_mg(phase, None) == Decimal("1000")
