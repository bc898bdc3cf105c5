"""Data coverage of the months to assess: how many rows each fact table holds in each month, and how
many agents have any. A month without a single fact row is almost always a mistake (a period typed
wrong, a month not imported yet): scoring it would give every agent the score of "nothing happened".
``merit assess`` refuses such a month unless ``--allow-empty`` is given (docs/runs.md)."""

from __future__ import annotations

from dataclasses import dataclass

from merit.engine.metrics.compute import Period
from merit.engine.tables import DATE, PERIOD, TABLES, TIMESTAMP

# The tables that hold what agents did in a month (benchmarks are the industry's, not the shop's facts).
FACT_TABLES = tuple(name for name, t in TABLES.items() if t.time and name != "benchmarks")


@dataclass(frozen=True)
class Coverage:
    period: str
    rows: dict[str, int]  # table → rows in the month
    agents: int  # distinct agents with at least one row in the month

    @property
    def empty(self) -> bool:
        return not any(self.rows.values())


def _condition(table: str, period: Period) -> tuple[str, list]:
    spec = TABLES[table]
    col = f'"{spec.time}"'
    kind = spec.column(spec.time).type
    if kind == TIMESTAMP:
        lo, hi = period.utc_bounds()
        return f"{col} >= ? AND {col} < ?", [lo, hi]
    if kind == DATE:
        return f"{col} BETWEEN ? AND ?", [period.first_day, period.last_day]
    if kind == PERIOD:
        return f"{col} = ?", [str(period)]
    raise ValueError(f"table {table} has no period column")


def coverage(con, periods: list[str]) -> list[Coverage]:
    """The coverage of each of ``periods`` in the package relations of the DuckDB connection ``con``."""
    out = []
    for text in periods:
        period = Period.parse(text)
        rows: dict[str, int] = {}
        agent_sets = []
        params: list = []
        for table in FACT_TABLES:
            where, args = _condition(table, period)
            rows[table] = con.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', args).fetchone()[0]
            if rows[table] and "agent_id" in TABLES[table].column_names:
                agent_sets.append(f'SELECT agent_id FROM "{table}" WHERE {where} AND agent_id IS NOT NULL')
                params += args
        agents = 0
        if agent_sets:
            union = " UNION ".join(agent_sets)
            agents = con.execute(f"SELECT count(*) FROM ({union})", params).fetchone()[0]
        out.append(Coverage(text, rows, agents))
    return out


def empty_message(c: Coverage, where: str) -> str:
    tables = ", ".join(FACT_TABLES)
    return (
        f"{c.period} 没有任何数据 has no facts in {where}: no rows in {tables} for that month "
        "(a period typed wrong, or a month not imported yet?)"
    )
