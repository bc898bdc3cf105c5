"""Turn an upload (a folder of CSV/XLSX/Parquet files, or one file) into a package folder of
``<table>.csv`` / ``<table>.parquet`` files that :func:`~merit.engine.package.load_package` reads, applying
a column-mapping profile to platform exports. Problems keep pointing at the user's own file: the row
and the header they see, never the intermediate CSV.

* A file named like a table (``tickets.csv``, ``chats.parquet``) is linked into the folder as it is.
* A workbook's sheets named like tables are written out as CSV (cells as the package loader would read
  them), so that tables can be added beside them (the application adds its agents and teams).
* With a profile, the files or sheets it names (glob patterns; or the only file of a one-table profile)
  are read through its mapping: the header row is found among the first rows (exports put titles
  above it), headers are matched to package columns, values converted (是/否, 1分5秒, 45.2%, ¥1,234),
  summary rows (合计) skipped. One source row is one output row, so row numbers stay the user's.

Memory stays bounded: rows stream from the source to the output file.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from merit.engine import tables as T
from merit.engine.package.problems import MAX_PROBLEMS, PACKAGE, PackageError, Problem, _Problems, _sort_key
from merit.engine.package.profiles import HEADER_SEARCH, ColumnMap, Profile, TableMap, _norm
from merit.engine.package.sources import (
    CSV_FIELD_LIMIT,
    MAX_CSV_BYTES,
    _cell_text,
    _check_zip,
    _decode,
    _sha256_file,
)
from merit.engine.package.values import CONVERTERS, BadValue, duration_seconds

R_TOO_MANY_ROWS = "more than {limit} rows in the upload: split it into smaller files"


@dataclass
class Origin:
    """Where a table of the prepared folder came from, to point problems at the user's file."""

    table: str
    display: str  # "接待明细.csv", "shop.xlsx[Sheet1]", "tickets.csv"
    file: str  # the file name in the prepared folder ("chats.csv")
    header_row: int = 1  # the source row of the header
    converted: bool = False  # written by prepare (a sheet or a profile's mapping), not linked
    labels: dict[str, str] = field(default_factory=dict)  # package column → source header text
    rows: list[int] | None = None  # unpivoted sheets: output data row i → source row
    row_labels: list[str] | None = None  # … and the header of its value

    def source_row(self, row: int | None) -> int | None:
        if row is None:
            return None
        if self.rows is not None:
            i = row - 2
            return self.rows[i] if 0 <= i < len(self.rows) else row
        return row + self.header_row - 1

    def label(self, column: str | None, row: int | None) -> str | None:
        if column is None:
            return None
        if self.row_labels is not None and column == "value" and row is not None:
            i = row - 2
            if 0 <= i < len(self.row_labels):
                return f"{self.row_labels[i]} (value)"
        header = self.labels.get(column)
        return f"{header} ({column})" if header and _norm(header) != column else column


@dataclass
class Prepared:
    folder: Path
    profile: Profile | None
    origins: dict[str, Origin] = field(default_factory=dict)  # table → where it came from
    problems: _Problems = field(default_factory=_Problems)
    notices: list[str] = field(default_factory=list)
    shas: dict[str, str] = field(default_factory=dict)  # source file name → sha256
    rows: int = 0  # data rows written by conversions (linked files are not counted here)
    mapped: int = 0  # files and sheets read through the profile

    @property
    def tables(self) -> set[str]:
        return set(self.origins)

    def drop(self, table: str) -> None:
        """Forget a table of the upload (its file is removed from the folder)."""
        origin = self.origins.pop(table, None)
        if origin is not None:
            (self.folder / origin.file).unlink(missing_ok=True)

    def input_sha256(self) -> str:
        items = sorted(self.shas.items())
        if self.profile is not None:
            items.append(("(profile)", self.profile.sha256))
        return hashlib.sha256(json.dumps(items, separators=(",", ":")).encode()).hexdigest()

    def load(self):
        """Load the prepared folder; problems point at the user's files, rows and headers."""
        from merit.engine.package.load import load_package

        try:
            pkg = load_package(self.folder)
        except PackageError as e:
            raise self._merged(e) from None
        if self.problems:
            pkg.con.close()
            raise self._merged(None)
        pkg.input_sha256 = self.input_sha256()
        pkg.notices = self.notices + [self._relabel_notice(n) for n in pkg.notices]
        return pkg

    def error(self) -> PackageError:
        return self._merged(None)

    def _relabel_notice(self, text: str) -> str:
        for origin in self.origins.values():
            if text.startswith(origin.file + ":") and origin.display != origin.file:
                return origin.display + text[len(origin.file) :]
        return text

    def _merged(self, e: PackageError | None) -> PackageError:
        """The profile's problems and the loader's, at the user's rows and headers. A cell both report
        (a value the profile could not convert) is listed once, with the profile's reason."""
        own = []
        for p in self.problems.items:
            origin = self.origins.get(p.table)
            column = origin.label(p.column, None) if origin else p.column
            own.append(Problem(p.table, p.row, column, p.value, p.reason))
        total = self.problems.total
        seen = {(p.table, p.row, p.column) for p in own if p.row is not None or p.column is not None}
        if e is not None:
            total += e.total
            for p in e.problems:
                if _is_more_line(p):
                    continue
                origin = self.origins.get(p.table)
                row, column = p.row, p.column
                if origin is not None:
                    row, column = origin.source_row(p.row), origin.label(p.column, p.row)
                if (p.table, row, column) in seen:
                    total -= 1
                    continue
                own.append(Problem(p.table, row, column, p.value, p.reason))
        shown = sorted(own, key=_sort_key)[:MAX_PROBLEMS]
        more = total - len(shown)
        if more > 0:
            shown.append(Problem(PACKAGE, None, None, None, f"… and {more} more problem(s) not listed"))
        return PackageError(shown, total=total)


def _is_more_line(p: Problem) -> bool:
    return p.table == PACKAGE and p.row is None and p.reason.startswith("… and ")


# ---- entry point -------------------------------------------------------------------------------


def prepare(path: str | Path, out: str | Path, profile: Profile | None = None, max_rows: int | None = None):
    """Write the package folder ``out`` from the upload at ``path`` (a folder or one file)."""
    path, out = Path(path), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    prep = Prepared(out, profile)
    entries = _entries(path, prep)
    single = len(entries) == 1
    for entry in entries:
        suffix = entry.suffix.lower()
        try:
            prep.shas[entry.name] = _sha256_file(entry)
        except OSError as e:
            prep.problems.add(PACKAGE, None, None, entry.name, f"cannot open ({e.strerror or e})")
            continue
        if suffix == ".csv":
            _prepare_csv(entry, prep, single, max_rows)
        elif suffix == ".parquet":
            _prepare_parquet(entry, prep, single)
        elif suffix == ".xlsx":
            _prepare_workbook(entry, prep, single, max_rows)
        elif suffix == ".xls":
            prep.notices.append(f"{entry.name}: old .xls format not read; save it as .xlsx or CSV")
        else:
            prep.notices.append(f"{entry.name}: not a CSV, XLSX or Parquet file, ignored")
    if profile is not None and not prep.mapped:
        patterns = sorted({p for tm in profile.tables.values() for p in tm.files})
        prep.problems.add(
            PACKAGE,
            None,
            None,
            None,
            f"profile {profile.name}: no file or sheet of the upload matches it"
            + (f" (names like {', '.join(patterns)})" if patterns else ""),
        )
    return prep


def _entries(path: Path, prep: Prepared) -> list[Path]:
    if not path.exists():
        prep.problems.add(PACKAGE, None, None, str(path), "no such file or folder")
        return []
    if path.is_file():
        return [path]
    root = path.resolve()
    out = []
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if entry.name.startswith((".", "~$")):
            continue
        try:
            real = entry.resolve(strict=True)
        except OSError:
            continue
        if not real.is_relative_to(root) or not real.is_file():
            prep.problems.add(
                PACKAGE, None, None, entry.name, "not a regular file inside the package: not read"
            )
            continue
        out.append(entry)
    return out


def _claim(prep: Prepared, table: str, display: str, file: str) -> bool:
    """Record that ``display`` provides ``table``; a second source for a table is a problem."""
    if table in prep.origins:
        other = prep.origins[table].display
        prep.problems.add(table, None, None, None, f"both {other} and {display} hold this table: keep one")
        return False
    prep.origins[table] = Origin(table, display, file)
    return True


def _link(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _match(profile: Profile | None, name: str, single: bool) -> TableMap | None:
    """The profile's table for a file stem or sheet name (or the only table, for a lone file)."""
    key = _norm(name)
    if profile is None or key in T.TABLES:
        return None  # a file or sheet named like a table is that table, as it is
    for tm in profile.tables.values():
        if any(fnmatch.fnmatchcase(key, _norm(p)) for p in tm.files):
            return tm
    if single and len(profile.tables) == 1 and key not in T.TABLES:
        return next(iter(profile.tables.values()))
    return None


# ---- CSV and Parquet ---------------------------------------------------------------------------


def _prepare_csv(entry: Path, prep: Prepared, single: bool, max_rows: int | None) -> None:
    stem = entry.stem.strip().lower()
    tm = _match(prep.profile, entry.stem, single)
    if tm is None:
        if stem not in T.TABLES:
            prep.notices.append(f"{entry.name}: not a table of the package, ignored")
        elif _claim(prep, stem, entry.name, f"{stem}.csv"):
            _link(entry, prep.folder / f"{stem}.csv")
        return
    size = entry.stat().st_size
    if size > MAX_CSV_BYTES:
        prep.problems.add(
            tm.table, None, None, entry.name, f"CSV file too large ({size} bytes > {MAX_CSV_BYTES})"
        )
        return
    data = entry.read_bytes()
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError as e:
        prep.problems.add(
            tm.table, None, None, entry.name, f"cannot decode the file (expected UTF-8 or GBK): {e.reason}"
        )
        return
    del data
    if encoding in ("gb18030", "utf-16"):
        prep.notices.append(f"{entry.name}: read as {encoding.upper()} (not UTF-8)")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line and "\t" in first_line:
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    saved = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        _convert(prep, tm, entry.name, enumerate(reader, start=1), max_rows, xlsx=False)
    except csv.Error as e:
        prep.problems.add(tm.table, None, None, entry.name, f"unreadable CSV: {e}")
    finally:
        csv.field_size_limit(saved)


def _prepare_parquet(entry: Path, prep: Prepared, single: bool) -> None:
    stem = entry.stem.strip().lower()
    if _match(prep.profile, entry.stem, single) is not None and stem not in T.TABLES:
        prep.problems.add(PACKAGE, None, None, entry.name, "profiles read CSV and XLSX exports, not Parquet")
    elif stem not in T.TABLES:
        prep.notices.append(f"{entry.name}: not a table of the package, ignored")
    elif _claim(prep, stem, entry.name, f"{stem}.parquet"):
        _link(entry, prep.folder / f"{stem}.parquet")


# ---- XLSX --------------------------------------------------------------------------------------


def _prepare_workbook(entry: Path, prep: Prepared, single: bool, max_rows: int | None) -> None:
    import openpyxl  # defusedxml (installed) makes its XML parsing refuse entity tricks

    if not openpyxl.DEFUSEDXML:
        prep.problems.add(PACKAGE, None, None, entry.name, "workbooks are not read: defusedxml is not active")
        return
    if not _check_zip(entry, prep.problems):
        return
    try:
        wb = openpyxl.load_workbook(entry, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on malformed or hostile files
        prep.problems.add(PACKAGE, None, None, entry.name, _workbook_reason(e))
        return
    try:
        sheets = wb.worksheets
        for n, ws in enumerate(sheets):
            display = f"{entry.name}[{ws.title}]"
            tm = _match(prep.profile, ws.title, False)
            if tm is None and n == 0 and ws.title.strip().lower() not in T.TABLES:
                tm = _match(prep.profile, entry.stem, single and len(sheets) == 1)
            rows = enumerate(ws.iter_rows(values_only=True), start=1)
            if tm is not None:
                _convert(prep, tm, display, rows, max_rows, xlsx=True)
                continue
            key = ws.title.strip().lower()
            if key not in T.TABLES:
                prep.notices.append(f"{entry.name}: sheet {ws.title!r} is not a table, ignored")
            elif _claim(prep, key, display, f"{key}.csv"):
                prep.origins[key].converted = True
                _copy_sheet(prep, T.TABLES[key], rows, max_rows)
    except Exception as e:
        prep.problems.add(PACKAGE, None, None, entry.name, _workbook_reason(e))
    finally:
        wb.close()


def _workbook_reason(e: BaseException) -> str:
    """Why a workbook cannot be read. XML that declares entities (billion laughs, external entities) is
    named as such: defusedxml refuses it before anything is expanded."""
    chain, seen = e, set()
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        if type(chain).__module__.startswith("defusedxml"):
            return (
                f"workbook refused: its XML declares entities or a DTD ({type(chain).__name__}): never read"
            )
        chain = chain.__cause__ or chain.__context__
    first = str(e).splitlines()[0] if str(e) else ""
    return f"cannot read the workbook: {type(e).__name__}: {first}"


def _copy_sheet(prep: Prepared, table: T.Table, rows, max_rows: int | None) -> None:
    """A sheet named like a table, as the CSV the package loader would have read from it."""
    with open(prep.folder / f"{table.name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        header: list = []
        types: list[str] = []
        for row_no, cells in rows:
            if row_no == 1:
                header = list(cells)
                while header and header[-1] is None:
                    header.pop()
                names = [_norm(h) for h in header]
                types = [table.column(n).type if n in table.column_names else T.TEXT for n in names]
                w.writerow(["" if h is None else str(h) for h in header])
                continue
            values = [_cell_text(cells[i], types[i]) if i < len(cells) else None for i in range(len(header))]
            if all(v is None for v in values):
                w.writerow([])
                continue
            if not _count(prep, table.name, max_rows):
                return
            w.writerow(["" if v is None else v for v in values])


def _count(prep: Prepared, table: str, max_rows: int | None) -> bool:
    prep.rows += 1
    if max_rows is not None and prep.rows > max_rows:
        if not any(p.reason == R_TOO_MANY_ROWS.format(limit=max_rows) for p in prep.problems.items):
            prep.problems.add(PACKAGE, None, None, None, R_TOO_MANY_ROWS.format(limit=max_rows))
        return False
    return True


# ---- conversion through a profile --------------------------------------------------------------


def _text(value, xlsx: bool) -> str | None:
    """A cell as text: CSV cells are text already; XLSX cells as a CSV export would show them."""
    if value is None:
        return None
    if not xlsx:
        return value.strip() or None
    if isinstance(value, timedelta):
        return format(Decimal(value.total_seconds()).normalize(), "f")
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return _cell_text(value, T.TEXT)


@dataclass
class _Source:
    """How one package column is read from the header row found."""

    cm: ColumnMap
    index: int | None  # the header's column
    header: str | None
    joined: list[int]  # the join headers' columns
    plus: int | None  # derive: the duration's column
    plus_header: str | None


def _find_header(tm: TableMap, rows, display: str, prep: Prepared):
    """The header row (the one with most known headers among the first rows) and the rows after it."""
    aliases = tm.aliases()
    buffered = []
    best_row, best_hits = None, 0
    for row_no, cells in rows:
        buffered.append((row_no, cells))
        hits = sum(1 for c in cells if c is not None and _norm(c) in aliases)
        if hits > best_hits:
            best_row, best_hits = row_no, hits
        if len(buffered) >= HEADER_SEARCH:
            break
    if best_row is None:
        expected = ", ".join(h for cm in tm.columns[:4] for h in cm.headers[:1])
        prep.problems.add(
            tm.table, None, None, display, f"no header row found (expected columns such as {expected})"
        )
        return None, None, []
    header = next(cells for row_no, cells in buffered if row_no == best_row)
    after = [(r, c) for r, c in buffered if r > best_row]
    return best_row, list(header), after


def _resolve(tm: TableMap, header: list, display: str, prep: Prepared):
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        key = _norm(h)
        if key and key not in index:
            index[key] = i

    def first(names: tuple[str, ...]) -> tuple[int | None, str | None]:
        for name in names:
            if _norm(name) in index:
                i = index[_norm(name)]
                return i, str(header[i]).strip()
        return None, None

    used: set[int] = set()
    sources = []
    for cm in tm.columns + tm.metrics:
        i, h = first(cm.headers)
        joined = [index[_norm(n)] for n in cm.join if _norm(n) in index]
        p, ph = first(cm.plus)
        sources.append(_Source(cm, i, h, joined, p, ph))
        used.update(x for x in (i, p, *joined) if x is not None)
    table = T.TABLES[tm.table]
    by_column = {s.cm.column: s for s in sources[: len(tm.columns)]}
    for col in table.columns:
        s = by_column.get(col.name)
        if not col.required or (tm.metrics and col.name in ("metric", "value")):
            continue
        if s is None or (s.index is None and not s.joined and s.cm.value is None and s.plus is None):
            expected = " or ".join((s.cm.headers + s.cm.join) if s else ()) or col.name
            prep.problems.add(
                tm.table,
                None,
                col.name,
                None,
                f"required column missing (expected a column named {expected})",
            )
    unused = [
        str(h).strip() for i, h in enumerate(header) if i not in used and h is not None and str(h).strip()
    ]
    if unused:
        prep.notices.append(f"{display}: columns not used: {', '.join(unused)}")
    return sources


def _cell(cells, i: int | None, xlsx: bool) -> str | None:
    if i is None or i >= len(cells):
        return None
    return _text(cells[i], xlsx)


def _converted(cm: ColumnMap, raw: str) -> str:
    if cm.convert == "map":
        if raw in cm.values:
            return cm.values[raw]
        for k, v in cm.values.items():
            if _norm(k) == _norm(raw):
                return v
        return raw if cm.other is None else cm.other
    if cm.convert == "yes_no":
        return CONVERTERS["yes_no"](raw, cm.yes, cm.no)
    if cm.convert in ("duration", "days"):
        return CONVERTERS[cm.convert](raw, cm.unit or ("d" if cm.convert == "days" else "s"))
    fn = CONVERTERS[cm.convert]
    return raw if fn is None else fn(raw)


def _plus(start: str, seconds: Decimal) -> str | None:
    """A local (Asia/Shanghai) timestamp text plus a duration, as ISO text; None if unreadable."""
    text = start.replace("/", "-").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            t = datetime.strptime(text.split(".")[0], fmt)  # noqa: DTZ007 — wall time, no zone on purpose
        except ValueError:
            continue
        return (t + timedelta(seconds=int(seconds))).isoformat(sep=" ")
    return None


def _convert(prep: Prepared, tm: TableMap, display: str, rows, max_rows: int | None, xlsx: bool) -> None:
    file = f"{tm.table}.csv"
    if not _claim(prep, tm.table, display, file):
        return
    prep.mapped += 1
    rows = iter(rows)
    header_row, header, buffered = _find_header(tm, rows, display, prep)
    if header is None:
        prep.origins.pop(tm.table, None)
        return
    if xlsx:
        header = [_text(h, True) for h in header]
    sources = _resolve(tm, header, display, prep)
    columns = sources[: len(tm.columns)]
    metrics = sources[len(tm.columns) :]
    present = [
        s for s in columns if s.index is not None or s.joined or s.cm.value is not None or s.plus is not None
    ]
    out_header = [s.cm.column for s in present]
    unpivot = bool(metrics)
    if unpivot:
        out_header += [c for c in ("metric", "value") if c not in out_header]
    origin = prep.origins[tm.table]
    origin.converted = True
    origin.header_row = header_row
    origin.labels = {s.cm.column: s.header for s in present if s.header}
    if unpivot:
        origin.rows, origin.row_labels = [], []
    problems = prep.problems
    skipped = 0

    def value_of(s: _Source, cells, row_no: int, column: str) -> str | None:
        raw = _cell(cells, s.index, xlsx)
        if raw is not None:
            try:
                return _converted(s.cm, raw)
            except BadValue as e:
                problems.add(tm.table, row_no, column, raw, str(e))
                return raw  # kept: the loader reports it too, and that report is dropped as a repeat
        if s.joined:
            parts = [p for p in (_cell(cells, j, xlsx) for j in s.joined) if p is not None]
            if parts:
                return "/".join(parts)
        return s.cm.value

    with open(prep.folder / file, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(out_header)
        for row_no, cells in _chain(buffered, rows):
            cells = list(cells)
            texts = [_text(c, xlsx) for c in cells]
            first = next((t for t in texts if t is not None), None)
            if first is None or _norm(first) in prep.profile.skip_rows:
                skipped += first is not None
                if not unpivot:
                    w.writerow([])
                continue
            if not _count(prep, tm.table, max_rows):
                return
            out: dict[str, str | None] = {}
            for s in present:
                if s.plus is None or s.index is not None:
                    out[s.cm.column] = value_of(s, cells, row_no, s.cm.column)
            for s in present:
                if s.plus is None or out.get(s.cm.column):
                    continue
                start, raw = out.get(s.cm.start), _cell(cells, s.plus, xlsx)
                if start is None or raw is None:
                    continue
                try:
                    seconds = duration_seconds(raw, s.cm.unit or "s")
                except BadValue as e:
                    problems.add(tm.table, row_no, s.cm.column, raw, f"{s.plus_header}: {e}")
                    continue
                out[s.cm.column] = _plus(start, seconds)
            if not unpivot:
                w.writerow([out.get(c) or "" for c in out_header])
                continue
            for m in metrics:
                if m.index is None:
                    continue
                value = value_of(m, cells, row_no, f"{m.header} (value)")
                if value is None:
                    continue
                row = dict(out, metric=m.cm.column, value=value)
                w.writerow([row.get(c) or "" for c in out_header])
                origin.rows.append(row_no)
                origin.row_labels.append(m.header)
    if skipped:
        prep.notices.append(f"{display}: {skipped} summary row(s) (合计/总计) skipped")


def _chain(first, rest):
    yield from first
    yield from rest
