"""The Spark engine's shared test fixture and the ``spark`` marker's skip rule (every suite).

Tests marked ``spark`` run the engine on PySpark (local[2]). Where pyspark or Java is absent they are
skipped with the reason shown in the summary, except in CI (CI=true), where that is a failure:
CI installs pyspark and must run them. One SparkSession serves the whole test session.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime for Spark (java not on PATH)"
    return None


def pytest_report_header(config):
    missing = spark_missing()
    return f"spark: {'tests skipped, ' + missing if missing else 'local[2] tests enabled'}"


def pytest_collection_modifyitems(config, items):
    missing = spark_missing()
    if not missing:
        return
    if os.environ.get("CI", "").lower() == "true":
        return  # CI installs pyspark: there the tests run, and fail, rather than skip
    skip = pytest.mark.skip(reason=f"spark tests skipped: {missing}")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spark_session():
    """One local[2] SparkSession for the whole test run (UTC, small shuffles, 127.0.0.1)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from merit.engine.backends.spark import session

    s = session("local[2]")
    yield s
    s.stop()
