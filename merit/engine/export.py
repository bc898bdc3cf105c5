"""Spreadsheet exports of a results document: one row per agent and period (CSV or XLSX).

Cells are safe to open in Excel or WPS: a text cell that a spreadsheet would read as a formula
(starting with = + - @, their full-width forms, a tab or a carriage return) is written with a leading apostrophe, so an agent
name or note such as ``=HYPERLINK(...)`` stays text (OWASP "CSV injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

from merit.engine.results import write_atomic

COLUMNS = [
    ("period", "考核期间"),
    ("agent_id", "客服"),
    ("team_id", "团队"),
    ("score", "得分"),
    ("grade", "等级"),
    ("coefficient", "系数"),
    ("bonus", "奖金"),
    ("points_opening", "期初积分"),
    ("points_closing", "期末积分"),
    ("flags", "标记"),
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text that no spreadsheet evaluates as a formula: the one escaping function of every CSV and XLSX
    the product writes. A text whose first character, after Unicode NFKC normalisation, is = + - @, a
    tab or a carriage return gets a leading apostrophe; so do the full-width ＝ ＋ － ＠ and the small
    ﹦ ﹢ ﹣ ﹫, which NFKC folds to those and which spreadsheet programs in China read as formulas too."""
    if not value:
        return value
    first = unicodedata.normalize("NFKC", value[0])
    return "'" + value if first.startswith(_FORMULA_START) else value


def rows(doc: dict) -> list[dict]:
    out = []
    for period in doc["periods"]:
        items = [line["item"] for line in (period["agents"][0]["lines"] if period["agents"] else [])]
        for a in period["agents"]:
            pts = a.get("points") or {}
            row = {
                "period": period["period"],
                "agent_id": a["agent_id"],
                "team_id": a["team_id"],
                "score": a.get("score"),
                "grade": a.get("grade"),
                "coefficient": a.get("coefficient"),
                "bonus": a.get("bonus"),
                "points_opening": pts.get("opening"),
                "points_closing": pts.get("closing"),
                "flags": ", ".join(sorted({f["flag"] for f in a["flags"]})),
            }
            lines = {line["item"]: line["points"] for line in a["lines"]}
            for it in items:
                row[f"item.{it}"] = lines.get(it)
            out.append(row)
    return out


def _headers(rows_: list[dict]) -> list[tuple[str, str]]:
    extra = []
    for r in rows_:
        for k in r:
            if k.startswith("item.") and k not in extra:
                extra.append(k)
    return [(k, f"{zh} {k}") for k, zh in COLUMNS] + [(k, k.removeprefix("item.")) for k in extra]


def _cell_text(v) -> str:
    if v is None:
        return ""
    if _is_number(v):
        return str(v)
    return safe_text(str(v))


def _is_number(v) -> bool:
    if isinstance(v, int | Decimal):
        return True
    if isinstance(v, str):
        try:
            finite = Decimal(v).is_finite()  # "NaN", "-inf" are text, not numbers
            return finite and v.strip() == v and v != "" and not v.startswith("+")
        except InvalidOperation:
            return False
    return False


def write_csv(doc: dict, path: Path) -> None:
    """UTF-8 with BOM, so that Excel on Chinese Windows opens it with the right encoding."""
    rs = rows(doc)
    headers = _headers(rs)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([title for _, title in headers])
    for r in rs:
        w.writerow([_cell_text(r.get(k)) for k, _ in headers])
    write_atomic(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))


def write_xlsx(doc: dict, path: Path) -> None:
    from openpyxl import Workbook

    rs = rows(doc)
    headers = _headers(rs)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("results")
    ws.append([title for _, title in headers])
    for r in rs:
        cells = []
        for k, _ in headers:
            v = r.get(k)
            if v is None:
                cells.append(None)
            elif _is_number(v):
                cells.append(Decimal(str(v)))
            else:
                # openpyxl stores a string starting with "=" as a formula: make it text first.
                cells.append(safe_text(str(v)))
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(path, buf.getvalue())
