"""The floor any engine must pay: one plain per-agent aggregate over every event table.

For each event table of a Parquet data package, a fresh in-process DuckDB connection runs
``SELECT agent_id, count(*), <1-3 sums/averages> FROM read_parquet(...) GROUP BY agent_id`` and
materializes the result as an Arrow table. No filters, no joins, no policy: whatever an engine does on
top (metrics, scoring, rules, explanations) is measured against this number.

    merit synth --out var/bench/data --agents 10000 --months 1 --seed 7 --format parquet
    .venv/bin/python benchmarks/floor.py var/bench/data
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

# table -> the aggregates next to count(*): 1-3 numeric columns each, nothing clever.
FLOOR_AGGREGATES: dict[str, str] = {
    "tickets": "sum(transfers), sum(reopened::INT)",
    "chats": "avg(first_response_s), avg(avg_response_s), sum(order_amount)",
    "ratings": "avg(score), sum(named_praise::INT)",
    "refunds": "sum(amount), sum(disputed::INT), sum(self_completed::INT)",
    "qa_reviews": "avg(score), sum(critical_fail::INT)",
    "attendance": "sum(minutes_late)",
    "incidents": "sum(loss_amount)",
    "exams": "avg(score), sum(passed::INT)",
}


def _fetch_arrow(relation):
    # A relation (con.sql) materializes straight to Arrow; duckdb 2 calls it to_arrow_table, 1.x
    # fetch_arrow_table.
    fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return fetch()


def floor_aggregation(data_dir: Path) -> float:
    """Seconds to aggregate every event table per agent (fresh connection, results fully materialized)."""
    data_dir = Path(data_dir)
    start = time.perf_counter()
    con = duckdb.connect()
    try:
        for table, aggregates in FLOOR_AGGREGATES.items():
            path = (data_dir / f"{table}.parquet").as_posix().replace("'", "''")
            sql = f"SELECT agent_id, count(*), {aggregates} FROM read_parquet('{path}') GROUP BY agent_id"
            _fetch_arrow(con.sql(sql))
    finally:
        con.close()
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    data_dir = Path(argv[0] if argv else "var/bench/data")
    print(f"floor aggregation over {data_dir}: {floor_aggregation(data_dir):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
