"""The synthetic data generator: reproducible, complete, within the contract of tables.py."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from merit.engine import tables as T
from merit.engine.synth import synth

# Crosses a year end and includes a quarter-end month (re-sat exams) and a 28-day February.
ARGS = {"agents": 27, "months": 3, "seed": 11, "start": "2025-12", "scale": 0.05}
PERIODS = ("2025-12", "2026-01", "2026-02")


def _sha(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, tuple[Path, dict[str, int]]]:
    out = {}
    for fmt in ("csv", "parquet"):
        d = tmp_path_factory.mktemp(fmt)
        out[fmt] = (d, synth(d, fmt=fmt, **ARGS))
    return out


def _con(path: Path, fmt: str) -> duckdb.DuckDBPyConnection:
    """A connection with one view per table, typed as tables.py says (CSV) or as stored (Parquet)."""
    con = duckdb.connect()
    for name, table in T.TABLES.items():
        if fmt == "parquet":
            src = f"read_parquet('{path / (name + '.parquet')}')"
        else:
            cols = ", ".join(f"'{c.name}': '{T.TYPE_SQL[c.type]}'" for c in table.columns)
            src = f"read_csv('{path / (name + '.csv')}', header=true, columns={{{cols}}})"
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM {src}')
    return con


def _one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_same_seed_gives_byte_identical_files(tmp_path, packages):
    for fmt in ("csv", "parquet"):
        again = tmp_path / fmt
        synth(again, fmt=fmt, **ARGS)
        assert _sha(again) == _sha(packages[fmt][0])


def test_another_seed_gives_other_data(tmp_path, packages):
    synth(tmp_path, fmt="csv", **{**ARGS, "seed": 12})
    assert _sha(tmp_path)["chats.csv"] != _sha(packages["csv"][0])["chats.csv"]


def test_every_table_with_every_column_in_contract_order(packages):
    for fmt, (path, counts) in packages.items():
        assert set(counts) == set(T.TABLES)
        for name, table in T.TABLES.items():
            file = path / f"{name}.{fmt}"
            if fmt == "csv":
                header = file.read_text(encoding="utf-8").split("\n", 1)[0]
                assert header.split(",") == list(table.column_names)
            else:
                assert pq.read_schema(file).names == list(table.column_names)
            assert counts[name] > 0, name


def test_csv_and_parquet_have_the_same_rows(packages):
    (csv_dir, csv_counts), (pq_dir, pq_counts) = packages["csv"], packages["parquet"]
    assert csv_counts == pq_counts
    for name in T.TABLES:
        assert pq.read_metadata(pq_dir / f"{name}.parquet").num_rows == pq_counts[name]
        assert pacsv.read_csv(csv_dir / f"{name}.csv").num_rows == csv_counts[name]


def test_parquet_types_load_without_casting(packages):
    path = packages["parquet"][0]
    expected = {
        T.DECIMAL: pa.decimal128(18, 4),
        T.TIMESTAMP: pa.timestamp("us"),
        T.INT: pa.int64(),
        T.BOOL: pa.bool_(),
        T.DATE: pa.date32(),
    }
    for name, table in T.TABLES.items():
        schema = pq.read_schema(path / f"{name}.parquet")
        for c in table.columns:
            assert schema.field(c.name).type == expected.get(c.type, pa.string()), (name, c.name)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_keys_unique_and_values_within_the_contract(packages, fmt):
    con = _con(packages[fmt][0], fmt)
    for name, table in T.TABLES.items():
        key = ", ".join(f'"{k}"' for k in table.key)
        assert (
            _one(con, f'SELECT count(*) FROM (SELECT {key} FROM "{name}" GROUP BY ALL HAVING count(*) > 1)')
            == 0
        )
        for c in table.columns:
            col = f'"{c.name}"'
            if c.required:
                assert _one(con, f'SELECT count(*) FROM "{name}" WHERE {col} IS NULL') == 0, (name, c.name)
            if c.choices:
                allowed = ", ".join(f"'{v}'" for v in c.choices)
                assert _one(con, f'SELECT count(*) FROM "{name}" WHERE {col} NOT IN ({allowed})') == 0
            if c.min is not None:
                assert _one(con, f'SELECT count(*) FROM "{name}" WHERE {col} < {c.min}') == 0, (name, c.name)
            if c.max is not None:
                assert _one(con, f'SELECT count(*) FROM "{name}" WHERE {col} > {c.max}') == 0, (name, c.name)
            if c.agent_ref:
                orphans = f'SELECT count(*) FROM "{name}" WHERE {col} NOT IN (SELECT agent_id FROM agents)'
                assert _one(con, orphans) == 0, (name, c.name)
    kinds = ", ".join(f"'{k}'" for k in T.INCIDENT_KINDS)
    assert _one(con, f"SELECT count(*) FROM incidents WHERE kind NOT IN ({kinds})") == 0
    assert (
        _one(con, "SELECT count(*) FROM teams WHERE lead_agent_id NOT IN (SELECT agent_id FROM agents)") == 0
    )
    lead_elsewhere = "SELECT count(*) FROM teams t JOIN agents a ON a.agent_id = t.lead_agent_id WHERE a.team_id <> t.team_id"
    assert _one(con, lead_elsewhere) == 0
    assert _one(con, "SELECT count(*) FROM exams WHERE passed <> (score >= 60)") == 0
    assert _one(con, "SELECT count(*) FROM ratings WHERE score <> round(score)") == 0


def test_events_fall_inside_their_months_in_shanghai_working_hours(packages):
    csv_con = _con(packages["csv"][0], "csv")
    pq_con = _con(packages["parquet"][0], "parquet")
    for name, table in T.TABLES.items():
        if table.time is None or table.column(table.time).type != T.TIMESTAMP:
            continue
        t = f'"{table.time}"'
        months = csv_con.execute(f"SELECT DISTINCT strftime({t}, '%Y-%m') FROM {name} ORDER BY 1").fetchall()
        assert tuple(m for (m,) in months) == PERIODS, name
        hours = csv_con.execute(f"SELECT min(hour({t})), max(hour({t})) FROM {name}").fetchone()
        assert hours[0] >= 9 and hours[1] <= 22, (name, hours)
        # Parquet holds the same instants in UTC: local minus eight hours.
        local = csv_con.execute(f"SELECT {t} FROM {name}").fetchall()
        utc = pq_con.execute(f"SELECT {t} + INTERVAL 8 HOUR FROM {name}").fetchall()
        assert local == utc, name
    days = csv_con.execute("SELECT DISTINCT strftime(date, '%Y-%m') FROM attendance ORDER BY 1").fetchall()
    assert tuple(m for (m,) in days) == PERIODS
    periods = csv_con.execute(
        "SELECT DISTINCT period FROM sales UNION SELECT DISTINCT period FROM benchmarks"
    ).fetchall()
    assert sorted(p for (p,) in periods) == list(PERIODS)


def test_csv_money_has_two_places_and_iso_local_times(packages):
    path = packages["csv"][0]
    refunds = (path / "refunds.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in refunds[:50]:
        _, _, requested, _, amount, _, _ = line.split(",")
        assert re.fullmatch(r"\d+\.\d\d", amount)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", requested)


def test_volumes_scale_with_agents(tmp_path):
    small = synth(tmp_path / "a", agents=20, months=1, seed=5, scale=0.1, fmt="parquet")
    large = synth(tmp_path / "b", agents=80, months=1, seed=5, scale=0.1, fmt="parquet")
    for name in ("agents", "sales"):
        assert large[name] == 4 * small[name]
    assert large["manual_scores"] == 80 * 4
    assert large["benchmarks"] == small["benchmarks"] == 6
    for name in ("chats", "tickets", "ratings", "refunds", "attendance", "qa_reviews"):
        assert 3.0 < large[name] / small[name] < 5.0, name
    # Per agent and month at scale 1.0 the package holds ~2,000 events (20M for 10k agents).
    assert 1500 * 0.1 * 0.8 < large["chats"] / 80 < 1500 * 0.1 * 1.2
    assert 15 <= large["attendance"] / 80 <= 24


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        synth(tmp_path, agents=1, months=1, seed=1, fmt="xlsx")
    with pytest.raises(ValueError):
        synth(tmp_path, agents=0, months=1, seed=1)


def test_committed_sample_matches_its_documented_command(tmp_path):
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "shop"
    assert sample.is_dir(), "sample_data/shop is part of the repository"
    synth(tmp_path, agents=30, months=6, seed=42, start="2026-01", scale=0.1)
    assert _sha(tmp_path) == _sha(sample), (
        "regenerate sample_data/shop with the command in sample_data/README.md"
    )
