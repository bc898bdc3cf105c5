"""Which months hold facts in the database: a run for a month without a single fact row is refused
(docs/runs.md), like ``merit assess`` refuses one in a package (merit.engine.coverage)."""

from __future__ import annotations

from datetime import UTC

from merit.engine.coverage import FACT_TABLES
from merit.engine.metrics.compute import Period
from merit.engine.tables import DATE, PERIOD, TABLES, TIMESTAMP
from merit.facts.models import FACT_MODELS, field_name


def _in_month(table: str, period: Period) -> dict:
    spec = TABLES[table]
    col = spec.column(spec.time)
    name = field_name(col)
    if col.type == TIMESTAMP:
        lo, hi = period.utc_bounds()  # naive UTC
        return {f"{name}__gte": lo.replace(tzinfo=UTC), f"{name}__lt": hi.replace(tzinfo=UTC)}
    if col.type == DATE:
        return {f"{name}__range": (period.first_day, period.last_day)}
    if col.type == PERIOD:
        return {name: str(period)}
    raise ValueError(f"table {table} has no period column")


def has_facts(period: Period) -> bool:
    """Whether any fact table has a row in ``period`` (one indexed EXISTS per table, at most)."""
    return any(FACT_MODELS[t].objects.filter(**_in_month(t, period)).exists() for t in FACT_TABLES)


def months_without_facts(first: str, last: str) -> list[str]:
    start, end = Period.parse(first), Period.parse(last)
    out, p = [], start
    while (p.year, p.month) <= (end.year, end.month):
        if not has_facts(p):
            out.append(str(p))
        p = p.shift(1)
    return out
