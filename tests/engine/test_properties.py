"""Property-based: every slot the engine returns keeps every rule, and 'nothing fits' agrees with brute force."""

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.engine.capacity import Candidate, check_candidate
from scheduling.engine.protocol import ChairTime
from scheduling.engine.slots import Window, feasible_starts, find_slots
from tests.engine.helpers import booking, center

DAY = datetime.date(2026, 11, 1)  # a DST day in New York, open every day in these centers
STEP = 15


@st.composite
def scenarios(draw):
    chairs = draw(st.integers(1, 3))
    opens = draw(st.integers(6, 9))
    closes = draw(st.integers(opens + 3, 20))
    bookings = []
    pk = 0
    for chair in range(1, chairs + 1):
        cursor = opens * 60 - 30
        for _ in range(draw(st.integers(0, 4))):
            cursor += draw(st.integers(0, 120))
            if cursor >= 23 * 60:
                break
            length = draw(st.integers(20, 300))
            pk += 1
            bookings.append(booking(pk, chair, draw(st.integers(1, 4)), DAY, divmod(cursor, 60), length))
            cursor += length
            if cursor >= 23 * 60:
                break
    c = center(
        chairs=chairs,
        weekdays=range(7),
        opens=datetime.time(opens),
        closes=datetime.time(closes),
        nurses=draw(st.integers(1, 3)),
        setup=draw(st.sampled_from([10, 15, 20, 30])),
        per_nurse=draw(st.integers(1, 3)),
        bookings=bookings,
    )
    chair_time = ChairTime(
        draw(st.sampled_from([0, 30, 60])), draw(st.integers(10, 240)), draw(st.sampled_from([0, 15, 60]))
    )
    return c, chair_time, draw(st.integers(1, 5))


def brute_force(c, chair_time, patient):
    return {
        (chair.id, start)
        for chair in c.chairs
        for start in range(0, 24 * 60, STEP)
        if not check_candidate(c, Candidate(chair.id, DAY, start, chair_time, patient))
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_fast_search_equals_brute_force(scenario):
    c, chair_time, patient = scenario
    assert feasible_starts(c, day=DAY, chair_time=chair_time, patient_id=patient) == brute_force(c, chair_time, patient)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_returned_slots_break_no_rule_and_empty_means_nothing_fits(scenario):
    c, chair_time, patient = scenario
    slots = find_slots(
        c,
        chair_times=[chair_time],
        window=Window(DAY, DAY, DAY),
        date_from=DAY,
        date_to=DAY,
        patient_id=patient,
        limit=200,
    )
    for slot in slots:
        day = slot.days[0]
        assert check_candidate(c, Candidate(slot.chair_id, DAY, day.start_minute, chair_time, patient)) == []
        assert day.observation_end - day.premed_start == datetime.timedelta(minutes=chair_time.total_minutes)
    everything = brute_force(c, chair_time, patient)
    assert bool(slots) == bool(everything)
    assert {s.days[0].start_minute for s in slots} == {start for _chair, start in everything}
