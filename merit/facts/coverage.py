"""Which months hold facts in the database: a run for a month without a single fact row is refused
(docs/runs.md), like ``merit assess`` refuses one in a package (merit.engine.coverage)."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Min

from merit.engine.coverage import FACT_TABLES
from merit.engine.metrics.compute import Period
from merit.engine.tables import DATE, PERIOD, TABLES, TIMESTAMP
from merit.facts.models import FACT_MODELS, field_name

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def first_month_of_facts() -> Period | None:
    """The first month (Asia/Shanghai) in which any fact table has a row; None without any facts."""
    first: date | None = None
    for t in FACT_TABLES:
        col = TABLES[t].column(TABLES[t].time)
        name = field_name(col)
        value = FACT_MODELS[t].objects.aggregate(first=Min(name))["first"]
        if value is None:
            continue
        if col.type == PERIOD:
            p = Period.parse(value)
            day = p.first_day
        elif col.type == TIMESTAMP:
            day = value.astimezone(SHANGHAI).date()
        else:
            day = value
        first = day if first is None or day < first else first
    return None if first is None else Period(first.year, first.month)


def months_without_facts(first: str, last: str) -> list[str]:
    start, end = Period.parse(first), Period.parse(last)
    out, p = [], start
    while (p.year, p.month) <= (end.year, end.month):
        if not has_facts(p):
            out.append(str(p))
        p = p.shift(1)
    return out


# ---- a run's coverage: rows and agents per month, against the months before ----------------------

USUAL_MONTHS = 3  # months before the first assessed one that say how much data a month usually holds
LOW_SHARE = Decimal("0.5")  # a table with less than half its usual rows makes the month provisional
MIN_USUAL_ROWS = 20  # below this a month-to-month swing is noise (a few redemptions), never "far below"


def month_rows(period: Period) -> dict[str, int]:
    return {t: FACT_MODELS[t].objects.filter(**_in_month(t, period)).count() for t in FACT_TABLES}


def month_agents(period: Period) -> int:
    """Distinct agents with at least one row of any fact table in ``period``."""
    agents: set[str] = set()
    for t in FACT_TABLES:
        model = FACT_MODELS[t]
        if "agent_id" not in TABLES[t].column_names:
            continue
        qs = model.objects.filter(**_in_month(t, period)).exclude(agent__isnull=True)
        agents.update(qs.values_list("agent_id", flat=True).distinct())
    return len(agents)


def run_coverage(first: str, last: str, today: date) -> list[dict]:
    """For each month of a run: rows per fact table and agents with data; per table the usual rows (the
    mean of the up to :data:`USUAL_MONTHS` months before the run that have rows of that table); the
    tables with less than :data:`LOW_SHARE` of their usual rows (of those usually holding at least
    :data:`MIN_USUAL_ROWS`); and whether the month has ended on
    ``today`` (Asia/Shanghai). docs/runs.md."""
    start, end = Period.parse(first), Period.parse(last)
    before = [start.shift(-i) for i in range(USUAL_MONTHS, 0, -1)]
    history = [month_rows(p) for p in before]
    usual = {}
    for t in FACT_TABLES:
        counts = [h[t] for h in history if h[t]]
        if counts:
            usual[t] = int((Decimal(sum(counts)) / len(counts)).to_integral_value())
    out, p = [], start
    while (p.year, p.month) <= (end.year, end.month):
        rows = month_rows(p)
        low = [t for t, n in usual.items() if n >= MIN_USUAL_ROWS and Decimal(rows[t]) < LOW_SHARE * n]
        out.append(
            {
                "period": str(p),
                "rows": rows,
                "agents": month_agents(p),
                "usual": usual,
                "usual_months": [str(b) for b in before],
                "low": low,
                "open": p.last_day >= today,
            }
        )
        p = p.shift(1)
    return out


def provisional_reasons(coverage: list[dict]) -> list[str]:
    """Why a run's results are only provisional (empty: final): a month not over yet, or a table with far
    less data than usual. Plain text, English and Chinese, kept on the run."""
    reasons = []
    for c in coverage:
        if c["open"]:
            reasons.append(f"{c['period']} 尚未结束 has not ended yet: its data is not complete")
        for t in c["low"]:
            reasons.append(
                f"{c['period']} {t}: {c['rows'][t]} 行 rows, 通常约 usually about {c['usual'][t]} "
                f"(mean of {c['usual_months'][0]}..{c['usual_months'][-1]})"
            )
    return reasons
