"""The points shop in a real browser (Debian's chromium, headless): the agent redeems a prize from their
balance, HR hands it over, the agent sees it fulfilled and the points gone. Screenshots in artefacts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from merit.conftest import needs_chromium
from merit.discipline.tests.test_browser import sign_in
from merit.ledger import posting as P
from merit.ledger.procedure import Movement, post
from merit.web.tests.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_redeem_then_hr_hands_it_over(page, live_server, artefacts):
    from playwright.sync_api import expect

    from merit.shop.models import Prize

    world = build_world()
    post([Movement("li", P.POINTS, P.OPENING, Decimal("100"), "2026-12", "opening")], "proposal:1", None)
    card = Prize.objects.create(
        name_zh="京东购物卡 100 元", name_en="JD gift card", points=60, stock=3, created_by=world.users["hr"]
    )
    Prize.objects.create(name_zh="蓝牙耳机", name_en="Earphones", points=200, created_by=world.users["hr"])

    sign_in(page, live_server, "li", "/shop/")
    expect(page.locator("[data-testid=balance]")).to_have_text("100.00")
    page.screenshot(path=artefacts / "shop-1-catalogue.png", full_page=True)
    page.click(f"[data-testid=redeem-{card.pk}]")
    expect(page.locator("[data-testid=balance]")).to_have_text("40.00")
    expect(page.locator("#orders tr[data-state=placed]")).to_have_count(1)

    sign_in(page, live_server, "hr", "/shop/orders/")
    page.locator("#queue input[name=note]").fill("12月6日当面发放")
    page.click("#queue button[data-testid^=fulfil]")
    expect(page.locator(".messages")).to_contain_text("已保存")
    page.screenshot(path=artefacts / "shop-2-queue.png", full_page=True)

    sign_in(page, live_server, "li", "/shop/")
    expect(page.locator("#orders tr[data-state=fulfilled]")).to_have_count(1)
    expect(page.locator("#orders")).to_contain_text("已发放")
    page.screenshot(path=artefacts / "shop-3-fulfilled.png", full_page=True)
