"""Writing a table as XLSX or CSV. Framework-light: no Django, no database; a table is columns and rows.

XLSX: a bold, frozen header row of Chinese column names, widths from the names and the values, numbers
as numbers (``0.00`` for money and scores), a bold totals row when the table has one. CSV: UTF-8 with
BOM and CRLF, like merit.engine.export.write_csv (Excel on Chinese Windows opens it correctly).

Every text cell goes through :func:`merit.engine.export.safe_text`, the one escaping function: a text
that a spreadsheet would read as a formula (= + - @, their full-width forms, a tab, a carriage return)
gets a leading apostrophe. openpyxl stores a string starting with "=" as a formula, so the escaping comes
before the cell is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from merit.engine.export import safe_text

TEXT = "text"
MONEY = "money"  # 2 places, "0.00": amounts, scores, coefficients, points
INT = "int"

NUMBER_FORMATS = {MONEY: "0.00", INT: "0"}
PROGRESS_EVERY = 500  # rows between two progress reports
MIN_WIDTH, MAX_WIDTH = 8, 50
WIDTH_SAMPLE = 2000  # rows read to size the columns

Progress = Callable[[float], None]  # the share of rows written, 0…1


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # Chinese first: "客服编号 agent id"
    kind: str = TEXT


@dataclass
class Table:
    title: str  # the sheet's name (31 characters at most in XLSX)
    columns: list[Column]
    rows: list[list] = field(default_factory=list)  # values in the order of ``columns``
    totals: list | None = None  # a last row, in bold

    def all_rows(self) -> list[list]:
        return self.rows + ([self.totals] if self.totals is not None else [])


def _number(value) -> int | Decimal | None:
    """A Decimal or int for a number column; None for an empty cell or a text that is no number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def cell_value(value, kind: str):
    """What goes into a cell: numbers as numbers, everything else as escaped text."""
    if value is None:
        return None
    if kind != TEXT:
        number = _number(value)
        if number is not None:
            return number
    return safe_text(str(value))


def _display_width(text: str) -> int:
    """Characters as Excel's column units: a CJK (wide) character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def widths(table: Table) -> list[int]:
    out = []
    for i, col in enumerate(table.columns):
        longest = _display_width(col.title)
        for row in table.all_rows()[:WIDTH_SAMPLE]:
            v = row[i]
            if v is not None:
                longest = max(longest, _display_width(str(v)))
        out.append(max(MIN_WIDTH, min(MAX_WIDTH, longest + 2)))
    return out


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and total and done % PROGRESS_EVERY == 0:
        progress(done / total)


def write_xlsx(table: Table, progress: Progress | None = None) -> bytes:
    """The table as an XLSX workbook (write-only mode: rows are streamed, memory stays flat)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(table.title))
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths(table), start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8ECF2")
    header = []
    for col in table.columns:
        c = WriteOnlyCell(ws, value=safe_text(col.title))
        c.font, c.fill, c.alignment = bold, fill, Alignment(vertical="center")
        header.append(c)
    ws.append(header)

    def cells(row: Sequence, font=None) -> list:
        out = []
        for col, v in zip(table.columns, row, strict=True):
            c = WriteOnlyCell(ws, value=cell_value(v, col.kind))
            if col.kind in NUMBER_FORMATS:
                c.number_format = NUMBER_FORMATS[col.kind]
            if font is not None:
                c.font = font
            out.append(c)
        return out

    total = len(table.rows)
    for n, row in enumerate(table.rows, start=1):
        ws.append(cells(row))
        _report(progress, n, total)
    if table.totals is not None:
        ws.append(cells(table.totals, bold))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_text(value, kind: str) -> str:
    v = cell_value(value, kind)
    return "" if v is None else str(v)


def write_csv(table: Table, progress: Progress | None = None) -> bytes:
    """The table as CSV: UTF-8 with BOM, CRLF line ends, the header row first."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([safe_text(col.title) for col in table.columns])
    total = len(table.rows)
    for n, row in enumerate(table.all_rows(), start=1):
        w.writerow([_csv_text(v, col.kind) for col, v in zip(table.columns, row, strict=True)])
        _report(progress, n, total)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


WRITERS = {"xlsx": write_xlsx, "csv": write_csv}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "export"
