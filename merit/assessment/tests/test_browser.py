"""A month's review in a real browser (Debian's chromium, headless): HR requests a run and watches its
progress until the page reloads by itself, submits it; the submitter is told they cannot approve it; an
admin approves and publishes it; the agent reads their month with every explanation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from merit.assessment import actions
from merit.assessment.models import Run, RunState
from merit.assessment.tests.conftest import MONTH, build_shop
from merit.conftest import needs_chromium

SCREENSHOTS = Path(os.environ.get("MERIT_SCREENSHOT_DIR", "/tmp"))
PASSWORD = "browser-pass-1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def browser(chromium):
    return chromium


def signed_in(browser, base: str, username: str):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/$"))
    return page


def test_a_month_is_requested_reviewed_by_two_people_published_and_read_by_the_agent(
    browser, live_server, shop_files
):
    from playwright.sync_api import expect

    shop = build_shop(shop_files)
    for user in shop.users.values():
        user.set_password(PASSWORD)
        user.save()
    base = live_server.url

    hr = signed_in(browser, base, "hr")
    hr.click("nav.menu >> text=考核批次")
    hr.select_option("#id_policy_id", "S1")
    hr.fill("#id_first_period", MONTH)
    hr.click("#new-run button[type=submit]")
    expect(hr.locator("#run-state")).to_have_text("排队中")
    expect(hr.locator("#run-progress")).to_have_attribute("hx-trigger", "every 1s")
    run = Run.objects.get()
    actions.compute_run(run.pk)  # the worker; the page notices on its next poll and reloads
    expect(hr.locator("#run-state")).to_have_text("已计算")
    expect(hr.locator("#results-table tbody tr")).to_have_count(30)
    hr.click("#submit-run")
    expect(hr.locator(".messages")).to_contain_text("已提交审批")
    expect(hr.locator("#four-eyes")).to_contain_text("四眼原则")
    expect(hr.locator("#approve-run")).to_have_count(0)

    admin = signed_in(browser, base, "admin")
    admin.goto(f"{base}/runs/{run.pk}/")
    admin.click("#approve-run")
    expect(admin.locator("#run-state")).to_have_text("已审批")
    admin.click("#publish-run")
    expect(admin.locator("#run-state")).to_have_text("已发布")
    admin.screenshot(path=str(SCREENSHOTS / "merit-run.png"), full_page=True)
    assert Run.objects.get().state == RunState.PUBLISHED

    agent = signed_in(browser, base, "a02")
    agent.click("nav.menu >> text=我的考核")
    agent.click(f"#my-results >> text={MONTH}")
    expect(agent.locator("h1")).to_contain_text(MONTH)
    row = run.agent_results.get(agent_id="A00002")
    expect(agent.locator("#bonus")).to_contain_text(row.doc["bonus"])
    expect(agent.locator("#points-closing")).to_have_text(row.doc["points"]["closing"])
    agent.screenshot(path=str(SCREENSHOTS / "merit-agent-month.png"), full_page=True)
