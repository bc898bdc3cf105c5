"""The entry point: :func:`load_package` finds, reads, types and validates a package in one run."""

from __future__ import annotations

import hashlib
import json
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from merit.engine import tables as T
from merit.engine.package.checks import _create_relation, _validate
from merit.engine.package.problems import _Problems
from merit.engine.package.sources import (
    _discover,
    _read_csv,
    _read_parquet,
    _read_workbook,
    _sha256_file,
    _Source,
)


@dataclass
class Package:
    con: duckdb.DuckDBPyConnection  # one relation per table of tables.TABLES, named like the table
    input_sha256: str  # sha256 over the sorted list of (table name, sha256 of the file read)
    notices: list[str] = field(default_factory=list)
    tables_present: frozenset[str] = frozenset()
    # The first month (YYYY-MM) the source holds facts for, when the package holds only some of its
    # months (a read from the database); None: the package's own first month of facts (lookback.py).
    facts_from: str | None = None


# ---- entry point -------------------------------------------------------------------------------


def load_package(path: str | Path, profile=None) -> Package:
    """Read, type and validate the data package at ``path`` (a folder, or an .xlsx workbook).

    ``profile`` (a profile name, a profile YAML path or a ``Profile``) maps a platform export's files,
    headers and values onto the package first (``merit.engine.package.profiles``); problems then name
    the export's own rows and headers.

    Raises :class:`PackageError` with every problem found (missing files are problems too).
    """
    if profile is not None:
        return _load_with_profile(path, profile)
    path = Path(path).absolute()  # Parquet views keep the path: it must not depend on the cwd
    problems = _Problems()
    notices: list[str] = []
    found = _discover(path, problems, notices)
    if problems and not found.files and not found.workbook:
        raise problems.error()

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    sources: dict[str, _Source] = {}
    digests: dict[str, str | Future] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:  # hash big files while DuckDB validates them
        if found.workbook is not None:
            digest = pool.submit(_sha256_file, found.workbook)
            sheets = _read_workbook(con, found.workbook, problems, notices)
            if sheets is None:
                con.close()
                raise problems.error()  # nothing more to say about an unreadable workbook
            for name, src in sheets.items():
                sources[name] = src
                digests[name] = digest
        for name, file in found.files.items():
            table = T.TABLES[name]
            if file.suffix.lower() == ".csv":
                src, sha = _read_csv(con, table, file, problems, notices)
                if sha is not None:
                    digests[name] = sha
            else:
                digests[name] = pool.submit(_sha256_file, file)
                src = _read_parquet(con, table, file, problems, notices)
            if src is not None:
                sources[name] = src

        present = set(sources)
        for name, table in T.TABLES.items():
            if name in sources or name in found.files:
                continue
            where = "sheet" if found.workbook else "file"
            if table.required:
                problems.add(name, None, None, None, f"required table missing (no {where} for {name})")
            else:
                notices.append(f"table {name} absent: treated as empty")
        for name, table in T.TABLES.items():
            _create_relation(con, table, sources.get(name))
        for _name, src in sources.items():
            _validate(con, src, present, problems)
        shas = {name: d if isinstance(d, str) else d.result() for name, d in digests.items()}

    for src in sources.values():
        if src.raw_name:
            con.unregister(src.raw_name)
    if problems:
        con.close()
        raise problems.error()
    canonical = json.dumps(sorted(shas.items()), separators=(",", ":"))
    return Package(
        con=con,
        input_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        notices=notices,
        tables_present=frozenset(sources),
    )


def _load_with_profile(path: str | Path, profile) -> Package:
    from merit.engine.package.prepare import prepare
    from merit.engine.package.profiles import Profile, load_profile

    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    folder = tempfile.TemporaryDirectory(prefix="merit-package-")
    try:
        pkg = prepare(path, folder.name, profile).load()
    except BaseException:
        folder.cleanup()
        raise
    pkg._folder = folder  # Parquet views read from it: removed when the package is dropped
    return pkg
