"""Spreadsheet exports: one row per agent, numbers as numbers, formulas never executed."""

import csv
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from merit.engine.export import safe_text, write_csv, write_xlsx

DOC = {
    "periods": [
        {
            "period": "2026-03",
            "agents": [
                {
                    "agent_id": '=HYPERLINK("http://x","click")',
                    "team_id": "T1",
                    "score": "91.50",
                    "grade": "A",
                    "coefficient": "1.20",
                    "bonus": "-1.00",
                    "points": {"opening": "30.00", "closing": "33.00"},
                    "flags": [{"flag": "title"}],
                    "lines": [{"item": "conversion", "points": "100.00"}],
                },
                {
                    "agent_id": "A2",
                    "team_id": "@SUM(A1:A9)",
                    "score": None,
                    "grade": None,
                    "coefficient": None,
                    "bonus": None,
                    "points": None,
                    "flags": [],
                    "lines": [],
                },
            ],
        }
    ]
}


def test_safe_text():
    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("+86 138") == "'+86 138"
    assert safe_text("-x") == "'-x"
    assert safe_text("@cmd") == "'@cmd"
    assert safe_text("李明") == "李明"
    assert safe_text("") == ""


@pytest.mark.parametrize(
    "text",
    ["=1", "+1", "-1", "@A1", "\tx", "\rx", "＝1+1", "＋1", "－1", "＠A1", "﹦1+1", "﹢1", "﹣1", "﹫A1"],
)
def test_every_formula_start_is_escaped_after_nfkc(text):
    # full-width and small forms fold to = + - @ under NFKC; spreadsheet programs read them as formulas
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["NaN", "-inf", "Infinity"])
def test_not_a_number_words_are_text_and_escaped_when_they_look_like_formulas(text):
    from merit.engine.export import _cell_text

    assert _cell_text(text) == safe_text(text)  # "-inf" → "'-inf": it is no number, so it is escaped


def test_csv_is_excel_safe_utf8_with_bom(tmp_path):
    p = tmp_path / "r.csv"
    write_csv(DOC, p)
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["考核期间 period", "客服 agent_id", "团队 team_id"]
    assert rows[0][-1] == "conversion"
    assert rows[1][1].startswith("'=HYPERLINK")
    assert rows[1][3] == "91.50" and rows[1][6] == "-1.00"  # negative numbers stay numbers
    assert rows[1][-1] == "100.00"
    assert rows[2][2] == "'@SUM(A1:A9)"


def test_xlsx_has_no_formulas_and_real_numbers(tmp_path):
    p = tmp_path / "r.xlsx"
    write_xlsx(DOC, p)
    ws = load_workbook(p)["results"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[1][1].startswith("'=HYPERLINK")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert Decimal(str(values[1][3])) == Decimal("91.5")
    assert values[2][2] == "'@SUM(A1:A9)"
