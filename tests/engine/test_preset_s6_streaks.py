"""S6 and S6-FD gold-medal streaks (RULEBOOK.md § S6) against numbers worked out by hand.

Rulebook: "Gold-medal agent 2 months in a row → extra ¥300–500 each time; 3 months in a row → base
salary +¥200–500." The presets read it as (their comments and docs/policies.md):
  gold-medal agent (金牌客服) = graded A in the month (S6: score ≥ 91; S6-FD: the team's A quota);
  gold_streak_2 (money reward, param streak2_reward = 300): every month the streak is 2 or longer;
  gold_streak_3_raise (flag salary_raise, a person decides, param streak3_raise = 200): once per streak,
      in the month it reaches 3; not paid by the engine, not in money.rewards;
  a month without A restarts both streaks from 0.

Every agent answers in 25 s (T ≤ 25 → 100) and has 20 inquiries. S6 score = (35 × conversion points +
15 × 100 + 10 × rating) / 60:
  gold month:  11/20 = 55 % → 100, rating 100: (3500 + 1500 + 1000) / 60 = 100.00 → A (≥ 91)
  other month: 10/20 = 50 % → 80,  rating 100: (2800 + 1500 + 1000) / 60 = 88.33 → B
Nothing here was obtained by running the program.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from merit.engine.api import assess, assess_package
from merit.engine.explain import explain_lines
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.engine.policy.load import PolicyError, load_policy, parse_policy
from merit.engine.state import state_from_results
from tests.engine.pkg import write_package

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
RANGE = "2026-01..2026-06"

# S6: True = a gold month (grade A), False = grade B.
S6_PATTERN = {
    "li": [True, True, True, True, False, True],
    "wang": [True, False, True, True, True, True],
    "zhao": [False] * 6,
}


def _chats(agent: str, month: str, converted: int) -> list[dict]:
    year, mon = map(int, month.split("-"))
    return [
        {
            "chat_id": f"{agent}-{month}-{i:02d}",
            "agent_id": agent,
            "started_at": datetime(year, mon, 2 + i, 10, 0),
            "avg_response_s": 25,
            "first_response_s": 10,
            "replied": True,
            "inquiry": True,
            "converted": i < converted,
        }
        for i in range(20)
    ]


def _agent(agent_id: str) -> dict:
    return {
        "agent_id": agent_id,
        "name": f"客服{agent_id}",
        "team_id": "T1",
        "role": "pre_sales",
        "employment": "regular",
        "base_bonus": "1000",
    }


def _rating(agent: str, month: str, score: str) -> dict:
    return {"agent_id": agent, "period": month, "item": "supervisor_rating", "score": score, "by": "sup-1"}


@pytest.fixture(scope="module")
def s6_package(tmp_path_factory):
    chats, manual = [], []
    for a, gold in S6_PATTERN.items():
        for month, g in zip(MONTHS, gold, strict=True):
            chats += _chats(a, month, 11 if g else 10)
            manual.append(_rating(a, month, "100"))
    return write_package(
        tmp_path_factory.mktemp("s6streak") / "pkg",
        agents=[_agent(a) for a in S6_PATTERN],
        chats=chats,
        manual_scores=manual,
    )


@pytest.fixture(scope="module")
def s6(s6_package):
    doc, _ = assess(s6_package, "S6", RANGE)
    return doc


def _month(doc: dict, month: str) -> dict[str, dict]:
    (p,) = [p for p in doc["periods"] if p["period"] == month]
    return {a["agent_id"]: a for a in p["agents"]}


def _rewards(agent: dict) -> list[tuple[str, str]]:
    return [(e["rule"], e["amount"]) for e in (agent.get("money") or {}).get("entries", [])]


def _raises(agent: dict) -> list[str]:
    return [f["amount"] for f in agent["flags"] if f["flag"] == "salary_raise"]


def test_s6_gold_months_are_grade_a(s6):
    for a, gold in S6_PATTERN.items():
        got = [_month(s6, m)[a]["grade"] for m in MONTHS]
        # 100.00 → A in gold months, 88.33 → B otherwise (module docstring)
        assert got == ["A" if g else "B" for g in gold], a


def test_s6_streak_rewards_and_raise_month_by_month(s6):
    R = [("gold_streak_2", "300.00")]
    expected = {
        # li: A A A A B A — streak 1, 2, 3, 4, 0, 1
        "li": [
            ([], []),  # Jan: 1st gold month → nothing
            (R, []),  # Feb: 2 in a row → ¥300
            (R, ["200.00"]),  # Mar: 3 in a row → ¥300, and base salary +¥200 proposed
            (R, []),  # Apr: 4 in a row → ¥300 again ("each time"); the raise is once per streak
            ([], []),  # May: grade B → the streak breaks (0), nothing
            ([], []),  # Jun: A again, but a new streak of 1 → nothing
        ],
        # wang: A B A A A A — streak 1, 0, 1, 2, 3, 4
        "wang": [
            ([], []),  # Jan: 1
            ([], []),  # Feb: B → 0
            ([], []),  # Mar: 1 (the January month does not count: the streak restarted)
            (R, []),  # Apr: 2 → ¥300
            (R, ["200.00"]),  # May: 3 → ¥300 + raise ¥200
            (R, []),  # Jun: 4 → ¥300
        ],
        "zhao": [([], [])] * 6,  # never A
    }
    for a, months in expected.items():
        for month, (rewards, raises) in zip(MONTHS, months, strict=True):
            got = _month(s6, month)[a]
            assert (a, month, _rewards(got), _raises(got)) == (a, month, rewards, raises)


def test_s6_reward_is_money_the_raise_is_not(s6):
    li = _month(s6, "2026-03")["li"]
    # the month's rewards are the ¥300 only: the +¥200 is a base-salary change a person decides
    assert li["money"]["rewards"] == "300.00"
    assert li["money"]["fines"] == "0.00"
    # the bonus is unchanged by either: A → 1000 × 100 % = 1000.00
    assert li["bonus"] == "1000.00"
    (flag,) = [f for f in li["flags"] if f["flag"] == "salary_raise"]
    assert flag["human_decision"] is True
    assert flag["rule"] == "gold_streak_3_raise"
    assert "¥200.00" in flag["reason"]


def test_s6_explanations_name_the_rule_and_the_streak(s6):
    li = _month(s6, "2026-04")["li"]
    (entry,) = li["money"]["entries"]
    assert entry["rule"] == "gold_streak_2"
    assert entry["kind"] == "reward"
    assert entry["explain"]["when"] == "grade == 'A'"
    assert entry["explain"]["inputs"] == {"grade": "A"}
    assert entry["explain"]["consecutive"] == {"needed": 2, "held": 4}  # April is the 4th A in a row
    mar = _month(s6, "2026-03")["li"]
    (flag,) = [f for f in mar["flags"] if f["flag"] == "salary_raise"]
    assert flag["explain"]["consecutive"] == {"needed": 3, "held": 3}
    lines = explain_lines(s6, "li", "2026-03")
    assert any("gold_streak_2" in t and "3 in a row (needs 2)" in t for t in lines), lines
    assert any("gold_streak_3_raise" in t and "3 in a row (needs 3)" in t for t in lines), lines


def test_s6_streaks_are_in_the_carried_state(s6):
    li = _month(s6, "2026-04")["li"]
    # March closed at 3 in a row for both rules; April adds one
    assert li["state_in"]["streaks"] == {"gold_streak_2": 3, "gold_streak_3_raise": 3}
    assert li["state_out"]["streaks"] == {"gold_streak_2": 4, "gold_streak_3_raise": 4}
    may = _month(s6, "2026-05")["li"]
    assert may["state_out"]["streaks"] == {"gold_streak_2": 0, "gold_streak_3_raise": 0}  # grade B


def test_s6_streak_carries_across_runs(s6_package, s6):
    """January–February as one run, then March–June from its closing state (as from a published run)
    give the same months as the whole range."""
    lp = load_policy("S6")
    package = load_package(s6_package)
    first, _ = assess_package(package, lp, MONTHS[:2])
    state = state_from_results(first, lp.sha256, Period.parse("2026-03"))
    rest, _ = assess_package(package, lp, MONTHS[2:], state)
    # li enters March with 2 in a row (state_in), so March is the 3rd: ¥300 and the raise
    li = {p["period"]: {a["agent_id"]: a for a in p["agents"]} for p in rest["periods"]}["2026-03"]["li"]
    assert li["state_in"]["streaks"] == {"gold_streak_2": 2, "gold_streak_3_raise": 2}
    assert (_rewards(li), _raises(li)) == ([("gold_streak_2", "300.00")], ["200.00"])
    whole = {p["period"]: p for p in s6["periods"]}
    for p in rest["periods"]:
        assert p["agents"] == whole[p["period"]]["agents"], p["period"]


def test_s6_parameters_change_the_amounts(s6_package):
    doc, _ = assess(s6_package, "S6", RANGE, {"streak2_reward": "500", "streak3_raise": "500"})
    assert doc["policy"]["parameters"]["streak2_reward"] == "500"
    li = {m: _month(doc, m)["li"] for m in MONTHS}
    assert _rewards(li["2026-01"]) == []  # 1 in a row
    assert _rewards(li["2026-02"]) == [("gold_streak_2", "500.00")]  # 2 in a row → ¥500
    assert _rewards(li["2026-03"]) == [("gold_streak_2", "500.00")]  # 3 in a row → ¥500 ...
    assert _raises(li["2026-03"]) == ["500.00"]  # ... and base salary +¥500
    assert "¥500.00" in next(f["reason"] for f in li["2026-03"]["flags"] if f["flag"] == "salary_raise")
    assert li["2026-03"]["money"]["rewards"] == "500.00"


# ---- S6-FD: gold-medal = the team's A quota -----------------------------------------------------------

# One team of 4: 15 % → 0.6, 45 % → 1.8, 30 % → 1.2, 10 % → 0.4; floors 0, 1, 1, 0 = 2; two seats left,
# largest remainders B .8, A .6 → A 1, B 2, C 1, D 0: only place 1 is A (gold).
# Every agent converts 11/20 (→ 100) and answers in 25 s: score = (3500 + 1500 + 10 × rating) / 60:
#   rating 100 → 100.00, 90 → 98.33, 80 → 96.67, 70 → 95.00, 60 → 93.33.
FD_RATINGS = {  # Jan, Feb, Mar, Apr
    "f1": ["100", "100", "100", "60"],  # place 1, 1, 1, 4 → A A A C
    "f2": ["90", "90", "90", "100"],  # place 2, 2, 2, 1 → B B B A
    "f3": ["80", "80", "80", "80"],  # place 3 → B (Apr: 96.67, place 2 → B)
    "f4": ["70", "70", "70", "70"],  # place 4 → C (Apr: 95.00, place 3 → B)
}


@pytest.fixture(scope="module")
def fd(tmp_path_factory):
    chats, manual = [], []
    for a, ratings in FD_RATINGS.items():
        for month, r in zip(MONTHS[:4], ratings, strict=True):
            chats += _chats(a, month, 11)
            manual.append(_rating(a, month, r))
    pkg = write_package(
        tmp_path_factory.mktemp("s6fdstreak") / "pkg",
        agents=[_agent(a) for a in FD_RATINGS],
        chats=chats,
        manual_scores=manual,
    )
    doc, _ = assess(pkg, "S6-FD", "2026-01..2026-04")
    return doc


def test_s6fd_streak_follows_the_a_quota(fd):
    assert [_month(fd, m)["f1"]["grade"] for m in MONTHS[:4]] == ["A", "A", "A", "C"]
    assert [_month(fd, m)["f2"]["grade"] for m in MONTHS[:4]] == ["B", "B", "B", "A"]
    R = [("gold_streak_2", "300.00")]
    expected = {
        "f1": [([], []), (R, []), (R, ["200.00"]), ([], [])],  # streak 1, 2, 3, 0
        "f2": [([], [])] * 4,  # its first A in April: a streak of 1 → nothing
        "f3": [([], [])] * 4,
        "f4": [([], [])] * 4,
    }
    for a, months in expected.items():
        for month, (rewards, raises) in zip(MONTHS[:4], months, strict=True):
            got = _month(fd, month)[a]
            assert (a, month, _rewards(got), _raises(got)) == (a, month, rewards, raises)
    mar = _month(fd, "2026-03")["f1"]
    # the reward does not touch the forced-distribution bonus: 1000 × 100.00 / 100 × 1.2 = 1200.00
    assert (mar["bonus"], mar["money"]["rewards"]) == ("1200.00", "300.00")
    assert mar["money"]["entries"][0]["explain"]["consecutive"] == {"needed": 2, "held": 3}


# ---- the language: consecutive on money rules ------------------------------------------------------------

POLICY = """\
id: X1
name: custom
title: {zh: 测试, en: Test}
description: {zh: 测试, en: Test}
money:
%s
"""


def _problems(money: str) -> list[str]:
    with pytest.raises(PolicyError) as e:
        parse_policy(POLICY % money, "custom.yaml")
    return [p.message for p in e.value.problems]


def test_consecutive_money_rule_is_accepted():
    lp = parse_policy(
        POLICY
        % """  - {id: r1, label: {zh: 奖, en: R}, kind: reward, when: "csat >= 0.9", consecutive: 2,
     once_per_streak: true, amount: 100}""",
        "custom.yaml",
    )
    (r,) = lp.policy.money
    assert (r.consecutive, r.once_per_streak) == (2, True)


def test_consecutive_needs_a_condition_rule():
    (msg,) = _problems(
        """  - {id: r1, label: {zh: 罚, en: F}, kind: fine, consecutive: 2, amount: 50,
     events: {table: incidents, where: "kind == 'late'"}}"""
    )
    assert "consecutive applies to `when` rules" in msg


def test_once_per_streak_needs_consecutive():
    (msg,) = _problems(
        """  - {id: r1, label: {zh: 奖, en: R}, kind: reward, when: "csat >= 0.9", once_per_streak: true,
     amount: 100}"""
    )
    assert "once_per_streak needs consecutive: 2 or more" in msg


def test_streak_rule_ids_are_unique_across_flags_and_money():
    text = (
        POLICY
        % """  - {id: r1, label: {zh: 奖, en: R}, kind: reward, when: "csat >= 0.9", consecutive: 2, amount: 1}"""
        + """flags:
  - {id: r1, flag: title, when: "csat >= 0.9", consecutive: 3, label: {zh: 标, en: T}}
"""
    )
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "custom.yaml")
    assert any("their streaks would mix" in p.message for p in e.value.problems)


def test_flag_amount_names_are_checked():
    text = (
        POLICY % """  - {id: r1, label: {zh: 奖, en: R}, kind: reward, when: "csat >= 0.9", amount: 1}"""
        + """flags:
  - {id: f1, flag: salary_raise, when: "csat >= 0.9", amount: param.no_such, label: {zh: 标, en: T}}
"""
    )
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "custom.yaml")
    assert [p.path for p in e.value.problems] == ["flags.0.amount"]
