"""MERIT_ENGINE=spark: a run computes its metrics on Spark and stores the very results DuckDB gives."""

from __future__ import annotations

import pytest

from merit.assessment import actions
from merit.assessment.models import RunState
from merit.assessment.tests.conftest import MONTH, computing
from merit.engine.api import assess_package
from merit.facts.io import read_package

pytestmark = [computing, pytest.mark.spark]


def test_a_run_on_spark_stores_the_results_duckdb_gives_for_the_same_facts(shop, settings, spark_session):
    settings.MERIT_ENGINE = "spark"
    run = shop.run(policy_id="S5")
    assert run.state == RunState.COMPUTED
    package = read_package([MONTH], history_months=1)
    expected, data = assess_package(package, actions.loaded_policy(run.policy_version), [MONTH])
    package.con.close()
    assert run.output_sha256 == expected["output_sha256"] and bytes(run.results) == data
