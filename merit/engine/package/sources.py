"""Where a table's rows come from: finding the package's files, reading CSV, XLSX and Parquet, hashing.

CSV and XLSX are read in Python into Arrow tables of trimmed strings (empty cells as NULL) plus the row
number the user sees; a Parquet file is described, never read here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from merit.engine import tables as T
from merit.engine.package.plans import FLOAT_TYPES, _lit, _q
from merit.engine.package.problems import PACKAGE, R_MISSING_COLUMN, _Problems

MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024  # zip-bomb guard: sum of the members' declared sizes
MAX_XLSX_MEMBERS = 10_000
MAX_CSV_BYTES = 512 * 1024 * 1024  # CSV is read in memory; larger data belongs in Parquet
CSV_FIELD_LIMIT = 4 * 1024 * 1024  # one CSV field (Python's default, 128 KiB, is too small for long notes)


# ---- sources: where a table's rows come from ---------------------------------------------------


@dataclass
class _Source:
    table: T.Table
    display: str  # "tickets.csv", "shop.xlsx[tickets]", "tickets.parquet"
    relation: str  # SQL FROM item
    row_sql: str  # SQL: the row number the user sees
    names: dict[str, str]  # spec column -> source column name (present columns only)
    types: dict[str, str]  # spec column -> source DuckDB type
    normalized: bool  # text already trimmed, '' -> NULL
    materialize: bool  # TABLE (small, in Python) or VIEW (Parquet)
    raw_name: str | None = None  # a registered Arrow table to drop afterwards
    path: Path | None = None  # the Parquet file


def _map_header(table: T.Table, header: list, display: str, header_row: int | None, problems, notices):
    """Match header cells to spec columns (case-insensitive, trimmed). Returns spec column -> index."""
    found: dict[str, int] = {}
    spec = set(table.column_names)
    for i, cell in enumerate(header):
        name = ("" if cell is None else str(cell)).strip().lower()
        if not name:
            continue
        if name in found:
            problems.add(
                table.name, header_row, name, None, f"duplicate column (also column {found[name] + 1})"
            )
        elif name in spec:
            found[name] = i
        else:
            notices.append(f"{display}: unknown column {name!r} ignored")
    for col in table.columns:
        if col.required and col.name not in found:
            problems.add(table.name, None, col.name, None, R_MISSING_COLUMN)
    return found


def _arrow_source(con, table: T.Table, display: str, cols: dict[str, list], rows: list[int]) -> _Source:
    raw_name = f"_raw_{table.name}"
    arrays = {name: pa.array(values, type=pa.string()) for name, values in cols.items()}
    arrays["_row"] = pa.array(rows, type=pa.int64())
    con.register(raw_name, pa.table(arrays))
    names = {name: name for name in cols}
    return _Source(
        table,
        display,
        _q(raw_name),
        '"_row"',
        names,
        dict.fromkeys(cols, "VARCHAR"),
        normalized=True,
        materialize=True,
        raw_name=raw_name,
    )


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def _read_csv(con, table: T.Table, path: Path, problems: _Problems, notices: list[str]):
    display = path.name
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        problems.add(
            table.name, None, None, None, f"CSV file too large ({size} bytes > {MAX_CSV_BYTES}); use Parquet"
        )
        return None, None
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError as e:
        problems.add(
            table.name, None, None, None, f"cannot decode the file (expected UTF-8 or GBK): {e.reason}"
        )
        return None, sha
    del data
    if encoding in ("gb18030", "utf-16"):
        notices.append(f"{display}: read as {encoding.upper()} (not UTF-8)")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line and "\t" in first_line:
        delimiter = "\t"
    elif "," not in first_line and ";" in first_line:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    row_no = 1
    saved_limit = csv.field_size_limit(CSV_FIELD_LIMIT)  # a process-wide setting: restored below
    try:
        header = next(reader, [])
        index = _map_header(table, header, display, 1, problems, notices)
        width = len(header)
        cols: dict[str, list] = {name: [] for name in index}
        pairs = [(cols[name], i) for name, i in index.items()]
        rows: list[int] = []
        for row_no, record in enumerate(reader, start=2):
            n = len(record)
            if not any(v.strip() for v in record):
                continue  # blank line
            if n > width and any(v.strip() for v in record[width:]):
                problems.add(table.name, row_no, None, None, f"{n} values but the header has {width} columns")
            rows.append(row_no)
            for values, i in pairs:
                values.append((record[i].strip() or None) if i < n else None)
    except csv.Error as e:
        problems.add(table.name, row_no + 1, None, None, f"unreadable CSV: {e}")
        return None, sha
    finally:
        csv.field_size_limit(saved_limit)
    return _arrow_source(con, table, display, cols, rows), sha


def _parquet_sql(path: Path, row_numbers: bool) -> str:
    options = "hive_partitioning = false" + (", file_row_number = true" if row_numbers else "")
    return f"read_parquet({_lit(str(path))}, {options})"


def _read_parquet(con, table: T.Table, path: Path, problems: _Problems, notices: list[str]):
    display = path.name
    if any(c in str(path) for c in "*?[{"):  # DuckDB would read the path as a glob pattern
        problems.add(table.name, None, None, str(path), "path contains * ? [ or {: rename the folder or file")
        return None
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_parquet_sql(path, False)}").fetchall()
    except duckdb.Error as e:
        problems.add(table.name, None, None, None, f"cannot read the Parquet file: {str(e).splitlines()[0]}")
        return None
    header = [row[0] for row in described]
    index = _map_header(table, header, display, None, problems, notices)
    names = {name: header[i] for name, i in index.items()}
    types = {name: str(described[i][1]) for name, i in index.items()}
    for name, st in types.items():
        if table.column(name).type == T.DECIMAL and st.upper() in FLOAT_TYPES:
            notices.append(f"{display}: column {name!r} is floating-point; read as a decimal with 4 places")
    rel = _parquet_sql(path, row_numbers=True)
    return _Source(table, display, rel, "(file_row_number + 1)", names, types, False, False, path=path)


# ---- XLSX --------------------------------------------------------------------------------------


def _check_zip(path: Path, problems: _Problems) -> bool:
    """Refuse a workbook that would inflate beyond the limit (checked before any XML is parsed)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        problems.add(PACKAGE, None, None, path.name, f"not a valid .xlsx workbook ({e})")
        return False
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_XLSX_MEMBERS or total > MAX_XLSX_UNCOMPRESSED:
        problems.add(
            PACKAGE,
            None,
            None,
            path.name,
            f"workbook refused: {total} bytes in {len(infos)} parts when uncompressed "
            f"(limit {MAX_XLSX_UNCOMPRESSED} bytes); split it or use CSV/Parquet",
        )
        return False
    return True


def _cell_text(value, type_: str) -> str | None:
    """An XLSX cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        # 15 significant digits: what Excel shows (0.1+0.2 is stored as 0.30000000000000004).
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, datetime):
        if type_ == T.PERIOD and value.day == 1 and value.time() == time(0):
            return value.strftime("%Y-%m")  # Excel turns "2026-03" into the date 2026-03-01
        if type_ == T.DATE and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.strftime("%Y-%m") if type_ == T.PERIOD and value.day == 1 else value.isoformat()
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value).strip() or None


def _read_workbook(con, path: Path, problems: _Problems, notices: list[str]) -> dict[str, _Source] | None:
    """The sheets of the workbook that are tables, or None if the workbook cannot be read."""
    if not _check_zip(path, problems):
        return None
    import openpyxl  # only needed for workbooks; defusedxml (installed) makes its XML parsing safe

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on malformed files
        problems.add(PACKAGE, None, None, path.name, f"cannot read the workbook: {type(e).__name__}: {e}")
        return None
    sources: dict[str, _Source] = {}
    try:
        for ws in wb.worksheets:
            key = ws.title.strip().lower()
            if key not in T.TABLES:
                notices.append(f"{path.name}: sheet {ws.title!r} is not a table, ignored")
                continue
            if key in sources:
                problems.add(key, None, None, ws.title, "two sheets for the same table")
                continue
            table = T.TABLES[key]
            display = f"{path.name}[{ws.title}]"
            header = list(next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ()))
            while header and header[-1] is None:
                header.pop()
            index = _map_header(table, header, display, 1, problems, notices)
            cols: dict[str, list] = {name: [] for name in index}
            plan = [(cols[name], i, table.column(name).type) for name, i in index.items()]
            rows: list[int] = []
            if header:
                cells_by_row = ws.iter_rows(min_row=2, max_col=len(header), values_only=True)
                for row_no, cells in enumerate(cells_by_row, start=2):
                    if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                        continue  # blank row
                    rows.append(row_no)
                    n = len(cells)
                    for values, i, type_ in plan:
                        values.append(_cell_text(cells[i], type_) if i < n else None)
            sources[key] = _arrow_source(con, table, display, cols, rows)
    except Exception as e:
        problems.add(PACKAGE, None, None, path.name, f"cannot read the workbook: {type(e).__name__}: {e}")
        return None
    finally:
        wb.close()
    return sources


# ---- finding the files -------------------------------------------------------------------------


@dataclass
class _Found:
    files: dict[str, Path] = field(default_factory=dict)  # table -> csv/parquet file
    workbook: Path | None = None


def _regular_inside(entry: Path, root: Path, problems: _Problems) -> bool:
    """A file we may read: a regular file whose real location is inside the package folder."""
    try:
        real = entry.resolve(strict=True)
        mode = real.stat().st_mode
    except OSError as e:
        problems.add(PACKAGE, None, None, entry.name, f"cannot open ({e.strerror or e})")
        return False
    if not real.is_relative_to(root):
        problems.add(PACKAGE, None, None, entry.name, "links outside the package folder: not read")
        return False
    if not stat.S_ISREG(mode):
        problems.add(PACKAGE, None, None, entry.name, "not a regular file: not read")
        return False
    return True


def _discover(path: Path, problems: _Problems, notices: list[str]) -> _Found:
    found = _Found()
    if not path.exists():
        problems.add(PACKAGE, None, None, str(path), "no such file or folder")
        return found
    if path.is_file():
        if path.suffix.lower() == ".xlsx":
            if _regular_inside(path, path.resolve().parent, problems):
                found.workbook = path
        else:
            problems.add(
                PACKAGE, None, None, str(path), "expected a folder of CSV/Parquet files or an .xlsx workbook"
            )
        return found
    root = path.resolve()
    workbooks: list[Path] = []
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith((".", "~$")):
            continue  # hidden files and Excel lock files
        suffix = entry.suffix.lower()
        stem = entry.stem.strip().lower()
        if suffix == ".xlsx":
            workbooks.append(entry)
        elif suffix == ".xls":
            notices.append(f"{name}: old .xls format not read; save it as .xlsx or CSV")
        elif suffix in (".csv", ".parquet"):
            if stem not in T.TABLES:
                notices.append(f"{name}: not a table of the package, ignored")
            elif stem in found.files:
                other = found.files[stem].name
                problems.add(stem, None, None, None, f"both {other} and {name} present: keep one")
            elif _regular_inside(entry, root, problems):
                found.files[stem] = entry
    if workbooks and (found.files or len(workbooks) > 1):
        if found.files:
            for wb in workbooks:
                notices.append(f"{wb.name}: ignored (the folder holds CSV/Parquet tables)")
        else:
            names = ", ".join(w.name for w in workbooks)
            problems.add(PACKAGE, None, None, names, "several .xlsx workbooks in the folder: keep one")
    elif workbooks and _regular_inside(workbooks[0], root, problems):
        found.workbook = workbooks[0]
    return found


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
