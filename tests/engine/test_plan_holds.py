"""The forecast's plan: every dose still to book placed once, day and time, and slot search keeping what it holds."""

import datetime

from scheduling.engine.capacity import Booking
from scheduling.engine.forecast import Ceiling, DueDose, Reserve, day_capacity, planning_ceiling
from scheduling.engine.protocol import ChairTime
from scheduling.engine.slots import Preferences, Window, find_slots
from tests.engine.helpers import center

D = datetime.date
MON = D(2026, 12, 7)  # a Monday
WED, THU, FRI = MON + datetime.timedelta(2), MON + datetime.timedelta(3), MON + datetime.timedelta(4)
TEN = 10 * 60


def week(c):
    return {MON + datetime.timedelta(n): day_capacity(c, MON + datetime.timedelta(n)) for n in range(5)}


def tysabri_on_thursday(minutes=300):
    return DueDose("tysabri", "Tysabri", THU, THU, THU, (minutes,), patient_id=1)


def ocrevus_aiming_at_thursday(minutes=420):
    return DueDose("ocrevus", "Ocrevus", MON, THU, FRI, (minutes,), patient_id=2)


def book(c, slot, patient):
    first = slot.days[0]
    return c.with_bookings([Booking(100 + patient, slot.chair_id, patient, first.premed_start, first.observation_end)])


def search(c, dose, ceiling, *, usual=None):
    return find_slots(
        c,
        chair_times=[ChairTime(0, dose.chair_minutes[0], 0)],
        window=Window(dose.earliest, dose.target, dose.latest),
        date_from=MON,
        date_to=FRI,
        patient_id=dose.patient_id,
        preferences=Preferences(usual_start_minute=usual),
        limit=1,
        ceiling=ceiling,
    )[0]


class TestTimeOfDay:
    """Thursday has room for both doses one after the other (720 minutes), one in chairs at a time: the Ocrevus
    patient usually comes at 10:00, which would leave no five hours whole for the Tysabri dose due that day."""

    def test_day_level_reservations_alone_overload_thursday(self):
        c = center(chairs=3)
        kept = {THU: (Reserve(300, "Tysabri", 1, True),)}  # what the ceiling kept before it planned times
        ceiling = Ceiling(in_chairs=1, reserved=kept)
        ocrevus = search(c, ocrevus_aiming_at_thursday(), ceiling, usual=TEN)
        assert (ocrevus.days[0].day, ocrevus.days[0].start_minute) == (THU, TEN)
        c = book(c, ocrevus, 2)
        tysabri = search(c, tysabri_on_thursday(), ceiling.release(2))
        assert tysabri.days[0].day == THU
        assert book(c, tysabri, 1).profile(THU).peak_in_chairs == 2
        assert "goes over the ceiling of 1 in chairs planned for Thursday" in tysabri.reason

    def test_the_plan_keeps_the_tysabri_time_and_both_fit_under_the_ceiling(self):
        c = center(chairs=3)
        doses = [ocrevus_aiming_at_thursday(), tysabri_on_thursday()]
        ceiling = planning_ceiling(week(c), doses)
        assert ceiling.limit == 1
        held = {h.patient_id: h for h in ceiling.held[THU]}
        assert held[1].end - held[1].start == 300 and held[2].end - held[2].start == 420
        assert held[1].end <= held[2].start or held[2].end <= held[1].start  # one after the other
        ocrevus = search(c, doses[0], ceiling.release(2), usual=TEN)
        assert ocrevus.days[0].day == THU and ocrevus.days[0].start_minute != TEN
        assert ocrevus.reason.endswith("stays under the ceiling of 1 in chairs.")
        c = book(c, ocrevus, 2)
        tysabri = search(c, doses[1], ceiling.release(2).release(1))
        assert tysabri.days[0].day == THU
        assert tysabri.reason.endswith("stays under the ceiling of 1 in chairs.")
        c = book(c, tysabri, 1)
        assert c.profile(THU).peak_in_chairs == 1

    def test_a_dose_kept_off_its_target_day_says_for_which_doses(self):
        c = center(chairs=3)
        doses = [ocrevus_aiming_at_thursday(minutes=300), tysabri_on_thursday(minutes=600)]
        ceiling = planning_ceiling(week(c), doses)
        ocrevus = search(c, doses[0], ceiling.release(2))
        assert ocrevus.days[0].day == WED  # nearest day with room, the earlier of two
        assert ocrevus.reason.endswith("keeps Thursday under the ceiling of 1 for the Tysabri doses due.")


class TestThePlan:
    def test_each_dose_still_to_book_is_held_once_and_the_plan_keeps_to_its_peak(self):
        c = center(chairs=10)
        doses = [DueDose(f"d{n}", "Ocrevus", MON, WED, FRI, (330,), patient_id=n) for n in range(1, 9)] + [
            DueDose("course", "Solu-Medrol", MON, MON, MON, (90,) * 5, patient_id=20),
            DueDose("booked", "Tysabri", WED, WED, WED, (120,), patient_id=30, booked_on=WED, booked_minute=7 * 60),
        ]
        ceiling = planning_ceiling(week(c), doses)
        holds = [h for day in ceiling.held.values() for h in day]
        assert sorted(h.patient_id for h in holds) == [*range(1, 9), *[20] * 5]  # booked doses are where booked
        course = sorted((day, h.start) for day, items in ceiling.held.items() for h in items if h.patient_id == 20)
        assert [day for day, _ in course] == [MON + datetime.timedelta(n) for n in range(5)]
        assert len({start for _, start in course}) == 1  # one start time every day of the course
        for day in ceiling.held:
            planned = ceiling.held_in_chairs(day)
            booked_wed = [1 if day == WED and 7 * 60 <= m < 9 * 60 else 0 for m in range(len(planned))]
            assert max(map(sum, zip(planned, booked_wed, strict=True))) <= ceiling.limit

    def test_where_lengths_forbid_the_lower_bound_the_plan_keeps_to_the_lowest_peak_it_can(self):
        c = center(chairs=10)
        # 24 chair-hours on Thursday: two at a time by the minutes, but no two eight-hour doses fit one after the other
        doses = [DueDose(f"d{n}", "Lemtrada", THU, THU, THU, (480,), patient_id=n) for n in range(3)]
        ceiling = planning_ceiling(week(c), doses)
        assert (ceiling.in_chairs, ceiling.limit) == (2, 3)
        assert "ceiling of 3" in search(c, doses[0], ceiling.release(0)).reason

    def test_a_day_booked_above_the_bound_raises_the_ceiling_nowhere_else(self):
        c = center(chairs=10)
        booked = [
            DueDose(f"b{n}", "Tysabri", THU, THU, THU, (240,), patient_id=n, booked_on=THU, booked_minute=7 * 60)
            for n in range(3)
        ]  # three at once on Thursday morning: 12 chair-hours, one in chairs by the minutes
        flexible = DueDose("f", "Ocrevus", MON, WED, FRI, (300,), patient_id=9)
        ceiling = planning_ceiling(week(c), [*booked, flexible])
        assert (ceiling.in_chairs, ceiling.limit) == (1, 1)
        assert [h.patient_id for h in ceiling.held[WED]] == [9]

    def test_the_plan_is_the_same_every_time(self):
        c = center(chairs=4)
        doses = [
            DueDose(
                f"d{n}",
                "Ocrevus" if n % 2 else "Tysabri",
                MON,
                MON + datetime.timedelta(n % 5),
                FRI,
                (60 * (2 + n % 5),),
                patient_id=n,
            )
            for n in range(30)
        ]
        first, again = planning_ceiling(week(c), doses), planning_ceiling(week(c), list(doses))
        assert first.held == again.held and first.limit == again.limit

    def test_a_plan_the_heuristic_leaves_above_the_bound_is_lowered_by_the_solver(self, monkeypatch):
        from scheduling.engine import forecast

        def everyone_at_opening_on_target(plan, number, dose, options):
            plan.put(number, dose, dose.target, 7 * 60 // plan.step)  # a heuristic that piles them all up

        monkeypatch.setattr(forecast._Plan, "place", everyone_at_opening_on_target)
        c = center(chairs=3)
        doses = [DueDose(f"d{n}", "Ocrevus", MON, THU, FRI, (420,), patient_id=n) for n in range(3)]
        capacity, pending = week(c), [(dose, [MON, THU, FRI]) for dose in doses]
        assert forecast.plan_holds(capacity, pending, 1, solver_seconds=0)[0] == 3  # the heuristic alone
        peak, held = forecast.plan_holds(capacity, pending, 1)
        assert peak == 1
        assert sorted(h.patient_id for day in held.values() for h in day) == [0, 1, 2]
        for holds in held.values():  # one in chairs at any moment, every day
            spans = sorted((h.start, h.end) for h in holds)
            assert all(end <= start for (_s, end), (start, _e) in zip(spans, spans[1:], strict=False))
        on_target = [h.patient_id for h in held[THU]]
        assert len(on_target) == 1  # the rest moved as little as the peak allows: Friday and Monday
        assert {day for day, holds in held.items() if holds} == {MON, THU, FRI}
