"""Query-count baselines of every dashboard page and chart, committed in ``query_counts.json``: the same
counts for a shop of 30 agents as for one of 1,000 (no read per agent). A change that adds a query
updates the file on purpose: ``MERIT_WRITE_BASELINES=1 pytest merit/dashboards/tests/test_query_counts.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merit.dashboards.tests.conftest import build_shop

pytestmark = pytest.mark.django_db

BASELINES = Path(__file__).with_name("query_counts.json")
PAGES = {
    "agent page": ("li", "/dashboard/"),
    "agent chart score": ("li", "/dashboard/charts/agent-score/?agent=li"),
    "agent chart points": ("li", "/dashboard/charts/agent-points/?agent=li"),
    "team page": ("sup1", "/dashboard/"),
    "team chart trend": ("sup1", "/dashboard/charts/team-trend/?team=T1"),
    "team chart heat": ("sup1", "/dashboard/charts/team-heat/?team=T1"),
    "team chart grades": ("sup1", "/dashboard/charts/team-grades/?team=T1"),
    "team chart benchmark": ("sup1", "/dashboard/charts/team-benchmark/?team=T1"),
    "overview page": ("hr", "/dashboard/"),
    "overview team page": ("hr", "/dashboard/teams/T2/"),
    "overview chart money": ("hr", "/dashboard/charts/money-by-team/"),
    "overview chart scores": ("hr", "/dashboard/charts/team-scores/"),
    "overview chart appeals": ("hr", "/dashboard/charts/appeals/"),
    "overview chart problems": ("hr", "/dashboard/charts/problems/"),
}


def _counts(shop) -> dict[str, int]:
    clients = {who: shop.client(who) for who in {who for who, _ in PAGES.values()}}
    for who, url in PAGES.values():  # once before counting: sessions and parsed policies are warm
        assert clients[who].get(url).status_code == 200, url
    counts = {}
    for name, (who, url) in PAGES.items():
        with CaptureQueriesContext(connection) as queries:
            assert clients[who].get(url).status_code == 200, url
        counts[name] = len(queries)
    return counts


@pytest.mark.parametrize("agents", [30, 1000])
def test_query_counts_do_not_grow_with_the_shop(agents):
    counts = _counts(build_shop(agents))
    if os.environ.get("MERIT_WRITE_BASELINES"):
        BASELINES.write_text(json.dumps(counts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert counts == json.loads(BASELINES.read_text(encoding="utf-8"))
