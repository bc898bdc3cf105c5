"""The data package loader: formats, encodings, time zones, and one report of every problem."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from merit.engine import package as pkg
from merit.engine import tables as T
from merit.engine.package import Package, PackageError, Problem, load_package

TEAMS = [["team_id", "name", "lead_agent_id"], ["T1", "售前一组", "li"], ["T2", "售后一组", ""]]
AGENTS = [
    ["agent_id", "name", "team_id", "role", "employment", "hired_on", "base_bonus"],
    ["li", "李雷", "T1", "pre_sales", "regular", "2025-01-02", "1000.50"],
    ["wang", "王芳", "T1", "pre_sales", "probation", "", ""],
    ["zhao", "赵敏", "T2", "after_sales", "", "2024-12-31", "800"],
]
TICKETS = [
    ["ticket_id", "agent_id", "kind", "channel", "created_at", "resolved_at", "reopened", "transfers"],
    ["K1", "li", "refund", "chat", "2026-03-01T00:30:00", "2026-03-01T00:30:00+08:00", "是", "0"],
    ["K2", "wang", "return", "", "2026-03-01 00:30", "2026-03-01T00:30:00Z", "no", "2"],
    ["K3", "zhao", "other", "phone", "2026-03-02", "", "", ""],
]


def write_csv(folder: Path, table: str, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path = folder / f"{table}.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def make_package(folder: Path, **tables: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in {"teams": TEAMS, "agents": AGENTS, **tables}.items():
        if rows is not None:
            write_csv(folder, name, rows)
    return folder


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(PackageError) as info:
        load_package(path)
    return info.value.problems


def rows(package: Package, sql: str) -> list[tuple]:
    return package.con.execute(sql).fetchall()


# ---- formats -----------------------------------------------------------------------------------


def test_clean_csv_package_types_and_utc(tmp_path):
    package = load_package(make_package(tmp_path / "p", tickets=TICKETS))
    assert package.tables_present == {"teams", "agents", "tickets"}
    got = rows(
        package, "SELECT ticket_id, created_at, resolved_at, reopened, transfers, channel FROM tickets"
    )
    assert got == [
        ("K1", datetime(2026, 2, 28, 16, 30), datetime(2026, 2, 28, 16, 30), True, 0, "chat"),
        ("K2", datetime(2026, 2, 28, 16, 30), datetime(2026, 3, 1, 0, 30), False, 2, None),
        ("K3", datetime(2026, 3, 1, 16, 0), None, None, None, "phone"),
    ]
    types = dict(
        rows(
            package,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'agents'",
        )
    )
    assert types == {c.name: T.TYPE_SQL[c.type] for c in T.TABLES["agents"].columns}
    assert rows(package, "SELECT base_bonus, hired_on FROM agents ORDER BY agent_id") == [
        (Decimal("1000.5000"), date(2025, 1, 2)),
        (None, None),
        (Decimal("800.0000"), date(2024, 12, 31)),
    ]
    assert rows(package, "SELECT lead_agent_id FROM teams ORDER BY team_id") == [("li",), (None,)]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "gb18030"])
def test_chinese_encodings(tmp_path, encoding):
    folder = make_package(tmp_path / "p")
    write_csv(folder, "agents", AGENTS, encoding=encoding)
    package = load_package(folder)
    assert rows(package, "SELECT agent_id, name FROM agents ORDER BY agent_id")[0] == ("li", "李雷")
    assert "agent_id" in [c[0] for c in package.con.execute("DESCRIBE agents").fetchall()]  # BOM stripped
    if encoding != "utf-8-sig":
        assert "agents.csv: read as GB18030 (not UTF-8)" in package.notices


def test_xlsx_workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, data in (("teams", TEAMS), ("agents", AGENTS)):
        ws = wb.create_sheet(name)
        for r in data:
            ws.append([v or None for v in r])
    ws = wb.create_sheet("Sales")  # sheet names match case-insensitively
    ws.append(["period", "agent_id", "order_amount", "customers"])
    ws.append([datetime(2026, 3, 1), "li", 1234.5, 10])  # Excel turned "2026-03" into a date
    ws.append(["2026-03", "wang", 0.1 + 0.2, None])  # 0.30000000000000004 is shown as 0.3
    ws = wb.create_sheet("tickets")
    ws.append(["ticket_id", "agent_id", "kind", "created_at", "reopened", "Foo"])
    ws.append(["K1", "li", "refund", datetime(2026, 3, 1, 0, 30), True, "x"])
    ws = wb.create_sheet("incidents")
    ws.append(["incident_id", "agent_id", "at", "kind", "note"])
    ws.append(["I1", "li", "2026-03-01T10:00:00+08:00", "shirking", None])
    ws["E2"].value, ws["E2"].data_type = "=1+1", "s"  # text that looks like a formula stays text
    wb.create_sheet("readme").append(["notes"])
    path = tmp_path / "shop.xlsx"
    wb.save(path)

    for given in (path, tmp_path):  # the workbook, or the folder holding it
        package = load_package(given)
        assert rows(
            package, "SELECT period, agent_id, order_amount, customers FROM sales ORDER BY agent_id"
        ) == [
            ("2026-03", "li", Decimal("1234.5000"), 10),
            ("2026-03", "wang", Decimal("0.3000"), None),
        ]
        assert rows(package, "SELECT created_at, reopened FROM tickets") == [
            (datetime(2026, 2, 28, 16, 30), True)
        ]
        assert "shop.xlsx: sheet 'readme' is not a table, ignored" in package.notices
        assert "shop.xlsx[tickets]: unknown column 'foo' ignored" in package.notices
        assert rows(package, 'SELECT "at", note FROM incidents') == [(datetime(2026, 3, 1, 2, 0), "=1+1")]
        assert package.tables_present == {"teams", "agents", "sales", "tickets", "incidents"}


def test_xlsx_problem_rows_are_sheet_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "teams"
    for r in TEAMS:
        wb.active.append(r)
    ws = wb.create_sheet("agents")
    for r in AGENTS:
        ws.append(r)
    ws.append([])  # a blank row still counts when numbering rows
    ws.append(["qian", "钱", "T9", "pre_sales"])
    wb.save(tmp_path / "book.xlsx")
    assert problems_of(tmp_path / "book.xlsx") == [
        Problem("agents", 6, "team_id", "T9", "unknown team (not in teams)"),
    ]


def test_parquet_package(tmp_path):
    folder = make_package(tmp_path / "p")
    pq.write_table(
        pa.table(
            {
                "rating_id": ["R1", "R2", "R3"],
                "agent_id": ["li", "wang", "li"],
                "at": pa.array([datetime(2026, 3, 1, 1, 0)] * 3, pa.timestamp("us")),  # naive = UTC
                "score": pa.array([Decimal("5"), Decimal("4.5"), Decimal("1")], pa.decimal128(18, 4)),
                "source": ["survey", None, "dsr"],
                "solicited": [True, False, None],
                "extra": [1, 2, 3],
            }
        ),
        folder / "ratings.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "review_id": ["Q1"],
                "agent_id": ["zhao"],
                "at": pa.array(
                    [datetime(2026, 3, 1, 8, 0, tzinfo=UTC)], pa.timestamp("ms", tz="Asia/Shanghai")
                ),
                "score": pa.array([95], pa.int32()),
                "critical_fail": pa.array([0], pa.int8()),
            }
        ),
        folder / "qa_reviews.parquet",
    )
    package = load_package(folder)
    assert rows(package, 'SELECT rating_id, "at", score, source, named_praise, solicited FROM ratings') == [
        ("R1", datetime(2026, 3, 1, 1, 0), Decimal("5.0000"), "survey", None, True),
        ("R2", datetime(2026, 3, 1, 1, 0), Decimal("4.5000"), None, None, False),
        ("R3", datetime(2026, 3, 1, 1, 0), Decimal("1.0000"), "dsr", None, None),
    ]
    assert rows(package, 'SELECT "at", score, critical_fail FROM qa_reviews') == [
        (datetime(2026, 3, 1, 8, 0), Decimal("95.0000"), False)
    ]
    types = dict(
        rows(
            package,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'qa_reviews'",
        )
    )
    assert types == {c.name: T.TYPE_SQL[c.type] for c in T.TABLES["qa_reviews"].columns}
    assert "ratings.parquet: unknown column 'extra' ignored" in package.notices
    kinds = dict(rows(package, "SELECT table_name, table_type FROM information_schema.tables"))
    assert kinds["ratings"] == "VIEW" and kinds["agents"] == "BASE TABLE"


def test_parquet_problems_name_the_data_row(tmp_path):
    folder = make_package(tmp_path / "p")
    pq.write_table(
        pa.table(
            {
                "chat_id": ["C1", "C2", "C3", "C2", None],
                "agent_id": ["li", "nobody", "li", "li", "li"],
                "started_at": [
                    "2026-03-01T10:00:00",
                    "2026-03-01T10:00:00+08:00",
                    "yesterday",
                    "2026-03-01",
                    "2026-03-01",
                ],
                "first_response_s": pa.array([5, -1, 3, 4, 5], pa.int64()),
                "order_amount": pa.array([1.5, 2.0, None, 1.23456, 0.0], pa.float64()),
            }
        ),
        folder / "chats.parquet",
        row_group_size=2,
    )
    assert problems_of(folder) == [
        Problem("chats", 2, "agent_id", "nobody", "unknown agent (not in agents)"),
        Problem("chats", 2, "first_response_s", "-1", "must be >= 0"),
        Problem("chats", 3, "started_at", "yesterday", pkg.R_NOT_TIMESTAMP),
        Problem("chats", 4, "chat_id", "C2", "duplicate key (chat_id) also on row 2"),
        Problem("chats", 5, "chat_id", None, "required value empty"),
    ]


def test_parquet_duplicates_in_unsorted_file(tmp_path):
    folder = make_package(tmp_path / "p")
    pq.write_table(
        pa.table(
            {
                "ticket_id": ["K9", "K1", "K5", "K1"],
                "agent_id": ["li"] * 4,
                "kind": ["other"] * 4,
                "created_at": pa.array([datetime(2026, 3, 1)] * 4, pa.timestamp("us")),
            }
        ),
        folder / "tickets.parquet",
    )
    assert problems_of(folder) == [
        Problem("tickets", 4, "ticket_id", "K1", "duplicate key (ticket_id) also on row 2")
    ]


# ---- problems ----------------------------------------------------------------------------------


def test_exactly_the_three_problems(tmp_path):
    tickets = [r[:] for r in TICKETS]
    tickets[2][4] = "2026-02-30T10:00:00"  # row 3: no such date
    tickets[3][1] = "ghost"  # row 4: unknown agent
    ratings = [["rating_id", "agent_id", "at"], ["R1", "li", "2026-03-01T10:00:00"]]  # no score column
    assert problems_of(make_package(tmp_path / "p", tickets=tickets, ratings=ratings)) == [
        Problem("ratings", None, "score", None, "required column missing"),
        Problem("tickets", 3, "created_at", "2026-02-30T10:00:00", pkg.R_NOT_TIMESTAMP),
        Problem("tickets", 4, "agent_id", "ghost", "unknown agent (not in agents)"),
    ]


def test_each_rule_reports_the_right_row(tmp_path):
    tickets = [
        *TICKETS,
        ["K2", "li", "refund", "", "2026-03-03T09:00:00", "", "", ""],  # row 5: duplicate of row 3
        ["K5", "li", "teleport", "", "2026-03-03T09:00:00", "", "maybe", "-3"],  # row 6
    ]
    ratings = [
        ["rating_id", "agent_id", "at", "score"],
        ["R1", "li", "2026-03-01T10:00:00", "5"],
        ["R2", "li", "2026-03-01T10:00:00", "6"],  # row 3
        ["R3", "li", "2026-03-01T10:00:00", "4.12345"],  # row 4
    ]
    sales = [
        ["period", "agent_id", "order_amount"],
        ["2026-03", "li", "1"],
        ["2026-3", "wang", "2"],
        ["2026-03", "li", "x"],
    ]
    attendance = [["agent_id", "date", "status"], ["li", "2026-03-02", "present"], ["li", "2026/3/2", "late"]]
    folder = make_package(
        tmp_path / "p", tickets=tickets, ratings=ratings, sales=sales, attendance=attendance
    )
    assert problems_of(folder) == [
        Problem(
            "attendance",
            3,
            "agent_id, date",
            "li, 2026-03-02",
            "duplicate key (agent_id, date) also on row 2",
        ),
        Problem("ratings", 3, "score", "6", "must be between 1 and 5"),
        Problem("ratings", 4, "score", "4.12345", "more than 4 decimal places"),
        Problem("sales", 3, "period", "2026-3", "not a period (expected YYYY-MM, e.g. 2026-03)"),
        Problem("sales", 4, "order_amount", "x", "not a number (expected e.g. 12.50)"),
        Problem(
            "sales", 4, "period, agent_id", "2026-03, li", "duplicate key (period, agent_id) also on row 2"
        ),
        Problem("tickets", 5, "ticket_id", "K2", "duplicate key (ticket_id) also on row 3"),
        Problem("tickets", 6, "kind", "teleport", "must be one of: " + ", ".join(T.TICKET_KINDS)),
        Problem("tickets", 6, "reopened", "maybe", pkg.R_NOT_BOOL),
        Problem("tickets", 6, "transfers", "-3", "must be >= 0"),
    ]


def test_empty_required_values_and_references(tmp_path):
    teams = [*TEAMS, ["T3", "", "nobody"]]
    agents = [*AGENTS, ["qian", "钱", "T9", "cloud"], ["", "孙", "T1", "cloud"]]
    problems = problems_of(make_package(tmp_path / "p", teams=teams, agents=agents))
    assert problems == [
        Problem("agents", 5, "team_id", "T9", "unknown team (not in teams)"),
        Problem("agents", 6, "agent_id", None, "required value empty"),
        Problem("teams", 4, "lead_agent_id", "nobody", "unknown agent (not in agents)"),
        Problem("teams", 4, "name", None, "required value empty"),
    ]


def test_problem_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(pkg.problems, "MAX_PROBLEMS", 5)
    tickets = [TICKETS[0]] + [[f"K{i}", "li", "bad", "", "2026-03-01", "", "", "-1"] for i in range(10)]
    problems = problems_of(make_package(tmp_path / "p", tickets=tickets))
    assert len(problems) == 6
    assert [p.row for p in problems[:5]] == [2, 2, 3, 3, 4]
    assert problems[-1] == Problem(pkg.PACKAGE, None, None, None, "… and 15 more problem(s) not listed")


def test_missing_things_are_problems(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [
        Problem(pkg.PACKAGE, None, None, str(tmp_path / "nowhere"), "no such file or folder")
    ]
    folder = tmp_path / "p"
    folder.mkdir()
    write_csv(folder, "agents", AGENTS)
    assert problems_of(folder) == [
        Problem("teams", None, None, None, "required table missing (no file for teams)")
    ]


def test_absent_table_and_unknown_column_are_notices(tmp_path):
    tickets = [[*r, "x"] for r in TICKETS]
    tickets[0][-1] = "Foo"
    package = load_package(make_package(tmp_path / "p", tickets=tickets))
    assert "tickets.csv: unknown column 'foo' ignored" in package.notices
    assert "table exams absent: treated as empty" in package.notices
    assert rows(package, "SELECT count(*) FROM exams") == [(0,)]
    assert [c[0] for c in package.con.execute("DESCRIBE exams").fetchall()] == list(
        T.TABLES["exams"].column_names
    )


def test_input_sha256(tmp_path):
    folder = make_package(tmp_path / "p", tickets=TICKETS)
    first = load_package(folder).input_sha256
    assert load_package(folder).input_sha256 == first
    path = folder / "tickets.csv"
    path.write_bytes(path.read_bytes().replace(b"K3", b"K4"))
    assert load_package(folder).input_sha256 != first


# ---- robustness --------------------------------------------------------------------------------


def test_zip_bomb_workbook_is_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * 100_000)
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")  # declare 3 GB uncompressed in the central directory
    data[central + 24 : central + 28] = struct.pack("<I", 3_000_000_000)
    path.write_bytes(bytes(data))
    [problem] = problems_of(path)
    assert problem.table == pkg.PACKAGE and problem.value == "bomb.xlsx"
    assert problem.reason.startswith("workbook refused: 3000000000 bytes")


def test_not_a_workbook(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    [problem] = problems_of(tmp_path / "x.xlsx")
    assert problem.reason.startswith("not a valid .xlsx workbook")


def test_link_outside_the_folder_is_not_read(tmp_path):
    folder = make_package(tmp_path / "p")
    outside = write_csv(tmp_path, "tickets", TICKETS)
    (folder / "tickets.csv").symlink_to(outside)
    assert problems_of(folder) == [
        Problem(pkg.PACKAGE, None, None, "tickets.csv", "links outside the package folder: not read")
    ]


def test_huge_field_and_formula_text(tmp_path):
    incidents = [
        ["incident_id", "agent_id", "at", "kind", "note"],
        ["I1", "li", "2026-03-01T10:00:00", "complaint.attitude", "长" * 500_000],
        ["I2", "li", "2026-03-01T10:00:00", "error.order", "=cmd|' /C calc'!A0"],
    ]
    package = load_package(make_package(tmp_path / "p", incidents=incidents))
    assert rows(package, "SELECT length(note) FROM incidents") == [(500_000,), (18,)]
    assert rows(package, "SELECT note FROM incidents WHERE incident_id = 'I2'") == [("=cmd|' /C calc'!A0",)]
    too_big = [incidents[0], ["I1", "li", "2026-03-01", "shirking", "x" * (pkg.CSV_FIELD_LIMIT + 1)]]
    [problem] = problems_of(make_package(tmp_path / "q", incidents=too_big))
    assert (problem.table, problem.row) == ("incidents", 2)
    assert problem.reason.startswith("unreadable CSV")


def test_both_csv_and_parquet_for_one_table(tmp_path):
    folder = make_package(tmp_path / "p", tickets=TICKETS)
    pq.write_table(pa.table({"ticket_id": ["K1"]}), folder / "tickets.parquet")
    assert problems_of(folder) == [
        Problem("tickets", None, None, None, "both tickets.csv and tickets.parquet present: keep one")
    ]


def test_error_message_lists_problems(tmp_path):
    tickets = [TICKETS[0], ["K1", "ghost", "refund", "", "2026-03-01", "", "", ""]]
    with pytest.raises(PackageError) as info:
        load_package(make_package(tmp_path / "p", tickets=tickets))
    assert "tickets, row 2, agent_id: unknown agent (not in agents) (value 'ghost')" in str(info.value)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-01T00:30:00", datetime(2026, 2, 28, 16, 30)),
        ("2026-03-01 00:30", datetime(2026, 2, 28, 16, 30)),
        ("2026/3/1 0:30:00", datetime(2026, 2, 28, 16, 30)),
        ("2026-03-01", datetime(2026, 2, 28, 16, 0)),
        ("2026-03-01T00:30:00+08:00", datetime(2026, 2, 28, 16, 30)),
        ("2026-03-01T00:30:00 +0800", datetime(2026, 2, 28, 16, 30)),
        ("2026-03-01T00:30:00Z", datetime(2026, 3, 1, 0, 30)),
        ("2026-03-01T00:30:00 UTC", datetime(2026, 3, 1, 0, 30)),
        ("2026-03-01T00:30:00 Asia/Shanghai", datetime(2026, 2, 28, 16, 30)),
        ("2026-03-01T00:30:00.250-05:00", datetime(2026, 3, 1, 5, 30, 0, 250000)),
        ("2026-03-01T00:30:00 CST", None),  # ambiguous abbreviation: refused
        ("epoch", None),
        ("infinity", None),
        ("01/03/2026 00:30", None),
    ],
)
def test_timestamp_forms(tmp_path, text, utc):
    exams = [["agent_id", "at", "exam", "score"], ["li", text, "rules", "90"]]
    folder = make_package(tmp_path / "p", exams=exams)
    if utc is None:
        assert problems_of(folder) == [Problem("exams", 2, "at", text, pkg.R_NOT_TIMESTAMP)]
    else:
        assert rows(load_package(folder), 'SELECT "at" FROM exams') == [(utc,)]


def test_file_without_required_columns(tmp_path):
    folder = make_package(tmp_path / "p")
    (folder / "incidents.csv").write_text("note\nhello\n")
    (folder / "exams.csv").write_bytes(b"")
    missing = "required column missing"
    assert problems_of(folder) == [
        Problem("exams", None, c, None, missing) for c in ("agent_id", "at", "exam", "score")
    ] + [Problem("incidents", None, c, None, missing) for c in ("agent_id", "at", "incident_id", "kind")]
