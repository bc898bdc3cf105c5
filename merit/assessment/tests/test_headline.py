"""Result tables show each policy's headline figures: a points policy (S1) its balance, the month's
warnings and flags instead of a column of "—" scores; a scorecard (S5) its score."""

from __future__ import annotations

import re

from django.test import Client

from merit.assessment.models import AgentResult
from merit.assessment.tests.conftest import MONTH, computing

pytestmark = computing


def _page(shop, path: str) -> str:
    client = Client()
    client.force_login(shop.users["hr"], backend="django.contrib.auth.backends.ModelBackend")
    return client.get(path).content.decode()


def _columns(body: str, table_id: str) -> list[str]:
    table = re.search(rf'<table class="data" id="{table_id}">.*?</thead>', body, re.S).group(0)
    return re.findall(r'data-col="([a-z]+)"', table)


def test_a_points_policy_shows_the_balance_warnings_and_flags(shop):
    run = shop.run()  # S1: a points budget and a bonus, no score, no grade
    body = _page(shop, f"/runs/{run.pk}/")
    assert _columns(body, "results-table") == ["balance", "warnings", "flags", "bonus"]
    row = AgentResult.objects.filter(run=run).order_by("agent_id").first()
    warned = sum(1 for s in row.doc["sanctions"] if s["kind"] == "warning")
    cells = re.search(rf'<tr data-agent-id="{row.agent_id}">(.*?)</tr>', body, re.S).group(1)
    assert f'<td class="balance num">{row.doc["points"]["closing"]}</td>' in cells
    assert f'<td class="warnings num">{warned}</td>' in cells
    assert "—</td>" not in cells.split('class="flags"')[0]  # no empty score or grade columns

    team = _page(shop, f"/runs/{run.pk}/teams/{row.team_id}/{MONTH}/")
    assert _columns(team, "team-table") == ["balance", "warnings", "flags", "bonus"]


def test_a_scorecard_shows_its_score(shop):
    run = shop.run(policy_id="S5")
    body = _page(shop, f"/runs/{run.pk}/")
    columns = _columns(body, "results-table")
    assert columns[0] == "score" and "balance" not in columns


def test_an_item_that_may_score_above_its_weight_shows_its_weight_not_a_maximum(shop):
    run = shop.run(policy_id="S5")
    row = AgentResult.objects.filter(run=run).order_by("agent_id").first()
    body = _page(shop, f"/runs/{run.pk}/agents/{row.agent_id}/{MONTH}/")
    cells = dict(re.findall(r'<tr data-item="([a-z_]+)">.*?<td class="num max">([^<]*)</td>', body, re.S))
    # S5's seed sets no cap: the refund items are relative (15 ± steps), the manual ones 0–10 (max_points)
    assert cells["refund_dispute"] == "权重 15.00"
    assert cells["communication"] == "满分 10.00"
