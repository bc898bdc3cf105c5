"""The procedure in a real browser (Debian's chromium, headless): a supervisor proposes a fine with a
chat screenshot, HR approves, the agent acknowledges the notice and appeals, HR overturns, and the agent
sees the reversal in the ledger. Screenshots of every step go to the artefacts folder."""

from __future__ import annotations

import pytest

from merit.conftest import needs_chromium
from merit.web.tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def page(chromium_page):
    return chromium_page


def sign_in(page, live_server, who: str, path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/?next={path}")
    page.fill("#id_username", who)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")


def test_propose_approve_acknowledge_appeal_overturn(page, live_server, artefacts, tmp_path, settings):
    from playwright.sync_api import expect

    from merit.discipline.models import Proposal

    settings.MEDIA_ROOT = tmp_path / "uploads"
    build_world()
    shot = tmp_path / "chat.png"
    shot.write_bytes(PNG)

    # 1. the supervisor proposes a ¥50 fine for 李明 with a chat screenshot
    sign_in(page, live_server, "sup1", "/discipline/new/")
    expect(page.locator("h1")).to_have_text("新建奖惩提议")
    page.select_option("#id_agent", "li")
    page.select_option("#id_item", "manual:fine")
    page.fill("#id_amount", "50")
    page.fill("#id_facts", "12月3日对顾客使用不文明用语（见聊天截图）")
    page.fill("#id_reason", "违反客服服务规范")
    page.set_input_files("#id_evidence", str(shot))
    page.screenshot(path=artefacts / "discipline-1-propose.png", full_page=True)
    page.click("#proposal-form button[type=submit]")
    expect(page.locator("[data-testid=state]")).to_have_text("待人事审核")
    p = Proposal.objects.get()
    assert p.evidence.count() == 1

    # 2. HR approves: the notice is issued
    sign_in(page, live_server, "hr", f"/discipline/{p.pk}/")
    page.fill("#id_note", "事实清楚，同意处罚")
    page.click("[data-testid=review]")
    expect(page.locator("[data-testid=state]")).to_have_text("已批准，处罚单已签发")
    page.screenshot(path=artefacts / "discipline-2-approved.png", full_page=True)

    # 3. the agent opens the notice from the inbox and acknowledges it
    sign_in(page, live_server, "li", "/inbox/")
    page.click("#notifications tr[data-kind='notice.acknowledge'] button")
    expect(page.locator("[data-testid=amount]")).to_contain_text("50.00")
    page.screenshot(path=artefacts / "discipline-3-notice.png", full_page=True)
    page.click("[data-testid=acknowledge]")
    expect(page.locator("[data-testid=state]")).to_have_text("本人已签收")

    # 4. … and appeals it
    page.click("[data-testid=appeal]")
    page.fill("#id_reason", "聊天记录被断章取义，顾客先辱骂在先，请复核完整记录")
    page.click("[data-testid=file-appeal]")
    expect(page.locator("[data-testid=state]")).to_have_text("待答复")
    page.screenshot(path=artefacts / "discipline-4-appeal.png", full_page=True)
    appeal_url = page.url

    # 5. HR overturns the fine
    sign_in(page, live_server, "hr", appeal_url.removeprefix(live_server.url))
    page.check("input[name=outcome][value=overturned]")
    page.fill("#id_answer", "复核完整聊天记录，顾客先行辱骂，撤销处罚")
    page.click("[data-testid=answer]")
    expect(page.locator("[data-testid=outcome]")).to_have_text("撤销原决定")
    page.screenshot(path=artefacts / "discipline-5-overturned.png", full_page=True)

    # 6. the agent sees the reversal: the fine and its reversal in the ledger, money back to 0.00
    sign_in(page, live_server, "li", appeal_url.removeprefix(live_server.url))
    expect(page.locator("[data-testid=reversal]")).to_be_visible()
    page.goto(f"{live_server.url}/ledger/agents/li/")
    expect(page.locator("code", has_text="appeal:")).to_have_count(1)
    expect(page.locator("code", has_text="notice:")).to_have_count(1)
    expect(page.locator("#balance")).to_contain_text("0.00")
    page.screenshot(path=artefacts / "discipline-6-ledger.png", full_page=True)
