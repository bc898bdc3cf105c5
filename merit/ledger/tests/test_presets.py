"""The ledger of real engine results: the bundled sample shop assessed with presets over six months.
For every agent and month, the points book ends at the results' closing balance, the bonus entries add up
to the bonus paid, the fines to the fines issued (money rules and warning ladder) and the rewards to the
rewards given; a flag (S6's proposed base salary raise) posts nothing."""

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
    REWARD,
    TEAM_REWARD,
    entries_from_results,
)

SHOP = Path(__file__).resolve().parents[3] / "sample_data" / "shop"
D = Decimal


@pytest.mark.parametrize("preset", ["S1", "S2", "S3", "S4", "S6", "S6-FD", "S9"])
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
            rewards = sum((d.amount for d in money if d.category == REWARD), D(0))
            assert rewards == D((agent.get("money") or {}).get("rewards", 0)), (a, p)
        for team in period["teams"]:
            for rule in team["rules"]:
                if rule.get("team_amount"):
                    shares = [d.amount for d in drafts if d.category == TEAM_REWARD and d.period == p]
                    assert sum(shares, D(0)) == D(rule["team_amount"])


def test_s6_streak_reward_is_posted_and_the_proposed_raise_is_not():
    doc, _ = assess(SHOP, "S6", "2026-01..2026-03")
    grades = [next(a["grade"] for a in m["agents"] if a["agent_id"] == "A00002") for m in doc["periods"]]
    assert grades == ["A", "A", "A"]
    drafts = entries_from_results(doc)
    streak = [d for d in drafts if d.rule == "gold_streak_2"]
    # the shop's A00002 is graded A in January, February and March: 2 and 3 in a row pay ¥300 each
    assert [(d.agent_id, d.period, d.category, d.amount) for d in streak] == [
        ("A00002", "2026-02", REWARD, D("300.00")),
        ("A00002", "2026-03", REWARD, D("300.00")),
    ]
    march = next(a for a in doc["periods"][2]["agents"] if a["agent_id"] == "A00002")
    assert [f["amount"] for f in march["flags"] if f["flag"] == "salary_raise"] == ["200.00"]
    assert not [d for d in drafts if d.rule == "gold_streak_3_raise"]
