"""The pages in a real browser (Debian's chromium, headless): a supervisor's day in Chinese, a switch to
English, signing out; and the lockout after five wrong passwords."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from merit.conftest import needs_chromium
from merit.web.tests.conftest import PASSWORD, build_world

SCREENSHOT = Path(os.environ.get("MERIT_SCREENSHOT_DIR", "/tmp")) / "merit-people.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def page(chromium_page):
    build_world()
    return chromium_page


def sign_in(page, base, username, password):
    page.goto(base + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")


def row_ids(page) -> list[str]:
    return page.locator("#people-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.agentId)")


def test_a_supervisor_sees_their_team_in_chinese_then_english(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.locator("h1")).to_have_text("登录")

    sign_in(page, live_server.url, "sup1", PASSWORD)
    expect(page.locator("h1")).to_contain_text("售后一组")
    expect(page.get_by_test_id("who")).to_contain_text("主管")

    page.click("nav.menu >> text=人员")
    expect(page.locator("h1")).to_have_text("人员")
    assert row_ids(page) == ["li", "wang"]
    expect(page.locator("#people-table")).not_to_contain_text("赵强")  # another team's agent

    # the search narrows the list in place (htmx) and keeps the address in step
    page.fill("input[name=q]", "王")
    expect(page.locator("#people-table tbody tr")).to_have_count(1)
    assert row_ids(page) == ["wang"]
    expect(page).to_have_url(re.compile(r"q=%E7%8E%8B"))
    page.fill("input[name=q]", "")
    expect(page.locator("#people-table tbody tr")).to_have_count(2)

    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("People")
    expect(page.get_by_test_id("who")).to_contain_text("Supervisor")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("h1")).to_have_text("Sign in")
    page.goto(live_server.url + "/people/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_five_wrong_passwords_show_the_lockout(page, live_server):
    from playwright.sync_api import expect

    for attempt in range(4):
        sign_in(page, live_server.url, "li", f"wrong-{attempt}")
        expect(page.locator("div.error")).to_be_visible()
    sign_in(page, live_server.url, "li", "wrong-4")
    expect(page.locator("h1")).to_have_text("登录已锁定")
    expect(page.locator("main")).to_contain_text("15 分钟")
    expect(page.locator("main")).to_contain_text("Sign-in locked")

    sign_in(page, live_server.url, "li", PASSWORD)  # the right password does not help now
    expect(page.locator("h1")).to_have_text("登录已锁定")


def test_a_dead_link_leads_back_home(page, live_server, artefacts):
    from playwright.sync_api import expect

    sign_in(page, live_server.url, "li", PASSWORD)
    expect(page.locator("[data-testid=who]")).to_be_visible()
    response = page.goto(live_server.url + "/runs/999999/")  # a run that does not exist
    assert response.status == 404
    expect(page.locator("[data-testid=error-404] h1")).to_have_text("找不到页面")
    expect(page.locator("nav.menu")).to_be_visible()  # the site's menu, not a bare error page
    page.screenshot(path=artefacts / "error-404.png", full_page=True)
    page.click("text=返回首页")
    expect(page).to_have_url(live_server.url + "/")
