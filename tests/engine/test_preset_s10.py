"""Preset S10 (service-level targets, RULEBOOK.md § S10) against numbers worked out by hand.

Every expected value below was computed on paper from the rulebook and the interpretations the preset
states in its comments and parameters; the comment next to each literal shows the computation. Nothing
here was obtained by running the program.

The 100-point sheet (level 1 earns the item's points, level 2 earns 60 % of them):
  first response mean (h): ≤ 1 → 20; (1, 3] → 12; above → 0          (no tickets → 20)
  resolution time mean (h), resolved tickets: ≤ 24 → 20; (24, 48] → 12; above → 0
  CSAT = survey/review ratings ≥ 4 / all survey/review ratings (DSR excluded): ≥ 90 % → 20;
      [80 %, 90 %) → 12; below → 0 and a training flag                (no ratings → 20)
  resolution rate (resolved / all tickets) ≥ 98 % → 10
  returns / order amount: 10, −2 per whole pp above 5 %, not below 0
  after-sales cost / order amount ≤ 0.5 % → 5
  DSR against last month (dsr − dsr_prev) / dsr_prev: ≥ 3 % → 8; [0, 3 %) → 5; below → 2; no DSR last
      month → 0
  review replies: the supervisor's 0–5 (none → 0)
  exam pass rate ≥ 95 % → 2 (no exams → 2)
Grades: A ≥ 90, B ≥ 75, C ≥ 60, D below. Population: every role but pre_sales.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from merit.engine.api import assess
from tests.engine.pkg import agents_by_id, lines_by_item, write_package

PERIOD = "2026-03"
AGENTS = ("s1", "s2", "s3", "s4", "s5")


def _tickets(agent: str, first_response_min: list[int], resolution_min: list[int | None]) -> list[dict]:
    """One ticket per entry (minutes after creation), created in March; ``None`` = still unresolved."""
    out = []
    for i, (fr, res) in enumerate(zip(first_response_min, resolution_min, strict=True)):
        t = datetime(2026, 3, 2 + i % 27, 9 + i // 27, 0)
        out.append(
            {
                "ticket_id": f"{agent}-t{i:02d}",
                "agent_id": agent,
                "kind": "return",
                "channel": "app",
                "created_at": t,
                "first_response_at": t + timedelta(minutes=fr),
                "resolved_at": None if res is None else t + timedelta(minutes=res),
                "closed_at": None if res is None else t + timedelta(minutes=res + 60),
                "reopened": False,
                "transfers": 0,
            }
        )
    return out


def _ratings(agent: str, scores: list[str], source: str, start: int = 0) -> list[dict]:
    return [
        {
            "rating_id": f"{agent}-{source}-{start + i:03d}",
            "agent_id": agent,
            "at": datetime(2026, 3, 2 + i % 27, 18, 0),
            "score": sc,
            "source": source,
        }
        for i, sc in enumerate(scores)
    ]


def _dsr(agent: str, rid: str, t: datetime, score: str) -> dict:
    return {"rating_id": f"{agent}-dsr-{rid}", "agent_id": agent, "at": t, "score": score, "source": "dsr"}


def _exams(agent: str, passed: int, failed: int, month: int = 3) -> list[dict]:
    return [
        {
            "agent_id": agent,
            "at": datetime(2026, month, 10, 14, 0),
            "exam": f"exam-{i:02d}",
            "score": "80" if i < passed else "40",
            "passed": i < passed,
        }
        for i in range(passed + failed)
    ]


def _replies(agent: str, score: str, period: str = PERIOD) -> dict:
    return {"agent_id": agent, "period": period, "item": "review_replies", "score": score, "by": "主管"}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    agents = [
        {"agent_id": "s1", "name": "售后一", "team_id": "AS", "role": "after_sales"},
        {"agent_id": "s2", "name": "售后二", "team_id": "AS", "role": "after_sales"},
        {"agent_id": "s3", "name": "售后三", "team_id": "AS", "role": "after_sales"},
        {"agent_id": "s4", "name": "云客服四", "team_id": "AS", "role": "cloud"},
        {"agent_id": "s5", "name": "云客服五", "team_id": "AS", "role": "cloud"},
        {"agent_id": "p1", "name": "售前一", "team_id": "PS", "role": "pre_sales"},
    ]
    h = 60  # minutes
    tickets = (
        _tickets("s1", [1 * h] * 50, [24 * h] * 49 + [None])  # 1 h; 24 h; 1 of 50 unresolved
        + _tickets("s2", [90, 150, 90, 150], [8 * h, 12 * h, 8 * h, 12 * h])  # 1.5 / 2.5 h; 8 / 12 h
        + _tickets("s3", [2 * h, 4 * h, 2 * h, 4 * h], [36 * h, 60 * h, 36 * h, 60 * h])
        + _tickets("s4", [210] * 50, [48 * h + 30] * 48 + [None, None])  # 3.5 h; 48.5 h; 2 unresolved
        + _tickets("s5", [40] * 3, [30 * h] * 3)  # 40 minutes; 30 h
        + _tickets("p1", [10 * h, 10 * h], [100 * h, 100 * h])
    )
    # a fast February ticket of s4: not in March
    tickets.append(
        {
            "ticket_id": "s4-feb",
            "agent_id": "s4",
            "kind": "return",
            "created_at": datetime(2026, 2, 20, 9),
            "first_response_at": datetime(2026, 2, 20, 9, 5),
            "resolved_at": datetime(2026, 2, 20, 10),
        }
    )
    ratings = (
        _ratings("s1", ["5"] * 9 + ["2"], "survey")  # 9 of 10
        + _ratings("s2", ["5"] * 5 + ["4"] * 5, "survey")  # 10 good
        + _ratings("s2", ["5"] * 2 + ["4"] * 5 + ["3"] * 3, "review")  # 7 good, 3 not
        + _ratings("s3", ["4"] * 8 + ["1"] * 2, "review")  # 8 of 10
        + _ratings("s4", ["5"] * 79 + ["3"] * 21, "survey")  # 79 of 100
    )
    ratings += [
        # s1: 3.5 in February (23:30 local on the 28th is still February) → 3.605 in March (00:30 local
        # on the 1st is already March). Both below 4: they would pull CSAT under 90 % if counted there.
        _dsr("s1", "feb", datetime(2026, 2, 28, 23, 30), "3.5"),
        _dsr("s1", "mar", datetime(2026, 3, 1, 0, 30), "3.605"),
        _dsr("s2", "feb", datetime(2026, 2, 15, 12), "4.5"),
        _dsr("s2", "mar", datetime(2026, 3, 15, 12), "4.545"),
        _dsr("s3", "feb", datetime(2026, 2, 15, 12), "4.5"),
        _dsr("s3", "mar", datetime(2026, 3, 15, 12), "4.455"),
        # s4: January and March, nothing in February
        _dsr("s4", "jan", datetime(2026, 1, 15, 12), "4.0"),
        _dsr("s4", "mar", datetime(2026, 3, 15, 12), "4.6"),
        # s5: DSR only (no survey or review ratings): 4.8 in February, (4.7 + 4.9) / 2 = 4.8 in March
        _dsr("s5", "feb", datetime(2026, 2, 15, 12), "4.8"),
        _dsr("s5", "mar1", datetime(2026, 3, 10, 12), "4.7"),
        _dsr("s5", "mar2", datetime(2026, 3, 20, 12), "4.9"),
    ]
    sales = [
        {
            "period": PERIOD,
            "agent_id": "s1",
            "order_amount": "100000",
            "returns_amount": "5000",
            "after_sales_cost": "600",
        },
        {
            "period": PERIOD,
            "agent_id": "s2",
            "order_amount": "200000",
            "returns_amount": "13000",
            "after_sales_cost": "1000",
        },
        {
            "period": PERIOD,
            "agent_id": "s3",
            "order_amount": "100000",
            "returns_amount": "7000",
            "after_sales_cost": "200",
        },
        {
            "period": PERIOD,
            "agent_id": "s4",
            "order_amount": "50000",
            "returns_amount": "6000",
            "after_sales_cost": "500",
        },
        {
            "period": PERIOD,
            "agent_id": "s5",
            "order_amount": "80000",
            "returns_amount": "2400",
            "after_sales_cost": "400",
        },
        # February: ignored
        {
            "period": "2026-02",
            "agent_id": "s1",
            "order_amount": "100000",
            "returns_amount": "50000",
            "after_sales_cost": "50000",
        },
    ]
    exams = _exams("s1", 1, 0) + _exams("s2", 19, 1) + _exams("s3", 1, 1) + _exams("s5", 2, 0)
    exams += _exams("s4", 0, 3, month=2)  # s4 failed three exams in February only
    manual = [
        _replies("s1", "5", period="2026-02"),  # s1: February only
        _replies("s2", "1"),
        _replies("s3", "1"),
        _replies("s4", "3"),
        _replies("s5", "5"),
    ]
    return write_package(
        tmp_path_factory.mktemp("s10") / "pkg",
        agents=agents,
        teams=[{"team_id": "AS", "name": "售后组"}, {"team_id": "PS", "name": "售前组"}],
        tickets=tickets,
        ratings=ratings,
        sales=sales,
        exams=exams,
        manual_scores=manual,
    )


@pytest.fixture(scope="module")
def s10(package):
    return assess(package, "S10", PERIOD)


def _by_id(doc: dict) -> dict[str, dict]:
    return agents_by_id(doc, PERIOD)


def _check(doc, item: str, expected: dict[str, tuple[str | None, str]]) -> None:
    agents = _by_id(doc)
    for a, (value, points) in expected.items():
        line = lines_by_item(agents[a])[item]
        assert (a, line["value"], line["points"]) == (a, value, points)


def test_s10_population_excludes_pre_sales(s10):
    doc, _ = s10
    assert sorted(_by_id(doc)) == list(AGENTS)  # p1 is pre_sales
    assert [t["team_id"] for t in doc["periods"][0]["teams"]] == ["AS"]


def test_s10_first_response(s10):
    _check(
        s10[0],
        "first_response",
        {
            "s1": ("1", "20.00"),  # exactly 1 h: level 1 (≤ 1 h) → 20
            "s2": ("2", "12.00"),  # (1.5 + 2.5 + 1.5 + 2.5) / 4 = 2 h: level 2 → 12
            "s3": ("3", "12.00"),  # (2 + 4 + 2 + 4) / 4 = exactly 3 h: level 2 (≤ 3 h) → 12
            "s4": ("3.5", "0.00"),  # 3.5 h: above level 2 → 0 (the 5-minute February ticket is out)
            "s5": ("0.666667", "20.00"),  # 40 min = 0.666… h ≤ 1 h → 20
        },
    )


def test_s10_resolution_time(s10):
    _check(
        s10[0],
        "resolution",
        {
            "s1": ("24", "20.00"),  # 49 resolved tickets, 24 h each: exactly 24 h → 20
            "s2": ("10", "20.00"),  # (8 + 12 + 8 + 12) / 4 = 10 h → 20
            "s3": ("48", "12.00"),  # (36 + 60 + 36 + 60) / 4 = exactly 48 h: (24, 48] → 12
            "s4": ("48.5", "0.00"),  # 48.5 h > 48 → 0
            "s5": ("30", "12.00"),  # 30 h: (24, 48] → 12
        },
    )


def test_s10_satisfaction(s10):
    _check(
        s10[0],
        "satisfaction",
        {
            "s1": ("0.9", "20.00"),  # 9 / 10 = exactly 90 % → 20 (the DSR 3.605 is not a survey/review)
            "s2": ("0.85", "12.00"),  # (10 + 7) / 20 = 85 % (a 4 counts as satisfied) → 12
            "s3": ("0.8", "12.00"),  # 8 / 10 = exactly 80 % → 12
            "s4": ("0.79", "0.00"),  # 79 / 100 = 79 % < 80 % → 0
            "s5": (None, "20.00"),  # no survey or review rating: missing → the item's base 20
        },
    )


def test_s10_resolution_rate(s10):
    _check(
        s10[0],
        "resolution_rate",
        {
            "s1": ("0.98", "10.00"),  # 49 / 50 = exactly 98 % → 10
            "s2": ("1", "10.00"),  # 4 / 4
            "s3": ("1", "10.00"),
            "s4": ("0.96", "0.00"),  # 48 / 50 = 96 % < 98 % → 0
            "s5": ("1", "10.00"),
        },
    )


def test_s10_returns(s10):
    _check(
        s10[0],
        "returns",
        {
            "s1": ("0.05", "10.00"),  # 5000 / 100000 = exactly 5 % → 10 (February's 50 % is not read)
            "s2": ("0.065", "8.00"),  # 13000 / 200000 = 6.5 %: 1 whole pp above → 10 − 2
            "s3": ("0.07", "6.00"),  # 7000 / 100000 = 7 %: 2 pp above → 10 − 4
            "s4": ("0.12", "0.00"),  # 6000 / 50000 = 12 %: 7 pp above → 10 − 14 = −4 → floored at 0
            "s5": ("0.03", "10.00"),  # 2400 / 80000 = 3 % ≤ 5 % → 10
        },
    )


def test_s10_after_sales_cost(s10):
    _check(
        s10[0],
        "after_sales_cost",
        {
            "s1": ("0.006", "0.00"),  # 600 / 100000 = 0.6 % > 0.5 % → 0
            "s2": ("0.005", "5.00"),  # 1000 / 200000 = exactly 0.5 % → 5
            "s3": ("0.002", "5.00"),  # 200 / 100000 = 0.2 % → 5
            "s4": ("0.01", "0.00"),  # 500 / 50000 = 1 % → 0
            "s5": ("0.005", "5.00"),  # 400 / 80000 = exactly 0.5 % → 5
        },
    )


def test_s10_dsr_trend(s10):
    _check(
        s10[0],
        "dsr_trend",
        {
            "s1": ("0.03", "8.00"),  # (3.605 − 3.5) / 3.5 = 0.105 / 3.5 = +3 % → 8
            "s2": ("0.01", "5.00"),  # (4.545 − 4.5) / 4.5 = +1 % → 5
            "s3": ("-0.01", "2.00"),  # (4.455 − 4.5) / 4.5 = −1 % → 2
            "s4": (None, "0.00"),  # no DSR in February (January's does not count) → 0
            "s5": ("0", "5.00"),  # 4.8 → 4.8: unchanged counts as "up less" (interpretation) → 5
        },
    )


def test_s10_review_replies_and_training(s10):
    _check(
        s10[0],
        "review_replies",
        {
            "s1": (None, "0.00"),  # only a February score: none this month → 0
            "s2": ("1", "1.00"),
            "s3": ("1", "1.00"),
            "s4": ("3", "3.00"),
            "s5": ("5", "5.00"),
        },
    )
    _check(
        s10[0],
        "training",
        {
            "s1": ("1", "2.00"),  # 1 / 1 passed → 2
            "s2": ("0.95", "2.00"),  # 19 / 20 = exactly 95 % → 2
            "s3": ("0.5", "0.00"),  # 1 / 2 = 50 % → 0
            "s4": (None, "2.00"),  # no exam in March (February's do not count): missing → base 2
            "s5": ("1", "2.00"),  # 2 / 2
        },
    )


def test_s10_total_and_grade(s10):
    doc, _ = s10
    agents = _by_id(doc)
    expected = {
        "s1": ("90.00", "A"),  # 20 + 20 + 20 + 10 + 10 + 0 + 8 + 0 + 2 = 90 → exactly 90 → A
        "s2": ("75.00", "B"),  # 12 + 20 + 12 + 10 + 8 + 5 + 5 + 1 + 2 = 75 → exactly 75 → B
        "s3": ("60.00", "C"),  # 12 + 12 + 12 + 10 + 6 + 5 + 2 + 1 + 0 = 60 → exactly 60 → C
        "s4": ("5.00", "D"),  # 0 + 0 + 0 + 0 + 0 + 0 + 0 + 3 + 2 = 5 → D
        "s5": ("89.00", "B"),  # 20 + 12 + 20 + 10 + 10 + 5 + 5 + 5 + 2 = 89 < 90 → B
    }
    for a, (score, grade) in expected.items():
        got = agents[a]
        assert (a, got["score"], got["grade"]) == (a, score, grade)
        assert got["bonus"] is None  # S10 pays no bonus
        assert got["coefficient"] is None


def test_s10_team_summary(s10):
    doc, _ = s10
    (team,) = doc["periods"][0]["teams"]
    assert team["agents"] == 5
    assert team["grades"] == {"A": 1, "B": 2, "C": 1, "D": 1}
    assert team["mean_score"] == "63.80"  # (90 + 75 + 60 + 5 + 89) / 5 = 319 / 5


def test_s10_low_satisfaction_is_flagged_for_training(s10):
    doc, _ = s10
    agents = _by_id(doc)
    # s4: CSAT 79 % < 80 % → training
    assert [(f["flag"], f["rule"]) for f in agents["s4"]["flags"]] == [("training", "csat_below_level_2")]
    # s3 at exactly 80 % is not flagged, nor is s5 who has no satisfaction ratings at all
    for a in ("s1", "s2", "s3", "s5"):
        assert agents[a]["flags"] == [], a


SOURCES = {
    "first_response": [("ticket_first_response_h", "tickets")],
    "resolution": [("resolution_time_h", "tickets")],
    "satisfaction": [("csat", "ratings")],
    "resolution_rate": [("resolution_rate", "tickets")],
    "returns": [("returns_ratio", "sales")],
    "after_sales_cost": [("after_sales_cost_ratio", "sales")],
    "dsr_trend": [("dsr", "ratings"), ("dsr_prev", "ratings")],
    "review_replies": [(None, "manual_scores")],
    "training": [("exam_pass_rate", "exams")],
}


def test_s10_lines_name_their_sources(s10):
    doc, _ = s10
    for a, got in _by_id(doc).items():
        lines = lines_by_item(got)
        assert sorted(lines) == sorted(SOURCES)
        for item, line in lines.items():
            explain = line["explain"]
            if "no data" in (explain.get("note") or ""):
                continue  # s5's CSAT, s4's DSR trend and training, s1's replies: the note says why
            sources = explain["source"]
            for metric, table in SOURCES[item]:
                assert any(
                    s.get("table") == table and (metric is None or s.get("metric") == metric) for s in sources
                ), (a, item, sources)
    # the DSR trend reads last month's DSR from February
    s2 = lines_by_item(_by_id(doc)["s2"])["dsr_trend"]["explain"]["source"]
    assert {s["metric"]: s["period"] for s in s2} == {"dsr": "2026-03", "dsr_prev": "2026-02"}


def test_s10_is_deterministic(package, s10):
    _, first = s10
    _, again = assess(package, "S10", PERIOD)
    assert again == first
