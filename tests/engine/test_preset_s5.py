"""Preset S5 (after-sales KPI report) against numbers worked out by hand from RULEBOOK.md § S5.

Every expected number below is a literal computed by hand from the rulebook and the interpretations
stated in merit/presets/s5_after_sales_kpi.yaml, never by running the engine:

- population: agents with role after_sales only;
- communication / attitude / teamwork: the supervisor's score (manual_scores, period 2026-03), 0–10,
  no score → 0;
- work discipline: 10 − 5 per games/films/novels incident (discipline.distraction) − 1 per late/early
  for the first 3, − 2 for each further one − 10 per absence; a late of more than 30 minutes is an
  absence (exactly 30 is a late); not floored at 0;
- order accuracy: 8 if no error; else 3 if every kind (whole order, reissue, gift) has ≤ 1 error,
  else 0; minus 2 per whole-order error beyond 1, 1 per reissue error beyond 1, 1 per gift error
  beyond 1;
- refund dispute rate (disputed / refunds) vs the benchmark: 15 ± 2 per whole 0.1 pp (lower is
  better); refund completion time (mean of completed_at − requested_at in days) vs the benchmark:
  15 ± 2 per whole 0.5 day (lower is better); self-completion (self-completed / completed) vs 99.5 %:
  15 ± 2 per whole 0.5 pp (higher is better); whole steps = floor(|delta| / step) in exact decimals;
  no refunds → the item's base (15);
- complaints (incidents whose kind starts with 'complaint.'), add-on around a pivot of 2:
  +2 × (2 − c) when c < 2, −3 × (c − 2) when c > 2;
- score = sum of all lines; score < 60 → flag 'training'.

Times are local (Asia/Shanghai) ISO times without a zone.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from merit.engine.api import assess

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import at, hours_after, write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import at, hours_after, write_package

PERIOD = "2026-03"
AFTER_SALES = ["e1", "e2", "e3", "e4", "e5"]
ITEMS = [
    "communication",
    "attitude",
    "teamwork",
    "discipline",
    "order_accuracy",
    "refund_dispute",
    "refund_completion",
    "refund_self_completion",
    "complaints",
]
# which source each line must name: (table, metric) — manual items name the manual_scores row
LINE_SOURCES = {
    "discipline": {
        ("incidents", "distractions"),
        ("attendance", "late_early_count"),
        ("attendance", "absence_count"),
    },
    "order_accuracy": {
        ("incidents", "order_errors"),
        ("incidents", "reissue_errors"),
        ("incidents", "gift_errors"),
    },
    "refund_dispute": {("refunds", "refund_dispute_rate")},
    "refund_completion": {("refunds", "refund_completion_days")},
    "refund_self_completion": {("refunds", "refund_self_completion_rate")},
    "complaints": {("incidents", "complaints")},
}


# ---- package builder ----------------------------------------------------------------------------------


def _agent(agent_id: str, team: str, role: str = "after_sales") -> dict:
    return {"agent_id": agent_id, "name": f"Agent {agent_id}", "team_id": team, "role": role}


def _manual(agent_id: str, communication, attitude, teamwork, period: str = PERIOD) -> list[dict]:
    return [
        {"agent_id": agent_id, "period": period, "item": item, "score": score, "by": "sup1"}
        for item, score in (("communication", communication), ("attitude", attitude), ("teamwork", teamwork))
    ]


def _att(agent_id: str, day: int, status: str, minutes_late: int | None = None, month: int = 3) -> dict:
    return {
        "agent_id": agent_id,
        "date": f"2026-{month:02d}-{day:02d}",
        "status": status,
        "minutes_late": minutes_late,
    }


def _incidents(agent_id: str, *kinds: str) -> list[dict]:
    return [
        {"incident_id": f"{agent_id}-i{i:02d}", "agent_id": agent_id, "at": at(3 + i), "kind": kind}
        for i, kind in enumerate(kinds, start=1)
    ]


def _refunds(agent_id: str, hours: list[int], disputed: int, self_completed: int, pending: int = 0) -> list:
    """One completed refund per entry of ``hours`` (completed that many hours after the request); the
    first ``disputed`` refunds are disputed and the first ``self_completed`` ones self-completed;
    ``pending`` more refunds are not completed (and not self-completed)."""
    rows = []
    for i, h in enumerate(hours):
        requested = at(2 + i % 20, 9)
        rows.append(
            {
                "refund_id": f"{agent_id}-r{i + 1:03d}",
                "agent_id": agent_id,
                "requested_at": requested,
                "completed_at": hours_after(requested, h),
                "amount": "59.00",
                "disputed": i < disputed,
                "self_completed": i < self_completed,
            }
        )
    for j in range(pending):
        rows.append(
            {
                "refund_id": f"{agent_id}-p{j + 1:03d}",
                "agent_id": agent_id,
                "requested_at": at(25, 9),
                "completed_at": None,
                "amount": "59.00",
                "disputed": False,
                "self_completed": False,
            }
        )
    return rows


def s5_package(path, dispute_benchmark: str = "0.0150", completion_benchmark: str = "2.0"):
    """Five after-sales agents (e1–e3 in t1, e4–e5 in t2) and one pre-sales agent p1 (in t2).

    Benchmarks for 2026-03: refund dispute rate 1.50 % and completion time 2.0 days by default.
      e1: refunds 200, 3 disputed, 100 done in 48 h + 100 in 91 h, 199 of 200 self-completed
      e2: refunds 125 (124 done in 60 h each, 1 pending), 2 disputed, 124 of 124 self-completed
      e3: refunds 100, 1 disputed, all done in 24 h, 97 self-completed (+ 1 February refund)
      e4: no refunds
      e5: refunds 40, 1 disputed, all done in 36 h, 39 self-completed
    """
    agents = [
        _agent("e1", "t1"),
        _agent("e2", "t1"),
        _agent("e3", "t1"),
        _agent("e4", "t2"),
        _agent("e5", "t2"),
        _agent("p1", "t2", role="pre_sales"),
    ]
    manual = [
        *_manual("e1", "9", "10", "8"),
        *_manual("e2", "8", "8.5", "7"),
        *_manual("e3", "6", "5", "7"),
        *_manual("e4", "5", "4.5", "6"),
        *_manual("e5", "9", "9", "9", period="2026-02"),  # February only: March counts 0
        *_manual("p1", "10", "10", "10"),
    ]
    attendance = [
        _att("e1", 2, "present"),
        _att("e1", 3, "present"),
        _att("e1", 4, "leave"),
        _att("e1", 27, "late", 10, month=2),  # February: not counted
        _att("e2", 2, "late", 30),  # exactly 30 minutes: a late, not an absence
        _att("e2", 3, "late", 5),
        _att("e2", 4, "early_leave"),
        _att("e2", 5, "present"),
        _att("e3", 2, "late", 10),
        _att("e3", 3, "late", 15),
        _att("e3", 4, "late", 20),
        _att("e3", 5, "early_leave"),
        _att("e3", 6, "late", 31),  # more than 30 minutes: an absence
        _att("e4", 2, "late", 3),
        _att("e4", 3, "present"),
        _att("e5", 10, "absent"),
        _att("e5", 11, "present"),
        _att("p1", 2, "absent"),
    ]
    incidents = [
        *_incidents("e1", "suggestion.adopted", "praise.named"),  # neither complaints nor errors
        *_incidents("e2", "error.order", "error.reissue", "error.gift", "complaint.rights"),
        *_incidents("e3", "error.order", "error.order", "complaint.attitude", "complaint.other"),
        *_incidents(
            "e4",
            "discipline.distraction",
            "discipline.distraction",
            "error.order",
            "complaint.attitude",
            "complaint.rights",
            "complaint.rights",
        ),
        *_incidents(
            "e5",
            "discipline.distraction",
            "error.reissue",
            "error.reissue",
            "error.gift",
            "error.gift",
            "error.gift",
            "complaint.attitude",
            "complaint.attitude",
            "complaint.rights",
            "complaint.rights",
            "complaint.other",
        ),
        # 2026-04-01 00:00 local is April: not one of e5's March complaints
        {"incident_id": "e5-april", "agent_id": "e5", "at": at(1, 0, month=4), "kind": "complaint.rights"},
        *_incidents("p1", "complaint.attitude", "discipline.distraction"),
    ]
    refunds = [
        *_refunds("e1", [48] * 100 + [91] * 100, disputed=3, self_completed=199),
        *_refunds("e2", [60] * 124, disputed=2, self_completed=124, pending=1),
        *_refunds("e3", [24] * 100, disputed=1, self_completed=97),
        {
            "refund_id": "e3-feb",
            "agent_id": "e3",
            "requested_at": at(27, 10, month=2),  # requested in February: not March's
            "completed_at": at(2, 10),
            "disputed": True,
            "self_completed": False,
        },
        *_refunds("e5", [36] * 40, disputed=1, self_completed=39),
        *_refunds("p1", [200] * 2, disputed=2, self_completed=0),
    ]
    benchmarks = [
        {"period": PERIOD, "metric": "refund_dispute_rate", "value": dispute_benchmark},
        {"period": PERIOD, "metric": "refund_completion_days", "value": completion_benchmark},
        {"period": "2026-02", "metric": "refund_dispute_rate", "value": "0.0300"},  # other month
    ]
    return write_package(
        path,
        agents=agents,
        manual_scores=manual,
        attendance=attendance,
        incidents=incidents,
        refunds=refunds,
        benchmarks=benchmarks,
    )


# ---- helpers over the results document -------------------------------------------------------------------


def _agents(doc) -> dict[str, dict]:
    (period,) = doc["periods"]
    assert period["period"] == PERIOD
    return {a["agent_id"]: a for a in period["agents"]}


def _lines(agent) -> dict[str, dict]:
    return {ln["item"]: ln for ln in agent["lines"]}


def _points(agent) -> dict[str, str]:
    return {ln["item"]: ln["points"] for ln in agent["lines"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = s5_package(tmp_path_factory.mktemp("s5"))
    doc, data = assess(folder, "S5", PERIOD)
    return folder, doc, data


# ---- tests ---------------------------------------------------------------------------------------------------


def test_population_is_after_sales_only(run):
    _, doc, _ = run
    ag = _agents(doc)
    assert sorted(ag) == AFTER_SALES  # p1 is pre-sales: not assessed
    teams = {t["team_id"]: t for t in doc["periods"][0]["teams"]}
    assert (teams["t1"]["agents"], teams["t2"]["agents"]) == (3, 2)
    # team means of the scores below: t1 (92 + 78.5 + 60) / 3 = 76.8333… → 76.83; t2 (59.5 + 2) / 2
    assert (teams["t1"]["mean_score"], teams["t2"]["mean_score"]) == ("76.83", "30.75")
    for a in ag.values():
        assert [ln["item"] for ln in a["lines"]] == ITEMS


def test_manual_items(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: [_points(x)[i] for i in ("communication", "attitude", "teamwork")] for a, x in ag.items()}
    assert got == {
        "e1": ["9.00", "10.00", "8.00"],
        "e2": ["8.00", "8.50", "7.00"],
        "e3": ["6.00", "5.00", "7.00"],
        "e4": ["5.00", "4.50", "6.00"],
        "e5": ["0.00", "0.00", "0.00"],  # only a February score: no March score → 0 (missing: zero)
    }
    src = _lines(ag["e2"])["attitude"]["explain"]["source"]
    assert [(s["table"], s["id"]) for s in src] == [("manual_scores", "e2/2026-03/attitude")]


def test_work_discipline(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: _points(x)["discipline"] for a, x in ag.items()}
    assert got == {
        "e1": "10.00",  # present, present, leave (and a February late): 10
        "e2": "7.00",  # late 30 (a late), late 5, early leave = 3 × −1 → 10 − 3 = 7
        "e3": "-5.00",  # 4 late/early → 3 × −1 + 1 × −2 = −5; late 31 → absence −10 → 10 − 5 − 10 = −5
        "e4": "-1.00",  # 2 games −10, 1 late −1 → 10 − 10 − 1 = −1 (no floor at 0)
        "e5": "-5.00",  # 1 game −5, 1 absence −10 → 10 − 5 − 10 = −5
    }
    inputs = {a: _lines(x)["discipline"]["explain"]["inputs"] for a, x in ag.items()}
    assert inputs["e2"] == {"distractions": 0, "late_early_count": 3, "absence_count": 0}
    assert inputs["e3"] == {"distractions": 0, "late_early_count": 4, "absence_count": 1}
    assert inputs["e4"] == {"distractions": 2, "late_early_count": 1, "absence_count": 0}
    assert inputs["e5"] == {"distractions": 1, "late_early_count": 0, "absence_count": 1}


def test_order_accuracy(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: _points(x)["order_accuracy"] for a, x in ag.items()}
    assert got == {
        "e1": "8.00",  # no error at all: 8
        "e2": "3.00",  # 1 whole-order, 1 reissue, 1 gift error: every kind ≤ 1 → 3
        "e3": "-2.00",  # 2 whole-order errors: 0 − 2 × (2 − 1) = −2
        "e4": "3.00",  # 1 whole-order error → 3
        "e5": "-3.00",  # 2 reissue + 3 gift: 0 − 1 × (2 − 1) − 1 × (3 − 1) = −3
    }


def test_refund_dispute_rate_steps(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: _points(x)["refund_dispute"] for a, x in ag.items()}
    assert got == {
        "e1": "15.00",  # 3/200 = 1.5 % vs 1.5 %: on target → 15
        "e2": "13.00",  # 2/125 = 1.6 % vs 1.5 %: exactly 0.1 pp worse → 1 step → 15 − 2 = 13
        "e3": "25.00",  # 1/100 = 1.0 % vs 1.5 %: exactly 0.5 pp better → 5 steps → 15 + 10 = 25
        "e4": "15.00",  # no refunds: the item's base 15
        "e5": "-5.00",  # 1/40 = 2.5 % vs 1.5 %: 1.0 pp worse → 10 steps → 15 − 20 = −5 (no floor)
    }
    lines = {a: _lines(x)["refund_dispute"] for a, x in ag.items()}
    assert (lines["e1"]["value"], lines["e2"]["value"], lines["e3"]["value"]) == ("0.015", "0.016", "0.01")
    assert lines["e2"]["explain"]["inputs"]["steps"] == -1
    assert lines["e3"]["explain"]["inputs"]["steps"] == 5  # 0.005 / 0.001 is exactly 5
    assert Decimal(lines["e2"]["explain"]["inputs"]["benchmark.refund_dispute_rate"]) == Decimal("0.015")
    (src,) = lines["e2"]["explain"]["source"]
    assert (src["table"], src["metric"], Decimal(src["num"]), Decimal(src["den"])) == (
        "refunds",
        "refund_dispute_rate",
        2,
        125,
    )
    # e3's February refund (disputed) is not March's: 1 of 100
    (src3,) = lines["e3"]["explain"]["source"]
    assert (Decimal(src3["num"]), Decimal(src3["den"])) == (1, 100)


def test_refund_completion_time_steps(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: _points(x)["refund_completion"] for a, x in ag.items()}
    assert got == {
        # (100 × 48 h + 100 × 91 h) / 200 = 69.5 h = 2.8958… days vs 2.0: 0.8958 / 0.5 = 1.79 → floor 1
        # step worse → 15 − 2 = 13
        "e1": "13.00",
        "e2": "13.00",  # 60 h = 2.5 days (the pending refund has no time) vs 2.0: exactly 1 step → 13
        "e3": "19.00",  # 24 h = 1.0 day vs 2.0: 1.0 / 0.5 = 2 steps better → 15 + 4 = 19
        "e4": "15.00",  # no refunds: base 15
        "e5": "17.00",  # 36 h = 1.5 days vs 2.0: exactly 1 step better → 15 + 2 = 17
    }
    lines = {a: _lines(x)["refund_completion"] for a, x in ag.items()}
    assert (lines["e1"]["value"], lines["e2"]["value"]) == ("2.895833", "2.5")


def test_refund_self_completion_steps(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: _points(x)["refund_self_completion"] for a, x in ag.items()}
    assert got == {
        "e1": "15.00",  # 199/200 = 99.5 % vs 99.5 %: on target → 15
        # 124/124 completed (the pending one is not in the denominator) = 100 %: 0.5 pp above
        # → 1 step → 15 + 2 = 17
        "e2": "17.00",
        "e3": "5.00",  # 97/100 = 97 %: 2.5 pp below → exactly 5 steps → 15 − 10 = 5
        "e4": "15.00",  # no refunds: base 15
        "e5": "7.00",  # 39/40 = 97.5 %: 2.0 pp below → 4 steps → 15 − 8 = 7
    }
    lines = {a: _lines(x)["refund_self_completion"] for a, x in ag.items()}
    assert (lines["e1"]["value"], lines["e2"]["value"], lines["e3"]["value"]) == ("0.995", "1", "0.97")
    assert lines["e3"]["explain"]["inputs"]["steps"] == -5
    (src,) = lines["e2"]["explain"]["source"]
    assert (Decimal(src["num"]), Decimal(src["den"])) == (124, 124)


def test_complaint_addon(run):
    _, doc, _ = run
    ag = _agents(doc)
    got = {a: _points(x)["complaints"] for a, x in ag.items()}
    assert got == {
        "e1": "4.00",  # 0 complaints: 2 × (2 − 0) = +4
        "e2": "2.00",  # 1: 2 × (2 − 1) = +2
        "e3": "0.00",  # 2: at the pivot → 0
        "e4": "-3.00",  # 3: −3 × (3 − 2) = −3
        "e5": "-9.00",  # 5 (the April one does not count): −3 × (5 − 2) = −9
    }
    for x in ag.values():
        assert _lines(x)["complaints"]["addon"] is True
    assert _lines(ag["e5"])["complaints"]["explain"]["inputs"] == {"complaints": 5}


def test_scores_are_the_sum_of_the_lines(run):
    _, doc, _ = run
    ag = _agents(doc)
    # e1: 9 + 10 + 8 + 10 + 8 + 15 + 13 + 15 + 4    = 92
    # e2: 8 + 8.5 + 7 + 7 + 3 + 13 + 13 + 17 + 2    = 78.5
    # e3: 6 + 5 + 7 − 5 − 2 + 25 + 19 + 5 + 0       = 60
    # e4: 5 + 4.5 + 6 − 1 + 3 + 15 + 15 + 15 − 3    = 59.5
    # e5: 0 + 0 + 0 − 5 − 3 − 5 + 17 + 7 − 9        = 2
    assert {a: x["score"] for a, x in ag.items()} == {
        "e1": "92.00",
        "e2": "78.50",
        "e3": "60.00",
        "e4": "59.50",
        "e5": "2.00",
    }
    for x in ag.values():
        assert Decimal(x["score"]) == sum(Decimal(ln["points"]) for ln in x["lines"])


def test_training_flag_below_60(run):
    _, doc, _ = run
    ag = _agents(doc)
    flags = {a: sorted((f["flag"], f["rule"]) for f in x["flags"]) for a, x in ag.items()}
    assert flags == {
        "e1": [],
        "e2": [],
        "e3": [],  # exactly 60 is not below 60
        "e4": [("training", "low_score_training")],  # 59.5
        "e5": [("training", "low_score_training")],  # 2
    }
    (f,) = ag["e4"]["flags"]
    assert f["human_decision"] is False
    assert Decimal(f["explain"]["inputs"]["score"]) == Decimal("59.5")
    for x in ag.values():
        assert x["sanctions"] == []  # S5 issues no sanctions
        assert x["points"] is None  # and keeps no points budget


def test_lines_name_their_source(run):
    """Every line with data names where its number came from: the manual_scores row, or the metric and
    its table (with the agent's counts)."""
    _, doc, _ = run
    ag = _agents(doc)
    for a in ("e1", "e2", "e3"):  # agents with data for every item
        lines = _lines(ag[a])
        for item in ("communication", "attitude", "teamwork"):
            src = lines[item]["explain"]["source"]
            assert [(s["table"], s["id"]) for s in src] == [("manual_scores", f"{a}/{PERIOD}/{item}")], (
                a,
                item,
            )
        for item, expected in LINE_SOURCES.items():
            src = lines[item]["explain"]["source"]
            assert {(s["table"], s["metric"]) for s in src} == expected, (a, item)
            assert all(s.get("period") == PERIOD for s in src), (a, item)
        assert lines["refund_dispute"]["explain"]["rulebook"]


def test_no_data_lines_name_their_source(run):
    """A line scored without data (e4 has no refunds; e5 has no March supervisor score) still says which
    metric and table it looked in, and why it got its points."""
    _, doc, _ = run
    ag = _agents(doc)
    e4 = _lines(ag["e4"])
    for item in ("refund_dispute", "refund_completion", "refund_self_completion"):
        explain = e4[item]["explain"]
        assert e4[item]["points"] == "15.00"
        assert "no data" in explain.get("note", ""), item
        assert {(s["table"], s["metric"]) for s in explain["source"]} == LINE_SOURCES[item], item
    e5 = _lines(ag["e5"])
    for item in ("communication", "attitude", "teamwork"):
        explain = e5[item]["explain"]
        assert "no data" in explain.get("note", ""), item
        assert [s["table"] for s in explain["source"]] == ["manual_scores"], item


def test_deterministic(run):
    folder, doc, data = run
    doc2, data2 = assess(folder, "S5", PERIOD)
    assert data2 == data
    assert doc2["output_sha256"] == doc["output_sha256"]
    assert f'"output_sha256":"{doc["output_sha256"]}"'.encode() in data


def test_partial_steps_are_floored(tmp_path):
    """Same data, benchmarks 1.41 % and 2.9 days: deltas that are not whole steps."""
    folder = s5_package(tmp_path, dispute_benchmark="0.0141", completion_benchmark="2.9")
    doc, _ = assess(folder, "S5", PERIOD)
    ag = _agents(doc)
    dispute = {a: _points(x)["refund_dispute"] for a, x in ag.items()}
    assert dispute == {
        "e1": "15.00",  # 1.5 % − 1.41 % = 0.09 pp → 0.9 step → 0 steps → 15
        "e2": "13.00",  # 1.6 % − 1.41 % = 0.19 pp → 1.9 → 1 step worse → 13
        "e3": "23.00",  # 1.0 % − 1.41 % = −0.41 pp → 4.1 → 4 steps better → 15 + 8 = 23
        "e4": "15.00",  # no refunds: base
        "e5": "-5.00",  # 2.5 % − 1.41 % = 1.09 pp → 10.9 → 10 steps worse → 15 − 20 = −5
    }
    completion = {a: _points(x)["refund_completion"] for a, x in ag.items()}
    assert completion == {
        "e1": "15.00",  # 2.8958… − 2.9 = −0.0042 day → 0 steps → 15
        "e2": "15.00",  # 2.5 − 2.9 = −0.4 → 0.8 step → 0 → 15
        "e3": "21.00",  # 1.0 − 2.9 = −1.9 → 3.8 → 3 steps better → 15 + 6 = 21
        "e4": "15.00",
        "e5": "19.00",  # 1.5 − 2.9 = −1.4 → 2.8 → 2 steps better → 15 + 4 = 19
    }
    assert _lines(ag["e1"])["refund_dispute"]["explain"]["inputs"]["steps"] == 0
    # scores move by the changed lines only: e1 92 − 13 + 15 = 94; e2 78.5 − 13 + 15 = 80.5;
    # e3 60 − 25 + 23 − 19 + 21 = 60; e4 59.5; e5 2 − 17 + 19 = 4
    assert {a: x["score"] for a, x in ag.items()} == {
        "e1": "94.00",
        "e2": "80.50",
        "e3": "60.00",
        "e4": "59.50",
        "e5": "4.00",
    }


def test_items_capped_at_their_weight_when_the_parameter_says_so(run):
    """The seed names no cap (default off, the tests above); with cap_items_at_weight each item scores at
    most its weight (15 for the refund items), computed by hand from the lines above."""
    folder, plain, _ = run
    doc, _ = assess(folder, "S5", PERIOD, {"cap_items_at_weight": "true"})
    ag = _agents(doc)
    points = {a: _points(x) for a, x in ag.items()}
    assert {a: p["refund_dispute"] for a, p in points.items()}["e3"] == "15.00"  # 25 → 15
    assert {a: p["refund_completion"] for a, p in points.items()} == {
        "e1": "13.00",
        "e2": "13.00",
        "e3": "15.00",  # 19 → 15
        "e4": "15.00",
        "e5": "15.00",  # 17 → 15
    }
    assert points["e2"]["refund_self_completion"] == "15.00"  # 17 → 15
    # below the weight nothing changes; the add-on (complaints, +4 for e1) is not capped
    assert points["e1"]["complaints"] == "4.00" and points["e3"]["refund_self_completion"] == "5.00"
    # e2: 78.5 − 2 = 76.5; e3: 60 − 10 − 4 = 46; e5: 2 − 2 = 0; e1 and e4 had nothing above a weight
    assert {a: x["score"] for a, x in ag.items()} == {
        "e1": "92.00",
        "e2": "76.50",
        "e3": "46.00",
        "e4": "59.50",
        "e5": "0.00",
    }
    note = _lines(ag["e3"])["refund_dispute"]["explain"]["note"]
    assert note == "capped at its weight 15.00 (满分; 25.00 before the cap)"
    assert doc["policy"]["parameters"]["cap_items_at_weight"] is True
    assert _points(_agents(plain)["e3"])["refund_dispute"] == "25.00"  # off by default: the seed
