"""The import pages in a real browser (Debian's chromium, headless): upload, the progress bar polling
while the import is queued, the report appearing when it is done."""

from __future__ import annotations

import pytest

from merit.conftest import needs_chromium
from merit.ingest.tests.conftest import build_world
from merit.ingest.tests.files import table_csv, ticket

PASSWORD = "Imp0rt-qa-2026"  # noqa: S105 — a test account only

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_upload_then_watch_the_progress_bar_turn_into_the_report(page, live_server, tmp_path):
    from playwright.sync_api import expect

    from merit.ingest.actions import run_import
    from merit.ingest.models import Import

    world = build_world()
    hr = world.users["hr"]
    hr.set_password(PASSWORD)
    hr.save()
    page.goto(live_server.url + "/login/?next=/imports/new/")
    page.fill("#id_username", "hr")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")  # sign in
    expect(page.locator("h1")).to_have_text("上传数据包")

    upload = tmp_path / "tickets.csv"
    upload.write_bytes(table_csv("tickets", [ticket(i) for i in range(1, 31)]))
    page.set_input_files("input[type=file]", str(upload))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "queued")
    expect(page.locator("#import-state")).to_have_text("排队中")

    run_import(Import.objects.get().pk)  # what the worker does; the page polls every second meanwhile
    expect(page.locator("#import-state")).to_have_text("已导入", timeout=5_000)
    expect(page.locator("#summary tr[data-table=tickets] td.inserted")).to_have_text("30")
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "succeeded")
