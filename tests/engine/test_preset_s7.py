"""Preset S7 (Tmall/Taobao customer-service bonus table, RULEBOOK.md § S7) against hand-worked numbers.

Every expected value below was computed on paper from the rulebook and the interpretations the preset
states in its comments and parameters; the comment next to each literal shows the computation. Nothing
here was obtained by running the program.

Items [standard score]:
  exam: mean exam score × 0.3 (interpretation; none → 0)     supervisor: rating 0–100 × 30 / 100 [30]
  refund dispute rate ≤ industry average → 10, above → 0 [10]
  refund completion days vs industry average: ±1 per day, a started day counts whole [0]
  reply rate ≥ 99 %: −1 per whole pp below, nothing for better [0]
  conversion ≥ 30 %: −2 per whole pp below [10]
  average response: base 30 s, −1 per started 10 s above [10]
  partner cases not tracked: −1 each [0]
  tickets / team mean: ≥ 1.10 → +10, ≤ 0.90 → −10, otherwise 0 [0]
  attitude complaints −10 each [0]
  DSR relative gap (dsr − industry) / industry: −1 per whole 0.1 % below [10]
  named praise +5 each, solicited praise −10 each [0]
  order amount within the team: first +5, last −5 [0]
  total = sum, floored at 0; bonus = base × total / 100.

Industry averages of 2026-03 (benchmarks): refund_dispute_rate 0.1, refund_completion_days 3, dsr 4.8.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from merit.engine.api import assess
from tests.engine.pkg import write_package

PERIOD = "2026-03"
AGENTS = ("k1", "k2", "k3", "k4")


def _day(i: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, 2 + i % 27, hour, (i // 27) % 60)


def _chats(agent: str, replied: int, converted: int, response: int, n: int = 200) -> list[dict]:
    """``n`` inquiry chats: the first ``replied`` answered, the first ``converted`` paid."""
    return [
        {
            "chat_id": f"{agent}-c{i:04d}",
            "agent_id": agent,
            "started_at": _day(i),
            "avg_response_s": response,
            "replied": i < replied,
            "inquiry": True,
            "converted": i < converted,
        }
        for i in range(n)
    ]


def _refunds(agent: str, n: int, disputed: int, hours: float) -> list[dict]:
    """``n`` refunds requested in March, each completed ``hours`` later, the first ``disputed`` disputed."""
    out = []
    for i in range(n):
        t = datetime(2026, 3, 3 + i, 9, 0)
        out.append(
            {
                "refund_id": f"{agent}-r{i:02d}",
                "agent_id": agent,
                "requested_at": t,
                "completed_at": t + timedelta(hours=hours),
                "amount": "99.00",
                "disputed": i < disputed,
                "self_completed": True,
            }
        )
    return out


def _tickets(agent: str, n: int) -> list[dict]:
    return [
        {
            "ticket_id": f"{agent}-t{i:02d}",
            "agent_id": agent,
            "kind": "refund",
            "channel": "chat",
            "created_at": _day(i, hour=11),
            "first_response_at": _day(i, hour=12),
            "resolved_at": _day(i, hour=15),
        }
        for i in range(n)
    ]


def _rating(rid: str, agent: str, t: datetime, score: str, source: str, **kw) -> dict:
    return {"rating_id": rid, "agent_id": agent, "at": t, "score": score, "source": source, **kw}


def _incidents(agent: str, kind: str, n: int) -> list[dict]:
    return [
        {
            "incident_id": f"{agent}-{kind}-{i}",
            "agent_id": agent,
            "at": datetime(2026, 3, 10 + i, 15, 0),
            "kind": kind,
        }
        for i in range(n)
    ]


def _package(folder, *, k4_rated: bool = True):
    """The S7 package; with ``k4_rated=False`` k4 has no supervisor rating for March at all."""
    agents = [
        {"agent_id": "k1", "name": "客服一", "team_id": "T1", "role": "after_sales", "base_bonus": "1000"},
        {"agent_id": "k2", "name": "客服二", "team_id": "T1", "role": "after_sales", "base_bonus": "1234.50"},
        {"agent_id": "k3", "name": "客服三", "team_id": "T1", "role": "pre_sales", "base_bonus": "1000"},
        {"agent_id": "k4", "name": "客服四", "team_id": "T1", "role": "cloud", "base_bonus": "1000"},
    ]
    benchmarks = [
        {"period": "2026-03", "metric": "refund_dispute_rate", "value": "0.1"},
        {"period": "2026-03", "metric": "refund_completion_days", "value": "3"},
        {"period": "2026-03", "metric": "dsr", "value": "4.8"},
        # last month's averages must not be used for March
        {"period": "2026-02", "metric": "refund_dispute_rate", "value": "0.05"},
        {"period": "2026-02", "metric": "refund_completion_days", "value": "10"},
        {"period": "2026-02", "metric": "dsr", "value": "4.0"},
    ]
    exams = [
        {"agent_id": "k1", "at": datetime(2026, 3, 5, 14), "exam": "product", "score": "85", "passed": True},
        {"agent_id": "k1", "at": datetime(2026, 3, 20, 14), "exam": "policy", "score": "90", "passed": True},
        {"agent_id": "k3", "at": datetime(2026, 3, 5, 14), "exam": "product", "score": "70", "passed": True},
        # k4's only exam is February's
        {
            "agent_id": "k4",
            "at": datetime(2026, 2, 27, 14),
            "exam": "product",
            "score": "100",
            "passed": True,
        },
    ]
    manual = [
        {"agent_id": "k1", "period": PERIOD, "item": "supervisor_rating", "score": "50", "by": "主管"},
        {"agent_id": "k2", "period": PERIOD, "item": "supervisor_rating", "score": "100", "by": "主管"},
        {"agent_id": "k3", "period": PERIOD, "item": "supervisor_rating", "score": "60", "by": "主管"},
        # last month's rating must not be used for March
        {"agent_id": "k4", "period": "2026-02", "item": "supervisor_rating", "score": "100", "by": "主管"},
    ]
    if k4_rated:
        manual.append(
            {"agent_id": "k4", "period": PERIOD, "item": "supervisor_rating", "score": "0", "by": "主管"}
        )
    refunds = (
        _refunds("k1", 10, 1, 84)  # 1/10 disputed; 84 h = 3.5 days each
        + _refunds("k2", 10, 2, 48)  # 2/10 disputed; 2 days each
        + _refunds("k3", 10, 0, 43.2)  # none disputed; 43.2 h = 1.8 days each
    )
    # a slow, disputed February refund of k1 (outside the period)
    refunds.append(
        {
            "refund_id": "k1-feb",
            "agent_id": "k1",
            "requested_at": datetime(2026, 2, 10, 9),
            "completed_at": datetime(2026, 2, 28, 9),
            "disputed": True,
        }
    )
    chats = (
        _chats("k1", replied=198, converted=60, response=30)
        + _chats("k2", replied=195, converted=57, response=31)
        + _chats("k3", replied=194, converted=54, response=40)
        + _chats("k4", replied=200, converted=0, response=41)
    )
    tickets = _tickets("k1", 11) + _tickets("k2", 10) + _tickets("k3", 9) + _tickets("k4", 10)
    # a February ticket of k3: not counted (k3 stays at 9)
    tickets.append(
        {
            "ticket_id": "k3-feb",
            "agent_id": "k3",
            "kind": "refund",
            "created_at": datetime(2026, 2, 27, 10),
        }
    )
    incidents = (
        _incidents("k1", "partner.untracked", 2)
        + _incidents("k3", "partner.untracked", 1)
        + _incidents("k2", "complaint.attitude", 1)
        + _incidents("k4", "complaint.attitude", 3)
    )
    ratings = [
        _rating("d1", "k1", datetime(2026, 3, 15, 20), "4.8", "dsr"),
        _rating("d2", "k2", datetime(2026, 3, 15, 20), "4.7952", "dsr"),
        _rating("d3", "k3", datetime(2026, 3, 15, 20), "4.79", "dsr"),
        _rating("d4", "k4", datetime(2026, 3, 15, 20), "4.9", "dsr"),
        _rating("r1", "k1", datetime(2026, 3, 8, 12), "5", "review", named_praise=True),
        _rating("r2", "k2", datetime(2026, 3, 9, 12), "5", "review", named_praise=True),
        _rating("r3", "k2", datetime(2026, 3, 9, 13), "5", "review", solicited=True),
        _rating("r4", "k4", datetime(2026, 3, 9, 13), "5", "review", solicited=True),
    ]
    sales = [
        {"period": PERIOD, "agent_id": "k1", "order_amount": "50000"},
        {"period": PERIOD, "agent_id": "k2", "order_amount": "30000"},
        {"period": PERIOD, "agent_id": "k3", "order_amount": "20000"},
        {"period": PERIOD, "agent_id": "k4", "order_amount": "10000"},
        {"period": "2026-02", "agent_id": "k4", "order_amount": "900000"},  # last month: ignored
    ]
    return write_package(
        folder,
        agents=agents,
        teams=[{"team_id": "T1", "name": "客服一组"}],
        benchmarks=benchmarks,
        exams=exams,
        manual_scores=manual,
        refunds=refunds,
        chats=chats,
        tickets=tickets,
        incidents=incidents,
        ratings=ratings,
        sales=sales,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return _package(tmp_path_factory.mktemp("s7") / "pkg")


@pytest.fixture(scope="module")
def s7(package):
    return assess(package, "S7", PERIOD)


def _by_id(doc: dict) -> dict[str, dict]:
    (period,) = doc["periods"]
    assert period["period"] == PERIOD
    return {a["agent_id"]: a for a in period["agents"]}


def _points(agent: dict) -> dict[str, str]:
    return {line["item"]: line["points"] for line in agent["lines"]}


EXPECTED_POINTS = {
    "k1": {
        "exam": "26.25",  # (85 + 90) / 2 = 87.5 × 0.3 = 26.25
        "supervisor": "15.00",  # 50 × 30 / 100
        "refund_dispute": "10.00",  # 1/10 = 0.1 = industry 0.1: not above → keeps 10
        "refund_completion": "-1.00",  # 3.5 d vs 3 d: 0.5 day worse, a started day counts → −1
        "reply_rate": "0.00",  # 198/200 = 99 % = target → 0
        "conversion": "10.00",  # 60/200 = 30 % = target → 10
        "response": "10.00",  # exactly 30 s = base → 10
        "partner_cases": "-2.00",  # 2 partner cases not tracked × −1
        "ticket_rate": "10.00",  # 11 / ((11 + 10 + 9 + 10) / 4 = 10) = 1.10 ≥ 1.10 → +10
        "attitude_complaints": "0.00",  # none
        "dsr": "10.00",  # (4.8 − 4.8) / 4.8 = 0 → 10
        "praise": "5.00",  # 1 named praise × 5
        "order_amount_rank": "5.00",  # 50000 is first of 4 in T1 → +5
    },
    "k2": {
        "exam": "0.00",  # no exam in March (missing → 0)
        "supervisor": "30.00",  # 100 × 30 / 100
        "refund_dispute": "0.00",  # 2/10 = 0.2 > 0.1 → 0
        "refund_completion": "1.00",  # 2 d vs 3 d: exactly 1 day better → +1
        "reply_rate": "-1.00",  # 195/200 = 97.5 %: 1.5 pp below → 1 whole pp → −1
        "conversion": "8.00",  # 57/200 = 28.5 %: 1.5 pp below → 1 whole pp × 2 → 10 − 2
        "response": "9.00",  # 31 s: 1 s above 30 starts a 10 s step → 10 − 1
        "partner_cases": "0.00",
        "ticket_rate": "0.00",  # 10 / 10 = 1.00: neither ≥ 1.10 nor ≤ 0.90
        "attitude_complaints": "-10.00",  # 1 × −10
        "dsr": "9.00",  # (4.7952 − 4.8) / 4.8 = −0.0048 / 4.8 = −0.001 = exactly 0.1 % below → 10 − 1
        "praise": "-5.00",  # 1 named × 5 + 1 solicited × −10
        "order_amount_rank": "0.00",  # 30000: second of 4
    },
    "k3": {
        "exam": "21.00",  # 70 × 0.3
        "supervisor": "18.00",  # 60 × 30 / 100
        "refund_dispute": "10.00",  # 0/10 = 0 ≤ 0.1
        "refund_completion": "2.00",  # 1.8 d vs 3 d: 1.2 days better, started day counts → 2 → +2
        "reply_rate": "-2.00",  # 194/200 = 97 %: 2 pp below → −2
        "conversion": "4.00",  # 54/200 = 27 %: 3 pp below × 2 → 10 − 6
        "response": "9.00",  # 40 s: 10 s above = one step → 10 − 1
        "partner_cases": "-1.00",  # 1 × −1
        "ticket_rate": "-10.00",  # 9 / 10 = 0.90 ≤ 0.90 → −10 (the February ticket is not counted)
        "attitude_complaints": "0.00",
        "dsr": "8.00",  # (4.79 − 4.8) / 4.8 = −0.002083…: 2 whole steps of 0.1 % → 10 − 2
        "praise": "0.00",
        "order_amount_rank": "0.00",  # 20000: third of 4
    },
    "k4": {
        "exam": "0.00",  # only a February exam → none in March → 0
        "supervisor": "0.00",  # March rating 0 × 30 / 100 (February's 100 is not used)
        "refund_dispute": "10.00",  # no refunds: keeps its standard 10 (missing: base)
        "refund_completion": "0.00",  # no refunds: standard 0 (missing: base)
        "reply_rate": "0.00",  # 200/200 = 100 % ≥ 99 % → 0
        "conversion": "-50.00",  # 0/200 = 0 %: 30 pp below × 2 = 60 → 10 − 60
        "response": "8.00",  # 41 s: 11 s above = 2 started 10 s steps → 10 − 2
        "partner_cases": "0.00",
        "ticket_rate": "0.00",  # 10 / 10 = 1.00
        "attitude_complaints": "-30.00",  # 3 × −10
        "dsr": "10.00",  # 4.9 above the industry 4.8 → no deduction
        "praise": "-10.00",  # 1 solicited × −10
        "order_amount_rank": "-5.00",  # 10000: last of 4 (its February sales do not count)
    },
}


@pytest.mark.parametrize("agent", AGENTS)
def test_s7_item_points(s7, agent):
    doc, _ = s7
    assert _points(_by_id(doc)[agent]) == EXPECTED_POINTS[agent]


def test_s7_total_floor_and_bonus(s7):
    doc, _ = s7
    agents = _by_id(doc)
    expected = {
        # 26.25 + 15 + 10 − 1 + 0 + 10 + 10 − 2 + 10 + 0 + 10 + 5 + 5 = 98.25; 1000 × 0.9825 = 982.50
        "k1": ("98.25", "982.50"),
        # 0 + 30 + 0 + 1 − 1 + 8 + 9 + 0 + 0 − 10 + 9 − 5 + 0 = 41.00;
        # 1234.50 × 0.41 = 506.145 → half-up 506.15
        "k2": ("41.00", "506.15"),
        # 21 + 18 + 10 + 2 − 2 + 4 + 9 − 1 − 10 + 0 + 8 + 0 + 0 = 59.00; 1000 × 0.59 = 590.00
        "k3": ("59.00", "590.00"),
        # 0 + 0 + 10 + 0 + 0 − 50 + 8 + 0 + 0 − 30 + 10 − 10 − 5 = −67 → floor 0; bonus 0
        "k4": ("0.00", "0.00"),
    }
    for a, (score, bonus) in expected.items():
        assert (a, agents[a]["score"], agents[a]["bonus"]) == (a, score, bonus)
    for a in AGENTS:
        assert agents[a]["flags"] == []


def test_s7_check_sums_match_the_lines(s7):
    # the displayed lines add up to the displayed total (before the floor)
    doc, _ = s7
    for a, got in _by_id(doc).items():
        total = sum(Decimal(p) for p in _points(got).values())
        assert max(total, Decimal(0)) == Decimal(got["score"]), a


# The metric (and through it the table) each line reads.
SOURCES = {
    "exam": ("exam_score", "exams"),
    "supervisor": (None, "manual_scores"),
    "refund_dispute": ("refund_dispute_rate", "refunds"),
    "refund_completion": ("refund_completion_days", "refunds"),
    "reply_rate": ("reply_rate", "chats"),
    "conversion": ("inquiry_conversion", "chats"),
    "response": ("avg_response_s", "chats"),
    "partner_cases": ("partner_untracked", "incidents"),
    "ticket_rate": ("tickets_vs_team", None),
    "attitude_complaints": ("complaints_attitude", "incidents"),
    "dsr": ("dsr", "ratings"),
    "praise": ("named_praise", "ratings"),
    "order_amount_rank": ("sales_amount", "sales"),
}


def test_s7_lines_name_their_sources(s7):
    doc, _ = s7
    for a, got in _by_id(doc).items():
        for line in got["lines"]:
            explain = line["explain"]
            if "no data" in (explain.get("note") or ""):
                continue  # e.g. k2's exam, k4's refunds: nothing to point at, the note says so
            metric, table = SOURCES[line["item"]]
            sources = explain["source"]
            if metric:
                assert any(s.get("metric") == metric for s in sources), (a, line["item"], sources)
            if table:
                assert any(s.get("table") == table for s in sources), (a, line["item"], sources)


def test_s7_missing_data_is_explained(s7):
    doc, _ = s7
    agents = _by_id(doc)
    k4 = {line["item"]: line for line in agents["k4"]["lines"]}
    for item in ("exam", "refund_dispute", "refund_completion"):
        assert "no data" in k4[item]["explain"]["note"], item


def test_s7_agent_without_supervisor_rating_scores_zero_for_it(tmp_path):
    # The preset: supervisor item `manual.supervisor_rating * 30 / 100`, missing: zero. An agent whose
    # supervisor entered nothing this month gets 0 for the item; the rest of the sheet is unchanged.
    doc, _ = assess(_package(tmp_path / "pkg", k4_rated=False), "S7", PERIOD)
    agents = _by_id(doc)
    k4 = {line["item"]: line for line in agents["k4"]["lines"]}
    assert k4["supervisor"]["points"] == "0.00"  # no rating → missing: zero
    assert "no data" in k4["supervisor"]["explain"]["note"]
    assert _points(agents["k4"]) == EXPECTED_POINTS["k4"]
    # −67 → floor 0; bonus 0
    assert (agents["k4"]["score"], agents["k4"]["bonus"]) == ("0.00", "0.00")
    # the other agents are untouched: 98.25 / 41.00 / 59.00 as in the main package
    assert [agents[a]["score"] for a in ("k1", "k2", "k3")] == ["98.25", "41.00", "59.00"]


def test_s7_is_deterministic(package, s7):
    _, first = s7
    _, again = assess(package, "S7", PERIOD)
    assert again == first
