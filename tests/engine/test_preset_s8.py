"""Preset S8 (platform reward/penalty rules), against numbers worked out by hand.

Every expected value below is a literal computed by hand from RULEBOOK.md § S8 and the interpretations
stated in merit/presets/s8_platform_rules.yaml, never by running the engine:

- a first response later than 30 minutes (first_response_s > 1800) is late and fined by its delay:
  (1800, 3600) → ¥50, [3600, 7200) → ¥100, ≥ 7200 → ¥200 (exactly 60 min is in "1–2 h", exactly
  2 h is "over 2 h"); exactly 1800 s is on time;
- a month with chats and not a single late first response earns ¥50 (on_time_first_response);
- a fine is also a sanction of kind 'fine'; money.fines / money.rewards are the month's totals;
- incidents 'info_leak' and 'misleading' raise 'suspension' (停职调查: the seed's "suspended pending
  investigation and announced platform-wide"; it names no dismissal review), no amount;
- a team whose pooled complaint rate (all its complaint tickets / all its tickets) is above
  benchmarks.complaint_rate (strictly) at 3 consecutive month ends flags its lead (teams.lead_agent_id)
  with 'training'; the team's streak is carried in teams[].state_out.streaks;
- gold-medal agent: 6 consecutive months of full marks (late_first_responses == 0, complaints == 0
  (incidents 'complaint.*'), CSAT ≥ 95 %) → flag 'title' in month 6.

Times are local (Asia/Shanghai) ISO times without a zone.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from merit.engine.api import assess

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import at, write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import at, write_package


# ---- package builders ---------------------------------------------------------------------------


def _agent(agent_id: str, team_id: str = "t1") -> dict:
    return {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "team_id": team_id,
        "role": "pre_sales",
        "employment": "regular",
        "base_bonus": "1000.00",
    }


def _chat(chat_id: str, agent_id: str, when, first_response_s: int) -> dict:
    return {
        "chat_id": chat_id,
        "agent_id": agent_id,
        "started_at": when,
        "first_response_s": first_response_s,
    }


def _inc(incident_id: str, agent_id: str, when, kind: str, **kw) -> dict:
    return {"incident_id": incident_id, "agent_id": agent_id, "at": when, "kind": kind, **kw}


def _ticket(ticket_id: str, agent_id: str, when, kind: str = "inquiry") -> dict:
    return {"ticket_id": ticket_id, "agent_id": agent_id, "kind": kind, "created_at": when}


def _rating(rating_id: str, agent_id: str, when, score: str) -> dict:
    return {"rating_id": rating_id, "agent_id": agent_id, "at": when, "score": score, "source": "survey"}


def money_package(path):
    """One month, 2026-03, one team without tickets (no team rule can hold), no ratings (no gold medal).

    f1: chats at 600, 1800, 1801, 3599, 3600, 7199, 7200 s
        → late (> 1800): 1801, 3599, 3600, 7199, 7200 = 5 late responses
        → fines 50 + 50 + 100 + 100 + 200 = 500.00; no on-time reward (5 late)
    f2: chats at 1800 (on time, not late) and 900; a chat of 2026-02-28 23:30 local at 7200 s is
        February's → 0 late in March, 2 chats → on-time reward 50.00; fines 0.00
    f3: no chats at all → no on-time reward; an 'info_leak' → suspension, no amount
    f4: one chat at 1799 → on-time 50.00; a 'misleading' → suspension; a
        'complaint.other' is no serious violation
    """
    agents = [_agent("f1"), _agent("f2"), _agent("f3"), _agent("f4")]
    chats = [
        _chat(f"c-f1-{s}", "f1", at(2 + i), s)
        for i, s in enumerate((600, 1800, 1801, 3599, 3600, 7199, 7200))
    ]
    chats += [
        _chat("c-f2-1800", "f2", at(3), 1800),
        _chat("c-f2-900", "f2", at(4), 900),
        _chat("c-f2-feb", "f2", at(28, 23, 30, month=2), 7200),
        _chat("c-f4-1799", "f4", at(5), 1799),
    ]
    incidents = [
        _inc("i-f3-leak", "f3", at(10), "info_leak"),
        _inc("i-f4-mislead", "f4", at(11), "misleading"),
        _inc("i-f4-other", "f4", at(12), "complaint.other"),
    ]
    benchmarks = [{"period": "2026-03", "metric": "complaint_rate", "value": "0.1"}]
    return write_package(
        path,
        agents=agents,
        chats=chats,
        incidents=incidents,
        tickets=[],
        ratings=[],
        benchmarks=benchmarks,
    )


T_MONTHS = (1, 2, 3, 4)


def team_package(path):
    """Three teams over 2026-01 … 2026-04; benchmarks.complaint_rate = 0.1 every month.

    T1 (lead l1, member m1): Jan–Mar l1 1 complaint of 4 tickets, m1 1 of 6 → pooled 2/10 = 0.2 > 0.1;
        Apr 0 of 5 + 0 of 5 = 0 → streak 1, 2, 3, 0 → l1 flagged 'training' in March only.
    T2 (lead l2, member m2): Jan, Feb 1/5 + 1/5 = 2/10 = 0.2 > 0.1; Mar 1/5 + 0/5 = 1/10 = 0.1, not
        above (equal); Apr 2/10 = 0.2 → streak 1, 2, 0, 1 → never flagged (the streak is broken).
    T3 (lead l3, member m3): every month l3 1 complaint of 2 tickets (0.5), m3 0 of 18 → pooled
        1/20 = 0.05 ≤ 0.1 (the mean of the members' rates would be 0.25) → streak 0 → never flagged.
    No chats, ratings or incidents: no money rule and no gold medal applies.
    """
    agents = [
        _agent("l1", "T1"),
        _agent("m1", "T1"),
        _agent("l2", "T2"),
        _agent("m2", "T2"),
        _agent("l3", "T3"),
        _agent("m3", "T3"),
    ]
    teams = [
        {"team_id": "T1", "name": "一组", "lead_agent_id": "l1"},
        {"team_id": "T2", "name": "二组", "lead_agent_id": "l2"},
        {"team_id": "T3", "name": "三组", "lead_agent_id": "l3"},
    ]
    # (agent, month) → (complaint tickets, other tickets)
    plan = {}
    for m in T_MONTHS:
        plan[("l1", m)] = (1, 3) if m <= 3 else (0, 5)
        plan[("m1", m)] = (1, 5) if m <= 3 else (0, 5)
        plan[("l2", m)] = (1, 4)
        plan[("m2", m)] = (0, 5) if m == 3 else (1, 4)
        plan[("l3", m)] = (1, 1)
        plan[("m3", m)] = (0, 18)
    tickets = []
    for (a, m), (complaints, others) in sorted(plan.items()):
        for i in range(complaints):
            tickets.append(_ticket(f"k-{a}-{m}-c{i}", a, at(3 + i, month=m), "complaint"))
        for i in range(others):
            tickets.append(_ticket(f"k-{a}-{m}-o{i}", a, at(5 + i, month=m)))
    benchmarks = [{"period": f"2026-{m:02d}", "metric": "complaint_rate", "value": "0.1"} for m in T_MONTHS]
    return write_package(
        path,
        agents=agents,
        teams=teams,
        tickets=tickets,
        chats=[],
        ratings=[],
        incidents=[],
        benchmarks=benchmarks,
    )


G_MONTHS = (1, 2, 3, 4, 5, 6)


def gold_package(path):
    """Four agents over 2026-01 … 2026-06. A month of full marks = no late first response, no
    complaint incident, CSAT ≥ 0.95. Baseline every month for every agent: one chat at 600 s (on time)
    and 2 survey ratings of 5 (CSAT 2/2 = 1).

    g1: full marks every month; April's ratings are 19 of 5 and 1 of 3 → CSAT 19/20 = 0.95 exactly,
        still full marks → streak 1 … 6 → title in June, not in May (streak 5).
    g2: a 'complaint.attitude' in March → streak 1, 2, 0, 1, 2, 3 → no title.
    g3: an extra chat at 1801 s in May (late) → streak 1, 2, 3, 4, 0, 1 → no title.
    g4: February's ratings are 18 of 5 and 1 of 3 → CSAT 18/19 ≈ 0.947 < 0.95
        → streak 1, 0, 1, 2, 3, 4 → no title.
    """
    ids = ("g1", "g2", "g3", "g4")
    agents = [_agent(a) for a in ids]
    chats, ratings = [], []
    for m in G_MONTHS:
        for a in ids:
            chats.append(_chat(f"c-{a}-{m}", a, at(2, month=m), 600))
            if (a, m) == ("g1", 4):
                scores = ["5"] * 19 + ["3"]
            elif (a, m) == ("g4", 2):
                scores = ["5"] * 18 + ["3"]
            else:
                scores = ["5", "5"]
            ratings += [
                _rating(f"r-{a}-{m}-{i}", a, at(3, 8 + i // 10, i % 10, month=m), sc)
                for i, sc in enumerate(scores)
            ]
    chats.append(_chat("c-g3-late", "g3", at(20, month=5), 1801))
    incidents = [_inc("i-g2-complaint", "g2", at(10, month=3), "complaint.attitude")]
    return write_package(
        path, agents=agents, chats=chats, ratings=ratings, incidents=incidents, tickets=[], benchmarks=[]
    )


# ---- helpers --------------------------------------------------------------------------------------


def _only(doc, period: str) -> dict[str, dict]:
    (p,) = doc["periods"]
    assert p["period"] == period
    return {a["agent_id"]: a for a in p["agents"]}


def _by_period(doc) -> dict[str, dict[str, dict]]:
    return {p["period"]: {a["agent_id"]: a for a in p["agents"]} for p in doc["periods"]}


def _teams_by_period(doc) -> dict[str, dict[str, dict]]:
    return {p["period"]: {t["team_id"]: t for t in p["teams"]} for p in doc["periods"]}


def _flags(agent) -> list[tuple]:
    return sorted((f["flag"], f["rule"]) for f in agent["flags"])


def _entries(agent, rule: str) -> list[dict]:
    return [e for e in agent["money"]["entries"] if e["rule"] == rule]


def _src_ids(x) -> tuple[str, ...]:
    return tuple(s["id"] for s in x.get("source", []))


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def money(tmp_path_factory):
    folder = money_package(tmp_path_factory.mktemp("s8_money"))
    doc, _ = assess(folder, "S8", "2026-03")
    return _only(doc, "2026-03")


@pytest.fixture(scope="module")
def team_doc(tmp_path_factory):
    folder = team_package(tmp_path_factory.mktemp("s8_teams"))
    doc, _ = assess(folder, "S8", "2026-01..2026-04")
    return doc


@pytest.fixture(scope="module")
def gold_doc(tmp_path_factory):
    folder = gold_package(tmp_path_factory.mktemp("s8_gold"))
    doc, _ = assess(folder, "S8", "2026-01..2026-06")
    return doc


# ---- late first responses -------------------------------------------------------------------------


def test_late_first_response_fines_by_delay_band(money):
    got = sorted((_src_ids(e), e["amount"]) for e in _entries(money["f1"], "late_first_response"))
    # 600 and exactly 1800 are on time: no entry
    assert got == [
        (("c-f1-1801",), "50.00"),  # 1801 s: just late, under 60 min → 50
        (("c-f1-3599",), "50.00"),  # 3599 s: under 60 min → 50
        (("c-f1-3600",), "100.00"),  # exactly 60 min: in 1–2 h → 100
        (("c-f1-7199",), "100.00"),  # under 2 h → 100
        (("c-f1-7200",), "200.00"),  # exactly 2 h: over 2 h → 200
    ]
    for e in _entries(money["f1"], "late_first_response"):
        assert e["kind"] == "fine"


def test_late_fines_are_sanctions_and_totals(money):
    f1 = money["f1"]
    fines = sorted(Decimal(x["fine"]) for x in f1["sanctions"] if x["kind"] == "fine")
    # the five fines of f1, each also a sanction of kind 'fine'
    assert fines == [Decimal(50), Decimal(50), Decimal(100), Decimal(100), Decimal(200)]
    assert {x["rule"] for x in f1["sanctions"]} == {"late_first_response"}
    # 50 + 50 + 100 + 100 + 200 = 500; 5 late responses → no on-time reward
    assert (f1["money"]["fines"], f1["money"]["rewards"]) == ("500.00", "0.00")
    assert _entries(f1, "on_time_first_response") == []


def test_on_time_reward_only_with_chats_and_no_late_response(money):
    got = {a: [e["amount"] for e in _entries(x, "on_time_first_response")] for a, x in money.items()}
    # f1: 5 late → none; f2: 1800 and 900 in March (the 7200 s chat is February's) → 50;
    # f3: no chat → none; f4: 1799 → 50
    assert got == {"f1": [], "f2": ["50.00"], "f3": [], "f4": ["50.00"]}
    assert (money["f2"]["money"]["fines"], money["f2"]["money"]["rewards"]) == ("0.00", "50.00")
    assert _entries(money["f2"], "late_first_response") == []
    assert money["f2"]["sanctions"] == []
    # f4: 50 reward, no fine (the serious violation carries no amount)
    assert (money["f4"]["money"]["fines"], money["f4"]["money"]["rewards"]) == ("0.00", "50.00")


def test_serious_violations_flag_suspension_only(money):
    # RULEBOOK S8: "suspended pending investigation and announced platform-wide": no dismissal review
    flags = {a: _flags(x) for a, x in money.items()}
    assert flags == {
        "f1": [],
        "f2": [],
        "f3": [("suspension", "serious_violation")],
        "f4": [("suspension", "serious_violation")],
    }
    (src,) = [f for f in money["f3"]["flags"] if f["flag"] == "suspension"]
    assert _src_ids(src) == ("i-f3-leak",)
    # no amount: f3 has neither a fine nor a reward, and no fine sanction
    assert (money["f3"]["money"]["fines"], money["f3"]["money"]["rewards"]) == ("0.00", "0.00")
    assert [x for x in money["f3"]["sanctions"] if x["kind"] == "fine"] == []


# ---- team complaint rate streak ------------------------------------------------------------------


def test_team_streak_flags_the_lead_in_month_three_only(team_doc):
    got = _by_period(team_doc)
    assert list(got) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    flags = {p: {a: _flags(x) for a, x in ags.items()} for p, ags in got.items()}
    none = {"l1": [], "m1": [], "l2": [], "m2": [], "l3": [], "m3": []}
    # T1 above in Jan, Feb, Mar (0.2 > 0.1) → third month in a row in March → its lead l1 only
    assert flags["2026-01"] == none
    assert flags["2026-02"] == none
    assert flags["2026-03"] == {**none, "l1": [("training", "complaint_rate_streak")]}
    # April: T1 at 0 (streak broken), T2 only 1 month above again, T3 never above
    assert flags["2026-04"] == none
    (f,) = got["2026-03"]["l1"]["flags"]
    assert f["human_decision"] is False
    assert f["explain"]["consecutive"] == {"needed": 3, "held": 3}


def test_team_streaks_carried_in_team_state(team_doc):
    teams = _teams_by_period(team_doc)
    streaks = {
        p: {t: x["state_out"]["streaks"].get("complaint_rate_streak", 0) for t, x in ts.items()}
        for p, ts in teams.items()
    }
    assert streaks == {
        # T1: 0.2, 0.2, 0.2, 0 → 1, 2, 3, 0; T2: 0.2, 0.2, 0.1 (equal, not above), 0.2 → 1, 2, 0, 1;
        # T3: pooled 1/20 = 0.05 every month → 0
        "2026-01": {"T1": 1, "T2": 1, "T3": 0},
        "2026-02": {"T1": 2, "T2": 2, "T3": 0},
        "2026-03": {"T1": 3, "T2": 0, "T3": 0},
        "2026-04": {"T1": 0, "T2": 1, "T3": 0},
    }
    # each month starts from the one before
    assert teams["2026-03"]["T1"]["state_in"]["streaks"].get("complaint_rate_streak", 0) == 2
    assert teams["2026-04"]["T2"]["state_in"]["streaks"].get("complaint_rate_streak", 0) == 0


def test_team_rule_entry_in_the_flagged_month(team_doc):
    teams = _teams_by_period(team_doc)
    rules = {p: {t: [r["rule"] for r in x["rules"]] for t, x in ts.items()} for p, ts in teams.items()}
    assert rules == {
        "2026-01": {"T1": [], "T2": [], "T3": []},
        "2026-02": {"T1": [], "T2": [], "T3": []},
        "2026-03": {"T1": ["complaint_rate_streak"], "T2": [], "T3": []},
        "2026-04": {"T1": [], "T2": [], "T3": []},
    }
    (r,) = teams["2026-03"]["T1"]["rules"]
    assert r["flag"] == "training"
    assert teams["2026-03"]["T1"]["lead_agent_id"] == "l1"
    inputs = r["explain"]["inputs"]
    # pooled (1 + 1) / (4 + 6) = 0.2 against the benchmark 0.1
    assert Decimal(inputs["team.complaint_rate"]) == Decimal("0.2")
    assert Decimal(inputs["benchmark.complaint_rate"]) == Decimal("0.1")
    assert r["explain"]["consecutive"] == {"needed": 3, "held": 3}


# ---- gold-medal agent ------------------------------------------------------------------------------


def test_gold_medal_after_six_months_of_full_marks(gold_doc):
    got = _by_period(gold_doc)
    assert list(got) == [f"2026-{m:02d}" for m in G_MONTHS]
    titles = {
        p: sorted(a for a, x in ags.items() if ("title", "gold_medal_6_months") in _flags(x))
        for p, ags in got.items()
    }
    # only g1, and only in month 6 (June); May is month 5 of the streak
    assert titles == {
        "2026-01": [],
        "2026-02": [],
        "2026-03": [],
        "2026-04": [],
        "2026-05": [],
        "2026-06": ["g1"],
    }
    (f,) = got["2026-06"]["g1"]["flags"]
    assert (f["flag"], f["rule"], f["human_decision"]) == ("title", "gold_medal_6_months", False)
    assert f["explain"]["consecutive"] == {"needed": 6, "held": 6}
    # no other flag in any month
    for p, ags in got.items():
        for a, x in ags.items():
            if (p, a) != ("2026-06", "g1"):
                assert x["flags"] == [], (p, a)


def test_gold_medal_streaks_and_breaks(gold_doc):
    got = _by_period(gold_doc)
    streaks = {
        a: [got[p][a]["state_out"]["streaks"].get("gold_medal_6_months", 0) for p in got]
        for a in ("g1", "g2", "g3", "g4")
    }
    assert streaks == {
        "g1": [1, 2, 3, 4, 5, 6],  # April's CSAT of exactly 0.95 still counts
        "g2": [1, 2, 0, 1, 2, 3],  # a complaint in March
        "g3": [1, 2, 3, 4, 0, 1],  # a late response (1801 s) in May
        "g4": [1, 0, 1, 2, 3, 4],  # CSAT 18/19 ≈ 0.947 in February
    }


def test_gold_package_money_in_may(gold_doc):
    got = _by_period(gold_doc)
    # g3's May: the late chat (1801 s, under 60 min) is fined 50 and there is no on-time reward
    may = got["2026-05"]["g3"]
    assert (may["money"]["fines"], may["money"]["rewards"]) == ("50.00", "0.00")
    # g1's May: one chat at 600 s → on-time reward 50
    assert (got["2026-05"]["g1"]["money"]["fines"], got["2026-05"]["g1"]["money"]["rewards"]) == (
        "0.00",
        "50.00",
    )
