"""Column-mapping profiles: how a platform export (千牛 接待明细, 淘宝 退款, 京东 咚咚, …) maps onto the
tables of the data package. docs/imports.md describes the file format and how to add a profile.

A profile is a YAML file. For each package table it names the export's files or sheets (glob patterns),
and for each package column the header texts that may hold it and the conversion its values need::

    name: qianniu_chats
    title: {zh: 千牛 接待明细, en: Qianniu chat details}
    tables:
      chats:
        files: ["*接待*"]
        columns:
          agent_id: [客服昵称, 接待客服]
          first_response_s: {from: [首次响应时长], convert: duration}

The shipped profiles live in ``merit/engine/profiles/``; a path to a YAML file works as well.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from merit.engine import tables as T
from merit.engine.package.values import BARE_UNITS, CONVERTERS
from merit.engine.policy.yamlio import YamlError, line_of, load_yaml_lines

PROFILE_PACKAGE = "merit.engine.profiles"
DEFAULT_SKIP = ("合计", "总计", "小计", "汇总", "total", "sum")  # summary rows at the end of exports
HEADER_SEARCH = 10  # exports often put a title and notes above the header row


class ProfileError(ValueError):
    """An unknown profile, or a profile file that is not valid (message names the line)."""


@dataclass(frozen=True)
class ColumnMap:
    """Where one package column comes from, in an export."""

    column: str  # package column (for benchmarks' ``metrics``: the metric id)
    headers: tuple[str, ...] = ()  # header texts, the first present one is used
    convert: str = "text"  # a name of values.CONVERTERS
    unit: str | None = None  # duration/days: the unit of a bare number (s, min, h, d)
    values: dict[str, str] = field(default_factory=dict)  # convert: map — export value → package value
    other: str | None = None  # convert: map — for values not listed (None: kept as they are)
    yes: tuple[str, ...] = ()  # convert: yes_no — more words for yes
    no: tuple[str, ...] = ()  # … and for no
    join: tuple[str, ...] = ()  # when no header is present or the cell is empty: these cells joined
    value: str | None = None  # a constant (no header)
    start: str | None = None  # derive: this package column (a timestamp) …
    plus: tuple[str, ...] = ()  # … plus the duration in the first present of these headers

    @property
    def all_headers(self) -> tuple[str, ...]:
        return self.headers + self.join + self.plus


@dataclass(frozen=True)
class TableMap:
    table: str
    files: tuple[str, ...]  # glob patterns matched against file stems and sheet names (case-insensitive)
    columns: tuple[ColumnMap, ...]
    metrics: tuple[ColumnMap, ...] = ()  # benchmarks only: a wide sheet, one column per metric

    def aliases(self) -> set[str]:
        out: set[str] = set()
        for c in self.columns + self.metrics:
            out.update(_norm(h) for h in c.all_headers)
        return out


@dataclass(frozen=True)
class Profile:
    name: str
    title_zh: str
    title_en: str
    description: str
    tables: dict[str, TableMap]
    skip_rows: tuple[str, ...]
    source: str
    sha256: str

    @property
    def title(self) -> str:
        return f"{self.title_zh} / {self.title_en}" if self.title_en else self.title_zh


def _norm(header) -> str:
    """Header text as matched: trimmed, case-folded, inner spaces and full-width brackets unified."""
    text = "" if header is None else str(header)
    text = text.replace("（", "(").replace("）", ")").replace("\u3000", " ")
    return " ".join(text.split()).casefold()


# ---- finding profiles --------------------------------------------------------------------------


def profile_texts() -> dict[str, str]:
    """Profile name (file stem) → YAML text, for every shipped profile."""
    out = {}
    for f in sorted(resources.files(PROFILE_PACKAGE).iterdir(), key=lambda p: p.name):
        if f.name.endswith((".yaml", ".yml")):
            out[f.name.rsplit(".", 1)[0]] = f.read_text("utf-8")
    return out


def profile_names() -> list[str]:
    return sorted(profile_texts())


def list_profiles(strict: bool = False) -> list[Profile]:
    """The shipped profiles. A file with a mistake is left out (``strict``: ProfileError instead)."""
    out = []
    for name, text in profile_texts().items():
        try:
            out.append(parse_profile(text, f"profile:{name}"))
        except ProfileError:
            if strict:
                raise
    return out


def load_profile(ref: str | Path) -> Profile:
    """A shipped profile by name (``qianniu_chats``), or a profile YAML file by path."""
    ref_text = str(ref).strip()
    texts = profile_texts()
    if ref_text in texts:
        return parse_profile(texts[ref_text], f"profile:{ref_text}")
    p = Path(ref_text)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return parse_profile(p.read_text("utf-8"), str(p))
    raise ProfileError(f"unknown profile {ref_text!r}; profiles: {', '.join(sorted(texts))}")


# ---- parsing -----------------------------------------------------------------------------------


def _strings(value, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    problems.append(f"{where}: expected a text or a list of texts")
    return ()


COLUMN_KEYS = {"from", "convert", "unit", "values", "other", "yes", "no", "join", "value", "derive"}


def _column(table: T.Table, name: str, spec, where: str, metric: bool, problems: list[str]) -> ColumnMap:
    if not metric and name not in table.column_names:
        problems.append(
            f"{where}: {table.name} has no column {name!r} (columns: {', '.join(table.column_names)})"
        )
    if isinstance(spec, str | list):
        spec = {"from": spec}
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected header texts or a mapping with from/convert/…")
        return ColumnMap(name)
    for key in spec:
        if key not in COLUMN_KEYS:
            problems.append(f"{where}: unknown key {key!r} (keys: {', '.join(sorted(COLUMN_KEYS))})")
    convert = str(spec.get("convert", "text"))
    if convert not in CONVERTERS:
        problems.append(f"{where}: unknown convert {convert!r} (one of: {', '.join(CONVERTERS)})")
    unit = spec.get("unit")
    if unit is not None and unit not in BARE_UNITS:
        problems.append(f"{where}: unknown unit {unit!r} (one of: {', '.join(BARE_UNITS)})")
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        problems.append(f"{where}: values must map export values to package values")
        values = {}
    derive = spec.get("derive") or {}
    if not isinstance(derive, dict) or set(derive) - {"start", "plus", "unit"}:
        problems.append(f"{where}: derive takes start (a column) and plus (header texts of a duration)")
        derive = {}
    start = derive.get("start")
    if start is not None and start not in table.column_names:
        problems.append(f"{where}: derive.start {start!r} is not a column of {table.name}")
    if derive.get("unit") is not None:
        unit = derive["unit"]
    col = ColumnMap(
        column=name,
        headers=_strings(spec.get("from"), f"{where}.from", problems),
        convert=convert,
        unit=None if unit is None else str(unit),
        values={str(k): str(v) for k, v in values.items()},
        other=None if spec.get("other") is None else str(spec["other"]),
        yes=_strings(spec.get("yes"), f"{where}.yes", problems),
        no=_strings(spec.get("no"), f"{where}.no", problems),
        join=_strings(spec.get("join"), f"{where}.join", problems),
        value=None if spec.get("value") is None else str(spec["value"]),
        start=start,
        plus=_strings(derive.get("plus"), f"{where}.derive.plus", problems),
    )
    if not (col.headers or col.join or col.value is not None or col.start):
        problems.append(f"{where}: say where the value comes from (from, join, value or derive)")
    if bool(col.start) != bool(col.plus):
        problems.append(f"{where}: derive needs both start and plus")
    return col


def parse_profile(text: str, source: str) -> Profile:
    try:
        data, lines = load_yaml_lines(text, source)
    except YamlError as e:
        raise ProfileError(str(e)) from None
    problems: list[str] = []

    def at(*loc) -> str:
        line = line_of(lines, loc)
        return f"line {line} ({'.'.join(str(x) for x in loc)})" if line else ".".join(str(x) for x in loc)

    if not isinstance(data, dict):
        raise ProfileError(f"{source}: a profile is a mapping with name, title and tables")
    title = data.get("title") or {}
    if isinstance(title, str):
        title = {"zh": title}
    tables: dict[str, TableMap] = {}
    raw_tables = data.get("tables")
    if not isinstance(raw_tables, dict) or not raw_tables:
        problems.append(f"{at('tables')}: list at least one package table")
        raw_tables = {}
    for tname, tspec in raw_tables.items():
        if tname not in T.TABLES:
            problems.append(f"{at('tables', tname)}: unknown table {tname!r} (tables: {', '.join(T.TABLES)})")
            continue
        table = T.TABLES[tname]
        if not isinstance(tspec, dict) or not isinstance(tspec.get("columns", {}), dict):
            problems.append(f"{at('tables', tname)}: expected files and columns")
            continue
        columns = tuple(
            _column(table, c, spec, at("tables", tname, "columns", c), False, problems)
            for c, spec in (tspec.get("columns") or {}).items()
        )
        metrics_spec = tspec.get("metrics") or {}
        if metrics_spec and tname != "benchmarks":
            problems.append(f"{at('tables', tname, 'metrics')}: metrics are for the benchmarks table only")
        metrics = tuple(
            _column(table, m, spec, at("tables", tname, "metrics", m), True, problems)
            for m, spec in metrics_spec.items()
        )
        for extra in set(tspec) - {"files", "columns", "metrics"}:
            problems.append(f"{at('tables', tname, extra)}: unknown key {extra!r} (files, columns, metrics)")
        tables[tname] = TableMap(
            tname, _strings(tspec.get("files"), at("tables", tname, "files"), problems), columns, metrics
        )
    if problems:
        raise ProfileError(f"{source}: " + "; ".join(problems))
    skip = data.get("skip_rows", list(DEFAULT_SKIP))
    return Profile(
        name=str(data.get("name") or source.rsplit(":", 1)[-1]),
        title_zh=str(title.get("zh", "")),
        title_en=str(title.get("en", "")),
        description=str(data.get("description") or "").strip(),
        tables=tables,
        skip_rows=tuple(_norm(s) for s in _strings(skip, "skip_rows", problems)),
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
