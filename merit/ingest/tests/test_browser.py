"""The import pages in a real browser (Debian's chromium, headless): upload, the progress bar polling
while the import is checked, the preview of what would be new and what would change, its confirmation
and the report. Screenshots in artefacts (var/artefacts/import-*.png)."""

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


def test_upload_preview_confirm_and_watch_the_report(page, live_server, tmp_path, artefacts):
    from playwright.sync_api import expect

    from merit.facts.models import Ticket
    from merit.ingest.actions import run_import, submit_import
    from merit.ingest.models import Import

    world = build_world()
    hr = world.users["hr"]
    hr.set_password(PASSWORD)
    hr.save()
    # tickets 1–30 are in merit already
    run_import(
        submit_import(hr, [("tickets.csv", table_csv("tickets", [ticket(i) for i in range(1, 31)]))]).pk
    )
    page.goto(live_server.url + "/login/?next=/imports/new/")
    page.fill("#id_username", "hr")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")  # sign in
    expect(page.locator("h1")).to_have_text("上传数据包")

    # the new file: tickets 1–40, ticket 5 now came by phone
    rows = [ticket(i, channel="phone") if i == 5 else ticket(i) for i in range(1, 41)]
    upload = tmp_path / "tickets.csv"
    upload.write_bytes(table_csv("tickets", rows))
    page.set_input_files("input[type=file]", str(upload))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "queued")
    expect(page.locator("#import-state")).to_have_text("排队中")

    imp = Import.objects.latest("pk")
    run_import(imp.pk)  # what the worker does; the page polls every second meanwhile
    expect(page.locator("#import-state")).to_have_text("预览：待确认", timeout=5_000)
    expect(page.locator("#summary tr[data-table=tickets] td.inserted")).to_have_text("10")
    expect(page.locator("#summary tr[data-table=tickets] td.updated")).to_have_text("1")
    change = page.locator("#changes tr[data-table=tickets]")
    expect(change).to_have_count(1)
    expect(change.locator("td").nth(1)).to_have_text("TK00005")
    expect(change.locator("td.before")).to_have_text("chat")
    expect(change.locator("td.after")).to_have_text("phone")
    page.screenshot(path=artefacts / "import-1-preview.png", full_page=True)
    assert Ticket.objects.count() == 30  # a preview changes nothing
    assert Ticket.objects.get(ticket_id="TK00005").channel == "chat"

    page.click("#confirm-import")
    expect(page.locator("#import-state")).to_have_text("排队中")
    run_import(imp.pk)  # the worker applies it
    expect(page.locator("#import-state")).to_have_text("已导入", timeout=5_000)
    expect(page.locator("#summary tr[data-table=tickets] td.inserted")).to_have_text("10")
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "succeeded")
    page.screenshot(path=artefacts / "import-2-applied.png", full_page=True)
    assert Ticket.objects.count() == 40
    assert Ticket.objects.get(ticket_id="TK00005").channel == "phone"


def test_a_supervisor_enters_the_team_s_scores_and_an_incident(page, live_server, tmp_path, artefacts):
    from playwright.sync_api import expect

    from merit.facts.models import Incident, ManualScore
    from merit.policies.actions import ensure_presets

    world = build_world()
    ensure_presets()
    sup1 = world.users["sup1"]
    sup1.set_password(PASSWORD)
    sup1.save()
    page.goto(live_server.url + "/login/?next=/imports/")
    page.fill("#id_username", "sup1")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")  # sign in
    page.click("#enter-scores")
    page.fill("#scores-filter input[name=period]", "2026-03")
    page.select_option("#scores-filter select[name=policy]", "S5")
    page.click("#scores-filter button[type=submit]")
    grid = page.locator("#scores-grid")
    expect(grid.locator("tbody tr")).to_have_count(2)  # li and wang: sup1's team only
    expect(grid.locator("th[data-item=communication]")).to_contain_text("沟通能力")

    page.fill("input[name=s__li__communication]", "12")  # above the item's maximum 10
    page.fill("input[name=s__wang__attitude]", "9")
    page.click("#save-scores")
    expect(page.locator("#score-errors")).to_contain_text(
        "李明 (li) · 沟通能力 (communication)：12 高于上限 10"
    )
    assert ManualScore.objects.count() == 0
    page.screenshot(path=artefacts / "entry-1-scores-refused.png", full_page=True)

    page.fill("input[name=s__li__communication]", "8.5")
    page.fill("input[name=s__li__teamwork]", "7")
    page.click("#save-scores")
    expect(page.locator(".messages")).to_contain_text("新增 3")
    expect(page.locator("input[name=s__li__communication]")).to_have_value("8.5")
    page.screenshot(path=artefacts / "entry-2-scores-saved.png", full_page=True)
    assert ManualScore.objects.filter(period="2026-03").count() == 3

    page.click("text=登记奖惩事件")
    page.select_option("#id_agent", "wang")
    page.select_option("#id_kind", "error.order")
    page.fill("#id_at", "2026-03-18T11:20")
    page.fill("#id_note", "整单错发颜色，客户退货")
    evidence = tmp_path / "订单截图.png"
    evidence.write_bytes(b"\x89PNG not really")
    page.set_input_files("#id_evidence", str(evidence))
    page.click("#record-incident")
    row = page.locator("#recent-incidents tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("整单错发颜色，客户退货")
    expect(row.locator("a")).to_have_text("订单截图.png")
    page.screenshot(path=artefacts / "entry-3-incident.png", full_page=True)
    assert Incident.objects.get().kind == "error.order"
