"""The working-day calendar of the application: ``org.CalendarDay`` rows over the Monday–Friday week.

``work_calendar()`` builds the engine's :class:`~merit.engine.calendar.WorkCalendar` from the table, so
that SLA clocks and deadlines follow what the admins maintain (the table is seeded from
``chinese_calendar``; a year it has not published yet is edited by hand). Reading the table costs one
small query (about 30 rows a year), so callers that need the calendar many times read it once.
"""

from __future__ import annotations

from datetime import date, timedelta

from merit.engine.calendar import WorkCalendar
from merit.org.models import CalendarDay


def work_calendar() -> WorkCalendar:
    holidays, workdays, years = set(), set(), set()
    for day, workday in CalendarDay.objects.values_list("date", "workday"):
        years.add(day.year)
        (workdays if workday else holidays).add(day)
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def official_days(first_year: int = 2020, last_year: int = 2030) -> list[CalendarDay]:
    """The exceptions ``chinese_calendar`` knows for the years in range (unsaved rows)."""
    import chinese_calendar as cc

    rows = []
    for year in range(first_year, last_year + 1):
        try:
            cc.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        day = date(year, 1, 1)
        while day.year == year:
            work = cc.is_workday(day)
            if (day.weekday() < 5) != work:
                _, name = cc.get_holiday_detail(day)
                rows.append(CalendarDay(date=day, workday=work, note=str(name or "")[:100]))
            day += timedelta(days=1)
    return rows


def seed_official_days() -> int:
    """Add the official exceptions not in the table yet (rows admins changed are kept); returns how many."""
    known = set(CalendarDay.objects.values_list("date", flat=True))
    new = [row for row in official_days() if row.date not in known]
    CalendarDay.objects.bulk_create(new)
    return len(new)
