"""The editor in a real browser (Debian's chromium, headless): the check button marks the problem's line
without saving, a correct text saves as the next version and the diff shows the change."""

from __future__ import annotations

import pytest

from merit.conftest import needs_chromium
from merit.policies.actions import ensure_presets
from merit.policies.models import PolicyVersion
from merit.policies.tests.conftest import S5_BROKEN, S5_BROKEN_LINE, S5_EDITED, S5_EDITED_LINE, build_world

PASSWORD = "P0licy-qa-2026"  # noqa: S105 — a test account only

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_check_then_save_a_new_version(page, live_server):
    from playwright.sync_api import expect

    world = build_world()
    ensure_presets()
    hr = world.users["hr"]
    hr.set_password(PASSWORD)
    hr.save()
    page.goto(live_server.url + "/login/?next=/policies/S5/edit/")
    page.fill("#id_username", "hr")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("S5 的新版本")

    page.fill("#id_text", S5_BROKEN)
    page.click("#validate")
    expect(page.locator("#problems")).to_contain_text(f"第 {S5_BROKEN_LINE} 行")
    expect(page.locator(f"#L{S5_BROKEN_LINE}")).to_have_class("bad")
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 1

    page.fill("#id_text", S5_EDITED)
    page.click("#validate")
    expect(page.locator("#valid")).to_be_visible()
    page.fill("#id_note", "争议率步长改为 0.2 个百分点")
    page.click("#save")
    expect(page.locator("h1")).to_have_text("S5 的修改：v1 → v2")
    expect(page.locator("#diff tr.added td.code")).to_have_text(["    value: 0.002"])
    expect(page.locator("#diff tr.added td.no").nth(1)).to_have_text(str(S5_EDITED_LINE))
    assert PolicyVersion.objects.get(policy_id="S5", version=2).note == "争议率步长改为 0.2 个百分点"
