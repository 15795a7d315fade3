"""Whatever the requests, the simulated front desk and the re-optimisation never break a rule."""

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.engine.frontdesk import CenterSpec, Request, book_ranked, check_schedule, reoptimise
from scheduling.engine.protocol import ChairTime

START = datetime.date(2027, 1, 4)  # a Monday
SPEC = CenterSpec(
    timezone="America/New_York",
    start_date=START,
    days=14,
    chairs=3,
    nurses=1,
    setup_minutes=15,
    patients_per_nurse=2,
    opens=datetime.time(7),
    closes=datetime.time(19),
    weekdays_open=(0, 1, 2, 3, 4),
)


@st.composite
def requests(draw):
    count = draw(st.integers(1, 18))
    result = []
    for n in range(count):
        target = START + datetime.timedelta(days=draw(st.integers(0, 11)))
        early, late = draw(st.integers(0, 4)), draw(st.integers(0, 6))
        earliest = max(START, target - datetime.timedelta(days=early))
        latest = min(START + datetime.timedelta(days=13), target + datetime.timedelta(days=late))
        arrives = max(START, earliest - datetime.timedelta(days=draw(st.integers(0, 5))))
        result.append(
            Request(
                id=f"R{n}",
                arrives_on=arrives,
                earliest=earliest,
                target=target,
                latest=latest,
                chair_time=ChairTime(draw(st.sampled_from([0, 30, 60])), draw(st.integers(1, 10)) * 30, 30),
                course_days=draw(st.sampled_from([1, 1, 1, 2, 3])),
            )
        )
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_booking_in_arrival_order_keeps_every_rule(reqs):
    booked = book_ranked(SPEC, reqs)
    check = check_schedule(SPEC, reqs, booked.placements)
    assert check.problems == []
    assert set(booked.placements) | set(booked.unplaced) == {r.id for r in reqs}
    for r in reqs:
        if r.id in booked.placements:
            assert booked.placements[r.id].day >= r.arrives_on


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_reoptimising_keeps_every_rule_and_never_raises_the_peak(reqs):
    booked = book_ranked(SPEC, reqs)
    before = check_schedule(SPEC, reqs, booked.placements)
    after_result = reoptimise(SPEC, reqs, booked, time_limit=2)
    after = check_schedule(SPEC, reqs, after_result.placements)
    assert after.problems == []
    assert after.placed >= before.placed
    if after.placed == before.placed:
        assert after.peak <= before.peak
