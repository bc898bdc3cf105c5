"""Lay a package out as warehouse tables: Parquet partitioned by the Asia/Shanghai month.

``write_month_partitions(package, folder)`` writes ``<folder>/<table>/month=YYYY-MM/*.parquet`` for
every table with a time column (the month is the Shanghai calendar month of that column, the same
placement the engine uses) and ``<folder>/<table>.parquet`` for the others (agents, teams). That is
the layout ``merit assess --engine spark --tables FOLDER`` reads, and a Hive table partitioned by
``month`` has the same shape (docs/scale-out.md).
"""

from __future__ import annotations

from pathlib import Path

from merit.engine import tables as T
from merit.engine.metrics.compute import PARTITION_COLUMN


def month_expr(table: T.Table) -> str | None:
    """DuckDB SQL for the partition value of a row, or None for tables without a time column."""
    if table.time is None:
        return None
    kind = table.column(table.time).type
    if kind == T.TIMESTAMP:  # stored as UTC: the Shanghai month is UTC + 8 h
        return f"strftime(\"{table.time}\" + INTERVAL 8 HOUR, '%Y-%m')"
    if kind == T.DATE:
        return f"strftime(\"{table.time}\", '%Y-%m')"
    return f'"{table.time}"'  # a period column is the month already


def write_month_partitions(package, folder: str | Path) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in T.TABLES.items():
        if name not in package.tables_present:
            continue
        month = month_expr(table)
        if month is None:
            package.con.execute(
                f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT parquet)"
            ).fetchall()
            continue
        package.con.execute(
            f"COPY (SELECT *, {month} AS {PARTITION_COLUMN} FROM {name}) TO '{folder / name}' "
            f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}), OVERWRITE_OR_IGNORE)"
        ).fetchall()
    return folder
