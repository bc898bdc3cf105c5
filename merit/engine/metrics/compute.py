"""Compute catalogue metrics set-based: one grouped query per source table and period.

All metrics a policy needs from one table are folded into a single ``GROUP BY agent_id`` over that
table's rows of the period, written in Ibis so the same definitions run on DuckDB or Spark. Only the
aggregated parts (one row per agent) come back to Python, where values are divided in exact decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import ibis

from merit.engine import expr
from merit.engine.metrics.catalogue import MetricDef
from merit.engine.tables import DATE, PERIOD, TABLES, TIMESTAMP

SHANGHAI_OFFSET = timedelta(hours=8)  # China Standard Time, no daylight saving since 1991


@dataclass(frozen=True)
class Period:
    """A calendar month in Asia/Shanghai."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        try:
            y, m = text.split("-")
            p = cls(int(y), int(m))
        except ValueError:
            raise ValueError(f"period {text!r} is not YYYY-MM") from None
        if not (1 <= p.month <= 12 and 2000 <= p.year <= 2999 and len(text) == 7):
            raise ValueError(f"period {text!r} is not YYYY-MM")
        return p

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Period:
        n = self.year * 12 + (self.month - 1) + months
        return Period(n // 12, n % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.shift(1).first_day - timedelta(days=1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) of the month in UTC (naive), for timestamps stored as UTC."""
        # naive datetimes holding UTC: the package stores every timestamp that way
        start = datetime(self.year, self.month, 1) - SHANGHAI_OFFSET  # noqa: DTZ001
        nxt = self.shift(1)
        return start, datetime(nxt.year, nxt.month, 1) - SHANGHAI_OFFSET  # noqa: DTZ001


PARTITION_COLUMN = "month"  # warehouse tables partitioned by the Shanghai month (docs/scale-out.md)


def period_filter(t, table: str, period: Period):
    spec = TABLES[table]
    col = spec.time
    ctype = spec.column(col).type
    if ctype == TIMESTAMP:
        lo, hi = period.utc_bounds()
        cond = (t[col] >= lo) & (t[col] < hi)
    elif ctype == DATE:
        cond = (t[col] >= period.first_day) & (t[col] <= period.last_day)
    elif ctype == PERIOD:
        cond = t[col] == str(period)
    else:
        raise ValueError(f"table {table} has no period column")
    if PARTITION_COLUMN in t.columns and PARTITION_COLUMN not in spec.column_names:
        # a warehouse table partitioned by month: Spark reads only that month's files
        cond = cond & (t[PARTITION_COLUMN] == str(period))
    return cond


def period_selection(table: str, period: Period) -> str:
    """The period filter in words, for explanations."""
    spec = TABLES[table]
    col = spec.time
    if spec.column(col).type == TIMESTAMP:
        return f"{col} in {period} (Asia/Shanghai)"
    return f"{col} in {period}"


@dataclass(frozen=True)
class MetricValue:
    value: Decimal | None
    num: Decimal | int | None
    den: Decimal | int | None


def _part_expr(t, agg: str, value: str | None, where: str | None, params):
    cond = expr.to_ibis(expr.parse(where), t, params).fill_null(False) if where else None
    if agg == "count":
        return t.count(where=cond) if cond is not None else t.count()
    col = expr.to_ibis(expr.parse(value), t, params)
    if col.type().is_timestamp() or col.type().is_boolean():
        col = col.cast("int64")
    elif col.type().is_floating():
        raise ValueError(f"metric value {value!r} is not exact (float); use integers or decimals")
    return col.sum(where=cond)


def compute_metrics(
    backend,
    metric_ids: set[str],
    defs: dict[str, MetricDef],
    period: Period,
    params: dict[str, Any],
    agent_team: dict[str, str],
) -> tuple[dict[str, dict[str, MetricValue]], dict[str, dict]]:
    """→ ({agent_id: {metric_id: MetricValue}}, {metric_id: how it was computed}).

    One grouped query per (table, period offset)."""
    wanted = set(metric_ids)
    for mid in list(wanted):
        if defs[mid].kind == "team_relative":
            wanted.add(defs[mid].of_metric)
    groups: dict[tuple[str, int], list[str]] = {}
    for mid in sorted(wanted):
        d = defs[mid]
        if d.kind != "team_relative":
            groups.setdefault((d.table, d.offset), []).append(mid)

    values: dict[str, dict[str, MetricValue]] = {a: {} for a in agent_team}
    how: dict[str, dict] = {}
    for (table, offset), mids in sorted(groups.items()):
        p = period.shift(offset)
        t = backend.table(table)
        t = t.filter(period_filter(t, table, p))
        part_names: dict[tuple, str] = {}
        aggs = {}
        for mid in mids:
            for spec in defs[mid].parts().values():
                if spec not in part_names:
                    name = f"p{len(part_names)}"
                    part_names[spec] = name
                    aggs[name] = _part_expr(t, *spec, params)
        q = t.group_by("agent_id").aggregate(**aggs).order_by("agent_id")
        rows = rows_of(backend.to_pyarrow(q))
        by_agent = {r["agent_id"]: r for r in rows}
        for mid in mids:
            d = defs[mid]
            parts = {k: part_names[v] for k, v in d.parts().items()}
            how[mid] = {"table": table, "period": str(p), "selection": period_selection(table, p)}
            for agent in agent_team:
                r = by_agent.get(agent)
                num = r[parts["num"]] if r else None
                den = r[parts["den"]] if (r and "den" in parts) else None
                if d.kind in ("count", "sum") and num is None:
                    num = 0  # no rows: zero events, zero amount
                values[agent][mid] = MetricValue(_value(d, num, den), num, den)
    for mid in sorted(wanted):
        d = defs[mid]
        if d.kind == "team_relative":
            how[mid] = {"compared_with": f"team mean of {d.of_metric}"}
            _team_relative(values, mid, d, agent_team)
    return values, how


def _dec(v) -> Decimal | None:
    if v is None:
        return None
    return v if isinstance(v, Decimal) else Decimal(v)


def _value(d: MetricDef, num, den) -> Decimal | None:
    n = _dec(num)
    if d.kind in ("count", "sum"):
        return n / d.divide_by if n is not None else None
    dn = _dec(den)
    if n is None or dn is None or dn == 0:
        return None  # no data: the denominator is empty (zero-safe)
    return n / dn / d.divide_by


def _team_relative(values, mid: str, d: MetricDef, agent_team: dict[str, str]) -> None:
    sums: dict[str, list] = {}
    for agent, team in agent_team.items():
        v = values[agent][d.of_metric].value
        if v is not None:
            sums.setdefault(team, []).append(v)
    for agent, team in agent_team.items():
        own = values[agent][d.of_metric].value
        vals = sums.get(team, [])
        mean = sum(vals) / len(vals) if vals else None
        value = own / mean if (own is not None and mean) else None
        values[agent][mid] = MetricValue(value, own, mean)


def fetch_rows(
    backend,
    table: str,
    period: Period | None,
    columns: list[str],
    where: str | None = None,
    params=None,
    order: list[str] | None = None,
) -> list[dict]:
    """Rows of a small table (agents, benchmarks, events) as dicts, in a stable order."""
    t = backend.table(table)
    if period is not None:
        t = t.filter(period_filter(t, table, period))
    if where:
        t = t.filter(expr.to_ibis(expr.parse(where), t, params or {}).fill_null(False))
    t = t.select(*columns)
    if order:
        t = t.order_by(order)
    return rows_of(backend.to_pyarrow(t))


def rows_of(table) -> list[dict]:
    """An Arrow table as row dicts: column by column (several times faster than ``to_pylist``)."""
    names = table.column_names
    cols = [table.column(n).to_pylist() for n in names]
    return [dict(zip(names, vals, strict=True)) for vals in zip(*cols, strict=True)]


def connect_duckdb(con) -> Any:
    """An Ibis backend over an existing in-process DuckDB connection."""
    return ibis.duckdb.from_connection(con)
