"""merit assess --engine: a bad engine and warehouse tables without Spark are refused with exit 2;
on Spark the command line writes the results.json DuckDB writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from merit.cli import main

SHOP = Path(__file__).resolve().parents[2] / "sample_data" / "shop"


def test_a_bad_engine_setting_is_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MERIT_ENGINE", "hadoop")
    args = ["assess", "--data", str(SHOP), "--policy", "S1", "--period", "2026-03", "--out", str(tmp_path)]
    assert main(args) == 2
    assert "bad engine 'hadoop'" in capsys.readouterr().err
    assert not (tmp_path / "results.json").exists()


def test_warehouse_tables_need_the_spark_engine(tmp_path, capsys):
    args = [
        "assess",
        "--tables",
        str(tmp_path),
        "--policy",
        "S1",
        "--period",
        "2026-03",
        "--engine",
        "duckdb",
    ]
    assert main(args) == 2
    assert "needs --engine spark" in capsys.readouterr().err


@pytest.mark.spark
def test_the_command_line_on_spark_writes_what_duckdb_writes(spark_session, tmp_path):
    common = ["assess", "--data", str(SHOP), "--policy", "S6", "--period", "2026-03", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "duckdb")]) == 0
    assert main([*common, "--engine", "spark", "--out", str(tmp_path / "spark")]) == 0
    duck, spark = (tmp_path / "duckdb" / "results.json"), (tmp_path / "spark" / "results.json")
    assert spark.read_bytes() == duck.read_bytes()
