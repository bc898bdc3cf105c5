"""A small Parquet package with the cases where engines tend to disagree.

Built from a seeded synthetic shop (24 agents in two teams, January–March 2026), then edited:

* ties: A00025 is a copy of A00003 (same team, same events under new ids), so every ranking meets a tie;
* zero denominators: A00004 has no inquiring chat in February; A00013 has no ticket in February;
* all-null groups: A00005's response times are all NULL; in February no refund of team T002 is
  completed (the team's mean of refund times has no member with a value);
* month gaps: A00006 has no event of any kind in February;
* time-zone edges: A00007 has chats, ratings and incidents at the last microsecond of a Shanghai
  month and at its first instant (2026-01-31T15:59:59.999999Z is still January in Shanghai,
  2026-01-31T16:00:00Z is already February; the same at the end of February).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from merit.engine import tables as T
from merit.engine.synth import synth

MONTHS = ("2026-01", "2026-02", "2026-03")
# (UTC instant, Shanghai month it belongs to)
EDGES = (
    ("2026-01-31 15:59:59.999999", "2026-01"),
    ("2026-01-31 16:00:00", "2026-02"),
    ("2026-02-28 15:59:59.999999", "2026-02"),
    ("2026-02-28 16:00:00", "2026-03"),
)
FEB = "TIMESTAMP '2026-01-31 16:00:00'", "TIMESTAMP '2026-02-28 16:00:00'"


def _in_feb(col: str) -> str:
    return f'"{col}" >= {FEB[0]} AND "{col}" < {FEB[1]}'


def build(folder: Path) -> Path:
    raw = folder / "raw"
    synth(raw, agents=24, months=3, seed=11, fmt="parquet", scale=0.05)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in T.TABLES:
        con.execute(f"CREATE TABLE \"{name}\" AS SELECT * FROM '{raw / name}.parquet'")
    # fewer chats keep the suite fast; every agent keeps chats in every month
    con.execute("DELETE FROM chats WHERE hash(chat_id) % 4 <> 0")
    sql = []
    # ties: a copy of A00003
    sql.append(
        "INSERT INTO agents SELECT * REPLACE ('A00025' AS agent_id, name || '乙' AS name) "
        "FROM agents WHERE agent_id = 'A00003'"
    )
    for name, table in T.TABLES.items():
        if name in ("agents", "teams") or "agent_id" not in table.column_names:
            continue
        keys = [k for k in table.key if k != "agent_id"]
        repl = ", ".join(
            ["'A00025' AS agent_id", *(f"{k} || '-tie' AS {k}" for k in keys if k.endswith("_id"))]
        )
        sql.append(
            f'INSERT INTO "{name}" SELECT * REPLACE ({repl}) FROM "{name}" WHERE agent_id = \'A00003\''
        )
    # zero denominators
    sql.append(
        f"UPDATE chats SET inquiry = false, converted = false WHERE agent_id = 'A00004' AND {_in_feb('started_at')}"
    )
    sql.append(f"DELETE FROM tickets WHERE agent_id = 'A00013' AND {_in_feb('created_at')}")
    # all-null groups
    sql.append("UPDATE chats SET first_response_s = NULL, avg_response_s = NULL WHERE agent_id = 'A00005'")
    sql.append(
        "UPDATE refunds SET completed_at = NULL, self_completed = NULL "
        f"WHERE agent_id IN (SELECT agent_id FROM agents WHERE team_id = 'T002') AND {_in_feb('requested_at')}"
    )
    # a month without any event
    for name, table in T.TABLES.items():
        if table.time is None or "agent_id" not in table.column_names:
            continue
        kind = table.column(table.time).type
        if kind == T.TIMESTAMP:
            cond = _in_feb(table.time)
        elif kind == T.DATE:
            cond = f"\"{table.time}\" BETWEEN DATE '2026-02-01' AND DATE '2026-02-28'"
        else:
            cond = f"\"{table.time}\" = '2026-02'"
        sql.append(f"DELETE FROM \"{name}\" WHERE agent_id = 'A00006' AND {cond}")
    # time-zone edges of Shanghai months
    for i, (at, _) in enumerate(EDGES):
        ts = f"TIMESTAMP '{at}'"
        sql.append(
            f"INSERT INTO chats SELECT * REPLACE ('edge-{i}' AS chat_id, {ts} AS started_at) "
            "FROM chats WHERE agent_id = 'A00007' ORDER BY chat_id LIMIT 1"
        )
        sql.append(
            f"INSERT INTO ratings SELECT * REPLACE ('edge-{i}' AS rating_id, {ts} AS \"at\", 1 AS score) "
            "FROM ratings WHERE agent_id = 'A00007' ORDER BY rating_id LIMIT 1"
        )
        sql.append(
            f"INSERT INTO incidents VALUES ('edge-{i}', 'A00007', {ts}, 'error.major', 'high', 120.5, NULL)"
        )
    for s in sql:
        con.execute(s)
    out = folder / "package"
    out.mkdir(parents=True, exist_ok=True)
    for name in T.TABLES:
        con.execute(f"COPY \"{name}\" TO '{out / name}.parquet' (FORMAT parquet)")
    con.close()
    return out
