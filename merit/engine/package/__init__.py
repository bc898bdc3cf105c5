"""Read and validate a data package (docs/data-package.md) into an in-process DuckDB connection.

A package is a folder of ``<table>.csv`` / ``<table>.parquet`` files, or one ``.xlsx`` workbook with one
sheet per table. ``load_package`` returns a :class:`Package` whose connection holds one relation per table
of :data:`merit.engine.tables.TABLES`, typed per ``TYPE_SQL`` with every column of the spec, or raises
:class:`PackageError` listing every problem found (never only the first).

How the work is split, and why:

* CSV and XLSX are small: they are read in Python into Arrow tables of strings (plus the row number the
  user sees), then cast and checked in DuckDB, and copied into typed TABLEs.
* Parquet may hold tens of millions of rows: nothing is materialised. Each table is a VIEW over
  ``read_parquet`` with casts (none for native types), and validation scans as little as it can:
  null, empty and range checks are proven from the footer statistics (per row group null counts and
  min/max) without reading data; choices and agent references are checked on the distinct values (one
  ``GROUPING SETS`` scan per table); whatever the statistics cannot prove is counted by one aggregate
  scan. Only a non-zero count triggers the query that lists the offending rows (``file_row_number``).

The modules, in the order the work flows:

* ``problems``: :class:`Problem`, :class:`PackageError` and the collector that reports them all at once;
* ``sources``: finding the files, reading CSV, XLSX and Parquet, and hashing what was read;
* ``plans``: how each column is typed and checked (text parsing, time zones, native Parquet types);
* ``checks``: the typed relations and the validation queries (natural keys, Parquet statistics);
* ``load``: :func:`load_package`, which runs the above and returns a :class:`Package`.
"""

from merit.engine.package.load import Package, load_package
from merit.engine.package.problems import MAX_PROBLEMS, PackageError, Problem

# Also used by the tests (problem texts and limits).
from merit.engine.package.problems import PACKAGE as PACKAGE
from merit.engine.package.problems import R_NOT_BOOL as R_NOT_BOOL
from merit.engine.package.problems import R_NOT_TIMESTAMP as R_NOT_TIMESTAMP
from merit.engine.package.sources import CSV_FIELD_LIMIT as CSV_FIELD_LIMIT

__all__ = ["MAX_PROBLEMS", "Package", "PackageError", "Problem", "load_package"]
