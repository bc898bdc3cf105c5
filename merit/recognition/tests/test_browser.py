"""Excellent employee in a real browser (Debian's chromium, headless): the supervisor opens the vote,
colleagues vote in secret, the vote closes on the top two, department head → HR rating → leader approval,
and the winner sees ¥200 in their ledger. Screenshots in the artefacts folder."""

from __future__ import annotations

import pytest

from merit.conftest import needs_chromium
from merit.discipline.tests.test_browser import sign_in
from merit.web.tests.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_vote_chain_publish_and_the_winner_sees_the_reward(page, live_server, artefacts):
    from django.utils import timezone
    from playwright.sync_api import expect

    from merit.org.models import Agent, Membership
    from merit.recognition.models import Selection

    world = build_world()
    User = type(world.users["li"])
    for i in (1, 2):
        u = User.objects.create_user(f"a{i}", password=PASSWORD)
        Membership.objects.create(user=u, role="agent")
        Agent.objects.create(
            agent_id=f"a{i}", name=f"客服{i}", team=world.teams["T1"], role="after_sales", user=u
        )
    month = timezone.localtime().strftime("%Y-%m")

    sign_in(page, live_server, "sup1", "/recognition/")
    page.fill("#open-form input[name=period]", month)
    page.click("#open-form button[type=submit]")
    expect(page.locator("[data-testid=state]")).to_have_text("投票中")
    page.screenshot(path=artefacts / "recognition-1-opened.png", full_page=True)
    sel = Selection.objects.get()

    for voter in ("li", "a2"):
        sign_in(page, live_server, voter, f"/recognition/{sel.pk}/")
        page.check("#vote-form input[value=a1]")
        page.click("[data-testid=vote]")
        expect(page.locator("[data-testid=voted]")).to_be_visible()
    page.screenshot(path=artefacts / "recognition-2-voted.png", full_page=True)

    sign_in(page, live_server, "sup1", f"/recognition/{sel.pk}/")
    page.click("[data-testid=close]")
    expect(page.locator("#candidates tr[data-agent=a1]")).to_contain_text("2")
    page.click("[data-testid=review]")
    expect(page.locator("[data-testid=state]")).to_have_text("待公司评定")

    sign_in(page, live_server, "hr", f"/recognition/{sel.pk}/")
    page.check("#chain-form input[value=a1]")
    page.fill("#id_note", "投票第一，满意度最高")
    page.click("[data-testid=rate]")
    expect(page.locator("[data-testid=state]")).to_have_text("待领导审批")

    sign_in(page, live_server, "admin", f"/recognition/{sel.pk}/")
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=winner]")).to_contain_text("客服1")
    page.screenshot(path=artefacts / "recognition-3-published.png", full_page=True)

    sign_in(page, live_server, "a1", "/ledger/agents/a1/")
    expect(page.locator("code", has_text="recognition:")).to_have_count(1)
    expect(page.locator("#balance")).to_contain_text("200.00")
    page.screenshot(path=artefacts / "recognition-4-ledger.png", full_page=True)
