"""Real upload files for the import tests, built as bytes: CSV (UTF-8, BOM, GBK), zips and workbooks."""

from __future__ import annotations

import csv
import io
import zipfile

from merit.engine import tables as T

AGENTS = ("li", "wang")  # team T1 of the test world


def csv_bytes(header: list[str], rows: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode(encoding)


def table_csv(name: str, rows: list[dict], encoding: str = "utf-8") -> bytes:
    cols = list(T.TABLES[name].column_names)
    return csv_bytes(cols, [[r.get(c) for c in cols] for r in rows], encoding)


def ticket(i: int, agent: str | None = None, **kw) -> dict:
    """Ticket i of March 2026 (numbered from 1): created in working hours, resolved two hours later."""
    day = 1 + (i % 28)
    hour = 9 + (i % 8)
    row = {
        "ticket_id": f"TK{i:05d}",
        "agent_id": agent or AGENTS[i % len(AGENTS)],
        "kind": ("refund", "return", "exchange", "logistics")[i % 4],
        "channel": "chat",
        "created_at": f"2026-03-{day:02d}T{hour:02d}:00:00",
        "resolved_at": f"2026-03-{day:02d}T{hour + 2:02d}:00:00",
        "reopened": "false",
        "transfers": str(i % 3),
    }
    row.update(kw)
    return row


def rating(i: int, **kw) -> dict:
    row = {
        "rating_id": f"RT{i:05d}",
        "agent_id": AGENTS[i % len(AGENTS)],
        "at": f"2026-03-{1 + i % 28:02d}T12:00:00",
        "score": str(1 + i % 5),
        "source": "survey",
    }
    row.update(kw)
    return row


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A ZIP archive whose bytes depend only on its members (a fixed time stamp), so the same
    tables packed twice are the same file to the importer's hash."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An XLSX workbook: sheet name → rows (the first row is the header)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
