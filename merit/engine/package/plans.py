"""How each spec column is typed and checked: one :class:`_ColumnPlan` per column and source type.

Text (CSV, XLSX, text columns of Parquet) is parsed by regular expressions and casts in DuckDB; native
Parquet types take the cheap path (no cast or a plain widening one).

Times: text without a zone is Asia/Shanghai wall time and becomes UTC by subtracting 8 hours (China has
had no daylight-saving time since 1991, so the offset is fixed for every date this system handles); text
with ``Z`` or an offset (``+08:00``) or a zone name is converted exactly. Parquet timestamps: tz-aware are
converted to UTC, naive ones are taken as UTC already (that is what the synthetic generator writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from merit.engine import tables as T
from merit.engine.package.problems import (
    R_NOT_BOOL,
    R_NOT_DATE,
    R_NOT_DECIMAL,
    R_NOT_INT,
    R_NOT_PERIOD,
    R_NOT_TIMESTAMP,
    R_SCALE,
)

TRUE_WORDS = ("true", "1", "yes", "y", "t", "是")
FALSE_WORDS = ("false", "0", "no", "n", "f", "否")


# ---- SQL helpers -------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _num(d: Decimal) -> str:
    return format(d.normalize(), "f")


INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}
INT_TYPES |= {"UBIGINT", "UHUGEINT"}
SMALL_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"}
FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
NAIVE_TS_TYPES = {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}
TZ_TS_TYPES = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}

RE_INT = r"[+-]?[0-9]+(\.0*)?"
RE_DECIMAL = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)"
RE_SCALE = r"\.[0-9]{4}[0-9]*[1-9]"
_DAY = r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"
_TIME = r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
RE_DATE = _DAY + r"([ T]0?0:00(:00(\.0+)?)?)?"  # a date, or midnight of it
RE_PERIOD = r"[0-9]{4}-(0[1-9]|1[0-2])"
RE_LOCAL = f"{_DAY}({_TIME})?"  # no zone: Asia/Shanghai wall time
# With a zone: Z, +08, +0800, +08:00, UTC/GMT or an IANA name (Asia/Shanghai). Abbreviations such as
# CST are refused: ICU reads CST as US Central time, a Chinese user means China Standard Time.
RE_ZONED = (
    f"{_DAY}{_TIME}"
    + r" ?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?|UTC|GMT|[A-Za-z]+/[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)?)"
)
SHANGHAI_OFFSET = "INTERVAL 8 HOUR"  # Asia/Shanghai is UTC+8 all year (no DST since 1991)
# (spec type, source type) pairs read as they are.
NATIVE = {
    (T.ID, "VARCHAR"),
    (T.TEXT, "VARCHAR"),
    (T.INT, "BIGINT"),
    (T.BOOL, "BOOLEAN"),
    (T.TIMESTAMP, "TIMESTAMP"),
    (T.DATE, "DATE"),
}


@dataclass
class _ColumnPlan:
    typed: str  # SQL: the typed value
    empty: str | None  # SQL: the required value is empty (None when the column is optional)
    checks: list[tuple[str, str]]  # (reason, SQL condition over s_i / t_i)


def _from_text(type_: str, r: str) -> tuple[str, list[tuple[str, str]]]:
    """Typed expression and parse checks for a text value ``r`` (SQL; NULL when empty, trimmed)."""
    bad = f"{r} IS NOT NULL AND {{t}} IS NULL"
    if type_ in (T.ID, T.TEXT):
        return r, []
    if type_ == T.INT:
        return f"CASE WHEN regexp_full_match({r}, {_lit(RE_INT)}) THEN TRY_CAST({r} AS BIGINT) END", [
            (R_NOT_INT, bad)
        ]
    if type_ == T.DECIMAL:
        typed = (
            f"CASE WHEN regexp_full_match({r}, {_lit(RE_DECIMAL)}) THEN TRY_CAST({r} AS DECIMAL(18,4)) END"
        )
        scale = f"{{t}} IS NOT NULL AND regexp_matches({r}, {_lit(RE_SCALE)})"
        return typed, [(R_NOT_DECIMAL, bad), (R_SCALE, scale)]
    if type_ == T.BOOL:
        low = f"lower({r})"
        trues = ", ".join(_lit(w) for w in TRUE_WORDS)
        falses = ", ".join(_lit(w) for w in FALSE_WORDS)
        return f"CASE WHEN {low} IN ({trues}) THEN true WHEN {low} IN ({falses}) THEN false END", [
            (R_NOT_BOOL, bad)
        ]
    if type_ == T.DATE:
        return f"CASE WHEN regexp_full_match({r}, {_lit(RE_DATE)}) THEN TRY_CAST({r} AS DATE) END", [
            (R_NOT_DATE, bad)
        ]
    if type_ == T.TIMESTAMP:
        typed = (
            f"CASE WHEN regexp_full_match({r}, {_lit(RE_LOCAL)}) "
            f"THEN TRY_CAST({r} AS TIMESTAMP) - {SHANGHAI_OFFSET} "
            f"WHEN regexp_full_match({r}, {_lit(RE_ZONED)}) "
            f"THEN timezone('UTC', TRY_CAST(regexp_replace({r}, ' ([+-])', '\\1') AS TIMESTAMPTZ)) END"
        )
        return typed, [(R_NOT_TIMESTAMP, bad)]
    if type_ == T.PERIOD:
        return f"CASE WHEN regexp_full_match({r}, {_lit(RE_PERIOD)}) THEN {r} END", [(R_NOT_PERIOD, bad)]
    raise ValueError(f"unknown column type {type_!r}")


def _plan_column(col: T.Column, s: str, src_type: str, normalized: bool) -> _ColumnPlan:
    """How one spec column is typed and checked, given its source column ``s`` (SQL) of ``src_type``.

    ``normalized`` sources (CSV, XLSX) hold trimmed text with empty cells as NULL already.
    """
    st = src_type.upper()
    text = st == "VARCHAR"
    if normalized:
        r, empty = s, f"{s} IS NULL"
    elif text:
        r, empty = f"NULLIF(trim({s}), '')", f"({s} IS NULL OR trim({s}) = '')"
    else:
        r, empty = f"CAST({s} AS VARCHAR)", f"{s} IS NULL"
    checks: list[tuple[str, str]] = []
    ty = col.type
    # Native Parquet types take the cheap path (no cast or a plain one, no text parsing).
    if (ty, st) in NATIVE:
        typed = s
    elif ty == T.INT and st in SMALL_INT_TYPES:
        typed = f"CAST({s} AS BIGINT)"  # widening: cannot fail
    elif ty == T.INT and st in INT_TYPES:
        typed = f"TRY_CAST({s} AS BIGINT)"
        checks = [(R_NOT_INT, f"{s} IS NOT NULL AND {{t}} IS NULL")]
    elif ty == T.INT and (st in FLOAT_TYPES or st.startswith("DECIMAL")):
        typed = f"CASE WHEN {s} = trunc({s}) THEN TRY_CAST({s} AS BIGINT) END"
        checks = [(R_NOT_INT, f"{s} IS NOT NULL AND {{t}} IS NULL")]
    elif ty == T.DECIMAL and _fits_decimal(st):
        typed = f"CAST({s} AS DECIMAL(18,4))"  # widening: cannot fail
    elif ty == T.DECIMAL and (st in INT_TYPES or st in FLOAT_TYPES or st.startswith("DECIMAL")):
        typed = f"TRY_CAST({s} AS DECIMAL(18,4))"
        checks = [(R_NOT_DECIMAL, f"{s} IS NOT NULL AND {{t}} IS NULL")]
        if st.startswith("DECIMAL") and _decimal_scale(st) > 4:
            checks.append((R_SCALE, f"{{t}} IS NOT NULL AND {s} <> {{t}}"))
    elif ty == T.BOOL and st in INT_TYPES:
        typed = f"CASE WHEN {s} = 1 THEN true WHEN {s} = 0 THEN false END"
        checks = [(R_NOT_BOOL, f"{s} IS NOT NULL AND {{t}} IS NULL")]
    elif ty == T.TIMESTAMP and (st in NAIVE_TS_TYPES or st == "DATE"):
        typed = f"CAST({s} AS TIMESTAMP)"  # naive Parquet timestamps are UTC already
    elif ty == T.TIMESTAMP and st in TZ_TS_TYPES:
        typed = f"timezone('UTC', {s})"
    elif ty == T.PERIOD and (st == "DATE" or st in NAIVE_TS_TYPES):
        typed = f"strftime({s}, '%Y-%m')"
    elif ty in (T.ID, T.TEXT):
        typed = r
    else:
        typed, checks = _from_text(ty, r)
    return _ColumnPlan(typed, empty if col.required else None, checks)


def _decimal_scale(type_sql: str) -> int:
    try:
        return int(type_sql.split(",")[1].rstrip(")").strip())
    except (IndexError, ValueError):
        return 0


def _fits_decimal(type_sql: str) -> bool:
    """Does every value of this DuckDB type fit DECIMAL(18,4) exactly?"""
    if type_sql in SMALL_INT_TYPES:
        return True
    if not type_sql.startswith("DECIMAL("):
        return False
    precision = int(type_sql[8:].split(",")[0])
    scale = _decimal_scale(type_sql)
    return scale <= 4 and precision - scale <= 14


def _range_reason(col: T.Column) -> str:
    if col.min is not None and col.max is not None:
        return f"must be between {_num(col.min)} and {_num(col.max)}"
    if col.min is not None:
        return f"must be >= {_num(col.min)}"
    return f"must be <= {_num(col.max)}"
