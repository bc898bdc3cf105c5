"""Where the metric layer runs: DuckDB in-process (the default) or Apache Spark (``backends.spark``).

Both run the same Ibis expressions from the same catalogue; the choice never changes a result
(the conformance suite, tests/conformance, compares them byte for byte).
"""

from __future__ import annotations

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (engines: {', '.join(ENGINES)})")
    return engine


def connect(package, engine: str = DEFAULT_ENGINE):
    """The backend for ``package`` (a loaded :class:`~merit.engine.package.Package`) on ``engine``."""
    if check_engine(engine) == "spark":
        from merit.engine.backends import spark

        return spark.from_package(package)
    from merit.engine.metrics.compute import connect_duckdb

    return connect_duckdb(package.con)
