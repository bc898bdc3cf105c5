"""Events derived from runs and counts of rows: the day a run of matching days reaches N working days
in a row (S3: absent 3 or more consecutive working days), the N-th matching row of a calendar year
(S3: the 5th day of absence in a year).

Both are read from the facts, including the days before the month that decide them (the working days
before a run reaching into the month, the year's earlier rows), so a month gives the same events
whatever the assessed range — no state is carried.
"""

from __future__ import annotations

from datetime import date, timedelta

from merit.engine.calendar import WorkCalendar
from merit.engine.ladder import local_date
from merit.engine.metrics.compute import Period
from merit.engine.tables import DATE, PERIOD, TIMESTAMP


def workdays_before(day: date, n: int, cal: WorkCalendar) -> date:
    """The n-th working day before ``day``."""
    while n:
        day -= timedelta(days=1)
        if cal.is_workday(day):
            n -= 1
    return day


def reading_bounds(sel, table, period: Period, cal: WorkCalendar):
    """[lo, hi] of the time column a derived rule reads to decide the events of ``period``."""
    kind = table.column(table.time).type
    if sel.consecutive_workdays is not None:
        lo = workdays_before(period.first_day, sel.consecutive_workdays, cal)
        return lo, period.last_day
    if kind == TIMESTAMP:
        return Period(period.year, 1).utc_bounds()[0], period.utc_bounds()[1]
    if kind == DATE:
        return date(period.year, 1, 1), period.last_day
    if kind == PERIOD:
        return f"{period.year:04d}-01", str(period)
    raise ValueError(f"table {table.name} has no time column")


def day_of(value, kind: str) -> date:
    if kind == PERIOD:
        return Period.parse(str(value)).first_day
    return local_date(value)


def derive(rows: list[dict], sel, table, period: Period, cal: WorkCalendar) -> list[dict]:
    """The rows (one agent's or many, ordered by agent and time) that are events of ``period``."""
    kind = table.column(table.time).type
    by_agent: dict[str, list[dict]] = {}
    for r in rows:
        by_agent.setdefault(r["agent_id"], []).append(r)
    out = []
    first, last = period.first_day, period.last_day
    for agent in sorted(by_agent):
        mine = by_agent[agent]
        if sel.nth_in_year is not None:
            year = [r for r in mine if day_of(r[table.time], kind).year == period.year]
            if len(year) >= sel.nth_in_year:
                r = year[sel.nth_in_year - 1]
                if first <= day_of(r[table.time], kind) <= last:
                    out.append(r)
            continue
        run, prev = 0, None
        seen: set[date] = set()
        for r in mine:
            d = day_of(r[table.time], kind)
            if d in seen or not cal.is_workday(d):
                continue  # one row a day; a day off neither counts nor breaks a run
            seen.add(d)
            run = run + 1 if prev is not None and workdays_before(d, 1, cal) == prev else 1
            prev = d
            if run == sel.consecutive_workdays and first <= d <= last:
                out.append(r)
    return out
