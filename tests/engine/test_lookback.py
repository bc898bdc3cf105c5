"""A month's result does not depend on where the assessed range starts (docs/adr/0003, lookback.py).

Without ``--state`` the engine rebuilds the state at the start of a range from the facts before it, so
every month of a range starting late is byte-identical to the same month of a range starting at the
first month of facts; a given state wins and agrees; and a rule that looks back before the first month
of facts says so, per rule and per agent.

The fixed examples' numbers are worked out by hand from RULEBOOK.md (S9: attitude complaints within
12 months, 1st a warning, 2nd ¥200; S3: verbal ¥10, written ¥50, final ¥200, 3 verbal = 1 written
within 12 months, a new offence under a final warning → dismissal review).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merit.engine.api import assess_package
from merit.engine.lookback import facts_from, history_lines, look_backs, warm_up_from
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy
from merit.engine.results import canonical
from merit.engine.state import state_from_results
from merit.engine.synth import synth

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import at, write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import at, write_package

# The presets with rules over time (points balances, ladders, windows, streaks, levels).
OVER_TIME = ("S1", "S2", "S3", "S4", "S6", "S6-FD", "S8", "S9")
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    out = tmp_path_factory.mktemp("year")
    synth(out, agents=24, months=12, seed=5, fmt="parquet", start="2026-01", scale=0.02)
    return load_package(out)


_FULL: dict[str, dict] = {}


def _full(year, pid: str) -> dict:
    """The range from the first month of facts, once per preset."""
    if pid not in _FULL:
        _FULL[pid], _ = assess_package(year, load_policy(pid), MONTHS)
    return _FULL[pid]


@pytest.mark.parametrize("pid", OVER_TIME)
def test_the_presets_over_time_do_look_back(pid):
    # a preset listed here carries state; the property below would prove nothing for one that did not
    lp = load_policy(pid)
    assert warm_up_from(lp, Period(2026, 12), Period(2026, 1)) is not None


@pytest.mark.parametrize("pid", OVER_TIME)
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_month_is_the_same_wherever_the_range_starts(year, pid, data):
    full = _full(year, pid)
    start = data.draw(st.integers(min_value=1, max_value=11), label="first month index")
    end = data.draw(st.integers(min_value=start, max_value=11), label="last month index")
    policy = load_policy(pid)
    late, _ = assess_package(year, policy, MONTHS[start : end + 1])
    for i, month in enumerate(late["periods"]):
        assert canonical(month) == canonical(full["periods"][start + i]), (pid, month["period"])
    # a state given from the longer run's month before wins over re-reading, and agrees with it
    before = {**full, "periods": full["periods"][:start]}
    state = state_from_results(before, policy.sha256, Period.parse(MONTHS[start]))
    given_state, _ = assess_package(year, policy, MONTHS[start : end + 1], state)
    assert canonical(given_state["periods"]) == canonical(late["periods"])


# ---- S9: the second upheld attitude complaint within 12 months ---------------------------------


def _s9_package(tmp_path, hired_later: date = date(2026, 5, 1)):
    agents = [
        {
            "agent_id": "A1",
            "name": "甲",
            "team_id": "t1",
            "role": "after_sales",
            "hired_on": date(2024, 1, 8),
        },
        {"agent_id": "A2", "name": "乙", "team_id": "t1", "role": "after_sales", "hired_on": hired_later},
    ]
    incidents = [
        {"incident_id": "I1", "agent_id": "A1", "at": at(10, month=3), "kind": "complaint.attitude"},
        {"incident_id": "I2", "agent_id": "A1", "at": at(12, month=10), "kind": "complaint.attitude"},
        {"incident_id": "I3", "agent_id": "A2", "at": at(14, month=10), "kind": "complaint.attitude"},
    ]
    return load_package(write_package(tmp_path, agents=agents, incidents=incidents))


def _entries(doc, agent, rule):
    (period,) = [p for p in doc["periods"] if p["period"] == "2026-10"]
    a = next(x for x in period["agents"] if x["agent_id"] == agent)
    return [e for e in a["money"]["entries"] if e["rule"] == rule], a


def test_s9_october_alone_counts_the_march_complaint(tmp_path):
    package = _s9_package(tmp_path)
    policy = load_policy("S9")
    for periods in (["2026-10"], ["2026-09", "2026-10"], [f"2026-{m:02d}" for m in range(3, 11)]):
        doc, _ = assess_package(package, policy, periods)
        (entry,), a1 = _entries(doc, "A1", "attitude_complaint")
        # March 10 is within 12 months of October 12: October's complaint is the 2nd → ¥200, no warning
        assert (entry["occurrence"], entry["amount"]) == (2, "200.00"), periods
        assert [s["fine"] for s in a1["sanctions"] if s["rule"] == "attitude_complaint"] == ["200.00"]
        # A2's first complaint: a warning, no fine
        (entry2,), a2 = _entries(doc, "A2", "attitude_complaint")
        assert (entry2["occurrence"], entry2["amount"], entry2["step"]["warning"]) == (1, "0.00", True)


def test_s9_history_shorter_than_the_window_is_flagged(tmp_path):
    package = _s9_package(tmp_path)
    doc, _ = assess_package(package, load_policy("S9"), ["2026-10"])
    (period,) = doc["periods"]
    # the facts begin in March 2026; October's 12-month window reaches back to October 2025
    assert period["history"] == {
        "from": "2026-03",
        "short": [
            {
                "rule": "attitude_complaint",
                "looks_back": "12-month window of occurrences",
                "needs_from": "2025-10",
                "agents": 1,
            }
        ],
    }
    by_id = {a["agent_id"]: a for a in period["agents"]}
    assert by_id["A1"]["history"] == ["attitude_complaint"]  # employed since 2024: history unseen
    assert "history" not in by_id["A2"]  # hired in May 2026, after the facts begin: nothing missed
    (line,) = history_lines(doc)
    assert "attitude_complaint" in line and "2026-03" in line and "1 agent(s)" in line


def test_history_long_enough_raises_no_flag(tmp_path):
    agents = [
        {"agent_id": "A1", "name": "甲", "team_id": "t1", "role": "after_sales", "hired_on": date(2020, 1, 1)}
    ]
    incidents = [
        {"incident_id": "I0", "agent_id": "A1", "at": at(3, year=2025, month=1), "kind": "praise.written"},
        {"incident_id": "I1", "agent_id": "A1", "at": at(12, month=1), "kind": "complaint.attitude"},
    ]
    package = load_package(write_package(tmp_path, agents=agents, incidents=incidents))
    assert facts_from(package_backend(package)) == Period(2025, 1)
    doc, _ = assess_package(package, load_policy("S9"), ["2026-01"])
    (period,) = doc["periods"]
    assert period["history"] == {"from": "2025-01", "short": []}
    assert "history" not in period["agents"][0]
    assert history_lines(doc) == []


def package_backend(package):
    from merit.engine.backends import connect

    return connect(package, "duckdb")


# ---- S3: warnings before the range ---------------------------------------------------------------


def _s3_package(tmp_path, incidents):
    agents = [
        {"agent_id": "A1", "name": "甲", "team_id": "t1", "role": "after_sales", "employment": "regular"}
    ]
    return load_package(write_package(tmp_path, agents=agents, incidents=incidents))


def test_s3_a_final_warning_before_the_range_raises_the_dismissal_review(tmp_path):
    package = _s3_package(
        tmp_path,
        [
            {"incident_id": "F1", "agent_id": "A1", "at": at(5, month=3), "kind": "s3.f01"},
            {"incident_id": "V1", "agent_id": "A1", "at": at(6, month=5), "kind": "s3.v01"},
        ],
    )
    for periods in (["2026-04", "2026-05"], ["2026-05"], ["2026-03", "2026-04", "2026-05"]):
        doc, _ = assess_package(package, load_policy("S3"), periods)
        may = doc["periods"][-1]["agents"][0]
        # May 6: a verbal offence (¥10) while the final warning of March 5 is active (12 months)
        assert [(s["kind"], s["fine"], s["on"]) for s in may["sanctions"]] == [
            ("verbal_warning", "10.00", "2026-05-06")
        ], periods
        assert [(f["flag"], f["rule"], f["on"]) for f in may["flags"]] == [
            ("dismissal_review", "verbal_01", "2026-05-06")
        ], periods
        assert may["state_in"]["warnings"][0]["level"] == "final"


def test_s3_third_verbal_warning_converts_when_the_first_two_are_before_the_range(tmp_path):
    package = _s3_package(
        tmp_path,
        [
            {"incident_id": "V1", "agent_id": "A1", "at": at(2, month=3), "kind": "s3.v01"},
            {"incident_id": "V2", "agent_id": "A1", "at": at(2, month=4), "kind": "s3.v04"},
            {"incident_id": "V3", "agent_id": "A1", "at": at(4, month=5), "kind": "s3.v05"},
        ],
    )
    doc, _ = assess_package(package, load_policy("S3"), ["2026-05"])
    (may,) = doc["periods"][0]["agents"]
    # the 3rd verbal warning (¥10) makes 3 active verbal warnings = 1 written warning (no fine of its own)
    assert [(s["kind"], s["fine"], s["rule"]) for s in may["sanctions"]] == [
        ("verbal_warning", "10.00", "verbal_05"),
        ("written_warning", "0.00", "conversion"),
    ]
    assert may["warnings"]["active_at_month_end"] == {"verbal": 0, "written": 1, "final": 0, "dismissal": 0}


def test_a_metric_of_the_month_before_is_a_look_back_too(year):
    # S10's DSR growth reads dsr_prev (offset -1): January 2026, the first month of facts, has no
    # month before; February has
    doc, _ = assess_package(year, load_policy("S10"), ["2026-01", "2026-02"])
    jan, feb = doc["periods"]
    hired = dict(year.con.execute("SELECT agent_id, hired_on FROM agents").fetchall())
    before = {a["agent_id"] for a in jan["agents"] if hired[a["agent_id"]] < date(2026, 1, 1)}
    assert before  # S10 assesses one team here, all employed before 2026
    assert jan["history"]["short"] == [
        {
            "rule": "dsr_prev",
            "looks_back": "metric of 1 month(s) before",
            "needs_from": "2025-12",
            "agents": len(before),
        }
    ]
    assert feb["history"] == {"from": "2026-01", "short": []}
    assert {a["agent_id"] for a in jan["agents"] if a.get("history") == ["dsr_prev"]} == before
    assert not any("history" in a for a in feb["agents"])


def test_a_policy_without_rules_over_time_reads_no_earlier_month(tmp_path):
    for pid in ("S5", "S7", "S10"):
        lp = load_policy(pid)
        assert look_backs(lp) == [] and warm_up_from(lp, Period(2026, 6), Period(2026, 1)) is None, pid


def test_a_points_balance_that_resets_monthly_needs_only_the_month_before():
    lp = load_policy("S1")
    assert look_backs(lp) == []  # nothing is flagged: March's balance starts afresh
    assert warm_up_from(lp, Period(2026, 6), Period(2026, 1)) == Period(2026, 5)
