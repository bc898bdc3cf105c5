"""The typed relations, and the validation queries: every check of a table, counted then listed.

Small (materialised) tables are checked by one aggregate query. Parquet is checked with as little
scanning as possible: statistics first, then distinct values, then one aggregate scan.

* Natural keys: a key that strictly increases through the file (exported ids usually do) is unique;
  checking that streams the key column once into Arrow and compares neighbours, beside the other checks.
  Otherwise ``count(DISTINCT hash(key))`` decides; a hash collision can only raise a false alarm, which
  the exact follow-up query settles.

Measured on the synthetic 10,000 agents x 1 month package (20.2M rows, 177 MB of Parquet, 2 cores,
a shared and noisy machine): a bare ``SELECT agent_id, count(*) ... GROUP BY agent_id`` over every table
takes 0.24-0.30 s; ``load_package`` 1.2-1.5 s, of which the duplicate-key check is about 0.6 s (chats:
15M string ids). Without the sorted-key path the key check alone takes 2-2.5 s (count distinct hashes);
without any key check loading takes 0.6-0.7 s (the reference checks cost about one GROUP BY scan).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pyarrow as pa

from merit.engine import tables as T

# P.MAX_PROBLEMS is read where it is used (not copied): one setting for the collector and these queries.
from merit.engine.package import problems as P
from merit.engine.package.plans import (
    INT_TYPES,
    _ColumnPlan,
    _lit,
    _num,
    _plan_column,
    _q,
    _range_reason,
)
from merit.engine.package.problems import R_EMPTY, R_UNKNOWN_AGENT, R_UNKNOWN_TEAM, _Problems
from merit.engine.package.sources import _parquet_sql, _Source

# ---- relations and validation ------------------------------------------------------------------


def _plan(src: _Source, col: T.Column, s: str) -> _ColumnPlan:
    return _plan_column(col, s, src.types[col.name], src.normalized)


def _src_col(src: _Source, name: str) -> str:
    return f"src.{_q(src.names[name])}"


def _create_relation(con, table: T.Table, src: _Source | None) -> None:
    if src is None:
        cols = ", ".join(f"{_q(c.name)} {T.TYPE_SQL[c.type]}" for c in table.columns)
        con.execute(f"CREATE TABLE {_q(table.name)} ({cols})")
        return
    exprs = []
    for c in table.columns:
        typed = _plan(src, c, _src_col(src, c.name)).typed if c.name in src.names else "NULL"
        exprs.append(f"CAST({typed} AS {T.TYPE_SQL[c.type]}) AS {_q(c.name)}")
    select = ", ".join(exprs)
    if src.materialize:
        sql = f"CREATE TABLE {_q(table.name)} AS SELECT {select} FROM {src.relation} AS src ORDER BY src._row"
    else:  # Parquet: a view, so that the engine's scans read only the columns they need
        sql = f"CREATE VIEW {_q(table.name)} AS SELECT {select} FROM {_parquet_sql(src.path, False)} AS src"
    con.execute(sql)


@dataclass
class _Check:
    column: str
    kind: str  # empty | parse | choice | range | ref
    reason: str
    cond: str  # SQL over v (the source row: s<i> as read, t<i> typed) and `join`
    value: str  # SQL: the value shown in the problem
    join: str = ""  # the reference join the condition needs, if any
    target: tuple[str, str] | None = None  # ref checks: (table, key column)


def _references(table: T.Table) -> list[tuple[str, str, str, str]]:
    """Columns that must name a row of another table: (column, table, its key column, reason)."""
    refs = [(c.name, "agents", "agent_id", R_UNKNOWN_AGENT) for c in table.columns if c.agent_ref]
    if table.name == "agents":
        refs.append(("team_id", "teams", "team_id", R_UNKNOWN_TEAM))
    if table.name == "teams":
        refs.append(("lead_agent_id", "agents", "agent_id", R_UNKNOWN_AGENT))
    return refs


def _checks(src: _Source, present: set[str]) -> tuple[list[str], list[_Check]]:
    """The columns of v and every check over them."""
    table = src.table
    inner: list[str] = []
    checks: list[_Check] = []
    for i, col in enumerate(table.columns):
        if col.name not in src.names:
            continue
        inner.append(f"{_src_col(src, col.name)} AS s{i}")
        inner.append(f"{_plan(src, col, _src_col(src, col.name)).typed} AS t{i}")
        plan = _plan(src, col, f"v.s{i}")
        shown = f"CAST(v.s{i} AS VARCHAR)"
        if plan.empty:
            checks.append(_Check(col.name, "empty", R_EMPTY, plan.empty, "NULL"))
        for reason, cond in plan.checks:
            checks.append(_Check(col.name, "parse", reason, cond.replace("{t}", f"v.t{i}"), shown))
        if col.choices:
            values = ", ".join(_lit(c) for c in col.choices)
            reason = "must be one of: " + ", ".join(col.choices)
            checks.append(_Check(col.name, "choice", reason, f"v.t{i} NOT IN ({values})", shown))
        if col.min is not None or col.max is not None:
            conds = [f"v.t{i} < {_num(col.min)}"] if col.min is not None else []
            conds += [f"v.t{i} > {_num(col.max)}"] if col.max is not None else []
            checks.append(_Check(col.name, "range", _range_reason(col), " OR ".join(conds), shown))
    alias = {c.name: i for i, c in enumerate(table.columns)}
    for n, (name, target, key, reason) in enumerate(_references(table)):
        if name not in src.names or target not in present:
            continue  # an absent column or table is reported already
        i = alias[name]
        join = f"LEFT JOIN (SELECT DISTINCT {_q(key)} AS k FROM {_q(target)}) r{n} ON v.t{i} = r{n}.k"
        cond = f"v.t{i} IS NOT NULL AND r{n}.k IS NULL"
        checks.append(_Check(name, "ref", reason, cond, f"CAST(v.s{i} AS VARCHAR)", join, (target, key)))
    return inner, checks


class _Table:
    """The SQL to scan one source table as v, with its checks."""

    def __init__(self, src: _Source, present: set[str]):
        self.src = src
        self.inner, self.checks = _checks(src, present)
        self.alias = {c.name: i for i, c in enumerate(src.table.columns)}
        key = src.table.key
        self.has_key = all(k in src.names for k in key)
        self.keys = [f"v.t{self.alias[k]}" for k in key]
        # Rows with an empty required key part are reported as empty, not as duplicates.
        required = [f"v.t{self.alias[k]} IS NOT NULL" for k in key if src.table.column(k).required]
        self.key_ok = " AND ".join(required) or "true"

    def v(self, *, row: bool = False, checks: list[_Check] = ()) -> str:
        row_col = [f"{self.src.row_sql} AS _row"] if row else []
        joins = " ".join(dict.fromkeys(c.join for c in checks if c.join))
        return f"(SELECT {', '.join(row_col + self.inner)} FROM {self.src.relation} AS src) v {joins}"

    def dup_counter(self) -> str:
        key_hash = f"hash({', '.join(self.keys)})"
        return (
            f"count(*) FILTER (WHERE {self.key_ok}) - count(DISTINCT {key_hash}) FILTER (WHERE {self.key_ok})"
        )


def _validate(con, src: _Source, present: set[str], problems: _Problems) -> None:
    """Check one table; list rows only for the checks that found something."""
    tab = _Table(src, present)
    if not tab.inner:
        return
    if src.materialize:  # small data in memory: one aggregate query counts everything
        counters = [f"count(*) FILTER (WHERE {c.cond})" for c in tab.checks]
        counters += [tab.dup_counter()] if tab.has_key else []
        if not counters:
            return
        counts = con.execute(f"SELECT {', '.join(counters)} FROM {tab.v(checks=tab.checks)}").fetchall()[0]
        found = dict(zip(range(len(tab.checks)), counts, strict=False))
        has_duplicates = tab.has_key and counts[-1] > 0
    else:
        # The key check streams the key column into Arrow and compares it in one Python thread:
        # run it beside the other checks, which keep DuckDB's threads busy meanwhile.
        cursor = con.cursor()
        with ThreadPoolExecutor(max_workers=1) as pool:
            unique = pool.submit(_unique_parquet, cursor, tab) if tab.has_key else None
            found = _count_parquet(con, tab)
            has_duplicates = unique is not None and not unique.result()
        cursor.close()
    for i, n in found.items():
        if n:
            _list_rows(con, tab, tab.checks[i], n, problems)
    if has_duplicates:
        _list_duplicates(con, tab, problems)


def _list_rows(con, tab: _Table, check: _Check, n: int, problems: _Problems) -> None:
    rows = con.execute(
        f"SELECT _row, {check.value} FROM {tab.v(row=True, checks=[check])} WHERE {check.cond} "
        f"ORDER BY _row LIMIT {P.MAX_PROBLEMS}"
    ).fetchall()
    for row, value in rows:
        problems.add(tab.src.table.name, row, check.column, value, check.reason)
    problems.count_more(max(0, n - len(rows)))


def _list_duplicates(con, tab: _Table, problems: _Problems) -> None:
    """Every row whose key an earlier row already has (exact, whatever raised the alarm)."""
    table = tab.src.table
    ks = [k.removeprefix("v.") for k in tab.keys]
    on = " AND ".join(f"d.{k} IS NOT DISTINCT FROM g.{k}" for k in ks)
    shown = ", ".join(f"coalesce(CAST(d.{k} AS VARCHAR), '')" for k in ks)
    sql = f"""
        WITH d AS (SELECT v._row, {", ".join(tab.keys)} FROM {tab.v(row=True)} WHERE {tab.key_ok}),
             g AS (SELECT {", ".join(ks)}, min(_row) AS first_row FROM d GROUP BY ALL HAVING count(*) > 1)
        SELECT d._row, g.first_row, concat_ws(', ', {shown}), count(*) OVER ()
        FROM d JOIN g ON {on} WHERE d._row <> g.first_row ORDER BY d._row LIMIT {P.MAX_PROBLEMS}"""
    rows = con.execute(sql).fetchall()
    label = ", ".join(table.key)
    column = table.key[0] if len(table.key) == 1 else label
    for row, first_row, value, _ in rows:
        problems.add(table.name, row, column, value, f"duplicate key ({label}) also on row {first_row}")
    if rows:
        problems.count_more(rows[0][3] - len(rows))


# ---- Parquet: statistics first, then as little scanning as possible ----------------------------


def _row_group_stats(con, src: _Source) -> dict[str, list[tuple]]:
    """Per source column: (rows, nulls, min, max) of each row group, from the file footer (no scan)."""
    stats: dict[str, list[tuple]] = {}
    rows = con.execute(
        "SELECT path_in_schema, row_group_num_rows, stats_null_count, stats_min_value, stats_max_value "
        "FROM parquet_metadata(?)",
        [str(src.path)],
    ).fetchall()
    for name, n, nulls, lo, hi in rows:
        stats.setdefault(name, []).append((n, nulls, lo, hi))
    return stats


def _cleared(check: _Check, src: _Source, stats: dict[str, list[tuple]]) -> bool:
    """True when the file's statistics prove that no row fails ``check``."""
    groups = stats.get(src.names[check.column])
    if not groups:
        return False
    st = src.types[check.column].upper()
    col = src.table.column(check.column)
    if check.kind == "empty":
        if any(nulls != 0 for _, nulls, _, _ in groups):
            return False
        # '' and all-space strings sort before any string that starts above ' '.
        return st != "VARCHAR" or all(lo and lo[0] > " " for _, _, lo, _ in groups)
    if check.kind == "range" and (st in INT_TYPES or st.startswith("DECIMAL")):
        for n, nulls, lo, hi in groups:
            if nulls is not None and nulls == n:
                continue  # all empty
            try:
                lo, hi = Decimal(lo), Decimal(hi)
            except (TypeError, ArithmeticError):
                return False
            if (col.min is not None and lo < col.min) or (col.max is not None and hi > col.max):
                return False
        return True
    return False


def _count_parquet(con, tab: _Table) -> dict[int, int]:
    """Rows failing each check: statistics clear most; choices and references are checked on the
    distinct values (one GROUPING SETS scan); what is left is counted by one aggregate scan."""
    src = tab.src
    stats = _row_group_stats(con, src)
    found: dict[int, int] = {}
    by_values: list[int] = []
    scanned: list[int] = []
    for i, check in enumerate(tab.checks):
        if _cleared(check, src, stats):
            continue
        (by_values if check.kind in ("choice", "ref") else scanned).append(i)
    if by_values:
        cols = list(dict.fromkeys(f"t{tab.alias[tab.checks[i].column]}" for i in by_values))
        sets = ", ".join(f"({c})" for c in cols)
        sql = (
            f"SELECT {', '.join(f'grouping({c})' for c in cols)}, {', '.join(cols)}, count(*) "
            f"FROM {tab.v()} GROUP BY GROUPING SETS ({sets})"
        )
        values: dict[str, dict] = {c: {} for c in cols}
        for row in con.execute(sql).fetchall():
            flags, vals, n = row[: len(cols)], row[len(cols) : 2 * len(cols)], row[-1]
            for c, flag, val in zip(cols, flags, vals, strict=True):
                if flag == 0 and val is not None:
                    values[c][val] = n
        targets: dict[tuple[str, str], set] = {}
        for i in by_values:
            check = tab.checks[i]
            seen = values[f"t{tab.alias[check.column]}"]
            if check.kind == "choice":
                allowed = set(src.table.column(check.column).choices)
            else:
                if check.target not in targets:
                    table, key = check.target
                    sql = f"SELECT DISTINCT {_q(key)} FROM {_q(table)} WHERE {_q(key)} IS NOT NULL"
                    targets[check.target] = {k for (k,) in con.execute(sql).fetchall()}
                allowed = targets[check.target]
            found[i] = sum(n for val, n in seen.items() if val not in allowed)
    if scanned:
        counters = ", ".join(f"count(*) FILTER (WHERE {tab.checks[i].cond})" for i in scanned)
        counts = con.execute(f"SELECT {counters} FROM {tab.v(checks=[tab.checks[i] for i in scanned])}")
        found.update(zip(scanned, counts.fetchall()[0], strict=True))
    return found


SORTED_BATCH = 1 << 20


def _unique_parquet(con, tab: _Table) -> bool:
    """Is the natural key unique? Exported files are usually sorted by their id: a key that strictly
    increases through the file is unique, and checking that reads the key column once and compares
    neighbours (no hash table). Otherwise count distinct key hashes; a hash collision only raises
    an alarm that ``_list_duplicates`` then settles exactly."""
    src = tab.src
    key = src.table.key
    sql = f"SELECT {tab.keys[0].removeprefix('v.')} FROM {tab.v()}"
    if len(key) == 1 and _strictly_increasing(con, sql):
        return True
    count = con.execute(f"SELECT {tab.dup_counter()} FROM {tab.v()}").fetchall()[0][0]
    return count == 0


def _strictly_increasing(con, sql: str) -> bool:
    import pyarrow.compute as pc

    cur = con.cursor()  # a reader left unfinished must not block the main connection
    try:
        last = None
        for batch in cur.sql(sql).to_arrow_reader(SORTED_BATCH):
            a = batch.column(0)
            if len(a) == 0:
                continue
            if a.null_count:
                return False
            if last is not None and not pc.greater(a[0], last).as_py():
                return False
            if len(a) > 1 and pc.any(pc.less_equal(a.slice(1), a.slice(0, len(a) - 1))).as_py():
                return False
            last = a[len(a) - 1]
        return True
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, duckdb.Error):
        return False  # an unusual type: let the hash count decide
    finally:
        cur.close()
