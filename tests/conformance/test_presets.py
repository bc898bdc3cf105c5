"""Every preset's assessment of the edge-case package, January to March with state carried from month
to month, gives byte-identical results.json — the same output_sha256 — on DuckDB and on Spark; and
warehouse tables partitioned by month give the same results as the package they were laid out from."""

from __future__ import annotations

import orjson
import pytest

from merit.engine.api import assess_on, assess_package, parse_periods
from merit.engine.policy.load import load_policy, preset_files
from tests.conformance.fixture import MONTHS

pytestmark = pytest.mark.spark

PERIODS = parse_periods(f"{MONTHS[0]}..{MONTHS[-1]}")
PRESETS = [f.removesuffix(".yaml") for f in preset_files()]


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_gives_the_same_output_hash_on_both_engines(edge_package, spark_backend, preset):
    lp = load_policy(preset)
    duck_doc, duck_bytes = assess_package(edge_package, lp, PERIODS)
    spark_doc, spark_bytes = assess_on(
        spark_backend, edge_package.input_sha256, edge_package.notices, lp, PERIODS
    )
    assert spark_doc["output_sha256"] == duck_doc["output_sha256"]
    assert spark_bytes == duck_bytes
    assert [p["period"] for p in duck_doc["periods"]] == list(MONTHS)


def test_tables_partitioned_by_month_give_the_results_of_their_package(edge_package, spark_session, tmp_path):
    from merit.engine.backends import spark
    from merit.engine.backends.layout import write_month_partitions

    folder = write_month_partitions(edge_package, tmp_path / "warehouse")
    assert (folder / "chats" / "month=2026-02").is_dir() and (folder / "agents.parquet").is_file()
    lp = load_policy("S1")
    _, expected = assess_package(edge_package, lp, PERIODS)
    backend = spark.from_tables(str(folder), spark_session)
    try:
        _, got = assess_on(backend, edge_package.input_sha256, edge_package.notices, lp, PERIODS)
    finally:
        backend.close()
    assert orjson.loads(got) == orjson.loads(expected)
