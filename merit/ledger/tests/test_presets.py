"""The ledger of real engine results: the bundled sample shop assessed with presets over six months.
For every agent and month, the points book ends at the results' closing balance, the bonus entries add up
to the bonus paid, and the fines to the fines issued (money rules and warning ladder)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from merit.engine.api import assess
from merit.ledger.posting import (
    BONUS,
    BONUS_CUT,
    BONUS_RAISE,
    FINE,
    MONEY,
    POINTS,
    TEAM_REWARD,
    entries_from_results,
)

SHOP = Path(__file__).resolve().parents[3] / "sample_data" / "shop"
D = Decimal


@pytest.mark.parametrize("preset", ["S1", "S2", "S3", "S4", "S9"])
def test_the_ledger_agrees_with_the_results_of_a_preset(preset):
    doc, _ = assess(SHOP, preset, "2026-01..2026-06")
    drafts = entries_from_results(doc)
    assert drafts, "the preset posts something"
    assert len({d.key for d in drafts}) == len(drafts)
    by = defaultdict(list)
    for d in drafts:
        by[d.agent_id, d.period, d.book].append(d)
    points = defaultdict(Decimal)
    for period in doc["periods"]:
        p = period["period"]
        for agent in period["agents"]:
            a = agent["agent_id"]
            points[a] += sum((d.amount for d in by[a, p, POINTS]), D(0))
            if agent.get("points"):
                assert points[a] == D(agent["points"]["closing"]), (a, p)
            money = by[a, p, MONEY]
            bonus = sum((d.amount for d in money if d.category in (BONUS, BONUS_CUT, BONUS_RAISE)), D(0))
            assert bonus == D(agent["bonus"] or 0), (a, p)
            fines = -sum((d.amount for d in money if d.category == FINE), D(0))
            issued = D((agent.get("money") or {}).get("fines", 0)) + D(
                (agent.get("warnings") or {}).get("fines", 0)
            )
            assert fines == issued, (a, p)
        for team in period["teams"]:
            for rule in team["rules"]:
                if rule.get("team_amount"):
                    shares = [d.amount for d in drafts if d.category == TEAM_REWARD and d.period == p]
                    assert sum(shares, D(0)) == D(rule["team_amount"])
