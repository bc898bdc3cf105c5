"""Tiny CSV data packages for engine tests, written from lists of dicts (one list per table).

``write_package(path, agents=[...], incidents=[...], ...)`` writes ``<table>.csv`` with the header of
``merit.engine.tables`` (every column, in contract order; cells a row leaves out are empty). Agents and
teams are always written; without a ``teams`` list, one team per ``team_id`` of the agents is written.
A column name the contract does not know is an error, so a typo never silently drops a value.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from merit.engine.tables import TABLES


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, (date, Decimal, int, str)):
        return str(v)
    raise TypeError(f"no exact CSV text for {v!r} (use str, int, Decimal, bool or datetime)")


def write_table(folder: Path, name: str, rows: list[dict]) -> None:
    spec = TABLES[name]
    columns = spec.column_names
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"{name} row {i}: unknown column(s) {sorted(unknown)}; columns are {columns}")
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in columns])


def write_package(tmp_path: Path | str, **tables: list[dict]) -> Path:
    """Write the package into ``tmp_path`` (created if needed) and return the folder."""
    folder = Path(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; tables are {list(TABLES)}")
    agents = tables.pop("agents", [])
    teams = tables.pop("teams", None)
    if teams is None:
        ids = sorted({a["team_id"] for a in agents})
        teams = [{"team_id": t, "name": f"Team {t}"} for t in ids]
    write_table(folder, "agents", agents)
    write_table(folder, "teams", teams)
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder


def at(day: int, hour: int = 10, minute: int = 0, *, month: int = 3, year: int = 2026) -> datetime:
    """A local (Asia/Shanghai) time as the package writes it: ISO 8601 without a zone."""
    return datetime(year, month, day, hour, minute)


def hours_after(t: datetime, hours: int) -> datetime:
    return t + timedelta(hours=hours)


def agents_by_id(doc: dict, period: str) -> dict[str, dict]:
    """The agents of a single-period results document, by id (asserting the period)."""
    (only,) = doc["periods"]
    assert only["period"] == period
    return {a["agent_id"]: a for a in only["agents"]}


def lines_by_item(agent: dict) -> dict[str, dict]:
    return {line["item"]: line for line in agent["lines"]}


def cli_assess(folder, out, period: str, policy: str, state=None, extra=()) -> int:
    """`merit assess` as a user types it (quiet), optionally from a previous results.json."""
    from merit.cli import main

    argv = [
        "assess",
        "--data",
        str(folder),
        "--policy",
        policy,
        "--period",
        period,
        "--out",
        str(out),
        "--quiet",
    ]
    argv += [*extra, *(["--state", str(state)] if state is not None else [])]
    return main(argv)


def chained_months(folder, policy: str, months: list[str], tmp_path) -> list[dict]:
    """Each month assessed alone through the command line, from the previous month's results."""
    import json

    prev, out_periods = None, []
    for period in months:
        out = tmp_path / period
        assert cli_assess(folder, out, period, policy, state=prev) == 0, period
        (only,) = json.loads((out / "results.json").read_text("utf-8"))["periods"]
        out_periods.append(only)
        prev = out / "results.json"
    return out_periods
