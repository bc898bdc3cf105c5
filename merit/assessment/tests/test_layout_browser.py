"""The layout in a real browser (Debian's chromium, headless): on a 390 px phone no page is wider than the
screen (wide tables scroll inside their own box), status badges never wrap, and at 1366 px the English
menu of HR (the longest) keeps to one line, the pages opened now and then being under "More".
Screenshots in artefacts (var/artefacts/layout-*.png)."""

from __future__ import annotations

import pytest

from merit.assessment.tests.conftest import build_shop
from merit.conftest import needs_chromium

PASSWORD = "layout-pass-1"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


def _signed_in(chromium, base: str, username: str, locale: str, width: int, height: int):
    context = chromium.new_context(locale=locale, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(base + "/")
    return page


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_phone_never_scrolls_the_page_sideways_and_the_english_menu_keeps_to_one_line(
    chromium, live_server, shop_files, artefacts
):
    from playwright.sync_api import expect

    shop = build_shop(shop_files)
    for user in shop.users.values():
        user.set_password(PASSWORD)
        user.save()
    run = shop.publish(shop.run())
    base = live_server.url

    phone = _signed_in(chromium, base, "hr", "zh-CN", 390, 844)
    for path in (
        f"/runs/{run.pk}/",
        "/runs/",
        "/imports/",
        "/people/",
        "/ledger/",
        f"/runs/{run.pk}/teams/T001/2026-03/",
    ):
        phone.goto(base + path)
        assert _page_width(phone) <= 390, (path, _page_width(phone))
    phone.goto(base + f"/runs/{run.pk}/")
    table = phone.locator("#results-table")
    expect(table).to_be_visible()
    # the table is wider than the phone: it scrolls inside its own box
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    phone.screenshot(path=artefacts / "layout-1-results-390px.png", full_page=True)
    badge = phone.locator("#run-state")
    height = badge.evaluate("b => b.getBoundingClientRect().height")
    line = badge.evaluate("b => parseFloat(getComputedStyle(b).lineHeight) || 20")
    assert height < 1.5 * line  # one line

    wide = _signed_in(chromium, base, "hr", "en-US", 1366, 768)
    wide.click("form.lang button[value=en]")
    expect(wide.locator("nav.menu")).to_contain_text("Rewards and penalties")
    links = wide.locator("nav.menu > a, nav.menu > details > summary")
    tops = {round(y) for y in links.evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")}
    wide.screenshot(path=artefacts / "layout-2-menu-en-1366px.png")
    assert len(tops) == 1, tops  # every entry on one line
    wide.click("#menu-more summary")
    expect(wide.locator("#menu-more .more-list")).to_contain_text("Policies")
    wide.screenshot(path=artefacts / "layout-2-menu-en-1366px.png")
    wide.click("#menu-more .more-list >> text=Policies")
    expect(wide.locator("#menu-more summary")).to_have_class("active")
