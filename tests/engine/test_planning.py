"""Planning on plain data: the forecast, the ceiling, ranking that plans, and the CP-SAT level-loading."""

import datetime
import pickle

from scheduling.engine.capacity import Staffing
from scheduling.engine.dosing import DoseCourse
from scheduling.engine.forecast import (
    Ceiling,
    DueDose,
    Reserve,
    day_capacity,
    forecast,
    planning_ceiling,
    project_doses,
    with_extra_nurses,
)
from scheduling.engine.levelload import Item, Placement, apply_placements, solve
from scheduling.engine.protocol import ChairTime
from scheduling.engine.slots import Window, find_slots
from tests.engine.catalogue import drug
from tests.engine.helpers import booking, center, closure

D = datetime.date
MON = D(2026, 12, 7)  # a Monday
WED, THU, FRI = MON + datetime.timedelta(2), MON + datetime.timedelta(3), MON + datetime.timedelta(4)
FOUR_HOURS = ChairTime(30, 180, 30)


def days(first, count):
    return [first + datetime.timedelta(days=n) for n in range(count)]


def capacity(c, first, count):
    return {d: day_capacity(c, d) for d in days(first, count)}


class TestProjection:
    def test_maintenance_repeats_at_its_interval_for_six_months(self):
        tysabri = drug("Tysabri")
        given = [DoseCourse(1, MON, MON)]
        doses = project_doses(
            tysabri, plan_start=MON, courses=given, prior_infusions=1, until=MON + datetime.timedelta(182), key="p1"
        )
        assert [d.target for d in doses] == [MON + datetime.timedelta(28 * n) for n in range(1, 7)]
        assert all(d.earliest == d.target - datetime.timedelta(4) for d in doses)
        assert all(d.chair_minutes == (120,) for d in doses)  # one hour infusion, one hour observation
        assert all(d.is_narrow for d in doses)

    def test_ocrevus_maintenance_comes_every_24_weeks_with_a_wide_window(self):
        ocrevus = drug("Ocrevus (IV)")
        given = [DoseCourse(1, MON, MON), DoseCourse(2, MON + datetime.timedelta(14), MON + datetime.timedelta(14))]
        doses = project_doses(
            ocrevus, plan_start=MON, courses=given, prior_infusions=2, until=MON + datetime.timedelta(400), key="p2"
        )
        assert [d.target for d in doses] == [MON + datetime.timedelta(168), MON + datetime.timedelta(336)]
        assert not doses[0].is_narrow


class TestForecast:
    def test_demand_against_capacity_and_what_if_staffing(self):
        c = center(chairs=4, nurses=1, per_nurse=2)
        doses = [
            DueDose(f"d{n}", "Tysabri", THU, THU, THU, (600,)) for n in range(3)
        ]  # 30 chair-hours on Thursday, one nurse watching two patients allows 24
        result = forecast(c, doses, MON, MON + datetime.timedelta(13))
        thursday = next(d for d in result.days if d.day == THU)
        assert thursday.chair_minutes == 1800 and thursday.starts == 3
        assert thursday.over == ["30 chair-hours needed, 24 available", "15 nurse-hours needed, 12 on duty"]
        assert [w.monday for w in result.weeks] == [MON, MON + datetime.timedelta(7)]
        assert result.weeks[0].over_days == [thursday]
        more = forecast(with_extra_nurses(c, {THU.weekday(): 1}), doses, MON, MON + datetime.timedelta(13))
        assert next(d for d in more.days if d.day == THU).over == []
        assert c.staffing_for(THU) == Staffing(1, 15, 2)  # the what-if changed nothing of the center

    def test_a_dose_still_to_book_counts_on_the_open_day_nearest_its_target(self):
        c = center()
        saturday = MON + datetime.timedelta(5)
        dose = DueDose("d", "Tysabri", THU, saturday, saturday + datetime.timedelta(7), (120,))
        result = forecast(c, [dose], MON, MON + datetime.timedelta(13))
        assert [d.day for d in result.days if d.doses] == [FRI]

    def test_doses_due_on_a_closure_are_shown_over_capacity(self):
        c = center(closures=[closure(THU, THU, "Holiday")])
        dose = DueDose("d", "Lemtrada", THU, THU, THU, (360,))
        thursday = next(d for d in forecast(c, [dose], MON, FRI).days if d.day == THU)
        assert thursday.over == ["doses due while the center is closed (Holiday)"]


class TestCeiling:
    def test_total_chair_minutes_over_open_minutes(self):
        c = center(chairs=10)
        # 5 weekdays x 720 minutes; 5400 chair-minutes of wide-window doses: at least 2 patients at once somewhere
        doses = [DueDose(f"d{n}", "Ocrevus", MON, WED, FRI, (360,)) for n in range(15)]
        ceiling = planning_ceiling(capacity(c, MON, 5), doses)
        assert ceiling.in_chairs == 2

    def test_narrow_windows_force_a_higher_peak(self):
        c = center(chairs=10)
        early, late = MON - datetime.timedelta(9), FRI + datetime.timedelta(9)  # wide windows, five days known
        wide = [DueDose(f"w{n}", "Ocrevus", early, WED, late, (360,)) for n in range(4)]
        narrow = [DueDose(f"n{n}", "Tysabri", THU, THU, THU, (360,)) for n in range(5)]
        ceiling = planning_ceiling(capacity(c, MON, 5), wide + narrow)
        assert ceiling.in_chairs == 3  # 1800 minutes must fit into Thursday's 720
        assert ceiling.forced_by == (THU, THU)
        assert ceiling.reserved_minutes(THU) == 5 * 360 + 4 * 360 / 5
        assert ceiling.reserved_for(THU) == ["Tysabri"]

    def test_a_dose_s_reservation_is_one_object_over_its_window_so_the_stored_ceiling_stays_small(self):
        c = center(chairs=10)
        doses = [DueDose(f"d{n}", "Ocrevus", MON, WED, FRI, (300,), patient_id=n) for n in range(6)]
        ceiling = planning_ceiling(capacity(c, MON, 5), doses)
        shares = [r for day in days(MON, 5) for r in ceiling.reserved[day]]
        assert len(shares) == 30 and len({id(r) for r in shares}) == 6  # each dose's share, on each of 5 days
        assert ceiling.reserved_minutes(MON) == 6 * 300 / 5
        assert pickle.loads(pickle.dumps(ceiling)).reserved_minutes(MON, patient_id=0) == 5 * 300 / 5

    def test_without_the_plan_the_bound_and_reservations_are_the_same(self):
        c = center(chairs=10)
        early, late = MON - datetime.timedelta(9), FRI + datetime.timedelta(9)
        doses = [DueDose(f"w{n}", "Ocrevus", early, WED, late, (360,)) for n in range(4)]
        doses += [DueDose(f"n{n}", "Tysabri", THU, THU, THU, (360,)) for n in range(5)]
        planned, looked_at = (planning_ceiling(capacity(c, MON, 5), doses, plan=p) for p in (True, False))
        assert planned.held and not looked_at.held and looked_at.planned == 0
        assert (looked_at.in_chairs, looked_at.forced_by) == (planned.in_chairs, planned.forced_by)
        assert looked_at.reserved_minutes(THU) == planned.reserved_minutes(THU)

    def test_booked_doses_count_on_their_day_and_reserve_nothing(self):
        c = center(chairs=10)
        doses = [DueDose(f"b{n}", "Tysabri", MON, WED, FRI, (600,), booked_on=MON) for n in range(3)]
        ceiling = planning_ceiling(capacity(c, MON, 5), doses)
        assert ceiling.in_chairs == 3
        assert ceiling.reserved_minutes(MON) == 0


class TestRankingThatPlans:
    """Thursday is the target; taking it first would overload it."""

    def busy_thursday(self):
        # two patients all day on Thursday (2 of 3 chairs), nothing else all week
        return center(
            chairs=3,
            bookings=[booking(1, 1, 101, THU, (7, 0), 720), booking(2, 2, 102, THU, (7, 0), 720)],
        )

    def test_target_first_overloads_the_day(self):
        slots = find_slots(
            self.busy_thursday(),
            chair_times=[FOUR_HOURS],
            window=Window(MON, THU, FRI),
            date_from=MON,
            date_to=FRI,
            limit=1,
        )
        assert slots[0].days[0].day == THU
        assert "keeps the day's peak at 3 in chairs" in slots[0].reason

    def test_the_ceiling_moves_the_dose_to_the_nearest_day_under_it(self):
        slots = find_slots(
            self.busy_thursday(),
            chair_times=[FOUR_HOURS],
            window=Window(MON, THU, FRI),
            date_from=MON,
            date_to=FRI,
            limit=3,
            ceiling=Ceiling(in_chairs=2),
        )
        best = slots[0]
        assert best.days[0].day in (WED, FRI)
        assert best.reason.endswith("keeps Thursday under the ceiling of 2.")
        assert all(s.days[0].day != THU for s in slots)

    def test_a_narrow_window_keeps_its_day(self):
        """Thursday is empty, but the Tysabri doses due that day need it: a flexible Ocrevus dose goes elsewhere,
        and the Tysabri patient still gets Thursday."""
        c = center(chairs=3)
        kept = {THU: (Reserve(600, "Tysabri", 201, True), Reserve(600, "Tysabri", 202, True))}
        ceiling = Ceiling(in_chairs=2, reserved=kept)
        ocrevus = find_slots(
            c,
            chair_times=[ChairTime(60, 210, 60)],
            window=Window(MON, THU, FRI),
            date_from=MON,
            date_to=FRI,
            patient_id=300,
            limit=1,
            ceiling=ceiling,
        )[0]
        assert ocrevus.days[0].day in (WED, FRI)
        assert ocrevus.reason.endswith("keeps Thursday under the ceiling of 2 for the Tysabri doses due.")
        tysabri = find_slots(
            c,
            chair_times=[ChairTime(0, 60, 60)],
            window=Window(THU - datetime.timedelta(1), THU, THU + datetime.timedelta(1)),
            date_from=MON,
            date_to=FRI,
            patient_id=201,
            limit=1,
            ceiling=ceiling,
        )[0]
        assert tysabri.days[0].day == THU
        assert tysabri.reason.endswith("stays under the ceiling of 2 in chairs.")

    def test_when_every_day_is_over_the_least_over_day_wins_and_says_so(self):
        c = center(chairs=3, bookings=[booking(1, 1, 101, WED, (7, 0), 720), booking(2, 1, 102, THU, (7, 0), 720)])
        slots = find_slots(
            c,
            chair_times=[ChairTime(0, 690, 0)],
            window=Window(WED, THU, THU),
            date_from=WED,
            date_to=THU,
            limit=1,
            ceiling=Ceiling(in_chairs=1),
        )
        assert slots[0].days[0].day == THU
        assert "goes over the ceiling of 1 in chairs planned for Thursday" in slots[0].reason


class TestLevelLoad:
    def test_a_move_inside_the_window_lowers_the_peak(self):
        c = center(chairs=2, bookings=[booking(1, 1, 1, THU, (7, 0), 360), booking(2, 2, 2, THU, (7, 0), 360)])
        items = [
            Item(0, 1, (ChairTime(0, 360, 0),), WED, THU, FRI, Placement(THU, 7 * 60, (1,)), booking_ids=(1,)),
            Item(1, 2, (ChairTime(0, 360, 0),), THU, THU, THU, Placement(THU, 7 * 60, (2,)), booking_ids=(2,)),
        ]
        solution = solve(c.without([1, 2]), items, first=MON, last=FRI, time_limit=5)
        assert solution.peak == 1 and solution.proven
        after, moves = apply_placements(c, items, solution.placements)
        assert after.profile(THU).peak_in_chairs == 1
        # either the flexible dose leaves Thursday or the two share Thursday one after the other
        assert all(m.item.earliest <= m.new.day <= m.item.latest and 7 * 60 <= m.new.start <= 13 * 60 for m in moves)

    def test_fixed_doses_stay_and_nurse_caps_hold(self):
        c = center(chairs=3, nurses=1, per_nurse=1, bookings=[booking(1, 1, 1, THU, (7, 0), 720)])
        item = Item(0, 2, (ChairTime(0, 240, 0),), THU, THU, THU)
        solution = solve(c, [item], first=THU, last=THU, time_limit=5)
        assert solution.placements == {}  # the one nurse watches one patient: no room on Thursday at all
