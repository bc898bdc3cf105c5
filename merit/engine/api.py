"""The engine's front door: load a package and a policy, assess periods, return the results."""

from __future__ import annotations

import gc
from pathlib import Path

from merit.engine.assess import Assessment
from merit.engine.backends import DEFAULT_ENGINE, connect
from merit.engine.metrics.compute import Period
from merit.engine.package import Package, load_package
from merit.engine.policy.load import LoadedPolicy, load_policy
from merit.engine.results import finalize
from merit.engine.state import CarriedState


def parse_periods(text: str) -> list[str]:
    """``2026-03`` or a range ``2026-01..2026-12`` → the months in order."""
    if ".." in text:
        a, b = text.split("..", 1)
        start, end = Period.parse(a.strip()), Period.parse(b.strip())
        months = (end.year * 12 + end.month) - (start.year * 12 + start.month)
        if months < 0:
            raise ValueError(f"period range {text!r} ends before it starts")
        return [str(start.shift(i)) for i in range(months + 1)]
    return [str(Period.parse(text.strip()))]


def assess_package(
    package: Package,
    policy: LoadedPolicy,
    periods: list[str],
    state: CarriedState | None = None,
    engine: str = DEFAULT_ENGINE,
) -> tuple[dict, bytes]:
    """Assess a loaded package; ``engine`` (duckdb, spark) says where the metric layer runs."""
    backend = connect(package, engine)
    began = Period.parse(package.facts_from) if package.facts_from else None
    try:
        return assess_on(backend, package.input_sha256, package.notices, policy, periods, state, began)
    finally:
        if engine == "spark":
            backend.close()  # its temporary views and the Parquet copy of the package


def assess_on(
    backend,
    input_sha256: str,
    notices: list[str],
    policy: LoadedPolicy,
    periods: list[str],
    state: CarriedState | None = None,
    first_of_facts: Period | None = None,
) -> tuple[dict, bytes]:
    """Assess over any backend (DuckDB's Ibis connection, or Spark's over warehouse tables).

    ``first_of_facts``: the first month the source holds facts for, when the backend holds only some
    of its months (else read from the backend)."""
    # The results are a large tree of new, acyclic containers: pausing the cyclic garbage collector
    # while building it saves its repeated full scans (reference counting still frees everything).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        doc = Assessment(backend, policy).run(periods, state, first_of_facts)
        doc["input_sha256"] = input_sha256
        doc["notices"] = list(notices)
        return finalize(doc)
    finally:
        if was_enabled:
            gc.enable()


def assess(
    data: str | Path,
    policy: str,
    period: str,
    overrides: dict[str, str] | None = None,
    engine: str = DEFAULT_ENGINE,
):
    """Assess ``data`` (a package folder or workbook) with ``policy`` over ``period``.

    Raises PackageError / PolicyError / ValueError on bad input; returns (document, file bytes)."""
    periods = parse_periods(period)
    lp = load_policy(policy, overrides)
    package = load_package(data)
    return assess_package(package, lp, periods, engine=engine)
