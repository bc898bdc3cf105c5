"""Preset S9 (fixed reward/penalty schedules), against numbers worked out by hand.

Every expected value below is a literal computed by hand from RULEBOOK.md § S9 and the interpretations
stated in merit/presets/s9_fixed_schedule.yaml, never by running the engine:

- rewards: month CSAT ≥ 0.95 → ¥500 (csat = survey/review ratings of 4 or 5 / all of them);
  'improvement.adopted' severity minor ¥500, major ¥1000, none ¥500 (default); 'praise.written' ¥100
  each; best agent of the month ¥500 to place 1 only (sum of the ranks by csat desc and tickets
  handled desc, competition ranking, ties by named praise desc, then agent id); at quarter ends only:
  manual_scores item excellent_quarter ≥ 1 → ¥1000, service_star ≥ 1 → ¥1000; loyalty ¥1000 in the
  month whose tenure (whole months from hired_on, the day ignored) is exactly 12, with csat ≥ 0.9;
- penalties: 'complaint.attitude' by occurrence within a rolling 12 months (carried in the state):
  1st → warning (a sanction of kind 'warning', fine 0.00), 2nd → ¥200, 3rd and later →
  dismissal_review (a human decision); 'error.loss' / 'error.major' by loss_amount: < 1000 → ¥500,
  [1000, 5000) → ¥1000, ≥ 5000 → ¥2000; 'procedure.breach' → month bonus −30 %; attendance late or
  early leave ¥50 each, absent ¥200; 'info_leak' → dismissal_review, no amount;
- teams: at quarter ends, the team with the highest pooled CSAT (Σ good ratings / Σ ratings of its
  members) gets team_amount ¥2000;
- bonus = agent.base_bonus × (1 + money rules' bonus percent / 100).

Times are local (Asia/Shanghai) ISO times without a zone.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from merit.engine.api import assess

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import at, chained_months, cli_assess, write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import at, chained_months, cli_assess, write_package


# ---- package builders ---------------------------------------------------------------------------


def _agent(agent_id: str, team_id: str, hired_on: date | None = None) -> dict:
    return {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "team_id": team_id,
        "role": "after_sales",
        "employment": "regular",
        "hired_on": hired_on,
        "base_bonus": "1000.00",
    }


def _inc(incident_id: str, agent_id: str, when, kind: str, **kw) -> dict:
    return {"incident_id": incident_id, "agent_id": agent_id, "at": when, "kind": kind, **kw}


def _att(agent_id: str, day: date, status: str) -> dict:
    return {"agent_id": agent_id, "date": day, "status": status}


def _ticket(ticket_id: str, agent_id: str, when) -> dict:
    return {"ticket_id": ticket_id, "agent_id": agent_id, "kind": "inquiry", "created_at": when}


def _ratings(agent_id: str, month: int, scores: list[str], named: int = 0) -> list[dict]:
    """Survey ratings of ``agent_id`` in 2026-``month``; the first ``named`` of them name the agent."""
    return [
        {
            "rating_id": f"r-{agent_id}-{month}-{i}",
            "agent_id": agent_id,
            "at": at(3 + i // 20, 9, i % 20, month=month),
            "score": sc,
            "source": "survey",
            "named_praise": i < named,
        }
        for i, sc in enumerate(scores)
    ]


def _manual(agent_id: str, period: str, item: str, score: str) -> dict:
    return {"agent_id": agent_id, "period": period, "item": item, "score": score, "by": "主管"}


def rules_package(path):
    """Five agents in three teams over 2026-02 … 2026-03 (March is a quarter end).

    March:
    a1 (team A, lead; hired 2025-04-10 → tenure 11): ratings 19 × 5 + 1 × 3 → csat 19/20 = 0.95 → ¥500;
        6 tickets. Rewards 500.
    a2 (team A; hired 2025-02-10 → tenure 13): ratings 18 × 4 + 1 × 2 → csat 18/19 ≈ 0.947 → no ¥500;
        4 tickets; improvements minor 500, major 1000, no severity 500; 2 written praises 100 + 100.
        Rewards 500 + 1000 + 500 + 100 + 100 = 2200. (Its February manual scores never pay.)
    b1 (team B, lead): ratings 5, 5 (one names the agent) → csat 1 → ¥500; 5 tickets; best agent ¥500;
        losses 999.99 → 500, 1000.00 → 1000, 4999.99 → 1000, 5000.00 → 2000, an 'error.major' of
        6000.00 → 2000; late 50, early leave 50, absent 200 (leave and present nothing).
        Rewards 1000; fines 500 + 1000 + 1000 + 2000 + 2000 + 50 + 50 + 200 = 6800.
    b2 (team B; hired 2025-03-10 → tenure 12): ratings 18 × 5 + 2 × 1 → csat 0.9 (≥ 0.9) → loyalty
        1000; 3 tickets; manual excellent_quarter 1 → 1000, service_star 2 → 1000; a procedure breach
        → bonus 1000 × (1 − 30 %) = 700.00; an info leak → dismissal_review. Rewards 3000, fines 0.
    c1 (team C, lead; hired 2025-03-10 → tenure 12): ratings 8 × 5 + 2 × 2 → csat 0.8 < 0.9 → no
        loyalty; no tickets. Nothing.

    Best agent of March: csat ranks b1 1 (1.0), a1 2 (0.95), a2 3 (0.947), b2 4 (0.9), c1 5 (0.8);
        tickets ranks a1 1 (6), b1 2 (5), a2 3 (4), b2 4 (3), c1 5 (0);
        sums a1 3, b1 3, a2 6, b2 8, c1 10; a1 and b1 tie → named praise b1 1 > a1 0 → b1 place 1.
    Top team of the quarter (March): pooled csat A (19 + 18) / (20 + 19) = 37/39 ≈ 0.9487,
        B (2 + 18) / (2 + 20) = 20/22 ≈ 0.9091, C 8/10 = 0.8 → A place 1 of 3 → 2000.00
        (the mean of the members' rates would put B first: (1 + 0.9) / 2 = 0.95 > 0.9487).

    February: only b2 has ratings (5, 5 → csat 1 → ¥500); nobody has tickets (0 each, rank 1 for
        all); csat ranks b2 1, the others unranked (6) → sums b2 2, others 7 → b2 best agent ¥500.
        b2 tenure 11 → no loyalty. a2's manual excellent_quarter and service_star of 2026-02 pay
        nothing (February is no quarter end; March reads March's scores only). No team reward.
    """
    agents = [
        _agent("a1", "A", date(2025, 4, 10)),
        _agent("a2", "A", date(2025, 2, 10)),
        _agent("b1", "B"),
        _agent("b2", "B", date(2025, 3, 10)),
        _agent("c1", "C", date(2025, 3, 10)),
    ]
    teams = [
        {"team_id": "A", "name": "A组", "lead_agent_id": "a1"},
        {"team_id": "B", "name": "B组", "lead_agent_id": "b1"},
        {"team_id": "C", "name": "C组", "lead_agent_id": "c1"},
    ]
    ratings = [
        *_ratings("a1", 3, ["5"] * 19 + ["3"]),
        *_ratings("a2", 3, ["4"] * 18 + ["2"]),
        *_ratings("b1", 3, ["5", "5"], named=1),
        *_ratings("b2", 3, ["5"] * 18 + ["1", "1"]),
        *_ratings("c1", 3, ["5"] * 8 + ["2", "2"]),
        *_ratings("b2", 2, ["5", "5"]),
    ]
    tickets = [
        _ticket(f"k-{a}-{i}", a, at(10 + i, month=3))
        for a, n in (("a1", 6), ("b1", 5), ("a2", 4), ("b2", 3))
        for i in range(n)
    ]
    incidents = [
        _inc("a2-imp-minor", "a2", at(5), "improvement.adopted", severity="minor"),
        _inc("a2-imp-major", "a2", at(6), "improvement.adopted", severity="major"),
        _inc("a2-imp-none", "a2", at(7), "improvement.adopted"),
        _inc("a2-praise-1", "a2", at(8), "praise.written"),
        _inc("a2-praise-2", "a2", at(9), "praise.written"),
        _inc("b1-loss-1", "b1", at(5), "error.loss", loss_amount="999.99"),
        _inc("b1-loss-2", "b1", at(6), "error.loss", loss_amount="1000.00"),
        _inc("b1-loss-3", "b1", at(7), "error.loss", loss_amount="4999.99"),
        _inc("b1-loss-4", "b1", at(8), "error.loss", loss_amount="5000.00"),
        _inc("b1-major", "b1", at(9), "error.major", loss_amount="6000.00"),
        _inc("b2-breach", "b2", at(5), "procedure.breach"),
        _inc("b2-leak", "b2", at(6), "info_leak"),
    ]
    attendance = [
        _att("b1", date(2026, 3, 2), "late"),
        _att("b1", date(2026, 3, 3), "early_leave"),
        _att("b1", date(2026, 3, 4), "absent"),
        _att("b1", date(2026, 3, 5), "leave"),
        _att("b1", date(2026, 3, 6), "present"),
    ]
    manual_scores = [
        _manual("b2", "2026-03", "excellent_quarter", "1"),
        _manual("b2", "2026-03", "service_star", "2"),
        _manual("a2", "2026-02", "excellent_quarter", "1"),
        _manual("a2", "2026-02", "service_star", "1"),
    ]
    return write_package(
        path,
        agents=agents,
        teams=teams,
        ratings=ratings,
        tickets=tickets,
        incidents=incidents,
        attendance=attendance,
        manual_scores=manual_scores,
    )


def complaints_package(path):
    """Attitude complaints over 2026-01 … 2027-01 (no other data: every agent has 0 tickets and no csat).

    s1: 2026-01-10 (1st: warning), 2026-02-10 (2nd: ¥200), 2026-03-10 (3rd: dismissal review),
        2026-03-20 (4th: dismissal review again, the last step repeats).
    s2: 2026-01-15 (1st), 2027-01-20 (more than 12 months later: 2027-01-15 ≤ 2027-01-20, the first
        has left the window → a 1st again: warning).
    s3: 2026-02-05 (1st), 2027-01-25 (2027-02-05 > 2027-01-25: still in the window → 2nd: ¥200).
    s4: 2026-05-06 (1st: warning) and 2026-05-07 (2nd: ¥200) in the same month; a 'complaint.rights'
        of 2026-05-08 is no attitude complaint.
    """
    agents = [_agent(a, "T") for a in ("s1", "s2", "s3", "s4")]
    incidents = [
        _inc("s1-1", "s1", at(10, month=1), "complaint.attitude"),
        _inc("s1-2", "s1", at(10, month=2), "complaint.attitude"),
        _inc("s1-3", "s1", at(10, month=3), "complaint.attitude"),
        _inc("s1-4", "s1", at(20, month=3), "complaint.attitude"),
        _inc("s2-1", "s2", at(15, month=1), "complaint.attitude"),
        _inc("s2-2", "s2", at(20, month=1, year=2027), "complaint.attitude"),
        _inc("s3-1", "s3", at(5, month=2), "complaint.attitude"),
        _inc("s3-2", "s3", at(25, month=1, year=2027), "complaint.attitude"),
        _inc("s4-1", "s4", at(6, month=5), "complaint.attitude"),
        _inc("s4-2", "s4", at(7, month=5), "complaint.attitude"),
        _inc("s4-3", "s4", at(8, month=5), "complaint.rights"),
    ]
    return write_package(path, agents=agents, incidents=incidents, ratings=[], tickets=[], attendance=[])


# ---- helpers --------------------------------------------------------------------------------------


def _by_period(doc) -> dict[str, dict[str, dict]]:
    return {p["period"]: {a["agent_id"]: a for a in p["agents"]} for p in doc["periods"]}


def _teams_by_period(doc) -> dict[str, dict[str, dict]]:
    return {p["period"]: {t["team_id"]: t for t in p["teams"]} for p in doc["periods"]}


def _src_ids(x) -> tuple[str, ...]:
    return tuple(s["id"] for s in x.get("source", []))


def _ledger(agent) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """The money entries as (rule, kind, amount, source ids of events), order-independent."""
    return sorted(
        (
            e["rule"],
            e["kind"],
            e["amount"],
            tuple(s["id"] for s in e.get("source", []) if s.get("table") in ("incidents", "attendance")),
        )
        for e in agent["money"]["entries"]
    )


def _flags(agent) -> list[tuple]:
    return sorted((f["flag"], f["rule"], f["human_decision"]) for f in agent["flags"])


def _attitude(agent) -> list[tuple[int, str]]:
    return [
        (e["occurrence"], e["amount"]) for e in agent["money"]["entries"] if e["rule"] == "attitude_complaint"
    ]


def _cli_assess(folder, out, period, state=None):
    return cli_assess(folder, out, period, "S9", state)


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules_doc(tmp_path_factory):
    folder = rules_package(tmp_path_factory.mktemp("s9_rules"))
    doc, _ = assess(folder, "S9", "2026-02..2026-03")
    return doc


@pytest.fixture(scope="module")
def mar(rules_doc):
    return _by_period(rules_doc)["2026-03"]


@pytest.fixture(scope="module")
def feb(rules_doc):
    return _by_period(rules_doc)["2026-02"]


@pytest.fixture(scope="module")
def cfolder(tmp_path_factory):
    return complaints_package(tmp_path_factory.mktemp("s9_complaints"))


@pytest.fixture(scope="module")
def complaints(cfolder):
    doc, _ = assess(cfolder, "S9", "2026-01..2027-01")
    return _by_period(doc)


# ---- rewards ----------------------------------------------------------------------------------------


def test_csat_95_reward_at_the_edge(mar):
    got = {a: [e["amount"] for e in x["money"]["entries"] if e["rule"] == "csat_95"] for a, x in mar.items()}
    # a1 19/20 = 0.95 exactly → 500; a2 18/19 ≈ 0.947 → none; b1 2/2 → 500; b2 0.9, c1 0.8 → none
    assert got == {"a1": ["500.00"], "a2": [], "b1": ["500.00"], "b2": [], "c1": []}


def test_improvements_and_written_praise(mar):
    assert _ledger(mar["a2"]) == [
        ("process_improvement", "reward", "1000.00", ("a2-imp-major",)),
        ("process_improvement", "reward", "500.00", ("a2-imp-minor",)),
        ("process_improvement", "reward", "500.00", ("a2-imp-none",)),  # no severity: default 500
        ("written_praise", "reward", "100.00", ("a2-praise-1",)),
        ("written_praise", "reward", "100.00", ("a2-praise-2",)),
    ]
    # 1000 + 500 + 500 + 100 + 100 = 2200; a2's February manual scores pay nothing in March
    assert (mar["a2"]["money"]["rewards"], mar["a2"]["money"]["fines"]) == ("2200.00", "0.00")


def test_best_agent_place_one_only_by_named_praise(mar):
    got = {
        a: [e["amount"] for e in x["money"]["entries"] if e["rule"] == "best_agent_of_month"]
        for a, x in mar.items()
    }
    # a1 and b1 tie on 3 (a1 2 + 1, b1 1 + 2); b1 named once, a1 never → b1 place 1; nobody else paid
    assert got == {"a1": [], "a2": [], "b1": ["500.00"], "b2": [], "c1": []}
    (e,) = [e for e in mar["b1"]["money"]["entries"] if e["rule"] == "best_agent_of_month"]
    assert (e["explain"]["place"], e["explain"]["of"], e["explain"]["composite"]) == (1, 5, 3)
    assert e["explain"]["ranks"] == {"csat": 1, "tickets_handled": 2}


def test_quarter_end_rewards_from_manual_scores(rules_doc, mar, feb):
    quarter = {
        p: {
            a: sorted(
                e["rule"]
                for e in x["money"]["entries"]
                if e["rule"] in ("excellent_of_quarter", "service_star")
            )
            for a, x in ags.items()
        }
        for p, ags in _by_period(rules_doc).items()
    }
    # March (quarter end): b2's excellent_quarter 1 and service_star 2 pay 1000 each;
    # a2's February scores pay nothing, neither in February nor in March
    assert quarter == {
        "2026-02": {"a1": [], "a2": [], "b1": [], "b2": [], "c1": []},
        "2026-03": {"a1": [], "a2": [], "b1": [], "b2": ["excellent_of_quarter", "service_star"], "c1": []},
    }
    amounts = sorted(
        e["amount"]
        for e in mar["b2"]["money"]["entries"]
        if e["rule"] in ("excellent_of_quarter", "service_star")
    )
    assert amounts == ["1000.00", "1000.00"]
    assert feb["a2"]["money"]["entries"] == []
    assert feb["a2"]["money"]["rewards"] == "0.00"


def test_loyalty_in_the_month_of_twelve_months_tenure(mar, feb):
    got = {a: [e["amount"] for e in x["money"]["entries"] if e["rule"] == "loyalty"] for a, x in mar.items()}
    # b2: hired 2025-03-10, March 2026 → 12 months, csat 0.9 ≥ 0.9 → 1000;
    # c1: 12 months but csat 0.8; a1: 11 months; a2: 13 months; b1: no hiring date
    assert got == {"a1": [], "a2": [], "b1": [], "b2": ["1000.00"], "c1": []}
    # February: b2 is at 11 months (csat 1 there) → no loyalty
    assert [e for e in feb["b2"]["money"]["entries"] if e["rule"] == "loyalty"] == []


def test_march_money_totals(mar):
    totals = {a: (x["money"]["rewards"], x["money"]["fines"]) for a, x in mar.items()}
    assert totals == {
        "a1": ("500.00", "0.00"),  # csat 0.95
        "a2": ("2200.00", "0.00"),  # improvements 2000 + praise 200
        "b1": ("1000.00", "6800.00"),  # csat 500 + best 500; losses 6500 + attendance 300
        "b2": ("3000.00", "0.00"),  # loyalty 1000 + excellent 1000 + star 1000
        "c1": ("0.00", "0.00"),
    }
    assert mar["c1"]["money"]["entries"] == []


def test_february_money(feb):
    totals = {a: (x["money"]["rewards"], x["money"]["fines"]) for a, x in feb.items()}
    # b2: csat 1 → 500, best agent (the only one with a csat) → 500; nobody else has anything
    assert totals == {
        "a1": ("0.00", "0.00"),
        "a2": ("0.00", "0.00"),
        "b1": ("0.00", "0.00"),
        "b2": ("1000.00", "0.00"),
        "c1": ("0.00", "0.00"),
    }
    assert sorted(e["rule"] for e in feb["b2"]["money"]["entries"]) == ["best_agent_of_month", "csat_95"]


def test_top_team_of_the_quarter_at_march_only(rules_doc):
    teams = _teams_by_period(rules_doc)
    got = {
        p: {t: [(r["rule"], r.get("team_amount")) for r in x["rules"]] for t, x in ts.items()}
        for p, ts in teams.items()
    }
    # pooled csat A 37/39 ≈ 0.9487 > B 20/22 ≈ 0.9091 > C 0.8 → A; February is no quarter end
    assert got == {
        "2026-02": {"A": [], "B": [], "C": []},
        "2026-03": {"A": [("top_team_of_quarter", "2000.00")], "B": [], "C": []},
    }
    (r,) = teams["2026-03"]["A"]["rules"]
    assert (r["explain"]["place"], r["explain"]["of"]) == (1, 3)
    assert abs(Decimal(r["explain"]["team.csat"]) - Decimal(37) / Decimal(39)) < Decimal("0.000001")
    checks = {p["period"]: p["checks"] for p in rules_doc["periods"]}
    assert checks == {"2026-02": ["month_end"], "2026-03": ["month_end", "quarter_end"]}


# ---- penalties -----------------------------------------------------------------------------------


def test_loss_errors_at_band_edges_and_attendance(mar):
    assert _ledger(mar["b1"]) == [
        ("absence", "fine", "200.00", ("b1/2026-03-04",)),
        ("best_agent_of_month", "reward", "500.00", ()),
        ("csat_95", "reward", "500.00", ()),
        ("late_or_early", "fine", "50.00", ("b1/2026-03-02",)),  # late
        ("late_or_early", "fine", "50.00", ("b1/2026-03-03",)),  # early leave
        ("loss_error", "fine", "1000.00", ("b1-loss-2",)),  # exactly 1000 → [1000, 5000)
        ("loss_error", "fine", "1000.00", ("b1-loss-3",)),  # 4999.99 → [1000, 5000)
        ("loss_error", "fine", "2000.00", ("b1-loss-4",)),  # exactly 5000 → ≥ 5000
        ("loss_error", "fine", "2000.00", ("b1-major",)),  # 'error.major' 6000 → ≥ 5000
        ("loss_error", "fine", "500.00", ("b1-loss-1",)),  # 999.99 → < 1000
    ]
    fines = sorted(Decimal(x["fine"]) for x in mar["b1"]["sanctions"] if x["kind"] == "fine")
    # every fine is a sanction too: 50, 50, 200, 500, 1000, 1000, 2000, 2000
    assert fines == [Decimal(v) for v in (50, 50, 200, 500, 1000, 1000, 2000, 2000)]
    assert [x for x in mar["b1"]["sanctions"] if x["kind"] != "fine"] == []


def test_procedure_breach_cuts_the_bonus_and_info_leak_is_reviewed(mar):
    b2 = mar["b2"]
    # 1000.00 × (1 − 30 %) = 700.00
    assert b2["bonus"] == "700.00"
    assert b2["bonus_explain"]["inputs"]["base"] == "1000.00"
    assert Decimal(b2["bonus_explain"]["inputs"]["adjustments_percent"]) == -30
    (e,) = [e for e in b2["money"]["entries"] if e["rule"] == "procedure_breach"]
    assert Decimal(e["bonus_percent"]) == -30
    assert Decimal(e["amount"]) == 0
    # the info leak: a dismissal review (a person decides), no amount, no fine sanction
    assert _flags(b2) == [("dismissal_review", "data_leak", True)]
    assert [x for x in b2["sanctions"] if x["kind"] == "fine"] == []
    # nobody else's bonus is touched: 1000.00 each
    assert {a: x["bonus"] for a, x in mar.items()} == {
        "a1": "1000.00",
        "a2": "1000.00",
        "b1": "1000.00",
        "b2": "700.00",
        "c1": "1000.00",
    }


def test_march_flags(mar):
    assert {a: _flags(x) for a, x in mar.items()} == {
        "a1": [],
        "a2": [],
        "b1": [],
        "b2": [("dismissal_review", "data_leak", True)],
        "c1": [],
    }


def test_attitude_complaint_sequence_across_months(complaints):
    got = {p: {a: _attitude(x) for a, x in ags.items() if _attitude(x)} for p, ags in complaints.items()}
    assert got == {
        "2026-01": {"s1": [(1, "0.00")], "s2": [(1, "0.00")]},  # warnings
        "2026-02": {"s1": [(2, "200.00")], "s3": [(1, "0.00")]},
        "2026-03": {"s1": [(3, "0.00"), (4, "0.00")]},  # dismissal review (twice)
        "2026-04": {},
        "2026-05": {"s4": [(1, "0.00"), (2, "200.00")]},
        "2026-06": {},
        "2026-07": {},
        "2026-08": {},
        "2026-09": {},
        "2026-10": {},
        "2026-11": {},
        "2026-12": {},
        # s2: 2026-01-15 + 12 months = 2027-01-15 ≤ 2027-01-20 → out of the window → 1st again;
        # s3: 2026-02-05 + 12 months = 2027-02-05 > 2027-01-25 → in the window → 2nd → 200
        "2027-01": {"s2": [(1, "0.00")], "s3": [(2, "200.00")]},
    }


def _sanctions(agent) -> list[tuple[str, str, str]]:
    return sorted((x["kind"], x["fine"], x["rule"]) for x in agent["sanctions"])


def test_attitude_complaint_sanctions_and_flags(complaints):
    jan, feb, mar = complaints["2026-01"], complaints["2026-02"], complaints["2026-03"]
    # 1st: a warning sanction with fine 0.00, no flag
    assert _sanctions(jan["s1"]) == [("warning", "0.00", "attitude_complaint")]
    assert _flags(jan["s1"]) == []
    # 2nd: a ¥200 fine, counted in money.fines
    assert _sanctions(feb["s1"]) == [("fine", "200.00", "attitude_complaint")]
    assert feb["s1"]["money"]["fines"] == "200.00"
    # 3rd and 4th: dismissal review (a human decision), no fine, no warning
    assert _sanctions(mar["s1"]) == []
    assert _flags(mar["s1"]) == [
        ("dismissal_review", "attitude_complaint", True),
        ("dismissal_review", "attitude_complaint", True),
    ]
    assert mar["s1"]["money"]["fines"] == "0.00"
    # the window's dates are carried in the state
    assert mar["s1"]["state_out"]["occurrences"]["attitude_complaint"] == [
        "2026-01-10",
        "2026-02-10",
        "2026-03-10",
        "2026-03-20",
    ]
    may = complaints["2026-05"]["s4"]
    assert _sanctions(may) == [
        ("fine", "200.00", "attitude_complaint"),
        ("warning", "0.00", "attitude_complaint"),
    ]
    jan27 = complaints["2027-01"]
    assert _sanctions(jan27["s2"]) == [("warning", "0.00", "attitude_complaint")]
    assert _sanctions(jan27["s3"]) == [("fine", "200.00", "attitude_complaint")]


def test_a_month_alone_counts_the_complaints_before_it(cfolder):
    # February alone (no state): the state is rebuilt from January's facts (docs/policy-language.md,
    # look-back), so s1's complaint of 2026-02-10 is the 2nd within 12 months (the 1st: 2026-01-10)
    # → ¥200, exactly as in the range January..March
    doc, _ = assess(cfolder, "S9", "2026-02")
    (p,) = doc["periods"]
    ag = {a["agent_id"]: a for a in p["agents"]}
    assert _attitude(ag["s1"]) == [(2, "200.00")]
    assert _sanctions(ag["s1"]) == [("fine", "200.00", "attitude_complaint")]
    # the facts begin in January 2026: the 12-month window of February reaches back to February 2025
    assert p["history"]["from"] == "2026-01"
    assert [r["rule"] for r in p["history"]["short"]] == ["attitude_complaint"]


# ---- a range equals month-by-month runs with --state ------------------------------------------------


def test_range_equals_months_chained_with_state(cfolder, tmp_path):
    _, data = assess(cfolder, "S9", "2026-01..2026-03")
    whole = json.loads(data)
    months = [f"2026-{m:02d}" for m in (1, 2, 3)]
    chained = chained_months(cfolder, "S9", months, tmp_path)
    for i, p in enumerate(chained):
        assert p == whole["periods"][i], months[i]
    # the chained March names s1's 3rd and 4th complaints just as the range does
    ag = {a["agent_id"]: a for a in p["agents"]}
    assert _attitude(ag["s1"]) == [(3, "0.00"), (4, "0.00")]


# ---- the quarter's top team reads the whole quarter ----------------------------------------------


@pytest.fixture(scope="module")
def qtfolder(tmp_path_factory):
    """Two teams of one agent each; survey ratings (good = 4 or 5) by month:

    a1 (team tA): July 10 of 10 good, August 10 of 10, September 8 of 10   → quarter 28 / 30 = 0.933333
    b1 (team tB): July  5 of 10,      August  5 of 10, September 9 of 10   → quarter 19 / 30 = 0.633333
    September alone would rank tB first (0.9 against 0.8); over the quarter tA leads.
    """
    good, bad = "5", "2"
    ratings = [
        *_ratings("a1", 7, [good] * 10),
        *_ratings("a1", 8, [good] * 10),
        *_ratings("a1", 9, [good] * 8 + [bad] * 2),
        *_ratings("b1", 7, [good] * 5 + [bad] * 5),
        *_ratings("b1", 8, [good] * 5 + [bad] * 5),
        *_ratings("b1", 9, [good] * 9 + [bad] * 1),
    ]
    teams = [
        {"team_id": "tA", "name": "Team A", "lead_agent_id": "a1"},
        {"team_id": "tB", "name": "Team B", "lead_agent_id": "b1"},
    ]
    return write_package(
        tmp_path_factory.mktemp("s9_quarter"),
        agents=[_agent("a1", "tA"), _agent("b1", "tB")],
        teams=teams,
        ratings=ratings,
    )


@pytest.mark.parametrize("period", ["2026-07..2026-09", "2026-09", "2026-08..2026-09"])
def test_the_quarters_top_team_is_ranked_over_the_quarter(qtfolder, period):
    doc, _ = assess(qtfolder, "S9", period)
    (september,) = [p for p in doc["periods"] if p["period"] == "2026-09"]
    rules = {t["team_id"]: t["rules"] for t in september["teams"]}
    assert rules["tB"] == []
    (top,) = rules["tA"]
    assert top["rule"] == "top_team_of_quarter" and top["team_amount"] == "2000.00"
    assert top["explain"] == {"place": 1, "of": 2, "team.csat": "0.933333", "window": "2026-07..2026-09"}
