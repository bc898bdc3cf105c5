"""The metric layer on Apache Spark: the same Ibis expressions as on DuckDB, run by PySpark.

The engine asks a backend for two things only: ``table(name)`` (an Ibis table of the data-package
contract) and ``to_pyarrow(expr)`` (the result of an expression as Arrow). :class:`SparkBackend`
answers both on a SparkSession, so ``compute_metrics`` and the rules run unchanged: the grouped
queries (one ``GROUP BY agent_id`` per table and month) execute on the cluster and only their
aggregates — one row per agent — and the few matching events of event-level rules reach the driver.

Where the tables come from:

* :func:`from_package` — a package loaded and validated by ``load_package`` (CSV, XLSX or Parquet):
  every typed relation is written once to Parquet and read by Spark, so both engines see the very same
  typed values (Arrow/Parquet into both: no NaN for NULL, DECIMAL(18,4) kept exact).
* :func:`from_tables` — tables already in the warehouse: a folder of ``<table>.parquet`` files or
  ``<table>/`` directories (Hive-style partitions such as ``month=2026-03/``), or a Hive/catalog
  database (``hive:DB``). Columns are cast to the contract's types; absent optional columns and tables
  are empty. A ``month`` partition column (the Asia/Shanghai month of the table's time) is used by the
  period filter, so Spark reads only the partitions of the month assessed.

Sessions: :func:`session` builds one from ``MERIT_SPARK_REMOTE`` (a Spark Connect URL,
``sc://host:15002``) or ``MERIT_SPARK_MASTER`` (default ``local[2]``), with the settings results
depend on: UTC session time zone, ANSI mode on (errors are never silently NULL), a small number of
shuffle partitions for local mode. Under ``spark-submit`` its master and settings apply.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from merit.engine import tables as T
from merit.engine.metrics import compute

# Spark SQL types of the contract (tables.TYPE_SQL is DuckDB's spelling of the same types).
SPARK_TYPE = {
    T.ID: "string",
    T.TEXT: "string",
    T.INT: "bigint",
    T.DECIMAL: "decimal(18,4)",
    T.BOOL: "boolean",
    T.TIMESTAMP: "timestamp",
    T.DATE: "date",
    T.PERIOD: "string",
}
PARTITION_COLUMN = compute.PARTITION_COLUMN  # YYYY-MM, the Shanghai month of the time column

# Settings every merit session runs with: results must not depend on the cluster's defaults.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",  # the package stores UTC; months are placed in Python
    "spark.sql.ansi.enabled": "true",  # overflow and bad casts raise instead of giving NULL
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",  # aggregates of thousands of agents, not billions of rows
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
}


class SparkUnavailable(RuntimeError):
    """PySpark (or the Java it runs on) is not installed: ``pip install 'merit[spark]'``."""


def session(master: str | None = None, remote: str | None = None, app: str = "merit"):
    """The SparkSession merit runs on (an active one is reused, e.g. under ``spark-submit``)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no lookup of the host name in local mode
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise SparkUnavailable("the Spark engine needs pyspark: pip install 'merit[spark]'") from e
    remote = remote or os.environ.get("MERIT_SPARK_REMOTE")
    if remote:
        builder = SparkSession.builder.remote(remote).appName(app)
        conf = SESSION_CONF
    else:
        active = SparkSession.getActiveSession()
        if active is not None and master is None:
            _configure(active, SESSION_CONF)
            return active
        master = master or os.environ.get("MERIT_SPARK_MASTER")
        if master is None and "PYSPARK_GATEWAY_PORT" in os.environ:
            # started by spark-submit: its --master and --conf apply
            builder, conf = SparkSession.builder.appName(app), SESSION_CONF
        else:
            master = master or "local[2]"
            builder = SparkSession.builder.master(master).appName(app)
            conf = {**SESSION_CONF, **LOCAL_CONF} if master.startswith("local") else SESSION_CONF
    for k, v in conf.items():
        builder = builder.config(k, v)
    s = builder.getOrCreate()
    _configure(s, SESSION_CONF)
    if not remote and (master or "").startswith("local"):
        s.sparkContext.setLogLevel(os.environ.get("MERIT_SPARK_LOG_LEVEL", "ERROR"))
    return s


def _configure(s, conf: dict[str, str]) -> None:
    for k, v in conf.items():
        if not k.startswith(("spark.driver.", "spark.ui.", "spark.default.")):
            s.conf.set(k, v)


class SparkBackend:
    """The engine's backend interface (``table``, ``to_pyarrow``) over Ibis' PySpark backend."""

    def __init__(self, spark, views: dict[str, str], keep: Any = None, input_sha256: str | None = None):
        import ibis

        self.input_sha256 = input_sha256
        self.spark = spark
        self.ibis = ibis.pyspark.connect(spark)
        self.views = views  # contract table name → temporary view name
        self._keep = keep  # the folder the views read from lives as long as the backend

    def table(self, name: str):
        return self.ibis.table(self.views[name])

    def to_pyarrow(self, expr):
        """Arrow straight from Spark (not through pandas, where a NULL integer becomes a float NaN),
        typed as the Ibis expression says (Spark's DECIMAL(28,4) sum → the schema's decimal)."""
        from ibis.formats.pyarrow import PyArrowData

        t = expr.as_table()
        got = self.spark.sql(self.ibis.compile(t)).toArrow()
        return PyArrowData.convert_table(got, t.schema())

    def close(self) -> None:
        for view in self.views.values():
            self.spark.catalog.dropTempView(view)
        if self._keep is not None:
            self._keep.cleanup()
            self._keep = None


def _view_name(table: str, tag: str) -> str:
    return f"merit_{tag}_{table}"


def _typed(df, table: T.Table, spark):
    """``df`` with exactly the contract's columns and types (plus the month partition, if any)."""
    from pyspark.sql import functions as F

    have = {c.lower(): c for c in df.columns}
    cols = []
    for c in table.columns:
        src = have.get(c.name.lower())
        col = F.col(f"`{src}`") if src else F.lit(None)
        cols.append(col.cast(SPARK_TYPE[c.type]).alias(c.name))
    if PARTITION_COLUMN in have and PARTITION_COLUMN not in table.column_names:
        cols.append(F.col(have[PARTITION_COLUMN]).cast("string").alias(PARTITION_COLUMN))
    return df.select(*cols)


def _empty(table: T.Table, spark):
    schema = ", ".join(f"`{c.name}` {SPARK_TYPE[c.type]}" for c in table.columns)
    return spark.createDataFrame([], schema)


def from_package(package, spark=None) -> SparkBackend:
    """A Spark backend over a package loaded by ``load_package``: the validated, typed relations are
    written to Parquet (DuckDB, in parallel) and read back by Spark, so both engines see the same rows."""
    spark = spark or session()
    folder = tempfile.TemporaryDirectory(prefix="merit-spark-")
    tag = Path(folder.name).name.replace("-", "_")
    views = {}
    for name, table in T.TABLES.items():
        file = Path(folder.name) / f"{name}.parquet"
        package.con.execute(f"COPY (SELECT * FROM {name}) TO '{file}' (FORMAT parquet)").fetchall()
        view = _view_name(name, tag)
        _typed(spark.read.parquet(str(file)), table, spark).createOrReplaceTempView(view)
        views[name] = view
    return SparkBackend(spark, views, keep=folder)


def from_tables(source: str, spark=None) -> SparkBackend:
    """A Spark backend over warehouse tables: ``hive:DB`` (catalog tables DB.<table>) or a folder
    holding ``<table>.parquet`` or ``<table>/`` (partitioned Parquet) for each table present."""
    spark = spark or session()
    views, files = {}, {}
    tag = "wh"
    for name, table in T.TABLES.items():
        df = None
        if source.startswith("hive:"):
            db = source.removeprefix("hive:")
            if spark.catalog.tableExists(f"{db}.{name}"):
                df = spark.table(f"{db}.{name}")
        else:
            for p in (Path(source) / f"{name}.parquet", Path(source) / name):
                if p.exists():  # a file, or a directory of (partitioned) files
                    df = spark.read.parquet(str(p))
                    break
        if df is None and table.required:
            raise FileNotFoundError(f"required table {name} not found in {source}")
        if df is not None:
            files[name] = sorted(df.inputFiles())
        df = _typed(df, table, spark) if df is not None else _empty(table, spark)
        view = _view_name(name, tag)
        df.createOrReplaceTempView(view)
        views[name] = view
    # Warehouse files are not hashed (that would read them all on the driver): the fingerprint names
    # the files read, which a warehouse never rewrites in place (new data = new files).
    canonical = json.dumps(sorted(files.items()), separators=(",", ":"))
    return SparkBackend(spark, views, input_sha256=hashlib.sha256(canonical.encode()).hexdigest())
