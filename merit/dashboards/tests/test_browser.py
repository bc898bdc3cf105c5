"""The dashboards in a real browser (Debian's chromium, headless): the agent's, the supervisor's and HR's
pages draw their charts with ECharts from the JSON endpoints (none fails to load), in Chinese and in
English. Screenshots in artefacts (var/artefacts/dashboards-*.png)."""

from __future__ import annotations

import pytest

from merit.conftest import needs_chromium
from merit.dashboards.tests.conftest import build_shop
from merit.discipline.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]

ALL_SETTLED = "() => [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.state)"


@pytest.fixture
def page(chromium_page, settings):
    # the server runs at the shop's frozen time, the browser at the real one: a session cookie without
    # an expiry date is kept whatever the two clocks say
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    return chromium_page


def charts(page) -> dict[str, str]:
    """Each chart's state once all have settled: drawn, empty or failed."""
    page.wait_for_function(ALL_SETTLED)
    return page.eval_on_selector_all(
        "[data-chart]", "els => Object.fromEntries(els.map(e => [e.dataset.testid, e.dataset.state]))"
    )


def test_every_role_sees_its_dashboard_drawn(page, live_server, artefacts):
    from playwright.sync_api import expect

    build_shop(30)

    sign_in(page, live_server, "li", "/dashboard/")
    expect(page.locator("[data-testid=published-score]")).to_have_text("95.00")
    expect(page.get_by_text("暂估").first).to_be_visible()
    drawn = charts(page)
    assert drawn == {"chart-agent-score": "drawn", "chart-agent-points": "drawn"}
    assert page.locator("[data-testid=chart-agent-points] canvas").count() == 1
    page.screenshot(path=artefacts / "dashboards-1-agent.png", full_page=True)

    sign_in(page, live_server, "sup1", "/dashboard/teams/T1/")
    drawn = charts(page)
    assert set(drawn) == {"chart-team-trend", "chart-team-heat", "chart-team-grades", "chart-team-benchmark"}
    assert "failed" not in drawn.values() and drawn["chart-team-heat"] == "drawn"
    assert drawn["chart-team-grades"] == "drawn"
    page.screenshot(path=artefacts / "dashboards-2-team.png", full_page=True)
    # another team's page does not exist for sup1
    page.goto(f"{live_server.url}/dashboard/teams/T2/")
    expect(page.locator("h1")).not_to_contain_text("售前二组")

    sign_in(page, live_server, "hr", "/dashboard/")
    expect(page.locator("[data-testid=teams]")).to_contain_text("售前二组")
    drawn = charts(page)
    assert "failed" not in drawn.values() and drawn["chart-money-by-team"] == "drawn"
    page.screenshot(path=artefacts / "dashboards-3-overview.png", full_page=True)


def test_the_overview_in_english(chromium, live_server, artefacts, settings):
    from playwright.sync_api import expect

    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    build_shop(30)
    context = chromium.new_context(locale="en-US", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "hr", "/dashboard/")
    expect(page.locator("h1")).to_contain_text("Overview of all teams")
    assert "failed" not in charts(page).values()
    page.screenshot(path=artefacts / "dashboards-4-overview-en.png", full_page=True)
    context.close()
