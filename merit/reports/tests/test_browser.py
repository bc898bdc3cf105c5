"""The reports page in a real browser (Debian's chromium, headless): HR opens /reports/, downloads the
payroll of March 2026 as XLSX and the file reads back with its totals equal to the money ledger.
Screenshots in artefacts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from merit.conftest import needs_chromium
from merit.discipline.tests.test_browser import sign_in
from merit.ledger import posting as P
from merit.ledger.models import LedgerEntry
from merit.reports.tests.conftest import EVIL_NAMES, PERIOD, build_data
from merit.web.tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_hr_downloads_the_payroll_as_xlsx(page, live_server, artefacts, tmp_path):
    from playwright.sync_api import expect

    build_data(build_world())
    sign_in(page, live_server, "hr", "/reports/")
    expect(page.locator("h1")).to_have_text("报表与导出")
    page.select_option("#id_period", PERIOD)
    page.screenshot(path=artefacts / "reports-1-home.png", full_page=True)
    with page.expect_download() as info:
        page.click("[data-testid=export-payroll]")
    download = info.value
    assert download.suggested_filename == f"payroll-{PERIOD}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    ws = load_workbook(path).active
    assert ws.freeze_panes == "A2"
    assert ws.cell(1, 1).value == "客服编号 agent id"
    names = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, ws.max_row)}
    assert {names[a] for a in EVIL_NAMES} == {"'" + n for n in EVIL_NAMES.values()}
    ledger = sum(
        LedgerEntry.objects.filter(book=P.MONEY, period=PERIOD).values_list("amount", flat=True), Decimal(0)
    )
    assert ws.cell(ws.max_row, 1).value == "合计 total"
    assert Decimal(str(ws.cell(ws.max_row, 10).value)) == ledger
