"""The desk in a real browser (Debian's chromium, headless): a supervisor opens a case that goes to an
agent; the agent sees it in their queue with its first-response clock, reveals the contact (the
supervisor cannot), replies, resolves and closes it; the customer answers the survey without signing in."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password

from merit.api.tests.conftest import build_world
from merit.conftest import needs_chromium
from merit.tickets.models import Case, Survey
from merit.tickets.survey import survey_path

PASSWORD = "browser-pass-1"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


def signed_in(browser, base: str, username: str):
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/$"))
    return page


def test_a_case_from_opening_to_the_customers_answer(live_server, chromium):
    world = build_world()
    for user in world.users.values():
        user.password = make_password(PASSWORD)
        user.save()
    base = live_server.url
    sup = signed_in(chromium, base, "sup1")
    sup.goto(base + "/desk/new/")
    sup.select_option("#id_kind", "refund")
    sup.select_option("#id_priority", "high")
    sup.fill("#id_subject", "退款三天未到账")
    sup.fill("#id_customer_contact", "13812345678")
    sup.click("#case-form button[type=submit]")
    sup.wait_for_url(re.compile(r"/desk/D\d{8}/$"))
    case = Case.objects.get(subject="退款三天未到账")
    assert sup.locator("#contact").inner_text() == "138****5678"
    assert sup.locator("#reveal").count() == 0  # a supervisor does not see the full number
    holder = case.assignee.agent_id

    agent = signed_in(chromium, base, holder)
    agent.goto(base + "/desk/")
    row = agent.locator(f"tr[data-case='{case.ticket_id}']")
    assert row.count() == 1 and row.locator("[data-sla]").first.get_attribute("data-sla") in {
        "ok",
        "near",
        "breached",
    }
    row.locator("a").first.click()
    agent.click("#reveal")
    agent.wait_for_function("document.getElementById('contact').textContent === '13812345678'")
    agent.fill("#reply-text", "您好，已为您加急处理")
    agent.click("#reply-form button")
    agent.wait_for_selector("#sla-first [data-sla='met'], #sla-first [data-sla='breached']")
    agent.fill("#resolve-text", "已原路退款")
    agent.click("#resolve-form button")
    agent.click("#close-form button")
    assert agent.locator("#case-status").inner_text().startswith("已关闭")
    agent.screenshot(path="/tmp/merit-desk-case.png", full_page=True)

    case.refresh_from_db()
    customer = chromium.new_context(locale="zh-CN").new_page()
    customer.goto(base + survey_path(case))
    customer.check("input[name=score][value='5']")
    customer.click("#survey button[type=submit]")
    assert customer.locator("#thanks").count() == 1
    survey = Survey.objects.get(case=case)
    assert (survey.score, survey.agent.agent_id) == (5, holder)
