"""Windows of working days on the Chinese calendar (appeals: 3 to file, 5 to answer)."""

from datetime import date

import pytest

from merit.engine.calendar import china


def test_spring_festival_2026_is_skipped_and_make_up_saturdays_count():
    cal = china()
    # Holiday 2026-02-15 … 02-23; Saturdays 02-14 and 02-28 are working days (调休).
    # From Fri 02-13: 02-14 (make-up), 02-24, 02-25 → the 3rd working day is 02-25.
    assert cal.add_workdays(date(2026, 2, 13), 3) == date(2026, 2, 25)
    # From Sat 02-14: 02-24, 25, 26, 27, 28 (make-up) → the 5th is Saturday 02-28.
    assert cal.add_workdays(date(2026, 2, 14), 5) == date(2026, 2, 28)
    # An ordinary week: from Wed 2026-03-04, 3 working days → Mon 03-09 (the weekend skipped).
    assert cal.add_workdays(date(2026, 3, 4), 3) == date(2026, 3, 9)


def test_a_window_has_at_least_one_day():
    with pytest.raises(ValueError):
        china().add_workdays(date(2026, 3, 4), 0)
