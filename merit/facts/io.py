"""Facts in and out of the database, set-based (never through model instances).

In:  :func:`write_tables` copies validated tables (DuckDB relations, as the engine's package loader
     leaves them) into the facts tables and org tables, inserting new natural keys and updating changed
     rows, inside the caller's transaction.
Out: :func:`read_package` builds an engine ``Package`` (a DuckDB connection holding one typed relation
     per table) from the database, for the periods asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TableCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def write_tables(
    con, tables: list[str], batch: int | None, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, TableCounts]:
    """Write the relations ``tables`` of the DuckDB connection ``con`` (named like the tables, typed as
    ``merit.engine.tables.TYPE_SQL``) to the database. Agents and teams go to ``org``; the others to
    ``facts``. ``progress(table, rows_done, rows_total)`` is called as work advances."""
    raise NotImplementedError


def export_org(folder: Path) -> None:
    """Write agents.csv and teams.csv of the database into ``folder`` (UTF-8, package columns)."""
    raise NotImplementedError


def read_package(periods: list[str], tables: list[str] | None = None):
    """An engine ``Package`` holding every table's rows of ``periods`` (plus the org tables)."""
    raise NotImplementedError
