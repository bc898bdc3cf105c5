"""The table writer alone (no database): escaping, numbers, header, widths, CSV encoding."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from merit.reports.xlsx import INT, MONEY, Column, Table, cell_value, widths, write_csv, write_xlsx

FORMULAS = ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "＝1+1", "＋1", "－1", "＠A1", "\tx", "\rx"]


def table() -> Table:
    cols = [Column("name", "姓名 name"), Column("amount", "金额 amount", MONEY), Column("n", "数 n", INT)]
    rows = [[f, Decimal("-30.00"), 3] for f in FORMULAS] + [["李明", "12.5", None]]
    return Table("测试 test", cols, rows, totals=["合计 total", Decimal("-300.00"), 30])


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_looks_like_a_formula_gets_an_apostrophe(text):
    assert cell_value(text, "text") == "'" + text


def test_numbers_stay_numbers_and_negative_amounts_are_not_escaped():
    assert cell_value(Decimal("-30.00"), MONEY) == Decimal("-30.00")
    assert cell_value("-30.00", MONEY) == Decimal("-30.00")
    assert cell_value("-30.00", "text") == "'-30.00"
    assert cell_value("=1+1", MONEY) == "'=1+1"  # not a number: text, escaped
    assert cell_value("NaN", MONEY) == "NaN"
    assert cell_value(None, MONEY) is None


def test_xlsx_has_a_bold_frozen_chinese_header_and_numbers():
    wb = load_workbook(io.BytesIO(write_xlsx(table())))
    ws = wb.active
    assert ws.title == "测试 test"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["姓名 name", "金额 amount", "数 n"]
    assert all(c.font.b for c in ws[1])
    names = [ws.cell(r, 1).value for r in range(2, 2 + len(FORMULAS))]
    assert names == ["'" + f.replace("\r", "\n") for f in FORMULAS]  # XML keeps no bare CR
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 2 + len(FORMULAS)))
    amount = ws.cell(2, 2)
    assert amount.value == -30 and amount.data_type == "n" and amount.number_format == "0.00"
    assert ws.cell(2 + len(FORMULAS), 2).value == 12.5
    last = ws.max_row
    assert ws.cell(last, 1).value == "合计 total" and ws.cell(last, 1).font.b and ws.cell(last, 3).value == 30
    assert ws.column_dimensions["A"].width >= 10


def test_csv_is_utf8_with_bom_and_crlf():
    data = write_csv(table())
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["姓名 name", "金额 amount", "数 n"]
    assert [r[0] for r in rows[1 : 1 + len(FORMULAS)]] == ["'" + f for f in FORMULAS]
    assert rows[1][1] == "-30.00"
    assert rows[-1] == ["合计 total", "-300.00", "30"]


def test_widths_count_chinese_characters_twice_within_bounds():
    w = widths(Table("t", [Column("a", "客服编号 agent id"), Column("b", "x")], [["y" * 200, "1"]]))
    assert w[0] == 50 and w[1] == 8
