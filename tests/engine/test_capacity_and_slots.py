"""Feasibility rules, slot ranking, courses and DST, on plain data (no database)."""

import datetime

import pytest

from scheduling.engine.capacity import Candidate, Staffing, check_candidate
from scheduling.engine.dosing import next_dose
from scheduling.engine.protocol import ChairTime
from scheduling.engine.slots import Preferences, Window, feasible_starts, find_slots
from tests.engine.catalogue import drug
from tests.engine.helpers import booking, center, closure

D = datetime.date
MON = D(2026, 12, 7)  # a Monday
TWO_HOURS = ChairTime(30, 60, 30)


def window(day, early=0, late=7):
    return Window(day - datetime.timedelta(early), day, day + datetime.timedelta(late))


class TestRules:
    def test_an_empty_day_accepts_a_dose_inside_opening_hours(self):
        assert check_candidate(center(), Candidate(1, MON, 7 * 60, TWO_HOURS)) == []

    def test_outside_opening_hours(self):
        problems = check_candidate(center(), Candidate(1, MON, 17 * 60 + 30, TWO_HOURS))
        assert problems == ["17:30-19:30 is outside opening hours on 7 Dec 2026 (07:00-19:00)."]

    def test_no_opening_hours_row_means_closed(self):
        problems = check_candidate(center(), Candidate(1, MON + datetime.timedelta(5), 9 * 60, TWO_HOURS))
        assert problems == ["The center is not open on Saturdays."]

    def test_center_and_chair_closures(self):
        c = center(closures=[closure(MON, MON, "Holiday"), closure(MON, MON + datetime.timedelta(1), "Repair", 2)])
        assert check_candidate(c, Candidate(1, MON, 9 * 60, TWO_HOURS)) == [
            "The center is closed on 7 Dec 2026: Holiday."
        ]
        tuesday = MON + datetime.timedelta(1)
        assert check_candidate(c, Candidate(2, tuesday, 9 * 60, TWO_HOURS)) == [
            "Chair 2 is closed on 8 Dec 2026: Repair."
        ]
        assert check_candidate(c, Candidate(1, tuesday, 9 * 60, TWO_HOURS)) == []

    def test_chair_overlap_is_refused_and_back_to_back_is_fine(self):
        c = center(bookings=[booking(1, 1, 99, MON, (9, 0), 270)])
        assert check_candidate(c, Candidate(1, MON, 13 * 60, TWO_HOURS)) == [
            "Chair 1 is already booked from 09:00 to 13:30 on 7 Dec 2026."
        ]
        assert check_candidate(c, Candidate(1, MON, 13 * 60 + 30, TWO_HOURS)) == []
        assert check_candidate(c, Candidate(1, MON, 7 * 60, TWO_HOURS)) == []

    def test_the_patient_cannot_be_in_two_chairs(self):
        c = center(bookings=[booking(1, 1, 5, MON, (9, 0), 120)])
        problems = check_candidate(c, Candidate(2, MON, 10 * 60, TWO_HOURS, patient_id=5))
        assert problems == ["The patient already has an appointment from 09:00 to 11:00 on 7 Dec 2026."]
        assert check_candidate(c, Candidate(2, MON, 10 * 60, TWO_HOURS, patient_id=6)) == []

    def test_one_nurse_sets_up_one_patient_at_a_time(self):
        c = center(nurses=1, per_nurse=4, bookings=[booking(1, 1, 1, MON, (9, 0), 120)])
        assert "Too many patients starting at 09:10" in check_candidate(c, Candidate(2, MON, 9 * 60 + 10, TWO_HOURS))[0]
        assert check_candidate(c, Candidate(2, MON, 9 * 60 + 15, TWO_HOURS)) == []
        # an earlier start whose set-up overlaps the existing start
        assert check_candidate(c, Candidate(2, MON, 8 * 60 + 50, TWO_HOURS)) != []

    def test_monitoring_cap_is_nurses_times_patients_per_nurse(self):
        bookings = [booking(1, 1, 1, MON, (9, 0), 240), booking(2, 2, 2, MON, (9, 30), 240)]
        c = center(chairs=3, nurses=1, per_nurse=2, bookings=bookings)
        problems = check_candidate(c, Candidate(3, MON, 10 * 60, TWO_HOURS))
        assert problems == [
            "Too many patients in chairs for the nurses on duty on 7 Dec 2026: 3 at once, 1 nurse can monitor 2."
        ]
        assert check_candidate(c, Candidate(3, MON, 13 * 60 + 30, TWO_HOURS)) == []

    def test_a_dated_staffing_row_overrides_the_weekday(self):
        bookings = [booking(1, 1, 1, MON, (9, 0), 240)]
        c = center(nurses=3, overrides={MON: Staffing(1, 15, 1)}, bookings=bookings)
        assert check_candidate(c, Candidate(2, MON, 10 * 60, TWO_HOURS)) != []
        tuesday = MON + datetime.timedelta(1)
        c2 = center(nurses=3, overrides={MON: Staffing(1, 15, 1)}, bookings=[booking(1, 1, 1, tuesday, (9, 0), 240)])
        assert check_candidate(c2, Candidate(2, tuesday, 10 * 60, TWO_HOURS)) == []


class TestSlots:
    def test_slots_are_on_the_target_day_with_a_reason(self):
        slots = find_slots(
            center(), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON + datetime.timedelta(7)
        )
        assert len(slots) == 8 and all(s.in_window for s in slots)
        assert slots[0].days[0].day == MON
        assert slots[0].reason.startswith("Mon 7 Dec at ")
        assert "on the target date" in slots[0].reason and "keeps the day's peak at 1 in chairs" in slots[0].reason

    def test_the_offer_is_spread_over_days_and_times_of_day(self):
        slots = find_slots(
            center(), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON + datetime.timedelta(7)
        )
        by_day: dict = {}
        for slot in slots:
            by_day.setdefault(slot.days[0].day, []).append(slot.days[0].start_minute)
        assert len(by_day) >= 3 and max(len(starts) for starts in by_day.values()) <= 3
        for starts in by_day.values():
            starts.sort()
            assert all(b - a >= 60 for a, b in zip(starts, starts[1:], strict=False))
        # Days nearest the target come first: the target day, then the days either side.
        assert sorted(by_day)[0] <= MON + datetime.timedelta(2)

    def test_close_starts_fill_the_offer_when_nothing_else_fits(self):
        slots = find_slots(center(), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON)
        assert len(slots) == 8 and {s.days[0].day for s in slots} == {MON}

    def test_level_loading_prefers_the_quiet_part_of_the_day(self):
        busy = [booking(i, i, i, MON, (7, 0), 240) for i in (1, 2)]
        slots = find_slots(center(chairs=3), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON)
        assert slots[0].days[0].start_minute == 7 * 60  # empty day: earliest equally good
        slots = find_slots(
            center(chairs=3, bookings=busy), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON
        )
        # 07:00-11:00 already has two patients: the best slot keeps the peak at 2
        assert slots[0].days[0].start_minute >= 11 * 60
        assert "peak at 2 in chairs" in slots[0].reason

    def test_closer_to_target_beats_level_loading(self):
        busy = [booking(i, i, i, MON, (7, 0), 600) for i in (1, 2)]
        slots = find_slots(
            center(chairs=3, bookings=busy),
            chair_times=[TWO_HOURS],
            window=window(MON, early=3),
            date_from=MON - datetime.timedelta(3),
            date_to=MON + datetime.timedelta(3),
        )
        assert slots[0].days[0].day == MON

    def test_the_usual_chair_and_time_are_kept_when_equal(self):
        prefs = Preferences(usual_chair_id=3, usual_start_minute=10 * 60)
        slots = find_slots(
            center(), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON, preferences=prefs
        )
        assert slots[0].chair_id == 3 and slots[0].days[0].start_minute == 10 * 60
        assert "(usual chair)" in slots[0].reason

    def test_preferences_filter_chair_time_of_day_and_weekday(self):
        c = center()
        afternoon = find_slots(
            c,
            chair_times=[TWO_HOURS],
            window=window(MON),
            date_from=MON,
            date_to=MON,
            preferences=Preferences(time_of_day="afternoon", chair_id=2),
        )
        assert afternoon and all(s.days[0].start_minute >= 12 * 60 and s.chair_id == 2 for s in afternoon)
        morning = find_slots(
            c,
            chair_times=[TWO_HOURS],
            window=window(MON),
            date_from=MON,
            date_to=MON,
            preferences=Preferences(time_of_day="morning"),
        )
        assert morning and all(s.days[0].start_minute < 12 * 60 for s in morning)
        thursday = find_slots(
            c,
            chair_times=[TWO_HOURS],
            window=window(MON),
            date_from=MON,
            date_to=MON + datetime.timedelta(7),
            preferences=Preferences(weekday=3),
        )
        assert thursday and all(s.days[0].day.weekday() == 3 for s in thursday)
        assert not thursday[0].in_window or thursday[0].days[0].day == D(2026, 12, 10)

    def test_nothing_fits_on_a_full_day(self):
        busy = [booking(i, i, i, MON, (7, 0), 720) for i in (1, 2, 3)]
        assert (
            find_slots(center(bookings=busy), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON)
            == []
        )

    def test_one_offer_per_start_time(self):
        slots = find_slots(
            center(chairs=5), chair_times=[TWO_HOURS], window=window(MON), date_from=MON, date_to=MON, limit=50
        )
        starts = [(s.days[0].day, s.days[0].start_minute) for s in slots]
        assert len(starts) == len(set(starts))


class TestCourses:
    lemtrada = drug("Lemtrada")

    def test_a_5_day_course_on_one_chair_same_time(self):
        dose = next_dose(self.lemtrada, plan_start=MON, courses=[])
        slots = find_slots(center(), chair_times=dose.chair_times, window=dose, date_from=MON, date_to=dose.latest)
        slot = slots[0]
        assert [d.day for d in slot.days] == [MON + datetime.timedelta(k) for k in range(5)]
        assert slot.same_chair and len({d.start_minute for d in slot.days}) == 1
        # days 4-5 need no steroid lead: the infusion starts at arrival
        assert slot.days[3].infusion_start == slot.days[3].premed_start
        assert slot.days[0].infusion_start - slot.days[0].premed_start == datetime.timedelta(minutes=60)

    def test_a_closure_in_the_middle_of_a_course_moves_it_whole(self):
        dose = next_dose(self.lemtrada, plan_start=MON, courses=[])
        wednesday = MON + datetime.timedelta(2)
        c = center(closures=[closure(wednesday, wednesday, "Fire drill")])
        slots = find_slots(c, chair_times=dose.chair_times, window=dose, date_from=MON, date_to=dose.latest, limit=50)
        # Mon, Tue and Wed starts cross the closure; Thu and Fri starts cross the weekend: next Monday
        assert slots and {s.days[0].day for s in slots} == {MON + datetime.timedelta(7)}
        for slot in slots:
            for day in slot.days:
                assert (
                    check_candidate(
                        c, Candidate(slot.chair_id, day.day, day.start_minute, dose.chair_times[slot.days.index(day)])
                    )
                    == []
                )

    def test_a_chair_busy_on_day_3_is_not_offered_for_the_course(self):
        dose = next_dose(self.lemtrada, plan_start=MON, courses=[])
        day3 = MON + datetime.timedelta(2)
        busy = [booking(1, 1, 9, day3, (7, 0), 720), booking(2, 2, 8, day3, (7, 0), 720)]
        slots = find_slots(
            center(bookings=busy), chair_times=dose.chair_times, window=dose, date_from=MON, date_to=MON, limit=50
        )
        assert slots and all(s.chair_id == 3 for s in slots)


class TestDaylightSaving:
    every_day = range(7)

    @pytest.mark.parametrize(
        ("day", "utc_hour"),
        [(D(2026, 3, 1), 12), (D(2026, 3, 8), 11), (D(2026, 10, 31), 11), (D(2026, 11, 1), 12)],
    )
    def test_opening_hours_are_wall_clock_on_dst_days(self, day, utc_hour):
        slots = find_slots(
            center(weekdays=self.every_day), chair_times=[TWO_HOURS], window=window(day), date_from=day, date_to=day
        )
        first = min(slots, key=lambda s: s.premed_start)
        assert (
            first.premed_start.hour == utc_hour and first.premed_start.astimezone(first.premed_start.tzinfo).minute == 0
        )
        assert first.days[0].observation_end - first.premed_start == datetime.timedelta(minutes=120)

    def test_a_booking_on_a_dst_day_blocks_its_wall_clock_time(self):
        day = D(2026, 3, 8)
        c = center(chairs=1, weekdays=self.every_day, bookings=[booking(1, 1, 1, day, (9, 0), 120)])
        starts = feasible_starts(c, day=day, chair_time=TWO_HOURS)
        assert (1, 9 * 60) not in starts and (1, 11 * 60) in starts and (1, 7 * 60) in starts
        assert (1, 7 * 60 + 15) not in starts
