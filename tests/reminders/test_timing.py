"""Due times of each reminder kind, in the center's local time, across daylight-saving changes (no database)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.reminders.timing import (
    ReminderClock,
    into_daytime,
    local_moment,
    parse_time_of_day,
    plan_after_booking,
    plan_after_discharge,
    retry_delay_seconds,
)
from tests.clock import local

NY = ZoneInfo("America/New_York")
CLOCK = ReminderClock(zone=NY)


def test_booking_plans_confirmation_now_preparation_a_week_before_and_hydration_the_day_before():
    now = local(datetime.date(2026, 11, 2), 15, tz=NY)
    plan = plan_after_booking(premed_start=local(datetime.date(2026, 11, 20), 9, tz=NY), now=now, clock=CLOCK)
    assert plan.confirmation == now
    assert plan.preparation == local(datetime.date(2026, 11, 13), 10, tz=NY)
    assert plan.hydration == local(datetime.date(2026, 11, 19), 10, tz=NY)


def test_preparation_booked_on_the_visit_day_is_skipped():
    plan = plan_after_booking(
        premed_start=local(datetime.date(2026, 11, 20), 15, tz=NY),
        now=local(datetime.date(2026, 11, 20), 9, tz=NY),
        clock=CLOCK,
    )
    assert plan.preparation is None


def test_preparation_keeps_10_local_across_the_autumn_change():
    # Visit on Mon 9 Nov 2026 (EST, UTC-5); 7 days before is Mon 2 Nov (EST; DST ended 1 Nov).
    # Visit on Fri 6 Nov: 7 days before is Fri 30 Oct, still EDT (UTC-4).
    now = local(datetime.date(2026, 10, 1), 9, tz=NY)
    after = plan_after_booking(premed_start=local(datetime.date(2026, 11, 9), 8, tz=NY), now=now, clock=CLOCK)
    before = plan_after_booking(premed_start=local(datetime.date(2026, 11, 6), 8, tz=NY), now=now, clock=CLOCK)
    assert after.preparation.astimezone(datetime.UTC).hour == 15  # 10:00 EST
    assert before.preparation.astimezone(datetime.UTC).hour == 14  # 10:00 EDT
    assert after.preparation.astimezone(NY).time() == before.preparation.astimezone(NY).time() == datetime.time(10)


def test_hydration_the_day_before_a_spring_change_is_23_hours_of_clock_apart_but_still_10_local():
    # DST starts Sun 8 Mar 2026 at 02:00. Visit Sun 8 Mar 09:00 EDT; hydration Sat 7 Mar 10:00 EST.
    now = local(datetime.date(2026, 2, 1), 12, tz=NY)
    visit = local(datetime.date(2026, 3, 8), 9, tz=NY)
    plan = plan_after_booking(premed_start=visit, now=now, clock=CLOCK)
    assert plan.hydration == local(datetime.date(2026, 3, 7), 10, tz=NY)
    assert plan.hydration.astimezone(datetime.UTC) == datetime.datetime(2026, 3, 7, 15, 0, tzinfo=datetime.UTC)
    assert visit - plan.hydration == datetime.timedelta(hours=22)  # 23 wall hours, one of which does not exist


def test_preparation_goes_out_at_booking_when_booked_less_than_a_week_ahead():
    plan = plan_after_booking(
        premed_start=local(datetime.date(2026, 11, 20), 9, tz=NY),
        now=local(datetime.date(2026, 11, 15), 9, tz=NY),
        clock=CLOCK,
    )
    assert plan.preparation == local(datetime.date(2026, 11, 15), 9, tz=NY)
    assert plan.hydration == local(datetime.date(2026, 11, 19), 10, tz=NY)


def test_hydration_goes_out_at_once_when_booked_the_afternoon_before_and_is_skipped_on_the_day():
    visit = local(datetime.date(2026, 11, 20), 9, tz=NY)
    afternoon_before = local(datetime.date(2026, 11, 19), 16, 30, tz=NY)
    assert plan_after_booking(premed_start=visit, now=afternoon_before, clock=CLOCK).hydration == afternoon_before
    assert (
        plan_after_booking(premed_start=visit, now=local(datetime.date(2026, 11, 20), 7, tz=NY), clock=CLOCK).hydration
        is None
    )


def test_the_day_is_the_centers_local_day_not_utc():
    # 20:30 local on 19 Nov is 01:30 UTC on 20 Nov: the day before is still 18 Nov local.
    plan = plan_after_booking(
        premed_start=local(datetime.date(2026, 11, 19), 20, 30, tz=NY),
        now=local(datetime.date(2026, 11, 1), 9, tz=NY),
        clock=CLOCK,
    )
    assert plan.hydration == local(datetime.date(2026, 11, 18), 10, tz=NY)


@pytest.mark.parametrize("window", [None, 2, 24])
def test_check_in_is_the_next_local_day_at_10_for_a_window_of_a_day_or_less(window):
    plan = plan_after_discharge(
        discharged_at=local(datetime.date(2026, 11, 19), 15, 45, tz=NY), reaction_window_hours=window, clock=CLOCK
    )
    assert plan.reaction_monitoring == local(datetime.date(2026, 11, 19), 15, 45, tz=NY)
    assert plan.check_in == local(datetime.date(2026, 11, 20), 10, tz=NY)


def test_check_in_after_lemtrada_comes_when_the_48_hour_window_ends():
    plan = plan_after_discharge(
        discharged_at=local(datetime.date(2026, 11, 19), 16, tz=NY), reaction_window_hours=48, clock=CLOCK
    )
    assert plan.check_in == local(datetime.date(2026, 11, 21), 16, tz=NY)


def test_lemtrada_check_in_across_the_autumn_change_is_48_real_hours_and_kept_out_of_the_night():
    # Discharged Fri 30 Oct 17:00 EDT; 48 h later is Sun 1 Nov 16:00 EST (the clocks went back an hour).
    plan = plan_after_discharge(
        discharged_at=local(datetime.date(2026, 10, 30), 17, tz=NY), reaction_window_hours=48, clock=CLOCK
    )
    assert plan.check_in == local(datetime.date(2026, 11, 1), 16, tz=NY)
    late = plan_after_discharge(
        discharged_at=local(datetime.date(2026, 11, 19), 20, 30, tz=NY), reaction_window_hours=48, clock=CLOCK
    )
    assert late.check_in == local(
        datetime.date(2026, 11, 22), 10, tz=NY
    )  # 48 h ends 21:30 on the 21st: next morning instead


def test_night_times_move_to_the_morning():
    assert into_daytime(local(datetime.date(2026, 11, 19), 6, tz=NY), zone=NY, send_time=datetime.time(10)) == local(
        datetime.date(2026, 11, 19), 10, tz=NY
    )
    assert into_daytime(local(datetime.date(2026, 11, 19), 12, tz=NY), zone=NY, send_time=datetime.time(10)) == local(
        datetime.date(2026, 11, 19), 12, tz=NY
    )


def test_a_wall_time_skipped_by_the_spring_change_still_names_a_real_instant():
    moment = local_moment(datetime.date(2026, 3, 8), datetime.time(2, 30), NY)
    assert moment.astimezone(NY).time() == datetime.time(3, 30)


def test_retry_backoff_doubles_and_is_capped():
    delays = [retry_delay_seconds(attempts=n, base_seconds=60, max_seconds=600) for n in range(1, 7)]
    assert delays == [60, 120, 240, 480, 600, 600]


def test_time_of_day_setting_is_parsed():
    assert parse_time_of_day("09:30") == datetime.time(9, 30)
    assert parse_time_of_day("09:30:15") == datetime.time(9, 30, 15)
    with pytest.raises(ValueError):
        parse_time_of_day("half past nine")
