"""Every metric of the catalogue gives the same parts and value on DuckDB and on Spark, compared
exactly (decimals as strings), month by month over the edge-case package; and the edge cases
themselves come out as a user expects on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from merit.engine.metrics.catalogue import load_catalogue
from merit.engine.metrics.compute import Period, compute_metrics, connect_duckdb, fetch_rows
from tests.conformance.fixture import EDGES, MONTHS

pytestmark = pytest.mark.spark

CATALOGUE = load_catalogue()
ALL = set(CATALOGUE.metrics)


def as_text(v):
    return None if v is None else str(v)


def metric_table(backend, period: str) -> tuple[dict, dict]:
    """{agent: {metric: (value, numerator, denominator)}} as exact strings, and how each was computed."""
    agents = fetch_rows(backend, "agents", None, ["agent_id", "team_id"], order=["agent_id"])
    agent_team = {r["agent_id"]: r["team_id"] for r in agents}
    values, how = compute_metrics(
        backend, ALL, CATALOGUE.metrics, Period.parse(period), dict(CATALOGUE.defaults), agent_team
    )
    table = {
        a: {m: (as_text(v.value), as_text(v.num), as_text(v.den)) for m, v in sorted(ms.items())}
        for a, ms in values.items()
    }
    return table, how


@pytest.fixture(scope="module")
def duckdb_tables(edge_package):
    backend = connect_duckdb(edge_package.con)
    return {p: metric_table(backend, p) for p in MONTHS}


@pytest.fixture(scope="module")
def spark_tables(spark_backend):
    return {p: metric_table(spark_backend, p) for p in MONTHS}


@pytest.fixture(params=["duckdb", "spark"])
def months(request):
    """{period: metric table} of one engine (the same test body runs on each)."""
    got = request.getfixturevalue(f"{request.param}_tables")
    return {p: table for p, (table, _) in got.items()}


@pytest.mark.parametrize("period", MONTHS)
def test_every_metric_is_exactly_the_same_on_spark(duckdb_tables, spark_tables, period):
    expected, how = duckdb_tables[period]
    got, got_how = spark_tables[period]
    differ = [
        (a, m, expected[a][m], got[a][m])
        for a in expected
        for m in expected[a]
        if expected[a][m] != got[a][m]
    ]
    assert not differ, f"{len(differ)} differences, first: {differ[:5]}"
    assert got == expected and got_how == how
    assert len(expected) == 25 and all(len(ms) == len(ALL) for ms in expected.values())


def test_an_empty_denominator_is_no_data_not_zero_nor_an_error(months):
    feb = months["2026-02"]
    # A00004 had chats but no inquiring one in February: conversion has no value
    assert feb["A00004"]["inquiries"][0] == "0" and feb["A00004"]["inquiry_conversion"][0] is None
    # A00013 had no ticket in February
    assert feb["A00013"]["tickets_handled"][0] == "0" and feb["A00013"]["resolution_rate"][0] is None


def test_all_null_values_give_no_mean_for_the_agent_and_none_for_the_team(months):
    for t in months.values():
        assert int(t["A00005"]["chats"][0]) > 0
        assert t["A00005"]["first_response_s"] == (None, None, "0")
    feb = months["2026-02"]
    team = [a for a in feb if "A00012" <= a <= "A00024"]
    assert all(feb[a]["refund_completion_days"][0] is None for a in team)
    assert all(feb[a]["refund_self_completion_rate"][0] is None for a in team)


def test_a_month_without_events_counts_zero_and_leaves_rates_empty(months):
    jan = months["2026-01"]
    feb = months["2026-02"]
    assert int(jan["A00006"]["chats"][0]) > 0
    assert feb["A00006"]["chats"][0] == "0" and feb["A00006"]["days_worked"][0] == "0"
    assert feb["A00006"]["reply_rate"][0] is None and feb["A00006"]["sales_amount"][0] == "0"


def test_events_at_month_edges_fall_in_their_shanghai_month(months, edge_package):
    # the expectation from the raw instants, placed in Python: UTC + 8 h, no daylight saving
    rows = edge_package.con.sql("SELECT started_at FROM chats WHERE agent_id = 'A00007'").fetchall()
    per_month = Counter(f"{(r[0] + timedelta(hours=8)):%Y-%m}" for r in rows)
    for period, t in months.items():
        assert t["A00007"]["chats"][0] == str(per_month[period])
        edges = sum(1 for _, month in EDGES if month == period)
        assert t["A00007"]["major_errors"][0] == str(edges + _major_errors(edge_package, period))


def _major_errors(pkg, period: str) -> int:
    lo, hi = Period.parse(period).utc_bounds()
    sql = (
        "SELECT count(*) FROM incidents WHERE agent_id = 'A00007' AND kind = 'error.major' "
        'AND incident_id NOT LIKE \'edge-%\' AND "at" >= ? AND "at" < ?'
    )
    return pkg.con.execute(sql, [lo, hi]).fetchall()[0][0]


def test_tied_agents_have_identical_metrics(months):
    for t in months.values():
        assert t["A00025"] == t["A00003"]
