"""Dosing windows, phases, infusion numbers and chair times for every seeded drug (no database)."""

import datetime
from decimal import Decimal

from scheduling.engine.dosing import DoseCourse, next_dose
from tests.engine.catalogue import drug

D = datetime.date
START = D(2026, 7, 6)


def days(n):
    return datetime.timedelta(days=n)


def single(order, day):
    return DoseCourse(order, day, day)


class TestOcrevus:
    spec = drug("Ocrevus (IV)")

    def test_first_dose_is_300_mg_on_the_plan_start(self):
        dose = next_dose(self.spec, plan_start=START, courses=[])
        assert dose.phase.order == 1 and dose.dose_mg == Decimal("300") and dose.infusion_number == 1
        assert (dose.earliest, dose.target, dose.latest) == (START, START, START + days(7))
        # antihistamine lead 60 min (the optional antipyretic does not lengthen it) + 150 + 60
        ct = dose.chair_times[0]
        assert (ct.premed_minutes, ct.infusion_minutes, ct.observation_minutes) == (60, 150, 60)

    def test_second_loading_dose_is_day_15(self):
        dose = next_dose(self.spec, plan_start=START, courses=[single(1, START)])
        assert dose.phase.order == 2 and dose.dose_mg == Decimal("300") and dose.infusion_number == 2
        assert (dose.earliest, dose.target, dose.latest) == (START + days(14), START + days(14), START + days(21))

    def test_first_maintenance_counts_from_infusion_1_and_respects_the_minimum_gap(self):
        courses = [single(1, START), single(2, START + days(14))]
        dose = next_dose(self.spec, plan_start=START, courses=courses)
        assert dose.phase.name == "Maintenance" and dose.dose_mg == Decimal("600")
        assert dose.target == START + days(168)
        # target - 16 days = day 152, but infusion 2 + 152 days = day 166 wins
        assert dose.earliest == START + days(166)
        assert dose.latest == START + days(182)

    def test_short_infusion_only_without_a_prior_serious_reaction(self):
        courses = [single(1, START), single(2, START + days(14))]
        short = next_dose(self.spec, plan_start=START, courses=courses).chair_times[0]
        assert short.short_infusion and short.infusion_minutes == 120 and short.total_minutes == 240
        standard = next_dose(self.spec, plan_start=START, courses=courses, prior_serious_reaction=True)
        assert not standard.chair_times[0].short_infusion and standard.chair_times[0].infusion_minutes == 210
        mild = next_dose(self.spec, plan_start=START, courses=courses, prior_reaction=True)
        assert mild.chair_times[0].short_infusion

    def test_a_late_maintenance_dose_moves_the_next_target(self):
        late = START + days(200)
        courses = [single(1, START), single(2, START + days(14)), single(3, late)]
        dose = next_dose(self.spec, plan_start=START, courses=courses)
        assert dose.phase.order == 3 and dose.infusion_number == 4
        assert dose.target == late + days(168)
        assert dose.earliest == late + days(152)

    def test_too_early_is_refused_with_the_last_dose_and_the_gap(self):
        maintenance = D(2026, 7, 6)
        courses = [single(1, D(2026, 1, 5)), single(2, D(2026, 1, 19)), single(3, maintenance)]
        dose = next_dose(self.spec, plan_start=D(2026, 1, 5), courses=courses)
        message = dose.window.refusal("Ocrevus (IV)", dose.dose_label, D(2026, 11, 1))
        assert message == (
            "Ocrevus (IV) 600 mg cannot be given before 5 Dec 2026: the last dose was 6 Jul 2026 and doses must be "
            "at least 152 days apart."
        )
        assert dose.window.refusal("Ocrevus (IV)", dose.dose_label, D(2026, 12, 5)) is None

    def test_overdue(self):
        dose = next_dose(self.spec, plan_start=START, courses=[single(1, START)])
        assert not dose.is_overdue(START + days(21))
        assert dose.is_overdue(START + days(22))


class TestBriumvi:
    spec = drug("Briumvi")

    def test_loading_150_then_450_on_day_15_then_maintenance_from_infusion_1(self):
        first = next_dose(self.spec, plan_start=START, courses=[])
        assert first.dose_mg == Decimal("150") and first.chair_times[0].infusion_minutes == 240
        second = next_dose(self.spec, plan_start=START, courses=[single(1, START)])
        assert second.dose_mg == Decimal("450") and second.target == START + days(14)
        third = next_dose(self.spec, plan_start=START, courses=[single(1, START), single(2, START + days(14))])
        assert third.target == START + days(168) and third.earliest == START + days(166)

    def test_observation_dropped_from_infusion_3_unless_a_prior_reaction(self):
        courses = [single(1, START), single(2, START + days(14))]
        assert next_dose(self.spec, plan_start=START, courses=courses).chair_times[0].observation_minutes == 0
        reacted = next_dose(self.spec, plan_start=START, courses=courses, prior_reaction=True)
        assert reacted.chair_times[0].observation_minutes == 60
        second = next_dose(self.spec, plan_start=START, courses=courses[:1])
        assert second.chair_times[0].observation_minutes == 60


class TestNatalizumab:
    def test_every_4_weeks_with_a_24_to_35_day_window(self):
        for name in ("Tysabri", "Tyruko"):
            spec = drug(name)
            dose = next_dose(spec, plan_start=START, courses=[single(1, START)])
            assert (dose.earliest, dose.target, dose.latest) == (START + days(24), START + days(28), START + days(35))
            assert dose.chair_times[0].premed_minutes == 0

    def test_observation_for_infusions_1_to_12_only(self):
        spec = drug("Tysabri")
        courses = [single(1, START + days(28 * i)) for i in range(11)]
        assert next_dose(spec, plan_start=START, courses=courses).infusion_number == 12
        assert next_dose(spec, plan_start=START, courses=courses).chair_times[0].observation_minutes == 60
        courses.append(single(1, START + days(28 * 11)))
        dose = next_dose(spec, plan_start=START, courses=courses)
        assert dose.infusion_number == 13 and dose.chair_times[0].observation_minutes == 0
        assert (
            next_dose(spec, plan_start=START, courses=courses, prior_reaction=True).chair_times[0].observation_minutes
            == 60
        )

    def test_infusion_number_counts_doses_of_earlier_plans(self):
        dose = next_dose(drug("Tysabri"), plan_start=START, courses=[], prior_infusions=20)
        assert dose.infusion_number == 21 and dose.chair_times[0].observation_minutes == 0


class TestLemtrada:
    spec = drug("Lemtrada")

    def test_course_1_is_5_days_with_steroids_on_days_1_to_3(self):
        dose = next_dose(self.spec, plan_start=START, courses=[])
        assert dose.course_days == 5 and dose.dose_mg == Decimal("12")
        assert [ct.premed_minutes for ct in dose.chair_times] == [60, 60, 60, 0, 0]
        assert all(ct.infusion_minutes == 240 and ct.observation_minutes == 120 for ct in dose.chair_times)

    def test_course_2_is_3_days_a_year_after_the_last_day_of_course_1(self):
        course1 = DoseCourse(1, START, START + days(4), infusions=5)
        dose = next_dose(self.spec, plan_start=START, courses=[course1])
        assert dose.phase.order == 2 and dose.course_days == 3 and dose.infusion_number == 6
        assert dose.target == START + days(4 + 365) and dose.earliest == dose.target
        assert dose.latest == dose.target + days(30)

    def test_further_courses_repeat(self):
        course1 = DoseCourse(1, START, START + days(4), infusions=5)
        course2 = DoseCourse(2, START + days(370), START + days(372), infusions=3)
        dose = next_dose(self.spec, plan_start=START, courses=[course1, course2])
        assert dose.phase.order == 3 and dose.target == START + days(372 + 365)
        course3 = DoseCourse(3, dose.target, dose.target + days(2), infusions=3)
        again = next_dose(self.spec, plan_start=START, courses=[course1, course2, course3])
        assert again.phase.order == 3


class TestOthers:
    def test_methylprednisolone_course_of_3_to_5_days(self):
        spec = drug("IV methylprednisolone (relapse)")
        assert next_dose(spec, plan_start=START, courses=[]).course_days == 3
        assert next_dose(spec, plan_start=START, courses=[], course_days=5).course_days == 5
        assert next_dose(spec, plan_start=START, courses=[], course_days=9).course_days == 5
        assert next_dose(spec, plan_start=START, courses=[], course_days=1).course_days == 3
        assert next_dose(spec, plan_start=START, courses=[DoseCourse(1, START, START + days(2), 3)]) is None

    def test_mitoxantrone_is_dosed_by_body_surface_area(self):
        spec = drug("Mitoxantrone")
        dose = next_dose(spec, plan_start=START, courses=[], body_surface_area=Decimal("1.80"))
        assert dose.dose_mg == Decimal("21.60") and dose.dose_mg_per_m2 == Decimal("12")
        assert next_dose(spec, plan_start=START, courses=[]).dose_mg is None
        later = next_dose(spec, plan_start=START, courses=[single(1, START)], body_surface_area=Decimal("1.8"))
        assert (later.earliest, later.target, later.latest) == (START + days(84), START + days(91), START + days(105))

    def test_zunovo_first_injection_then_every_6_months(self):
        spec = drug("Ocrevus Zunovo (SC)")
        first = next_dose(spec, plan_start=START, courses=[])
        assert first.chair_times[0].total_minutes == 30 + 10 + 60
        second = next_dose(spec, plan_start=START, courses=[single(1, START)])
        assert second.chair_times[0].observation_minutes == 15
        assert second.target == START + days(182) and second.earliest == START + days(152)

    def test_a_plan_with_no_phase_has_no_next_dose(self):
        from scheduling.engine.protocol import DrugSpec

        assert next_dose(DrugSpec(name="Empty", phases=()), plan_start=START, courses=[]) is None
