"""Working days in mainland China: weekends, statutory holidays and make-up working days (调休).

The engine takes a calendar as data: ``WorkCalendar(holidays, workdays)``. By default it is seeded from
the ``chinese_calendar`` package, which knows each year's official arrangement once the State Council
publishes it (2026: 248 working days). For a year the package does not know yet the calendar falls
back to Monday–Friday and says so (``known(year)`` is false), so a pay date there is provisional. The
web application keeps an editable table seeded the same way; it is the source of truth there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()  # weekdays that are days off
    workdays: frozenset[date] = frozenset()  # weekend days that are working days (调休)
    known_years: frozenset[int] = field(default_factory=frozenset)

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def known(self, year: int) -> bool:
        return year in self.known_years

    def on_or_before(self, d: date) -> date:
        while not self.is_workday(d):
            d -= timedelta(days=1)
        return d

    def on_or_after(self, d: date) -> date:
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself does not count): the last day of a window
        of n working days opened on ``d``. Holidays are skipped, make-up weekend days count."""
        if n < 1:
            raise ValueError("n must be at least 1")
        while n:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d


def official_exceptions(first_year: int = 2020, last_year: int = 2099):
    """``(date, workday, holiday name)`` for every day that differs from the Monday–Friday week in the
    years ``chinese_calendar`` has published: weekdays off and make-up working days (调休)."""
    import chinese_calendar as cc

    for year in range(first_year, last_year + 1):
        try:
            cc.is_workday(date(year, 1, 1))
        except NotImplementedError:  # a year the State Council has not published yet
            continue
        d = date(year, 1, 1)
        while d.year == year:
            work = cc.is_workday(d)
            if (d.weekday() < 5) != work:
                yield d, work, str(cc.get_holiday_detail(d)[1] or "")
            d += timedelta(days=1)


def known_years(first_year: int = 2020, last_year: int = 2099) -> frozenset[int]:
    import chinese_calendar as cc

    years = set()
    for year in range(first_year, last_year + 1):
        try:
            cc.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


@lru_cache(maxsize=1)
def china() -> WorkCalendar:
    """The official calendar as far as ``chinese_calendar`` knows it."""
    holidays, workdays = set(), set()
    for d, work, _ in official_exceptions():
        (workdays if work else holidays).add(d)
    return WorkCalendar(frozenset(holidays), frozenset(workdays), known_years())


def pay_date(year: int, month: int, day: int, shift: str, cal: WorkCalendar) -> date:
    """The pay day of the month after (year, month): ``day`` of that month, moved to the working day
    before (``shift='before'``, 提前) or after (``'after'``, 顺延) when it is not a working day."""
    ny, nm = (year, month + 1) if month < 12 else (year + 1, 1)
    target = date(ny, nm, day)
    return cal.on_or_before(target) if shift == "before" else cal.on_or_after(target)
