"""The working-day calendar of the application: ``org.CalendarDay`` rows over the Monday–Friday week.

``work_calendar()`` builds the engine's :class:`~merit.engine.calendar.WorkCalendar` from the table, so
that SLA clocks and deadlines follow what the admins maintain (the table is seeded from
``chinese_calendar``; a year it has not published yet is edited by hand). Reading the table costs one
small query (about 30 rows a year), so callers that need the calendar many times read it once.
"""

from __future__ import annotations

from merit.engine.calendar import WorkCalendar, official_exceptions
from merit.org.models import CalendarDay


def work_calendar() -> WorkCalendar:
    holidays, workdays, years = set(), set(), set()
    for day, workday in CalendarDay.objects.values_list("date", "workday"):
        years.add(day.year)
        (workdays if workday else holidays).add(day)
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def official_days(first_year: int = 2020, last_year: int = 2030) -> list[CalendarDay]:
    """The exceptions ``chinese_calendar`` knows for the years in range (unsaved rows)."""
    return [
        CalendarDay(date=day, workday=work, note=name[:100])
        for day, work, name in official_exceptions(first_year, last_year)
    ]


def seed_official_days() -> int:
    """Add the official exceptions not in the table yet (rows admins changed are kept); returns how many."""
    known = set(CalendarDay.objects.values_list("date", flat=True))
    new = [row for row in official_days() if row.date not in known]
    CalendarDay.objects.bulk_create(new)
    return len(new)
