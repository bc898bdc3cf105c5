"""Presets S6 and S6-FD (pre-sales appraisal, RULEBOOK.md § S6) against numbers worked out by hand.

Every expected value below was computed on paper from the rulebook and the interpretations the presets
state in their comments; the comment next to each literal shows the computation. Nothing here was
obtained by running the program.

S6 scorecard (both presets):
  conversion X = converted inquiries / inquiries, weight 35: X ≥ 55 % → 100; [50, 55) → 80; [45, 50) → 60;
      below 45 % → 0 (interpretation)
  average response T, weight 15: T ≤ 25 → 100; (25, 30] → 80; (30, 35] → 60; above → 50
  supervisor rating (manual), weight 10
  total = Σ weight × points / Σ weight over the items present, rounded half-up to 2 decimals
S6 grades: A ≥ 91 → 100 %; B ≥ 86 → 80 %; C ≥ 76 → 60 %; D ≥ 65 → 50 %; E below → 0 % and training.
S6-FD: per team A 15 %, B 45 %, C 30 %, D 10 % (largest remainder, ties to the better grade), coefficients
1.2 / 1.0 / 0.8 / 0.5, equal scores ordered by conversion; bonus = base × score / 100 × coefficient.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from merit.engine.api import assess
from tests.engine.pkg import agents_by_id, lines_by_item, write_package

PERIOD = "2026-03"


def _at(i: int) -> datetime:
    """The i-th chat of an agent: spread over 2–28 March, daytime, local (Asia/Shanghai) time."""
    return datetime(2026, 3, 2 + i % 27, 9 + (i // 27) % 12, (i // 324) % 60)


def _chats(agent: str, inquiries: int, converted: int, response, start: int = 0) -> list[dict]:
    """``inquiries`` inquiry chats, the first ``converted`` of them paid; avg_response_s cycles over
    ``response`` (an int or a list)."""
    resp = response if isinstance(response, list) else [response]
    return [
        {
            "chat_id": f"{agent}-c{start + i:05d}",
            "agent_id": agent,
            "started_at": _at(start + i),
            "avg_response_s": resp[i % len(resp)],
            "first_response_s": 10,
            "replied": True,
            "inquiry": True,
            "converted": i < converted,
        }
        for i in range(inquiries)
    ]


def _manual(agent: str, score: str, period: str = PERIOD) -> dict:
    return {"agent_id": agent, "period": period, "item": "supervisor_rating", "score": score, "by": "sup-1"}


def _agent(agent_id: str, team: str, base: str = "1000", role: str = "pre_sales") -> dict:
    return {
        "agent_id": agent_id,
        "name": f"客服{agent_id}",
        "team_id": team,
        "role": role,
        "employment": "regular",
        "base_bonus": base,
    }


def _by_id(doc: dict) -> dict[str, dict]:
    return agents_by_id(doc, PERIOD)


def _assert_source(line: dict, *, metric: str | None = None, table: str) -> None:
    """The line's explanation names where its number came from."""
    sources = line["explain"]["source"]
    assert any(s.get("table") == table for s in sources), (line["item"], sources)
    if metric:
        assert any(s.get("metric") == metric for s in sources), (line["item"], sources)


# ---- S6: absolute grades ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s6_package(tmp_path_factory):
    chats = []
    # p1: 20 inquiries, 11 paid = 55 %; response alternates 25/26 s over the 20 inquiry chats, plus two
    # non-inquiry chats (25, 26 s) that count for response time but not for conversion:
    # 11 × 25 + 11 × 26 = 561 s over 22 chats = 25.5 s.
    p1 = _chats("p1", 20, 11, [25, 26])
    # Period edges in Asia/Shanghai time: both of these are in March ...
    p1[0]["started_at"] = datetime(2026, 3, 1, 0, 5)  # = 2026-02-28 16:05 UTC
    p1[1]["started_at"] = datetime(2026, 3, 31, 23, 30)  # = 2026-03-31 15:30 UTC
    chats += p1
    for i, r in enumerate((25, 26)):
        chats.append(
            {
                "chat_id": f"p1-n{i}",
                "agent_id": "p1",
                "started_at": datetime(2026, 3, 20, 14, i),
                "avg_response_s": r,
                "replied": True,
                "inquiry": False,
                "converted": False,
            }
        )
    # ... and these two are not (February and April local time); counted they would give 11/22 = 50 %
    # and a slower mean response.
    for cid, t in (("p1-feb", datetime(2026, 2, 28, 23, 50)), ("p1-apr", datetime(2026, 4, 1, 0, 10))):
        chats.append(
            {
                "chat_id": cid,
                "agent_id": "p1",
                "started_at": t,
                "avg_response_s": 99,
                "replied": True,
                "inquiry": True,
                "converted": False,
            }
        )
    chats += _chats("p2", 20, 11, 30)  # 55 %, 30 s
    chats += _chats("p3", 20, 10, 25)  # 50 %, 25 s
    chats += _chats("p4", 10000, 4999, 35)  # 49.99 %, 35 s
    chats += _chats("p5", 20, 9, 36)  # 45 %, 36 s
    chats += _chats("p6", 20, 8, 20)  # 40 %, 20 s
    chats += _chats("x1", 20, 20, 5)  # the after-sales agent: perfect numbers, not assessed
    agents = [
        _agent("p1", "T1"),
        _agent("p2", "T1"),
        _agent("p3", "T1", base="1234.56"),
        _agent("p4", "T1"),
        _agent("p5", "T1"),
        _agent("p6", "T1"),
        _agent("x1", "T1", role="after_sales"),
    ]
    manual = [
        _manual("p1", "76"),
        _manual("p2", "75"),
        _manual("p3", "80.03"),
        _manual("p4", "90"),
        _manual("p5", "100", period="2026-02"),  # last month's: p5 has no rating this month
        _manual("p6", "50"),
        _manual("x1", "100"),
    ]
    return write_package(
        tmp_path_factory.mktemp("s6") / "pkg",
        agents=agents,
        teams=[{"team_id": "T1", "name": "售前一组", "lead_agent_id": "p1"}],
        chats=chats,
        manual_scores=manual,
    )


@pytest.fixture(scope="module")
def s6(s6_package):
    return assess(s6_package, "S6", PERIOD)


def test_s6_population_is_pre_sales_only(s6):
    doc, _ = s6
    # x1 is after_sales: the preset's population is agent.role == 'pre_sales'
    assert sorted(_by_id(doc)) == ["p1", "p2", "p3", "p4", "p5", "p6"]


def test_s6_conversion_bands(s6):
    doc, _ = s6
    agents = _by_id(doc)
    expected = {
        "p1": ("0.55", "100.00"),  # 11 of 20 inquiries converted = 55 % ≥ 55 % → 100 (non-inquiry chats
        #                            and the Feb/Apr chats are outside the ratio)
        "p2": ("0.55", "100.00"),  # 11 / 20 = 55 % → 100
        "p3": ("0.5", "80.00"),  # 10 / 20 = exactly 50 % → band [50 %, 55 %) → 80
        "p4": ("0.4999", "60.00"),  # 4999 / 10000 = 49.99 % → band [45 %, 50 %) → 60
        "p5": ("0.45", "60.00"),  # 9 / 20 = exactly 45 % → band [45 %, 50 %) → 60
        "p6": ("0.4", "0.00"),  # 8 / 20 = 40 % < 45 % → 0 (interpretation)
    }
    for a, (value, points) in expected.items():
        line = lines_by_item(agents[a])["conversion"]
        assert (a, line["value"], line["points"]) == (a, value, points)
        _assert_source(line, metric="inquiry_conversion", table="chats")


def test_s6_response_bands(s6):
    doc, _ = s6
    agents = _by_id(doc)
    expected = {
        "p1": ("25.5", "80.00"),  # 561 s / 22 chats = 25.5 s: in (25, 30] → 80
        "p2": ("30", "80.00"),  # exactly 30 s: in (25, 30] → 80
        "p3": ("25", "100.00"),  # exactly 25 s: T ≤ 25 → 100
        "p4": ("35", "60.00"),  # exactly 35 s: in (30, 35] → 60
        "p5": ("36", "50.00"),  # 36 s: above 35 → 50
        "p6": ("20", "100.00"),  # 20 s ≤ 25 → 100
    }
    for a, (value, points) in expected.items():
        line = lines_by_item(agents[a])["response"]
        assert (a, line["value"], line["points"]) == (a, value, points)
        _assert_source(line, metric="avg_response_s", table="chats")


def test_s6_supervisor_rating_is_the_manual_score(s6):
    doc, _ = s6
    agents = _by_id(doc)
    expected = {"p1": "76.00", "p2": "75.00", "p3": "80.03", "p4": "90.00", "p6": "50.00"}
    for a, points in expected.items():
        line = lines_by_item(agents[a])["supervisor"]
        assert (a, line["points"]) == (a, points)
        _assert_source(line, table="manual_scores")
    # p5's only rating is February's: no rating this month, so the item is left out of the total
    p5 = lines_by_item(agents["p5"])["supervisor"]
    assert p5["points"] is None
    assert "no data" in p5["explain"]["note"]


def test_s6_weighted_total_grade_and_bonus(s6):
    doc, _ = s6
    agents = _by_id(doc)
    expected = {
        # (35 × 100 + 15 × 80 + 10 × 76) / 60 = 5460 / 60 = 91.00 → exactly 91 → A → 1000 × 100 %
        "p1": ("91.00", "A", "1000.00"),
        # (35 × 100 + 15 × 80 + 10 × 75) / 60 = 5450 / 60 = 90.8333… → 90.83 < 91 → B → 1000 × 80 %
        "p2": ("90.83", "B", "800.00"),
        # (35 × 80 + 15 × 100 + 10 × 80.03) / 60 = 5100.3 / 60 = 85.005 → half-up 85.01 → C (≥ 76)
        #   → 1234.56 × 60 % = 740.736 → 740.74
        "p3": ("85.01", "C", "740.74"),
        # (35 × 60 + 15 × 60 + 10 × 90) / 60 = 3900 / 60 = 65.00 → exactly 65 → D → 1000 × 50 %
        "p4": ("65.00", "D", "500.00"),
        # no supervisor rating: normalised over the two items present:
        # (35 × 60 + 15 × 50) / 50 = 2850 / 50 = 57.00 → E → 0 %
        "p5": ("57.00", "E", "0.00"),
        # (35 × 0 + 15 × 100 + 10 × 50) / 60 = 2000 / 60 = 33.333… → 33.33 → E → 0 %
        "p6": ("33.33", "E", "0.00"),
    }
    for a, (score, grade, bonus) in expected.items():
        got = agents[a]
        assert (a, got["score"], got["grade"], got["bonus"]) == (a, score, grade, bonus)


def test_s6_grade_e_is_flagged_for_training(s6):
    doc, _ = s6
    agents = _by_id(doc)
    for a in ("p5", "p6"):  # grade E
        assert [(f["flag"], f["rule"]) for f in agents[a]["flags"]] == [("training", "grade_e_training")]
    for a in ("p1", "p2", "p3", "p4"):
        assert agents[a]["flags"] == []


def test_s6_team_summary(s6):
    doc, _ = s6
    (team,) = doc["periods"][0]["teams"]
    assert team["team_id"] == "T1"
    assert team["agents"] == 6  # x1 (after_sales) is not in the population
    assert team["grades"] == {"A": 1, "B": 1, "C": 1, "D": 1, "E": 2}
    # (91 + 90.83 + 85.01 + 65 + 57 + 33.33) / 6 = 422.17 / 6 = 70.3616… → 70.36
    assert team["mean_score"] == "70.36"
    # 1000 + 800 + 740.74 + 500 + 0 + 0 = 3040.74
    assert team["bonus_total"] == "3040.74"


def test_s6_is_deterministic(s6_package, s6):
    _, first = s6
    _, again = assess(s6_package, "S6", PERIOD)
    assert again == first


# ---- S6-FD: forced distribution ---------------------------------------------------------------------

# (agent, team, base, inquiries converted of 20, supervisor rating or None); every agent answers in 25 s
# (T ≤ 25 → 100, 15 × 100 = 1500 in every weighted total).
FD_AGENTS = [
    ("f01", "F1", "1000", 12, "100"),
    ("f02", "F1", "1000", 11, "90"),
    ("f03", "F1", "1000", 12, "90"),
    ("f04", "F1", "1000", 11, "80"),
    ("f05", "F1", "1000", 10, "100"),
    ("f06", "F1", "1000", 10, "80"),
    ("f07", "F1", "1000", 9, "100"),
    ("f08", "F1", "1000", 9, "70"),
    ("f09", "F1", "1000", 9, "50"),
    ("f10", "F1", "1300", 8, "50"),
    ("g1", "F2", "800", 11, "100"),
    ("g2", "F2", "800", 11, "70"),
    ("g3", "F2", "800", 10, "100"),
    ("g4", "F2", "800", 10, "90"),
    ("g5", "F2", "800", 10, "70"),
    ("g6", "F2", "800", 9, "90"),
    ("g7", "F2", "800", 9, None),
]


@pytest.fixture(scope="module")
def fd_package(tmp_path_factory):
    agents, chats, manual = [], [], []
    for a, team, base, conv, rating in FD_AGENTS:
        agents.append(_agent(a, team, base=base))
        chats += _chats(a, 20, conv, 25)
        if rating is not None:
            manual.append(_manual(a, rating))
    # An after-sales agent in team F2: not in the population, so F2 still has 7 agents to distribute
    # (with 8 the quotas would be A 1, B 4, C 2, D 1).
    agents.append(_agent("g8", "F2", base="800", role="after_sales"))
    chats += _chats("g8", 20, 20, 25)
    manual.append(_manual("g8", "100"))
    return write_package(
        tmp_path_factory.mktemp("s6fd") / "pkg",
        agents=agents,
        teams=[{"team_id": "F1", "name": "售前一组"}, {"team_id": "F2", "name": "售前二组"}],
        chats=chats,
        manual_scores=manual,
    )


@pytest.fixture(scope="module")
def fd(fd_package):
    return assess(fd_package, "S6-FD", PERIOD)


def test_s6fd_quotas_and_bonus_team_of_10(fd):
    doc, _ = fd
    agents = _by_id(doc)
    # Team of 10: 15 % → 1.5, 45 % → 4.5, 30 % → 3, 10 % → 1; floors 1, 4, 3, 1 = 9; one seat left,
    # remainders A .5, B .5, C 0, D 0 → the tie goes to the better grade A: A 2, B 4, C 3, D 1.
    expected = {
        # (35 × 100 + 1500 + 10 × 100) / 60 = 6000 / 60 = 100.00; place 1 → A × 1.2
        #   → 1000 × 100.00 / 100 × 1.2 = 1200.00
        "f01": ("100.00", "A", "1.20", "1200.00"),
        # f02 and f03 both (3500 + 1500 + 900) / 60 = 5900 / 60 = 98.333… → 98.33; the tie is broken by
        # conversion: f03 12/20 = 60 % before f02 11/20 = 55 % (agent-id order would say the opposite).
        # f03 place 2 → A: 1000 × 0.9833 × 1.2 = 1179.96
        "f03": ("98.33", "A", "1.20", "1179.96"),
        # f02 place 3 → B: 1000 × 0.9833 × 1.0 = 983.30
        "f02": ("98.33", "B", "1.00", "983.30"),
        # (3500 + 1500 + 800) / 60 = 96.666… → 96.67; place 4 → B: 966.70
        "f04": ("96.67", "B", "1.00", "966.70"),
        # 50 % → 80: (2800 + 1500 + 1000) / 60 = 88.333… → 88.33; place 5 → B: 883.30
        "f05": ("88.33", "B", "1.00", "883.30"),
        # (2800 + 1500 + 800) / 60 = 85.00; place 6 → B: 850.00
        "f06": ("85.00", "B", "1.00", "850.00"),
        # 45 % → 60: (2100 + 1500 + 1000) / 60 = 76.666… → 76.67; place 7 → C: 1000 × 0.7667 × 0.8 = 613.36
        "f07": ("76.67", "C", "0.80", "613.36"),
        # (2100 + 1500 + 700) / 60 = 71.666… → 71.67; place 8 → C: 1000 × 0.7167 × 0.8 = 573.36
        "f08": ("71.67", "C", "0.80", "573.36"),
        # (2100 + 1500 + 500) / 60 = 68.333… → 68.33; place 9 → C: 1000 × 0.6833 × 0.8 = 546.64
        "f09": ("68.33", "C", "0.80", "546.64"),
        # 40 % → 0: (0 + 1500 + 500) / 60 = 33.333… → 33.33; place 10 → D:
        #   1300 × 0.3333 × 0.5 = 216.645 → half-up 216.65
        "f10": ("33.33", "D", "0.50", "216.65"),
    }
    for a, (score, grade, coef, bonus) in expected.items():
        got = agents[a]
        assert (a, got["score"], got["grade"], got["coefficient"], got["bonus"]) == (
            a,
            score,
            grade,
            coef,
            bonus,
        )


def test_s6fd_quotas_and_bonus_team_of_7(fd):
    doc, _ = fd
    agents = _by_id(doc)
    assert "g8" not in agents  # after_sales
    # Team of 7: 15 % → 1.05, 45 % → 3.15, 30 % → 2.1, 10 % → 0.7; floors 1, 3, 2, 0 = 6; one seat left,
    # largest remainder is D's .7 (B .15, C .1, A .05): A 1, B 3, C 2, D 1.
    expected = {
        # (3500 + 1500 + 1000) / 60 = 100.00 → A: 800 × 1.00 × 1.2 = 960.00
        "g1": ("100.00", "A", "1.20", "960.00"),
        # (3500 + 1500 + 700) / 60 = 95.00 → B: 800 × 0.95 = 760.00
        "g2": ("95.00", "B", "1.00", "760.00"),
        # (2800 + 1500 + 1000) / 60 = 88.33 → B: 800 × 0.8833 = 706.64
        "g3": ("88.33", "B", "1.00", "706.64"),
        # (2800 + 1500 + 900) / 60 = 86.666… → 86.67 → B: 800 × 0.8667 = 693.36
        "g4": ("86.67", "B", "1.00", "693.36"),
        # (2800 + 1500 + 700) / 60 = 83.333… → 83.33 → C: 800 × 0.8333 × 0.8 = 533.312 → 533.31
        "g5": ("83.33", "C", "0.80", "533.31"),
        # (2100 + 1500 + 900) / 60 = 75.00 → C: 800 × 0.75 × 0.8 = 480.00
        "g6": ("75.00", "C", "0.80", "480.00"),
        # no rating: (35 × 60 + 15 × 100) / 50 = 3600 / 50 = 72.00 → last → D: 800 × 0.72 × 0.5 = 288.00
        "g7": ("72.00", "D", "0.50", "288.00"),
    }
    for a, (score, grade, coef, bonus) in expected.items():
        got = agents[a]
        assert (a, got["score"], got["grade"], got["coefficient"], got["bonus"]) == (
            a,
            score,
            grade,
            coef,
            bonus,
        )


def test_s6fd_team_grade_counts(fd):
    doc, _ = fd
    teams = {t["team_id"]: t for t in doc["periods"][0]["teams"]}
    assert teams["F1"]["agents"] == 10
    assert teams["F1"]["grades"] == {"A": 2, "B": 4, "C": 3, "D": 1}
    assert teams["F2"]["agents"] == 7
    assert teams["F2"]["grades"] == {"A": 1, "B": 3, "C": 2, "D": 1}


def test_s6fd_lines_name_their_sources(fd):
    doc, _ = fd
    for a, got in _by_id(doc).items():
        lines = lines_by_item(got)
        _assert_source(lines["conversion"], metric="inquiry_conversion", table="chats")
        _assert_source(lines["response"], metric="avg_response_s", table="chats")
        if a != "g7":
            _assert_source(lines["supervisor"], table="manual_scores")


def test_s6fd_is_deterministic(fd_package, fd):
    _, first = fd
    _, again = assess(fd_package, "S6-FD", PERIOD)
    assert again == first
