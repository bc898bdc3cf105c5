"""Preset S1 (monthly 30-point system) against numbers worked out by hand from RULEBOOK.md § S1.

Every expected number below is a literal computed by hand from the rulebook and the interpretations
stated in merit/presets/s1_monthly_30_points.yaml, never by running the engine:

- 30 points at the start of the month;
- attitude complaint / order note / shirking: 1st = warning only (0 points, a 'warning' sanction),
  each further −1; price cut: 1st = warning, each further −2; major error −10 at once + probation;
- issue reported +5 each, suggestion adopted +3 each;
- at most 2 deductions (point entries with negative points; free warnings are not deductions) → +3;
- at least 3 named-praise ratings (ratings.named_praise) → +3;
- month-end ranking: composite = rank(order amount, desc) + rank(conversion, desc) + rank(churn, asc),
  competition ranking (1, 1, 3), missing values rank after everyone (n + 1), ties broken by order
  amount; places 1/2/3 → +5/+3/+1, place 1 titled gold_medal;
- bonus on the closing balance: [20, 25) −10 %, [15, 20) −30 %, < 15 −100 % (and flag bonus_withheld),
  above 25: +1 % of the base per whole point above 25.

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

PERIOD = "2026-03"


# ---- package builders ---------------------------------------------------------------------------


def _agent(agent_id: str, team: str, base_bonus: str = "1000.00") -> dict:
    return {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "team_id": team,
        "role": "pre_sales",
        "employment": "regular",
        "base_bonus": base_bonus,
    }


def _inc(incident_id: str, agent_id: str, when, kind: str, **kw) -> dict:
    return {"incident_id": incident_id, "agent_id": agent_id, "at": when, "kind": kind, **kw}


def _chats(agent_id: str, inquiries: int, converted: int, other: int = 0) -> list[dict]:
    """``inquiries`` inquiring chats of which ``converted`` converted, plus ``other`` chats that were
    not inquiries (they must not enter the conversion rate's denominator)."""
    rows = []
    for i in range(inquiries + other):
        inquiry = i < inquiries
        conv = i < converted
        rows.append(
            {
                "chat_id": f"c-{agent_id}-{i + 1}",
                "agent_id": agent_id,
                "started_at": at(2 + i, 11),
                "replied": True,
                "inquiry": inquiry,
                "converted": conv,
                "order_amount": "100.00" if conv else None,
            }
        )
    return rows


def _sales(agent_id: str, amount: str, customers: int, lost: int, period: str = PERIOD) -> dict:
    return {
        "period": period,
        "agent_id": agent_id,
        "order_amount": amount,
        "customers": customers,
        "lost_customers": lost,
    }


def _named(rating_id: str, agent_id: str, when, named: bool = True) -> dict:
    return {
        "rating_id": rating_id,
        "agent_id": agent_id,
        "at": when,
        "score": "5",
        "source": "review",
        "named_praise": named,
    }


def rules_package(path):
    """Six agents in two teams; every event rule, both awards and the ranking fire.

    Hand computation of each closing balance (30 to start):
      a1: attitude ×1 (warning, 0) + issue reported +5 + ≤2 deductions (0) +3 + named praise 3 +3
          + ranking place 2 +3                                  = 30 + 5 + 3 + 3 + 3 = 44
      a2: attitude ×2 (warning, −1) + shirking ×2 (warning, −1) + ≤2 deductions (2) +3
          + named praise only 2 (nothing) + place 4 (nothing)   = 30 − 1 − 1 + 3     = 31
      a3: order note ×3 (warning, −1, −1) + price cut ×2 (warning, −2): 3 deductions (no +3)
          + place 3 +1                                          = 30 − 2 − 2 + 1     = 27
      a4: major error −10 (probation) + ≤2 deductions (1) +3 + place 1 +5 (gold medal)
                                                                = 30 − 10 + 3 + 5    = 28
      a5: suggestion +3 + major error −10 + attitude ×2 (warning, −1): 2 deductions +3
          + place 6 (nothing)                                   = 30 + 3 − 10 − 1 + 3 = 25
      a6: order note ×4 (warning, −1 ×3) + shirking ×4 (warning, −1 ×3): 6 deductions
          + place 5 (nothing)                                   = 30 − 3 − 3          = 24
    """
    agents = [
        _agent("a1", "t1"),
        _agent("a2", "t1"),
        _agent("a3", "t1", base_bonus="1234.56"),
        _agent("a4", "t2"),
        _agent("a5", "t2"),
        _agent("a6", "t2"),
    ]
    incidents = [
        # a1
        _inc("s1-01", "a1", at(5), "complaint.attitude"),
        _inc("s1-02", "a1", at(12, 15, 30), "issue.reported"),
        _inc("s1-25", "a1", at(1, 0, month=4), "issue.reported"),  # 2026-04-01 00:00 local: April
        # a2: ids in the opposite order of time; the earlier one (s1-04) is the free first occurrence
        _inc("s1-03", "a2", at(20, 9), "complaint.attitude"),
        _inc("s1-04", "a2", at(5, 9), "complaint.attitude"),
        _inc("s1-05", "a2", at(8, 11), "shirking"),
        _inc("s1-06", "a2", at(18, 11), "shirking"),
        # a3
        _inc("s1-07", "a3", at(2), "error.order_note"),
        _inc("s1-08", "a3", at(9), "error.order_note"),
        _inc("s1-09", "a3", at(16), "error.order_note"),
        _inc("s1-10", "a3", at(3, 14), "error.price_cut"),
        _inc("s1-11", "a3", at(17, 14), "error.price_cut"),
        # a4
        _inc("s1-12", "a4", at(25, 16), "error.major", loss_amount="50000.00"),
        # a5
        _inc("s1-13", "a5", at(6), "suggestion.adopted"),
        _inc("s1-14", "a5", at(11), "error.major", loss_amount="20000.00"),
        _inc("s1-15", "a5", at(13), "complaint.attitude"),
        _inc("s1-16", "a5", at(27), "complaint.attitude"),
        # a6: the first order-note error is at the very first second of March (local time)
        _inc("s1-17", "a6", at(1, 0), "error.order_note"),
        _inc("s1-18", "a6", at(4), "error.order_note"),
        _inc("s1-19", "a6", at(6), "error.order_note"),
        _inc("s1-20", "a6", at(8), "error.order_note"),
        _inc("s1-21", "a6", at(10), "shirking"),
        _inc("s1-22", "a6", at(12), "shirking"),
        _inc("s1-23", "a6", at(14), "shirking"),
        _inc("s1-24", "a6", at(16), "shirking"),
        # 2026-02-28 23:59 local is February: not counted in March
        _inc("s1-26", "a6", at(28, 23, 59, month=2), "error.major"),
    ]
    ratings = [
        # a1: 3 named-praise reviews in March (+3); a 4th review without named praise does not count
        _named("r1", "a1", at(3)),
        _named("r2", "a1", at(10)),
        _named("r3", "a1", at(20)),
        _named("r4", "a1", at(21), named=False),
        # a2: 2 in March (03-01 07:00 local = 02-28 23:00 UTC is March in Shanghai); the ones at
        # 02-28 20:00 and 04-01 07:00 local are outside March → 2 (< 3: nothing)
        _named("r5", "a2", at(1, 7)),
        _named("r6", "a2", at(15)),
        _named("r7", "a2", at(1, 7, month=4)),
        _named("r8", "a2", at(28, 20, month=2)),
    ]
    sales = [
        _sales("a1", "50000.00", 100, 1),
        _sales("a2", "40000.00", 100, 2),
        _sales("a3", "40000.00", 100, 5),
        _sales("a4", "30000.00", 100, 1),
        _sales("a5", "20000.00", 100, 10),
        _sales("a6", "10000.00", 100, 20),
        _sales("a6", "99999.00", 100, 0, period="2026-02"),  # February: ignored
    ]
    chats = [
        *_chats("a1", 4, 1),
        *_chats("a2", 4, 2),
        *_chats("a3", 4, 3, other=1),  # 3 / 4 inquiries = 75 % (not 3 / 5 chats)
        *_chats("a4", 4, 3),
        *_chats("a5", 2, 1),
        *_chats("a6", 4, 4),
    ]
    return write_package(path, agents=agents, incidents=incidents, ratings=ratings, sales=sales, chats=chats)


def bands_package(path):
    """Four agents whose closing balances sit exactly on the bonus band edges 20, 19, 15 and 14.

    Ranking (no chats table: conversion is missing for everyone → rank n + 1 = 5 for all):
      order amount b1 40000 > b2 30000 > b3 20000 > b4 10000 → ranks 1, 2, 3, 4
      churn        b1 1 %   < b2 2 %   < b3 3 %   < b4 4 %   → ranks 1, 2, 3, 4
      composite    b1 1+5+1 = 7, b2 2+5+2 = 9, b3 3+5+3 = 11, b4 4+5+4 = 13 → places 1, 2, 3, 4
    Every agent has more than 2 deductions, so nobody gets the +3 commendation.
      b1: major −10, price cut ×3 (warning, −2, −2), attitude ×2 (warning, −1), place 1 +5
          = 30 − 10 − 4 − 1 + 5 = 20 (4 deductions)
      b2: major −10, order note ×5 (warning, −1 ×4), place 2 +3 = 30 − 10 − 4 + 3 = 19 (5 deductions)
      b3: major −10, price cut ×4 (warning, −2 ×3), place 3 +1 = 30 − 10 − 6 + 1 = 15 (4 deductions)
      b4: major −10, order note ×4 (warning, −1 ×3), price cut ×2 (warning, −2), attitude ×2
          (warning, −1), place 4 (nothing)              = 30 − 10 − 3 − 2 − 1 = 14 (6 deductions)
    """
    agents = [
        _agent("b1", "t1"),
        _agent("b2", "t1", base_bonus="1500.00"),
        _agent("b3", "t1"),
        _agent("b4", "t1"),
    ]
    n = iter(range(1, 100))

    def inc(agent, kind, count, first_day=2):
        return [_inc(f"b-{next(n):02d}", agent, at(first_day + 2 * i), kind) for i in range(count)]

    incidents = [
        *inc("b1", "error.major", 1, 20),
        *inc("b1", "error.price_cut", 3),
        *inc("b1", "complaint.attitude", 2, 3),
        *inc("b2", "error.major", 1, 20),
        *inc("b2", "error.order_note", 5),
        *inc("b3", "error.major", 1, 20),
        *inc("b3", "error.price_cut", 4),
        *inc("b4", "error.major", 1, 25),
        *inc("b4", "error.order_note", 4),
        *inc("b4", "error.price_cut", 2, 3),
        *inc("b4", "complaint.attitude", 2, 4),
    ]
    sales = [
        _sales("b1", "40000.00", 100, 1),
        _sales("b2", "30000.00", 100, 2),
        _sales("b3", "20000.00", 100, 3),
        _sales("b4", "10000.00", 100, 4),
    ]
    return write_package(path, agents=agents, incidents=incidents, sales=sales)


# ---- helpers over the results document -----------------------------------------------------------


def _agents(doc) -> dict[str, dict]:
    (period,) = doc["periods"]
    assert period["period"] == PERIOD
    return {a["agent_id"]: a for a in period["agents"]}


def _incident_ids(entry) -> tuple[str, ...]:
    return tuple(s["id"] for s in entry.get("source", []) if s.get("table") == "incidents" and "id" in s)


AWARDS = {"few_deductions", "named_praise", "monthly_ranking"}


def _ledger(agent) -> list[tuple[str, str, tuple[str, ...]]]:
    """The point entries as (rule, points, incident ids), order-independent."""
    return sorted((e["rule"], e["points"], _incident_ids(e)) for e in agent["points"]["entries"])


def _entry(agent, rule) -> dict:
    (e,) = [e for e in agent["points"]["entries"] if e["rule"] == rule]
    return e


def _flags(agent) -> list[tuple]:
    return sorted((f["flag"], f["rule"], f["human_decision"], f.get("title")) for f in agent["flags"])


def _warnings(agent) -> list[tuple]:
    return sorted((s["kind"], s["fine"], _incident_ids(s)) for s in agent["sanctions"])


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    folder = rules_package(tmp_path_factory.mktemp("s1_rules"))
    doc, data = assess(folder, "S1", PERIOD)
    return folder, doc, data


@pytest.fixture(scope="module")
def bands(tmp_path_factory):
    folder = bands_package(tmp_path_factory.mktemp("s1_bands"))
    doc, data = assess(folder, "S1", PERIOD)
    return folder, doc, data


# ---- the rules package ------------------------------------------------------------------------------


def test_population_and_opening(rules):
    _, doc, _ = rules
    agents = _agents(doc)
    assert sorted(agents) == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert doc["policy"]["id"] == "S1"
    for a in agents.values():
        assert a["points"]["opening"] == "30.00"  # 每月30分
        assert a["score"] is None  # S1 has a points budget, no scorecard
        assert a["lines"] == []


def test_few_deductions_award_names_the_deductions_behind_it(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # a2 has exactly 2 deductions (attitude 2nd s1-03, shirking 2nd s1-06) → +3, naming both incidents
    e = _entry(ag["a2"], "few_deductions")
    assert e["points"] == "3.00"
    assert _incident_ids(e) == ("s1-03", "s1-06")


def test_event_rules_first_occurrence_is_a_warning(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # a1: 1 attitude complaint → warning only (0); issue reported +5; the April report does not count
    assert [e for e in _ledger(ag["a1"]) if e[2] and e[0] not in AWARDS] == [
        ("attitude_complaint", "0.00", ("s1-01",)),
        ("issue_reported", "5.00", ("s1-02",)),
    ]
    # a2: attitude 1st (s1-04, 03-05) warning, 2nd (s1-03, 03-20) −1; shirking 1st warning, 2nd −1
    assert [e for e in _ledger(ag["a2"]) if e[2] and e[0] not in AWARDS] == [
        ("attitude_complaint", "-1.00", ("s1-03",)),
        ("attitude_complaint", "0.00", ("s1-04",)),
        ("shirking", "-1.00", ("s1-06",)),
        ("shirking", "0.00", ("s1-05",)),
    ]
    # a3: order note ×3 → 0, −1, −1 (= −2); price cut ×2 → 0, −2 (= −2)
    assert [e for e in _ledger(ag["a3"]) if e[2] and e[0] not in AWARDS] == [
        ("order_note_missing", "-1.00", ("s1-08",)),
        ("order_note_missing", "-1.00", ("s1-09",)),
        ("order_note_missing", "0.00", ("s1-07",)),
        ("price_cut", "-2.00", ("s1-11",)),
        ("price_cut", "0.00", ("s1-10",)),
    ]
    # a4: major error −10 at once (no warning first)
    assert [e for e in _ledger(ag["a4"]) if e[2] and e[0] not in AWARDS] == [
        ("major_error", "-10.00", ("s1-12",))
    ]
    # a5: suggestion adopted +3; major error −10; attitude 0, −1
    assert [e for e in _ledger(ag["a5"]) if e[2] and e[0] not in AWARDS] == [
        ("attitude_complaint", "-1.00", ("s1-16",)),
        ("attitude_complaint", "0.00", ("s1-15",)),
        ("major_error", "-10.00", ("s1-14",)),
        ("suggestion_adopted", "3.00", ("s1-13",)),
    ]
    # a6: order note ×4 → 0, −1, −1, −1 (the first at 03-01 00:00 local is in March);
    # shirking ×4 → 0, −1, −1, −1; the major error of 02-28 23:59 local is February's
    assert [e for e in _ledger(ag["a6"]) if e[2] and e[0] not in AWARDS] == [
        ("order_note_missing", "-1.00", ("s1-18",)),
        ("order_note_missing", "-1.00", ("s1-19",)),
        ("order_note_missing", "-1.00", ("s1-20",)),
        ("order_note_missing", "0.00", ("s1-17",)),
        ("shirking", "-1.00", ("s1-22",)),
        ("shirking", "-1.00", ("s1-23",)),
        ("shirking", "-1.00", ("s1-24",)),
        ("shirking", "0.00", ("s1-21",)),
    ]


def test_free_warnings_issue_warning_sanctions(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # one 'warning' sanction (no fine) per free first occurrence, naming the incident
    assert _warnings(ag["a1"]) == [("warning", "0.00", ("s1-01",))]
    assert _warnings(ag["a2"]) == [("warning", "0.00", ("s1-04",)), ("warning", "0.00", ("s1-05",))]
    assert _warnings(ag["a3"]) == [("warning", "0.00", ("s1-07",)), ("warning", "0.00", ("s1-10",))]
    assert _warnings(ag["a4"]) == []  # a major error has no free first occurrence
    assert _warnings(ag["a5"]) == [("warning", "0.00", ("s1-15",))]
    assert _warnings(ag["a6"]) == [("warning", "0.00", ("s1-17",)), ("warning", "0.00", ("s1-21",))]
    reasons = sorted(s["reason"] for s in ag["a2"]["sanctions"])
    assert "attitude_complaint" in reasons[0] and "shirking" in reasons[1]


def test_commendation_for_at_most_two_deductions(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # deductions = negative entries: a1 0, a2 2, a3 3, a4 1, a5 2, a6 6 → +3 for a1, a2, a4, a5
    got = {
        a: [e["points"] for e in x["points"]["entries"] if e["rule"] == "few_deductions"]
        for a, x in ag.items()
    }
    assert got == {"a1": ["3.00"], "a2": ["3.00"], "a3": [], "a4": ["3.00"], "a5": ["3.00"], "a6": []}
    # exactly at 2 (a2) the award is given and the explanation shows the count it read
    e = _entry(ag["a2"], "few_deductions")
    assert Decimal(e["explain"]["inputs"]["points.deductions"]) == 2


def test_named_praise_at_three_not_at_two(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # named-praise ratings in March: a1 3 (≥ 3 → +3), a2 2 (nothing), the rest 0
    got = {
        a: [e["points"] for e in x["points"]["entries"] if e["rule"] == "named_praise"] for a, x in ag.items()
    }
    assert got == {"a1": ["3.00"], "a2": [], "a3": [], "a4": [], "a5": [], "a6": []}
    (src,) = [s for s in _entry(ag["a1"], "named_praise")["source"] if s.get("metric") == "named_praise"]
    assert src["table"] == "ratings"
    assert Decimal(src["num"]) == 3


def test_month_end_ranking(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # order amount (desc): a1 50000 → 1; a2, a3 40000 → 2, 2; a4 30000 → 4; a5 → 5; a6 → 6
    # conversion (desc):   a6 4/4 → 1; a3 3/4, a4 3/4 → 2, 2; a2 2/4, a5 1/2 → 4, 4; a1 1/4 → 6
    # churn (asc):         a1 1/100, a4 1/100 → 1, 1; a2 2 % → 3; a3 5 % → 4; a5 10 % → 5; a6 20 % → 6
    # composite: a1 1+6+1 = 8, a2 2+4+3 = 9, a3 2+2+4 = 8, a4 4+2+1 = 7, a5 5+4+5 = 14, a6 6+1+6 = 13
    # places: a4 (7) 1st; a1 and a3 tie on 8, order amount 50000 > 40000 → a1 2nd, a3 3rd
    got = {
        a: [e["points"] for e in x["points"]["entries"] if e["rule"] == "monthly_ranking"]
        for a, x in ag.items()
    }
    assert got == {"a1": ["3.00"], "a2": [], "a3": ["1.00"], "a4": ["5.00"], "a5": [], "a6": []}
    e4 = _entry(ag["a4"], "monthly_ranking")["explain"]
    assert (e4["place"], e4["of"], e4["composite"]) == (1, 6, 7)
    assert e4["ranks"] == {"sales_amount": 4, "inquiry_conversion": 2, "churn_rate": 1}
    e1 = _entry(ag["a1"], "monthly_ranking")["explain"]
    assert (e1["place"], e1["composite"]) == (2, 8)
    e3 = _entry(ag["a3"], "monthly_ranking")["explain"]
    assert (e3["place"], e3["composite"]) == (3, 8)
    assert e3["ranks"] == {"sales_amount": 2, "inquiry_conversion": 2, "churn_rate": 4}
    tables = {s["metric"]: s["table"] for s in _entry(ag["a4"], "monthly_ranking")["source"]}
    assert tables == {"sales_amount": "sales", "inquiry_conversion": "chats", "churn_rate": "sales"}
    # the title goes to place 1 only
    titles = {a: [f.get("title") for f in x["flags"] if f["flag"] == "title"] for a, x in ag.items()}
    assert titles == {"a1": [], "a2": [], "a3": [], "a4": ["gold_medal"], "a5": [], "a6": []}


def test_closing_balances_and_bonus(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    closing = {a: x["points"]["closing"] for a, x in ag.items()}
    # see rules_package: 44, 31, 27, 28, 25, 24
    assert closing == {
        "a1": "44.00",
        "a2": "31.00",
        "a3": "27.00",
        "a4": "28.00",
        "a5": "25.00",
        "a6": "24.00",
    }
    bonus = {a: x["bonus"] for a, x in ag.items()}
    assert bonus == {
        "a1": "1190.00",  # 44: 19 points above 25 × 1 % = +19 % → 1000 × 1.19
        "a2": "1060.00",  # 31: +6 % → 1000 × 1.06
        "a3": "1259.25",  # 27: +2 % → 1234.56 × 1.02 = 1259.2512 → 1259.25
        "a4": "1030.00",  # 28: +3 % (1 % per whole point above 25) → 1000 × 1.03
        "a5": "1000.00",  # exactly 25: no cut (band [20, 25) excludes 25), no point above 25
        "a6": "900.00",  # 24: [20, 25) → −10 % → 1000 × 0.90
    }
    assert Decimal(ag["a4"]["bonus_explain"]["inputs"]["adjustments_percent"]) == 3
    assert Decimal(ag["a5"]["bonus_explain"]["inputs"]["adjustments_percent"]) == 0
    assert Decimal(ag["a6"]["bonus_explain"]["inputs"]["adjustments_percent"]) == -10


def test_full_ledgers(rules):
    """Every entry of two agents, so nothing unexpected is added (e.g. a stray award)."""
    _, doc, _ = rules
    ag = _agents(doc)
    assert _ledger(ag["a1"]) == [
        ("attitude_complaint", "0.00", ("s1-01",)),
        ("few_deductions", "3.00", ()),
        ("issue_reported", "5.00", ("s1-02",)),
        ("monthly_ranking", "3.00", ()),
        ("named_praise", "3.00", ()),
    ]
    assert _ledger(ag["a4"]) == [
        ("few_deductions", "3.00", ("s1-12",)),  # 1 deduction (the major error) ≤ 2: the award names it
        ("major_error", "-10.00", ("s1-12",)),
        ("monthly_ranking", "5.00", ()),
    ]
    # the closing balance is the opening plus the sum of the entries
    for a in ag.values():
        total = Decimal(a["points"]["opening"]) + sum(Decimal(e["points"]) for e in a["points"]["entries"])
        assert Decimal(a["points"]["closing"]) == total


def test_flags(rules):
    _, doc, _ = rules
    ag = _agents(doc)
    # major error → probation, a recommendation for a person to decide (human_decision true)
    assert _flags(ag["a4"]) == [
        ("probation", "major_error", True, None),
        ("title", "monthly_ranking", False, "gold_medal"),
    ]
    assert _flags(ag["a5"]) == [("probation", "major_error", True, None)]
    (p,) = [f for f in ag["a5"]["flags"] if f["flag"] == "probation"]
    assert _incident_ids(p) == ("s1-14",)
    for a in ("a1", "a2", "a3", "a6"):
        assert _flags(ag[a]) == [], a  # nobody else: a6's February major error does not count


def test_deterministic(rules):
    folder, doc, data = rules
    doc2, data2 = assess(folder, "S1", PERIOD)
    assert data2 == data
    assert doc2["output_sha256"] == doc["output_sha256"]
    assert f'"output_sha256":"{doc["output_sha256"]}"'.encode() in data


# ---- the bonus bands package -----------------------------------------------------------------------


def test_bonus_bands_at_the_edges(bands):
    _, doc, _ = bands
    ag = _agents(doc)
    closing = {a: x["points"]["closing"] for a, x in ag.items()}
    assert closing == {"b1": "20.00", "b2": "19.00", "b3": "15.00", "b4": "14.00"}
    bonus = {a: x["bonus"] for a, x in ag.items()}
    assert bonus == {
        "b1": "900.00",  # exactly 20: [20, 25) → −10 % → 1000 × 0.90
        "b2": "1050.00",  # 19: [15, 20) → −30 % → 1500 × 0.70
        "b3": "700.00",  # exactly 15: [15, 20) → −30 % → 1000 × 0.70
        "b4": "0.00",  # 14: < 15 → no bonus (−100 %)
    }
    adj = {a: Decimal(x["bonus_explain"]["inputs"]["adjustments_percent"]) for a, x in ag.items()}
    assert adj == {"b1": -10, "b2": -30, "b3": -30, "b4": -100}


def test_bands_ledgers(bands):
    _, doc, _ = bands
    ag = _agents(doc)
    points = {a: sorted((e["rule"], e["points"]) for e in x["points"]["entries"]) for a, x in ag.items()}
    assert points["b1"] == sorted(
        [
            ("major_error", "-10.00"),
            ("price_cut", "0.00"),
            ("price_cut", "-2.00"),
            ("price_cut", "-2.00"),
            ("attitude_complaint", "0.00"),
            ("attitude_complaint", "-1.00"),
            ("monthly_ranking", "5.00"),
        ]
    )
    assert points["b2"] == sorted(
        [("major_error", "-10.00"), ("order_note_missing", "0.00")]
        + [("order_note_missing", "-1.00")] * 4
        + [("monthly_ranking", "3.00")]
    )
    assert points["b3"] == sorted(
        [("major_error", "-10.00"), ("price_cut", "0.00")]
        + [("price_cut", "-2.00")] * 3
        + [("monthly_ranking", "1.00")]
    )
    assert points["b4"] == sorted(
        [("major_error", "-10.00"), ("order_note_missing", "0.00")]
        + [("order_note_missing", "-1.00")] * 3
        + [("price_cut", "0.00"), ("price_cut", "-2.00")]
        + [("attitude_complaint", "0.00"), ("attitude_complaint", "-1.00")]
    )
    # more than 2 deductions each: no commendation; no ratings table: no named praise
    for x in ag.values():
        assert not [e for e in x["points"]["entries"] if e["rule"] in ("few_deductions", "named_praise")]
    e = _entry(ag["b1"], "monthly_ranking")["explain"]
    # conversion is missing for everyone (no chats): rank n + 1 = 5 for all
    assert e["ranks"] == {"sales_amount": 1, "inquiry_conversion": 5, "churn_rate": 1}
    assert (e["place"], e["of"], e["composite"]) == (1, 4, 7)


def test_bands_flags(bands):
    _, doc, _ = bands
    ag = _agents(doc)
    assert _flags(ag["b1"]) == [
        ("probation", "major_error", True, None),
        ("title", "monthly_ranking", False, "gold_medal"),
    ]
    assert _flags(ag["b2"]) == [("probation", "major_error", True, None)]
    # exactly 15 is not below 15: no bonus_withheld
    assert _flags(ag["b3"]) == [("probation", "major_error", True, None)]
    # 14 < 15: bonus withheld
    assert _flags(ag["b4"]) == [
        ("bonus_withheld", "no_bonus", False, None),
        ("probation", "major_error", True, None),
    ]
    (w,) = [f for f in ag["b4"]["flags"] if f["flag"] == "bonus_withheld"]
    assert Decimal(w["explain"]["inputs"]["points.closing"]) == 14
    # warnings: one per rule whose first occurrence was free
    assert [s["kind"] for s in ag["b4"]["sanctions"]] == ["warning"] * 3
    assert [s["kind"] for s in ag["b1"]["sanctions"]] == ["warning"] * 2
