"""The SLA clock: business hours of a team's schedule on the 2026 Chinese working calendar.

2026 facts used below (from chinese_calendar): Mid-Autumn Festival days off Fri 09-25 to Sun 09-27;
National Day days off Thu 10-01 to Wed 10-07; make-up working days Sun 09-20 and Sat 10-10.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from merit.engine.calendar import china
from merit.engine.sla import SHANGHAI, Schedule, business_time_between, due_at

NINE_TO_SIX = Schedule.of("09:00-18:00")
LUNCH_BREAK = Schedule.of("09:00-12:00", "13:30-18:00")
H = timedelta(hours=1)


def sh(month, day, hour=0, minute=0):
    """A wall-clock moment in Asia/Shanghai, 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_the_2026_calendar_is_the_official_one():
    cal = china()
    assert cal.known(2026)
    assert [cal.is_workday(sh(10, d).date()) for d in range(1, 11)] == [False] * 7 + [True] * 3
    assert cal.is_workday(sh(9, 20).date())  # a Sunday, make-up working day
    assert not cal.is_workday(sh(9, 25).date())  # a Friday, Mid-Autumn Festival


def test_friday_evening_case_is_due_next_working_morning():
    # Fri 03-13 17:50: 10 minutes on Friday, the weekend is off, 50 minutes on Monday
    due = due_at(sh(3, 13, 17, 50), H, NINE_TO_SIX)
    assert due == sh(3, 16, 9, 50)
    assert due.tzinfo is UTC and due == datetime(2026, 3, 16, 1, 50, tzinfo=UTC)


def test_friday_before_a_make_up_sunday_is_due_on_the_sunday():
    assert due_at(sh(9, 18, 17, 50), H, NINE_TO_SIX) == sh(9, 20, 9, 50)


def test_across_national_day_and_its_make_up_saturday():
    # Wed 09-30 16:00, 24 h: 2 h on 09-30, 10-01..10-07 off, 9 h on Thu 10-08, 9 h on Fri 10-09,
    # the last 4 h on the make-up Saturday 10-10
    start = sh(9, 30, 16)
    assert due_at(start, 24 * H, NINE_TO_SIX) == sh(10, 10, 13)
    assert business_time_between(sh(9, 30, 18), sh(10, 8, 9), NINE_TO_SIX) == timedelta(0)
    assert business_time_between(start, sh(10, 12, 9), NINE_TO_SIX) == 29 * H  # 2 + 9 + 9 + 9
    # and with a lunch break (7.5 h a day): 2 + 7.5 + 7.5 = 17 h by Fri 18:00, 7 h on 10-10 (09-12, 13:30-17:30)
    assert due_at(start, 24 * H, LUNCH_BREAK) == sh(10, 10, 17, 30)


def test_a_pause_pending_customer_shifts_the_due_time_by_the_paused_business_time():
    start = sh(3, 16, 10)  # Monday
    assert due_at(start, 3 * H, NINE_TO_SIX) == sh(3, 16, 13)
    pending = [(sh(3, 16, 11), sh(3, 16, 12, 30))]
    assert due_at(start, 3 * H, NINE_TO_SIX, pending) == sh(3, 16, 14, 30)
    assert business_time_between(start, sh(3, 16, 14, 30), NINE_TO_SIX, pending) == 3 * H


def test_a_pause_overlapping_the_night_counts_only_its_business_hours():
    # opened Mon 16:00 with 3 h; waiting on the customer Mon 17:00 to Tue 10:00 stops 1 h Monday and
    # 1 h Tuesday of business time: due Tue 12:00 instead of Tue 10:00
    start = sh(3, 16, 16)
    assert due_at(start, 3 * H, NINE_TO_SIX) == sh(3, 17, 10)
    pending = [(sh(3, 16, 17), sh(3, 17, 10))]
    assert due_at(start, 3 * H, NINE_TO_SIX, pending) == sh(3, 17, 12)


def test_overlapping_pauses_in_any_zone_and_order_count_once():
    start = sh(3, 16, 10)
    pauses = [
        (sh(3, 16, 11, 30), sh(3, 16, 12)),
        (datetime(2026, 3, 16, 3, 0, tzinfo=UTC), sh(3, 16, 11, 45)),  # 11:00-11:45 Shanghai
    ]
    assert due_at(start, 3 * H, NINE_TO_SIX, pauses) == sh(3, 16, 14)


def test_an_open_pause_stops_the_clock():
    start = sh(3, 16, 10)
    waiting = [(sh(3, 16, 11), None)]
    assert due_at(start, 3 * H, NINE_TO_SIX, waiting) is None
    assert business_time_between(start, sh(3, 20, 18), NINE_TO_SIX, waiting) == H
    # a pause opened after the target was reached leaves the (already passed) due time as it was
    assert due_at(start, 3 * H, NINE_TO_SIX, [(sh(3, 16, 15), None)]) == sh(3, 16, 13)


def test_lunch_break_is_not_business_time():
    assert due_at(sh(3, 16, 11, 30), H, LUNCH_BREAK) == sh(3, 16, 14)
    assert due_at(sh(3, 16, 12, 15), H, LUNCH_BREAK) == sh(3, 16, 14, 30)  # opened during lunch
    assert business_time_between(sh(3, 16, 11, 30), sh(3, 16, 14), LUNCH_BREAK) == H


def test_start_on_a_holiday_or_weekend_counts_from_the_next_working_morning():
    assert due_at(sh(10, 3, 10), 2 * H, NINE_TO_SIX) == sh(10, 8, 11)  # National Day
    assert due_at(sh(9, 25, 10), 2 * H, NINE_TO_SIX) == sh(9, 28, 11)  # Mid-Autumn, then the weekend
    assert due_at(sh(3, 14, 10), H, NINE_TO_SIX) == sh(3, 16, 10)  # an ordinary Saturday


def test_start_outside_the_windows_of_the_day():
    assert due_at(sh(3, 16, 20), H, NINE_TO_SIX) == sh(3, 17, 10)  # after the last window
    assert due_at(sh(3, 16, 18), H, NINE_TO_SIX) == sh(3, 17, 10)  # exactly at its end
    assert due_at(sh(3, 16, 7), H, NINE_TO_SIX) == sh(3, 16, 10)  # before the first window
    # the same evening given in UTC (12:00Z is 20:00 in Shanghai)
    assert due_at(datetime(2026, 3, 16, 12, tzinfo=UTC), H, NINE_TO_SIX) == sh(3, 17, 10)


def test_a_target_ending_with_a_window_is_due_at_the_window_end():
    assert due_at(sh(3, 16, 17), H, NINE_TO_SIX) == sh(3, 16, 18)
    # reached at the start of lunch: due at 12:00, not when the afternoon window opens
    assert due_at(sh(3, 16, 10), 2 * H, LUNCH_BREAK) == sh(3, 16, 12)


def test_zero_target_is_due_at_once():
    assert due_at(sh(3, 16, 10), timedelta(0), NINE_TO_SIX) == sh(3, 16, 10)
    assert due_at(sh(10, 3, 2), timedelta(0), NINE_TO_SIX) == sh(10, 3, 2)
    assert business_time_between(sh(3, 16, 10), sh(3, 16, 10), NINE_TO_SIX) == timedelta(0)


def test_elapsed_time_backwards_is_negative():
    assert business_time_between(sh(3, 16, 12), sh(3, 16, 10), NINE_TO_SIX) == -2 * H


def test_bad_input_is_refused_with_a_clear_reason():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 16, 10), H, NINE_TO_SIX)
    with pytest.raises(ValueError, match="negative"):
        due_at(sh(3, 16, 10), -H, NINE_TO_SIX)
    with pytest.raises(ValueError, match="pause 1: ends"):
        due_at(sh(3, 16, 10), H, NINE_TO_SIX, [(sh(3, 16, 12), sh(3, 16, 11))])
    with pytest.raises(ValueError, match="start must be before the end"):
        Schedule.of("18:00-09:00")
    with pytest.raises(ValueError, match="must not overlap"):
        Schedule.of("09:00-12:00", "11:00-18:00")
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        Schedule.of("9 to 6")
    with pytest.raises(ValueError, match="at least one"):
        Schedule(())


zones = st.sampled_from([SHANGHAI, UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])
starts_2026 = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31, 23, 59), timezones=zones
)
targets = st.integers(min_value=0, max_value=60 * 3600).map(lambda s: timedelta(seconds=s))
schedules = st.sampled_from(
    [NINE_TO_SIX, LUNCH_BREAK, Schedule.of("08:00-12:00", "13:00-17:00", "19:00-22:30")]
)
pause_lists = st.lists(
    st.tuples(st.integers(-48 * 60, 14 * 24 * 60), st.integers(0, 3 * 24 * 60)), max_size=4
)


def as_pauses(start, offsets):
    return [(start + timedelta(minutes=a), start + timedelta(minutes=a + length)) for a, length in offsets]


@settings(max_examples=300, deadline=None)
@given(start=starts_2026, target=targets, schedule=schedules, offsets=pause_lists)
def test_due_at_and_business_time_between_agree(start, target, schedule, offsets):
    pauses = as_pauses(start, offsets)
    due = due_at(start, target, schedule, pauses)
    assert due is not None and due >= start and due.tzinfo is UTC
    assert business_time_between(start, due, schedule, pauses) == target
    # the earliest such moment: one microsecond before, the target is not yet reached
    if target:
        assert business_time_between(start, due - timedelta(microseconds=1), schedule, pauses) < target


def minute_by_minute_due(start, minutes, schedule, pauses):
    """Reference: walk wall-clock minutes in Shanghai until ``minutes`` business minutes have run."""
    cal, at, counted = schedule.calendar, start, 0
    while counted < minutes:
        local = at.astimezone(SHANGHAI)
        open_ = cal.is_workday(local.date()) and any(s <= local.time() < e for s, e in schedule.windows)
        if open_ and not any(a <= at < b for a, b in pauses):
            counted += 1
        at += timedelta(minutes=1)
    return at


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31, 23, 59)),
    minutes=st.integers(min_value=0, max_value=30 * 60),
    schedule=schedules,
    offsets=pause_lists,
)
def test_due_at_matches_counting_minute_by_minute(start, minutes, schedule, offsets):
    start = start.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
    pauses = as_pauses(start, offsets)
    expected = minute_by_minute_due(start, minutes, schedule, pauses)
    due = due_at(start, timedelta(minutes=minutes), schedule, pauses)
    if minutes:
        assert due == expected
    else:
        assert due == start
