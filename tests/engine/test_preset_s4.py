"""Preset S4 (cloud customer service 云客服: leave, warnings, stoppages, levels, service fee) against
numbers worked out by hand from RULEBOOK.md § S4, the seed text (001, "淘宝FAQ") and the
interpretations stated in merit/presets/s4_cloud_service.yaml, never by running the engine:

- leave must be filed at least 7200 s before the shift: 7200 s → nothing; 1..7199 s → 1 warning
  (late_leave); filed at or after the shift start (a shift in progress) → refused, 2 warnings
  (leave_refused); absent without leave → 2 warnings (absence); a non-business complaint upheld
  (incident 'complaint.other') → 1 warning. S4 warnings carry no fine ("0.00"); the sanction kind of a
  record of the ladder level ``warning`` is "warning" (a level id ending in "warning" is the kind itself);
- a warning counts for 6 months (issued 2026-01-15 → counts through 2026-07-14, expires 2026-07-15);
  3 active warnings → 1 stoppage (flag 'suspension', rule 'conversion') on the day of the 3rd, and the
  service is stopped the next month: status 'suspended', fee 0.00; the month after is normal again;
- a serious service fault stops the service directly (flag 'suspension', rule 'serious_fault'); a
  stoppage counts for 12 months; 2 of them → qualification cancelled (rule 'conversion', a human
  decision); cheating / faked performance / service rules 1-5, 8 / a major fault → qualification
  cancelled; service rules 6, 7 → blacklist (both human decisions);
- a failed quarterly exam followed by a second failure within 1 month (the failed re-sit) →
  qualification cancelled; a failure followed by a passed re-sit → nothing;
- no service record (days_worked == 0) in 6 consecutive months → qualification cancelled in the 6th;
- levels rookie (0.8) / knight (1.0) / hero (1.2, invite-only) / master (1.5): all promotion criteria of
  the month → up one next month; any one demotion criterion → down one next month (demotion first);
  knight → hero only as a human-decided invitation flag; fee = base_bonus × fee_factor of the month's
  level, rounded half up to cents, paid by the 10th of the next month, moved to the working day before.

Calendar facts used (2026 official arrangement; 2026-01-01 is a Thursday): 2026-02-10 Tue,
2026-03-10 Tue, 2026-04-10 Fri, 2026-05-10 Sun (05-09 Sat is a make-up working day), 2026-06-10 Wed,
2026-07-10 Fri, 2026-08-10 Mon, 2026-09-10 Thu, 2026-10-10 Sat (a make-up working day after the
National Day holiday), 2026-11-10 Tue, 2026-12-10 Thu, 2027-01-10 Sun (2027 not published:
Monday-Friday assumed → Fri 2027-01-08), 2027-02-10 Wed.

Times are local (Asia/Shanghai) ISO times without a zone; the package stores them as UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from merit.engine.api import assess, assess_package
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy
from merit.engine.results import canonical
from merit.engine.state import state_from_results

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import write_package

# The zh labels of the preset's offences: a warning's reason.
LABEL = {
    "late_leave": "未提前2小时请假",
    "leave_refused": "班务进行中请假(不予批准,按旷工)",
    "absence": "未请假擅自缺席(旷工)",
    "complaint": "非业务类投诉成立",
    "serious_fault": "较为严重的服务过失",
    "cancellation": "代考作弊、绩效作假、违反服务制度1-5/8条、重大服务过失",
    "blacklist": "违反服务制度第6、7条",
}
LEVELS = ("warning", "suspension", "cancellation", "blacklist")
WARNING_KIND = "warning"  # the ladder level id 'warning' is already a warning kind
FEE_FORMULA = "agent.base_bonus * level.fee_factor"
SUSPENDED_NOTE = "suspended this month (停止服务): no duties, no fee"


# ---- package builders ---------------------------------------------------------------------------


def _agent(agent_id: str, *, role: str = "cloud", level: str | None = None, base: str = "3000") -> dict:
    return {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "team_id": "t1",
        "role": role,
        "employment": "part_time",
        "level": level,
        "base_bonus": Decimal(base),
    }


def _present(agent: str, day: date) -> dict:
    return {"agent_id": agent, "date": day, "status": "present"}


def _absent(agent: str, day: date) -> dict:
    return {"agent_id": agent, "date": day, "status": "absent"}


def _leave(agent: str, shift: datetime, filed: datetime) -> dict:
    return {
        "agent_id": agent,
        "date": shift.date(),
        "status": "leave",
        "shift_start": shift,
        "leave_filed_at": filed,
    }


def _inc(incident_id: str, agent: str, when: datetime, kind: str, severity: str | None = None) -> dict:
    return {"incident_id": incident_id, "agent_id": agent, "at": when, "kind": kind, "severity": severity}


def _exam(agent: str, when: datetime, passed: bool, exam: str = "quarterly") -> dict:
    return {
        "agent_id": agent,
        "at": when,
        "exam": exam,
        "score": Decimal(75 if passed else 40),
        "passed": passed,
    }


def _perf(agent, year, month, *, days, good, total, frs, qa, critical=0) -> dict[str, list[dict]]:
    """One month of performance data: ``days`` present days (the 1st, 2nd, …), ``total`` survey ratings
    of which ``good`` score 5 (the rest 2) → csat = good/total, one chat per first-response time in
    ``frs`` (seconds) → their mean, one QA review per score in ``qa`` → their mean, the first
    ``critical`` of them with a critical fail."""
    tag = f"{agent}-{year}{month:02d}"
    return {
        "attendance": [_present(agent, date(year, month, d)) for d in range(1, days + 1)],
        "ratings": [
            {
                "rating_id": f"r-{tag}-{i}",
                "agent_id": agent,
                "at": datetime(year, month, 5, 10, 0),
                "score": Decimal(5 if i < good else 2),
                "source": "survey",
            }
            for i in range(total)
        ],
        "chats": [
            {
                "chat_id": f"c-{tag}-{i}",
                "agent_id": agent,
                "started_at": datetime(year, month, 6, 10, 0),
                "first_response_s": s,
            }
            for i, s in enumerate(frs)
        ],
        "qa_reviews": [
            {
                "review_id": f"q-{tag}-{i}",
                "agent_id": agent,
                "at": datetime(year, month, 7, 10, 0),
                "score": Decimal(sc),
                "critical_fail": i < critical,
            }
            for i, sc in enumerate(qa)
        ],
    }


def _merge(*parts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in parts:
        for k, rows in p.items():
            out.setdefault(k, []).extend(rows)
    return out


# ---- expected-value helpers ---------------------------------------------------------------------


def _src(text: str) -> dict:
    table, _, ident = text.partition("/")
    return {"table": table, "id": ident}


def warn(rule: str, on: str, source: str) -> dict:
    """One warning record of an offence (no fine in S4)."""
    return {
        "kind": WARNING_KIND,
        "fine": "0.00",
        "on": on,
        "rule": rule,
        "reason": LABEL[rule],
        "source": [_src(source)],
    }


def stop_by_warnings(on: str, sources: list[str], month: str) -> dict:
    """3 warnings within half a year = a stoppage; the service is stopped for ``month``."""
    return {
        "flag": "suspension",
        "rule": "conversion",
        "reason": "3 warnings = suspension",
        "source": [_src(x) for x in sources],
        "human_decision": False,
        "on": on,
        "suspended": {"from": month, "through": month},
    }


def stop_by_fault(on: str, source: str, month: str) -> dict:
    """A serious service fault stops the service directly."""
    return {
        "flag": "suspension",
        "rule": "serious_fault",
        "reason": f"offence '{LABEL['serious_fault']}' of level suspension",
        "source": [_src(source)],
        "human_decision": False,
        "on": on,
        "suspended": {"from": month, "through": month},
    }


def cancel_by_stoppages(on: str, sources: list[str]) -> dict:
    """2 stoppages within a year → qualification cancelled (a person decides)."""
    return {
        "flag": "qualification_cancelled",
        "rule": "conversion",
        "reason": "2 suspension times = cancellation",
        "source": [_src(x) for x in sources],
        "human_decision": True,
        "on": on,
    }


def grave(rule: str, on: str, source: str) -> dict:
    """An offence of the cancellation or blacklist level: its flag straight away."""
    flag = "qualification_cancelled" if rule == "cancellation" else "blacklist"
    return {
        "flag": flag,
        "rule": rule,
        "reason": f"offence '{LABEL[rule]}' of level {rule}",
        "source": [_src(source)],
        "human_decision": True,
        "on": on,
    }


def record(level: str, on: str, expires: str, sources: list[str], rule: str) -> dict:
    """A record still counting, as carried in state_out.warnings."""
    return {"level": level, "on": on, "expires": expires, "source": sources, "rule": rule}


def summary(offences: int, **act: int) -> dict:
    return {
        "offences": offences,
        "fines": "0.00",
        "active_at_month_end": {lv: act.get(lv, 0) for lv in LEVELS},
    }


def fee(amount: str, pay_by: str, *, base: str = "3000", factor: str = "0.8", **extra: str) -> dict:
    out = {
        "amount": amount,
        "pay_by": pay_by,
        "formula": FEE_FORMULA,
        "inputs": {"agent.base_bonus": base, "level.fee_factor": factor},
    }
    out.update(extra)
    return out


def by_month(doc: dict) -> dict[str, dict[str, dict]]:
    return {p["period"]: {a["agent_id"]: a for a in p["agents"]} for p in doc["periods"]}


def _sorted_state(ws: list[dict]) -> list[dict]:
    return sorted(ws, key=lambda w: (w["on"], w["level"], w["source"]))


def suspended(agent: dict) -> bool:
    return agent.get("status") == "suspended"


# ---- package 1, single events: 2026-03..2026-04 ---------------------------------------------------

EVENTS_RANGE = "2026-03..2026-04"
EVENT_AGENTS = [
    "lv_2h",
    "lv_1h59",
    "lv_after",
    "lv_at",
    "absent",
    "cmp",
    "abs2",
    "g_cheat",
    "g_faked",
    "g_rule1",
    "g_rule2",
    "g_rule3",
    "g_rule4",
    "g_rule5",
    "g_rule8",
    "g_major",
    "g_minor",
    "g_rule6",
    "g_rule7",
    "qx_fail",
    "qx_pass",
    "qx_same",
    "qx_apart",
]
# grave incident kinds (2026-03-10 10:00) → the offence rule they fall under
GRAVE = {
    "g_cheat": ("exam.cheating", None, "cancellation"),
    "g_faked": ("performance.faked", None, "cancellation"),
    "g_rule1": ("service_rule.1", None, "cancellation"),
    "g_rule2": ("service_rule.2", None, "cancellation"),
    "g_rule3": ("service_rule.3", None, "cancellation"),
    "g_rule4": ("service_rule.4", None, "cancellation"),
    "g_rule5": ("service_rule.5", None, "cancellation"),
    "g_rule8": ("service_rule.8", None, "cancellation"),
    "g_major": ("service.fault", "major", "cancellation"),
    "g_rule6": ("service_rule.6", None, "blacklist"),
    "g_rule7": ("service_rule.7", None, "blacklist"),
}


def events_package(path):
    """Cloud agents with one kind of event each (March 2026), and one after-sales agent 'ext'.

    lv_2h:    leave for the 03-09 09:00 shift filed 07:00 (exactly 7200 s) and for the 03-16 09:00
              shift filed 03-15 20:00 (13 h) → nothing.
    lv_1h59:  filed 07:01 for 09:00 (7140 s) → 1 warning.
    lv_after: filed 09:30 for 09:00 (shift in progress) → refused, 2 warnings.
    lv_at:    filed 09:00 for 09:00 (0 s: the shift has begun) → refused, 2 warnings.
    absent:   absent 03-09 → 2 warnings.   cmp: complaint.other 03-09 → 1 warning.
    abs2:     absent 03-09 and 03-10 → 4 warnings: the 3rd converts → stopped in April.
    g_*:      one grave incident each on 03-10; g_minor a 'minor' service fault (no sanction named).
    qx_*:     quarterly exams (see the tests).
    ext:      after-sales, with a complaint and an absence: not in the population.
    """
    agents = [_agent(a) for a in EVENT_AGENTS] + [_agent("ext", role="after_sales")]
    nine = datetime(2026, 3, 9, 9, 0)
    attendance = [
        _leave("lv_2h", nine, datetime(2026, 3, 9, 7, 0)),
        _leave("lv_2h", datetime(2026, 3, 16, 9, 0), datetime(2026, 3, 15, 20, 0)),
        _leave("lv_1h59", nine, datetime(2026, 3, 9, 7, 1)),
        _leave("lv_after", nine, datetime(2026, 3, 9, 9, 30)),
        _leave("lv_at", nine, nine),
        _absent("absent", date(2026, 3, 9)),
        _absent("abs2", date(2026, 3, 9)),
        _absent("abs2", date(2026, 3, 10)),
        _absent("ext", date(2026, 3, 9)),
    ]
    incidents = [
        _inc("i-cmp", "cmp", datetime(2026, 3, 9, 15, 0), "complaint.other"),
        _inc("i-ext", "ext", datetime(2026, 3, 9, 15, 0), "complaint.other"),
        _inc("i-g_minor", "g_minor", datetime(2026, 3, 10, 10, 0), "service.fault", "minor"),
    ]
    for a, (kind, severity, _rule) in GRAVE.items():
        incidents.append(_inc(f"i-{a}", a, datetime(2026, 3, 10, 10, 0), kind, severity))
    exams = [
        _exam("qx_fail", datetime(2026, 3, 25, 10, 0), False),
        _exam("qx_fail", datetime(2026, 4, 1, 10, 0), False),
        _exam("qx_pass", datetime(2026, 3, 25, 10, 0), False),
        _exam("qx_pass", datetime(2026, 4, 1, 10, 0), True),
        _exam("qx_pass", datetime(2026, 4, 2, 10, 0), False, exam="monthly"),
        _exam("qx_same", datetime(2026, 3, 20, 10, 0), False),
        _exam("qx_same", datetime(2026, 3, 27, 10, 0), False),
        _exam("qx_apart", datetime(2026, 3, 25, 10, 0), False),
        _exam("qx_apart", datetime(2026, 4, 25, 10, 0), False),
    ]
    return write_package(path, agents=agents, attendance=attendance, incidents=incidents, exams=exams)


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    doc, _ = assess(events_package(tmp_path_factory.mktemp("s4_events")), "S4", EVENTS_RANGE)
    return by_month(doc)


def test_events_population_is_the_cloud_agents(events):
    assert list(events) == ["2026-03", "2026-04"]
    for month in events.values():
        assert sorted(month) == sorted(EVENT_AGENTS)
        assert "ext" not in month


def test_leave_notice_boundaries(events):
    # seconds_between(filed, shift): 7200 → no offence (not less than 7200); 13 h → none;
    # 7140 → 1 warning; −1800 and 0 → refused (a shift in progress): 2 warnings, like an absence.
    mar = events["2026-03"]
    att = "attendance/{}/2026-03-09"
    assert mar["lv_2h"]["sanctions"] == []
    assert mar["lv_2h"]["warnings"] == summary(0)
    assert mar["lv_1h59"]["sanctions"] == [warn("late_leave", "2026-03-09", att.format("lv_1h59"))]
    assert mar["lv_1h59"]["warnings"] == summary(1, warning=1)
    for a in ("lv_after", "lv_at"):
        w = warn("leave_refused", "2026-03-09", att.format(a))
        assert mar[a]["sanctions"] == [w, w], a
        assert mar[a]["warnings"] == summary(1, warning=2), a
    # state: 1h59 warning issued 03-09 counts 6 months → expires 2026-09-09
    assert mar["lv_1h59"]["state_out"]["warnings"] == [
        record("warning", "2026-03-09", "2026-09-09", [att.format("lv_1h59")], "late_leave")
    ]
    for a in ("lv_2h", "lv_1h59", "lv_after", "lv_at"):
        assert mar[a]["flags"] == [], a
        assert not suspended(mar[a])


def test_absence_and_non_business_complaint(events):
    mar = events["2026-03"]
    w = warn("absence", "2026-03-09", "attendance/absent/2026-03-09")
    assert mar["absent"]["sanctions"] == [w, w]
    assert mar["absent"]["warnings"] == summary(1, warning=2)
    assert mar["cmp"]["sanctions"] == [warn("complaint", "2026-03-09", "incidents/i-cmp")]
    assert mar["cmp"]["warnings"] == summary(1, warning=1)
    for a in ("absent", "cmp"):
        assert mar[a]["flags"] == []
    # April: nothing new; the warnings still count (expire 2026-09-09)
    apr = events["2026-04"]
    assert apr["absent"]["warnings"] == summary(0, warning=2)
    assert apr["cmp"]["warnings"] == summary(0, warning=1)
    assert apr["absent"]["sanctions"] == apr["cmp"]["sanctions"] == []


def test_two_absences_four_warnings_stop_the_next_month(events):
    # 03-09 absent → warnings 1, 2; 03-10 absent → warning 3 → 3 active = 1 stoppage on 03-10 (from
    # the three oldest: 03-09, 03-09, 03-10), then warning 4 stays active. April is stopped.
    mar, apr = events["2026-03"]["abs2"], events["2026-04"]["abs2"]
    a9, a10 = "attendance/abs2/2026-03-09", "attendance/abs2/2026-03-10"
    assert mar["sanctions"] == [
        warn("absence", "2026-03-09", a9),
        warn("absence", "2026-03-09", a9),
        warn("absence", "2026-03-10", a10),
        warn("absence", "2026-03-10", a10),
    ]
    assert mar["flags"] == [stop_by_warnings("2026-03-10", [a9, a9, a10], "2026-04")]
    assert mar["warnings"] == summary(2, warning=1, suspension=1)
    assert _sorted_state(mar["state_out"]["warnings"]) == [
        record("suspension", "2026-03-10", "2027-03-10", [a9, a9, a10], "conversion"),
        record("warning", "2026-03-10", "2026-09-10", [a10], "absence"),
    ]
    assert mar["state_out"]["suspended_through"] == "2026-04"
    assert not suspended(mar)
    assert mar["fee"] == fee("2400.00", "2026-04-10")  # 3000 × 0.8
    # April: stopped — no duties, no fee; the 10th of May 2026 is a Sunday → Saturday 05-09 (调休 workday)
    assert suspended(apr)
    assert apr["fee"] == fee("0.00", "2026-05-09", note=SUSPENDED_NOTE)
    assert apr["sanctions"] == [] and apr["flags"] == []
    assert apr["warnings"] == summary(0, warning=1, suspension=1)


def test_grave_offences_cancel_or_blacklist(events):
    mar = events["2026-03"]
    for a, (_kind, _sev, rule) in GRAVE.items():
        agent = mar[a]
        assert agent["flags"] == [grave(rule, "2026-03-10", f"incidents/i-{a}")], a
        assert agent["sanctions"] == [], a
        assert agent["warnings"] == summary(1), a
        assert not suspended(events["2026-04"][a]), a
    # service rules 6 and 7 blacklist and do not cancel; 1-5, 8 cancel and do not blacklist
    assert {f["flag"] for f in mar["g_rule6"]["flags"]} == {"blacklist"}
    assert {f["flag"] for f in mar["g_rule1"]["flags"]} == {"qualification_cancelled"}
    # a fault that is neither serious nor major: no sanction named → nothing
    assert mar["g_minor"]["flags"] == [] and mar["g_minor"]["sanctions"] == []
    assert mar["g_minor"]["warnings"] == summary(0)


def _resit(agent: dict) -> list[tuple]:
    return [
        (e["at"], e["occurrence"], e["step"]["flag"])
        for e in agent["money"]["entries"]
        if e["rule"] == "quarterly_resit"
    ]


def _cancelled_by_resit(agent: dict) -> list[dict]:
    return [f for f in agent["flags"] if f["rule"] == "quarterly_resit"]


RESIT_FLAG = {
    "flag": "qualification_cancelled",
    "rule": "quarterly_resit",
    "reason": "季考补考不通过 (Quarterly exam re-sit failed)",
    "human_decision": True,
}


def test_quarterly_exam_resit(events):
    mar, apr = events["2026-03"], events["2026-04"]
    # qx_fail: failed 03-25 (occurrence 1: nothing), failed the re-sit 04-01: 03-25 counts until
    # 2026-04-25 → occurrence 2 → qualification cancelled in April.
    assert _resit(mar["qx_fail"]) == [("2026-03-25", 1, None)]
    assert _cancelled_by_resit(mar["qx_fail"]) == []
    assert mar["qx_fail"]["state_out"]["occurrences"] == {"quarterly_resit": ["2026-03-25"]}
    assert _resit(apr["qx_fail"]) == [("2026-04-01", 2, "qualification_cancelled")]
    (flag,) = _cancelled_by_resit(apr["qx_fail"])
    assert {k: flag[k] for k in RESIT_FLAG} == RESIT_FLAG
    assert apr["qx_fail"]["state_out"]["occurrences"] == {"quarterly_resit": ["2026-03-25", "2026-04-01"]}
    # qx_pass: failed 03-25, passed the re-sit 04-01 (and a failed *monthly* exam) → nothing
    assert _resit(mar["qx_pass"]) == [("2026-03-25", 1, None)]
    assert _resit(apr["qx_pass"]) == []
    # qx_same: failed 03-20, re-sit failed 03-27, both in March → cancelled in March
    assert _resit(mar["qx_same"]) == [("2026-03-20", 1, None), ("2026-03-27", 2, "qualification_cancelled")]
    assert len(_cancelled_by_resit(mar["qx_same"])) == 1
    # qx_apart: failed 03-25 and 04-25; the first expired on 04-25 → a first failure again
    assert _resit(mar["qx_apart"]) == [("2026-03-25", 1, None)]
    assert _resit(apr["qx_apart"]) == [("2026-04-25", 1, None)]
    for a in ("qx_pass", "qx_apart"):
        for m in (mar, apr):
            assert m[a]["flags"] == [], a
    for a in ("qx_fail", "qx_pass", "qx_same", "qx_apart"):
        for m in (mar, apr):
            assert m[a]["money"]["fines"] == "0.00"
            assert m[a]["sanctions"] == []
    assert _cancelled_by_resit(apr["qx_same"]) == []


def test_events_fees(events):
    # Every agent is a rookie (no performance data) with base 3000: 3000 × 0.8 = 2400.00, paid by
    # 2026-04-10 (Fri) for March and 2026-05-09 (Sat, make-up working day) for April; abs2 is stopped
    # in April → 0.00.
    for a in EVENT_AGENTS:
        assert events["2026-03"][a]["fee"] == fee("2400.00", "2026-04-10"), a
        if a != "abs2":
            assert events["2026-04"][a]["fee"] == fee("2400.00", "2026-05-09"), a
            assert not suspended(events["2026-04"][a]), a


# ---- package 2, levels and the fee: 2026-01..2026-02 ---------------------------------------------

LEVELS_RANGE = "2026-01..2026-02"
LEVEL_AGENTS = {
    # agent: (level in agents.csv, base_bonus, January data)
    "pro": (None, "3000", {"days": 15, "good": 17, "total": 20, "frs": [20, 40], "qa": [75, 85]}),
    "blk_days": (None, "3000", {"days": 14, "good": 17, "total": 20, "frs": [30], "qa": [80]}),
    "blk_csat": (None, "3000", {"days": 15, "good": 16, "total": 20, "frs": [30], "qa": [80]}),
    "blk_frs": (None, "3000", {"days": 15, "good": 17, "total": 20, "frs": [31], "qa": [80]}),
    "blk_qa": (None, "3000", {"days": 15, "good": 17, "total": 20, "frs": [30], "qa": [79]}),
    "inv": ("knight", "3000", {"days": 18, "good": 18, "total": 20, "frs": [20], "qa": [85]}),
    "dem_fail": (
        "knight",
        "3000",
        {"days": 18, "good": 18, "total": 20, "frs": [20], "qa": [85], "critical": 1},
    ),
    "dem_csat": ("knight", "3000", {"days": 15, "good": 15, "total": 20, "frs": [25], "qa": [75]}),
    "keep": ("knight", "3000", {"days": 15, "good": 16, "total": 20, "frs": [25], "qa": [70]}),
    "hero": ("hero", "2345.67", {"days": 20, "good": 19, "total": 20, "frs": [15], "qa": [90]}),
    "master": ("master", "2345.67", {"days": 20, "good": 19, "total": 20, "frs": [15], "qa": [84]}),
}
# February, every agent: days 10, csat 18/20 = 0.9, first response 20 s, QA 85, no critical fail.
FEB = {"days": 10, "good": 18, "total": 20, "frs": [20], "qa": [85]}

ROOKIE_UP = ["days_worked >= 15", "csat >= 0.85", "first_response_s <= 30", "qa_score >= 80"]
KNIGHT_UP = ["days_worked >= 18", "csat >= 0.90", "first_response_s <= 20", "qa_score >= 85"]
KNIGHT_DOWN = ["csat < 0.80", "qa_score < 70", "qa_critical_fails > 0"]
HERO_UP = ["days_worked >= 20", "csat >= 0.95", "first_response_s <= 15", "qa_score >= 90"]
HERO_DOWN = ["csat < 0.85", "qa_score < 80", "qa_critical_fails > 0"]
MASTER_DOWN = ["csat < 0.90", "qa_score < 85", "qa_critical_fails > 0"]


def levels_package(path):
    """Cloud agents with a month of performance data each; 'ext' (after-sales) has the same as 'pro'."""
    agents = [_agent(a, level=lv, base=base) for a, (lv, base, _jan) in LEVEL_AGENTS.items()]
    agents.append(_agent("ext", role="after_sales"))
    parts = []
    for a, (_lv, _base, jan) in LEVEL_AGENTS.items():
        parts.append(_perf(a, 2026, 1, **jan))
        parts.append(_perf(a, 2026, 2, **FEB))
    parts.append(_perf("ext", 2026, 1, **LEVEL_AGENTS["pro"][2]))
    return write_package(path, agents=agents, **_merge(*parts))


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    doc, _ = assess(levels_package(tmp_path_factory.mktemp("s4_levels")), "S4", LEVELS_RANGE)
    return by_month(doc)


def _level_flags(agent: dict) -> list[dict]:
    return [f for f in agent["flags"] if f["flag"] in ("level_up", "level_down")]


def test_levels_population(levels):
    for month in levels.values():
        assert sorted(month) == sorted(LEVEL_AGENTS)


def test_rookie_meeting_every_criterion_is_promoted_next_month(levels):
    # January: days 15 ≥ 15, csat 17/20 = 0.85 ≥ 0.85, first response (20+40)/2 = 30 ≤ 30,
    # QA (75+85)/2 = 80 ≥ 80 → knight from February. Fee: rookie 3000 × 0.8 = 2400.00.
    jan, feb = levels["2026-01"]["pro"], levels["2026-02"]["pro"]
    assert jan["level"] == {
        "from": "rookie",
        "to": "knight",
        "reason": "every promotion criterion met",
        "promote": dict.fromkeys(ROOKIE_UP, True),
        "demote": {},
        "inputs": {"csat": "0.85", "days_worked": "15", "first_response_s": "30", "qa_score": "80"},
    }
    assert _level_flags(jan) == [
        {
            "flag": "level_up",
            "rule": "levels",
            "reason": "rookie → knight",
            "source": [],
            "human_decision": False,
        }
    ]
    assert jan["state_out"]["level"] == "knight"
    assert jan["fee"] == fee("2400.00", "2026-02-10")
    # February: a knight (3000 × 1.0 = 3000.00). days 10 < 18 blocks; csat 0.9, 20 s and QA 85 meet
    # the rest; no demotion criterion (0.9 ≥ 0.80, 85 ≥ 70, no critical fail).
    assert feb["level"]["from"] == "knight"
    assert feb["level"]["to"] == "knight"
    assert feb["level"]["reason"] == "promotion blocked by: days_worked >= 18"
    assert feb["level"]["demote"] == dict.fromkeys(KNIGHT_DOWN, False)
    assert _level_flags(feb) == []
    assert feb["fee"] == fee("3000.00", "2026-03-10", factor="1")


@pytest.mark.parametrize(
    ("agent", "missing", "inputs"),
    [
        ("blk_days", "days_worked >= 15", ("0.85", "14", "30", "80")),
        ("blk_csat", "csat >= 0.85", ("0.8", "15", "30", "80")),
        ("blk_frs", "first_response_s <= 30", ("0.85", "15", "31", "80")),
        ("blk_qa", "qa_score >= 80", ("0.85", "15", "30", "79")),
    ],
)
def test_rookie_blocked_by_exactly_one_criterion(levels, agent, missing, inputs):
    # Three of the four criteria met, one missed by the smallest step: stays a rookie.
    jan = levels["2026-01"][agent]
    assert jan["level"] == {
        "from": "rookie",
        "to": "rookie",
        "reason": f"promotion blocked by: {missing}",
        "promote": {c: c != missing for c in ROOKIE_UP},
        "demote": {},
        "inputs": dict(zip(["csat", "days_worked", "first_response_s", "qa_score"], inputs, strict=True)),
    }
    assert _level_flags(jan) == []
    assert jan["state_out"]["level"] == "rookie"
    assert jan["fee"] == fee("2400.00", "2026-02-10")
    feb = levels["2026-02"][agent]
    assert feb["level"]["from"] == "rookie"
    # February data: days 10 < 15 only
    assert feb["level"]["reason"] == "promotion blocked by: days_worked >= 15"
    assert feb["fee"] == fee("2400.00", "2026-03-10")


def test_knight_meeting_every_criterion_is_only_eligible_for_an_invitation(levels):
    # days 18, csat 18/20 = 0.9, 20 s, QA 85: every knight criterion met, but hero (少年英雄) is by
    # invitation only → stays a knight, flagged for a person to decide.
    jan, feb = levels["2026-01"]["inv"], levels["2026-02"]["inv"]
    assert jan["level"] == {
        "from": "knight",
        "to": "knight",
        "reason": "every promotion criterion met; hero is by invitation only",
        "promote": dict.fromkeys(KNIGHT_UP, True),
        "demote": dict.fromkeys(KNIGHT_DOWN, False),
        "inputs": {
            "csat": "0.9",
            "days_worked": "18",
            "first_response_s": "20",
            "qa_critical_fails": "0",
            "qa_score": "85",
        },
    }
    assert _level_flags(jan) == [
        {
            "flag": "level_up",
            "rule": "levels",
            "reason": "eligible for an invitation to hero (少年英雄)",
            "source": [],
            "human_decision": True,
            "invite_only": True,
        }
    ]
    assert jan["state_out"]["level"] == "knight"
    assert jan["fee"] == fee("3000.00", "2026-02-10", factor="1")
    assert feb["level"]["from"] == "knight" and feb["level"]["to"] == "knight"
    assert feb["fee"] == fee("3000.00", "2026-03-10", factor="1")
    assert _level_flags(feb) == []


def test_knight_touching_one_demotion_criterion_is_demoted(levels):
    # dem_fail: every promotion criterion met too, but 1 critical QA fail → demotion wins.
    jan = levels["2026-01"]["dem_fail"]
    assert jan["level"]["from"] == "knight"
    assert jan["level"]["to"] == "rookie"
    assert jan["level"]["reason"] == "a demotion criterion was touched: qa_critical_fails > 0"
    assert jan["level"]["promote"] == dict.fromkeys(KNIGHT_UP, True)
    assert jan["level"]["demote"] == {
        "csat < 0.80": False,
        "qa_score < 70": False,
        "qa_critical_fails > 0": True,
    }
    assert jan["level"]["inputs"]["qa_critical_fails"] == "1"
    assert _level_flags(jan) == [
        {
            "flag": "level_down",
            "rule": "levels",
            "reason": "knight → rookie: a demotion criterion was touched: qa_critical_fails > 0",
            "source": [],
            "human_decision": False,
        }
    ]
    assert jan["fee"] == fee("3000.00", "2026-02-10", factor="1")  # still a knight in January
    feb = levels["2026-02"]["dem_fail"]
    assert feb["level"]["from"] == "rookie"
    assert feb["fee"] == fee("2400.00", "2026-03-10")
    # dem_csat: csat 15/20 = 0.75 < 0.80, QA 75 ≥ 70, no fail → demoted by csat alone
    jan = levels["2026-01"]["dem_csat"]
    assert jan["level"]["to"] == "rookie"
    assert jan["level"]["reason"] == "a demotion criterion was touched: csat < 0.80"
    assert jan["level"]["demote"] == {
        "csat < 0.80": True,
        "qa_score < 70": False,
        "qa_critical_fails > 0": False,
    }
    assert levels["2026-02"]["dem_csat"]["level"]["from"] == "rookie"
    # keep: csat 16/20 = 0.80 and QA 70 are on the boundaries, not below → stays a knight
    jan = levels["2026-01"]["keep"]
    assert jan["level"]["to"] == "knight"
    assert jan["level"]["demote"] == dict.fromkeys(KNIGHT_DOWN, False)
    assert jan["level"]["reason"] == "promotion blocked by: " + "; ".join(KNIGHT_UP)
    assert _level_flags(jan) == []
    assert levels["2026-02"]["keep"]["fee"] == fee("3000.00", "2026-03-10", factor="1")


def test_hero_and_master_fee_factors(levels):
    # hero: days 20, csat 19/20 = 0.95, 15 s, QA 90 → master next month (not invite-only).
    #   fee January 2345.67 × 1.2 = 2814.804 → 2814.80; February 2345.67 × 1.5 = 3518.505 → 3518.51
    #   (half up). February as master: csat 0.9 not < 0.90, QA 85 not < 85 → no change.
    jan, feb = levels["2026-01"]["hero"], levels["2026-02"]["hero"]
    assert jan["level"]["from"] == "hero" and jan["level"]["to"] == "master"
    assert jan["level"]["reason"] == "every promotion criterion met"
    assert jan["level"]["promote"] == dict.fromkeys(HERO_UP, True)
    assert jan["level"]["demote"] == dict.fromkeys(HERO_DOWN, False)
    assert _level_flags(jan) == [
        {
            "flag": "level_up",
            "rule": "levels",
            "reason": "hero → master",
            "source": [],
            "human_decision": False,
        }
    ]
    assert jan["fee"] == fee("2814.80", "2026-02-10", base="2345.67", factor="1.2")
    assert feb["level"] == {
        "from": "master",
        "to": "master",
        "reason": "no change",
        "promote": {},
        "demote": dict.fromkeys(MASTER_DOWN, False),
        "inputs": {"csat": "0.9", "qa_critical_fails": "0", "qa_score": "85"},
    }
    assert feb["fee"] == fee("3518.51", "2026-03-10", base="2345.67", factor="1.5")
    # master: QA 84 < 85 → hero next month. January 3518.51, February 2814.80; February as hero:
    #   every hero promotion criterion missed (10 days, 0.9, 20 s, 85), no demotion (0.9 ≥ 0.85, 85 ≥ 80).
    jan, feb = levels["2026-01"]["master"], levels["2026-02"]["master"]
    assert jan["level"]["to"] == "hero"
    assert jan["level"]["reason"] == "a demotion criterion was touched: qa_score < 85"
    assert _level_flags(jan) == [
        {
            "flag": "level_down",
            "rule": "levels",
            "reason": "master → hero: a demotion criterion was touched: qa_score < 85",
            "source": [],
            "human_decision": False,
        }
    ]
    assert jan["fee"] == fee("3518.51", "2026-02-10", base="2345.67", factor="1.5")
    assert feb["level"]["from"] == "hero" and feb["level"]["to"] == "hero"
    assert feb["level"]["reason"] == "promotion blocked by: " + "; ".join(HERO_UP)
    assert feb["fee"] == fee("2814.80", "2026-03-10", base="2345.67", factor="1.2")


def test_levels_carry_to_the_next_month(levels):
    # Each agent's February level is its January level.to (promoted/demoted next month).
    for a in LEVEL_AGENTS:
        assert levels["2026-02"][a]["level"]["from"] == levels["2026-01"][a]["level"]["to"], a
        assert levels["2026-02"][a]["state_in"]["level"] == levels["2026-01"][a]["state_out"]["level"], a
    expected_feb_from = {
        "pro": "knight",
        "blk_days": "rookie",
        "blk_csat": "rookie",
        "blk_frs": "rookie",
        "blk_qa": "rookie",
        "inv": "knight",
        "dem_fail": "rookie",
        "dem_csat": "rookie",
        "keep": "knight",
        "hero": "master",
        "master": "hero",
    }
    assert {a: levels["2026-02"][a]["level"]["from"] for a in LEVEL_AGENTS} == expected_feb_from


# ---- package 3, the ladder over 13 months: 2026-01..2027-01 ---------------------------------------

LADDER_RANGE = "2026-01..2027-01"
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]
LADDER_AGENTS = ["apart_in", "apart_out", "exp_in", "exp_out", "idle", "sus", "twice"]
# months without any attendance (stopped months: no duties; idle: no service record)
OFF = {
    "sus": {"2026-02"},
    "exp_in": {"2026-08"},
    "exp_out": set(),
    "twice": {"2026-03", "2026-06"},
    "apart_in": {"2026-02"},
    "apart_out": {"2026-02"},
    "idle": {f"2026-{m:02d}" for m in range(2, 9)},
}
# fee due dates (see the module docstring for the weekdays)
PAY_BY = {
    "2026-01": "2026-02-10",
    "2026-02": "2026-03-10",
    "2026-03": "2026-04-10",
    "2026-04": "2026-05-09",
    "2026-05": "2026-06-10",
    "2026-06": "2026-07-10",
    "2026-07": "2026-08-10",
    "2026-08": "2026-09-10",
    "2026-09": "2026-10-10",
    "2026-10": "2026-11-10",
    "2026-11": "2026-12-10",
    "2026-12": "2027-01-08",
    "2027-01": "2027-02-10",
}
UNPUBLISHED_2027 = "holidays of 2027 not published yet: Monday-Friday assumed"


def ladder_package(path):
    """Cloud agents working one day (the 3rd) every month except their OFF months, and 'ext'.

    sus:       absent 2026-01-12 (2 warnings), complaint.other 01-20 (3rd) → stopped in February.
    exp_out:   complaint.other 2026-01-15, 03-10, 07-15 → the first expired on 07-15: no stoppage.
    exp_in:    complaint.other 2026-01-15, 03-10, 07-14 → 3 within half a year: stopped in August.
    twice:     serious fault 2026-02-10 (stopped in March); absent 05-11 + leave filed 1 h before the
               05-12 shift → 3 warnings → 2nd stoppage within 12 months → cancelled; stopped in June.
    apart_in:  serious faults 2026-01-20 and 2027-01-19 → 2 stoppages within 12 months.
    apart_out: serious faults 2026-01-20 and 2027-01-20 → the first expired that day.
    idle:      works in January 2026, no record February-August, works again from September.
    ext:       after-sales, three complaints in January: not in the population.
    """
    agents = [_agent(a) for a in LADDER_AGENTS] + [_agent("ext", role="after_sales")]
    attendance = []
    for a in [*LADDER_AGENTS, "ext"]:
        for m in MONTHS:
            if m not in OFF.get(a, set()):
                y, mm = Period.parse(m).year, Period.parse(m).month
                attendance.append(_present(a, date(y, mm, 3)))
    attendance += [
        _absent("sus", date(2026, 1, 12)),
        _absent("twice", date(2026, 5, 11)),
        _leave("twice", datetime(2026, 5, 12, 9, 0), datetime(2026, 5, 12, 8, 0)),
    ]

    def ten(y, m, d):
        return datetime(y, m, d, 10, 0)

    incidents = [
        _inc("i-sus-1", "sus", ten(2026, 1, 20), "complaint.other"),
        _inc("i-eo-1", "exp_out", ten(2026, 1, 15), "complaint.other"),
        _inc("i-eo-2", "exp_out", ten(2026, 3, 10), "complaint.other"),
        _inc("i-eo-3", "exp_out", ten(2026, 7, 15), "complaint.other"),
        _inc("i-ei-1", "exp_in", ten(2026, 1, 15), "complaint.other"),
        _inc("i-ei-2", "exp_in", ten(2026, 3, 10), "complaint.other"),
        _inc("i-ei-3", "exp_in", ten(2026, 7, 14), "complaint.other"),
        _inc("i-tw-1", "twice", ten(2026, 2, 10), "service.fault", "serious"),
        _inc("i-ai-1", "apart_in", ten(2026, 1, 20), "service.fault", "serious"),
        _inc("i-ai-2", "apart_in", ten(2027, 1, 19), "service.fault", "serious"),
        _inc("i-ao-1", "apart_out", ten(2026, 1, 20), "service.fault", "serious"),
        _inc("i-ao-2", "apart_out", ten(2027, 1, 20), "service.fault", "serious"),
        _inc("i-ext-1", "ext", ten(2026, 1, 10), "complaint.other"),
        _inc("i-ext-2", "ext", ten(2026, 1, 11), "complaint.other"),
        _inc("i-ext-3", "ext", ten(2026, 1, 12), "complaint.other"),
    ]
    return write_package(path, agents=agents, attendance=attendance, incidents=incidents)


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    doc, _ = assess(ladder_package(tmp_path_factory.mktemp("s4_ladder")), "S4", LADDER_RANGE)
    return by_month(doc)


# the months of a stoppage (status 'suspended', fee 0.00)
SUSPENDED = {
    "sus": {"2026-02"},
    "exp_in": {"2026-08"},
    "twice": {"2026-03", "2026-06"},
    "apart_in": {"2026-02"},
    "apart_out": {"2026-02"},
}

_SUS_SRC = ["attendance/sus/2026-01-12", "attendance/sus/2026-01-12", "incidents/i-sus-1"]
_TW_WARN_SRC = ["attendance/twice/2026-05-11", "attendance/twice/2026-05-11", "attendance/twice/2026-05-12"]
_EI_SRC = ["incidents/i-ei-1", "incidents/i-ei-2", "incidents/i-ei-3"]

# every ladder flag (stoppages, cancellations), by (agent, month); all others have none
LADDER_FLAGS = {
    ("sus", "2026-01"): [stop_by_warnings("2026-01-20", _SUS_SRC, "2026-02")],
    ("exp_in", "2026-07"): [stop_by_warnings("2026-07-14", _EI_SRC, "2026-08")],
    ("twice", "2026-02"): [stop_by_fault("2026-02-10", "incidents/i-tw-1", "2026-03")],
    # the 2nd stoppage (05-12) while the 02-10 one still counts (until 2027-02-10) → cancelled;
    # flags in (flag, rule) order: qualification_cancelled before suspension
    ("twice", "2026-05"): [
        cancel_by_stoppages("2026-05-12", ["incidents/i-tw-1", *_TW_WARN_SRC]),
        stop_by_warnings("2026-05-12", _TW_WARN_SRC, "2026-06"),
    ],
    ("apart_in", "2026-01"): [stop_by_fault("2026-01-20", "incidents/i-ai-1", "2026-02")],
    ("apart_in", "2027-01"): [
        cancel_by_stoppages("2027-01-19", ["incidents/i-ai-1", "incidents/i-ai-2"]),
        stop_by_fault("2027-01-19", "incidents/i-ai-2", "2027-02"),
    ],
    ("apart_out", "2026-01"): [stop_by_fault("2026-01-20", "incidents/i-ao-1", "2026-02")],
    ("apart_out", "2027-01"): [stop_by_fault("2027-01-20", "incidents/i-ao-2", "2027-02")],
}

# offences per month (an absence or a refused leave is one offence of 2 warnings)
OFFENCES = {
    ("sus", "2026-01"): 2,
    ("exp_out", "2026-01"): 1,
    ("exp_out", "2026-03"): 1,
    ("exp_out", "2026-07"): 1,
    ("exp_in", "2026-01"): 1,
    ("exp_in", "2026-03"): 1,
    ("exp_in", "2026-07"): 1,
    ("twice", "2026-02"): 1,
    ("twice", "2026-05"): 2,
    ("apart_in", "2026-01"): 1,
    ("apart_in", "2027-01"): 1,
    ("apart_out", "2026-01"): 1,
    ("apart_out", "2027-01"): 1,
}

# records active at each month end, 2026-01 … 2027-01 (hand count from the dates above):
#   exp_out warnings: 01-15 (to 07-14), 03-10 (to 09-09), 07-15 (to 2027-01-14)
#   exp_in warnings: 01-15, 03-10, then all three consumed on 07-14; stoppage 07-14 (to 2027-07-13)
#   sus: stoppage 2026-01-20 (to 2027-01-19)
#   twice: stoppage 02-10, both consumed 05-12
#   apart_in: stoppage 2026-01-20, both consumed 2027-01-19
#   apart_out: stoppage 2026-01-20 (expired 2027-01-20), a new one 2027-01-20 (to 2028-01-19)
ACTIVE = {
    "sus": {"suspension": [1] * 12 + [0]},
    "exp_out": {"warning": [1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0]},
    "exp_in": {"warning": [1, 1, 2, 2, 2, 2] + [0] * 7, "suspension": [0] * 6 + [1] * 7},
    "twice": {"suspension": [0, 1, 1, 1] + [0] * 9},
    "apart_in": {"suspension": [1] * 12 + [0]},
    "apart_out": {"suspension": [1] * 13},
    "idle": {},
}


def _non_idle_flags(agent: dict) -> list[dict]:
    return [f for f in agent["flags"] if f["rule"] != "idle_half_year"]


def test_ladder_population(ladder):
    assert list(ladder) == MONTHS
    for month in ladder.values():
        assert list(month) == LADDER_AGENTS  # sorted by agent_id; 'ext' is not a cloud agent


def test_ladder_flags_every_month(ladder):
    for m in MONTHS:
        for a in LADDER_AGENTS:
            assert _non_idle_flags(ladder[m][a]) == LADDER_FLAGS.get((a, m), []), (a, m)


def test_ladder_warning_summaries_every_month(ladder):
    for i, m in enumerate(MONTHS):
        for a in LADDER_AGENTS:
            act = {lv: counts[i] for lv, counts in ACTIVE[a].items()}
            assert ladder[m][a]["warnings"] == summary(OFFENCES.get((a, m), 0), **act), (a, m)


def test_three_warnings_stop_the_service_next_month_then_back(ladder):
    # sus, January: absent 01-12 → 2 warnings; complaint 01-20 → 3rd warning → stoppage on 01-20.
    jan = ladder["2026-01"]["sus"]
    assert jan["sanctions"] == [
        warn("absence", "2026-01-12", "attendance/sus/2026-01-12"),
        warn("absence", "2026-01-12", "attendance/sus/2026-01-12"),
        warn("complaint", "2026-01-20", "incidents/i-sus-1"),
    ]
    assert jan["state_out"]["warnings"] == [
        record("suspension", "2026-01-20", "2027-01-20", _SUS_SRC, "conversion")
    ]
    assert jan["state_out"]["suspended_through"] == "2026-02"
    assert not suspended(jan)
    assert jan["fee"] == fee("2400.00", "2026-02-10")
    # February: stopped — no duties, no fee, nothing issued
    feb = ladder["2026-02"]["sus"]
    assert suspended(feb)
    assert feb["fee"] == fee("0.00", "2026-03-10", note=SUSPENDED_NOTE)
    assert feb["sanctions"] == []
    # March: normal again
    mar = ladder["2026-03"]["sus"]
    assert not suspended(mar)
    assert mar["fee"] == fee("2400.00", "2026-04-10")


def test_warning_expiry_day(ladder):
    # exp_out: on 2026-07-15 the 01-15 warning no longer counts (expires 07-15) → 2 active, no stoppage
    jul = ladder["2026-07"]["exp_out"]
    assert jul["sanctions"] == [warn("complaint", "2026-07-15", "incidents/i-eo-3")]
    assert _sorted_state(jul["state_out"]["warnings"]) == [
        record("warning", "2026-03-10", "2026-09-10", ["incidents/i-eo-2"], "complaint"),
        record("warning", "2026-07-15", "2027-01-15", ["incidents/i-eo-3"], "complaint"),
    ]
    assert not suspended(ladder["2026-08"]["exp_out"])
    # exp_in: on 2026-07-14 the 01-15 warning still counts → 3 → stoppage; August stopped.
    assert _sorted_state(ladder["2026-06"]["exp_in"]["state_out"]["warnings"]) == [
        record("warning", "2026-01-15", "2026-07-15", ["incidents/i-ei-1"], "complaint"),
        record("warning", "2026-03-10", "2026-09-10", ["incidents/i-ei-2"], "complaint"),
    ]
    jul = ladder["2026-07"]["exp_in"]
    assert jul["sanctions"] == [warn("complaint", "2026-07-14", "incidents/i-ei-3")]
    assert jul["state_out"]["warnings"] == [
        record("suspension", "2026-07-14", "2027-07-14", _EI_SRC, "conversion")
    ]
    assert suspended(ladder["2026-08"]["exp_in"])
    assert ladder["2026-08"]["exp_in"]["fee"] == fee("0.00", "2026-09-10", note=SUSPENDED_NOTE)
    assert not suspended(ladder["2026-09"]["exp_in"])
    assert ladder["2026-09"]["exp_in"]["fee"] == fee("2400.00", "2026-10-10")


def test_two_stoppages_within_a_year_cancel_the_qualification(ladder):
    feb, may = ladder["2026-02"]["twice"], ladder["2026-05"]["twice"]
    assert feb["sanctions"] == []  # a serious fault is a stoppage, not a warning
    assert feb["state_out"]["warnings"] == [
        record("suspension", "2026-02-10", "2027-02-10", ["incidents/i-tw-1"], "serious_fault")
    ]
    assert may["sanctions"] == [
        warn("absence", "2026-05-11", "attendance/twice/2026-05-11"),
        warn("absence", "2026-05-11", "attendance/twice/2026-05-11"),
        warn("late_leave", "2026-05-12", "attendance/twice/2026-05-12"),
    ]
    assert may["state_out"]["warnings"] == []
    assert [m for m in MONTHS if suspended(ladder[m]["twice"])] == ["2026-03", "2026-06"]
    # apart_in / apart_out in January 2027: only the one still counting converts
    assert ladder["2027-01"]["apart_in"]["state_out"]["warnings"] == []
    assert ladder["2027-01"]["apart_out"]["state_out"]["warnings"] == [
        record("suspension", "2027-01-20", "2028-01-20", ["incidents/i-ao-2"], "serious_fault")
    ]


def test_ladder_status_and_fee_every_month(ladder):
    # Every agent is a rookie (one day a month: never promoted) with base 3000 → 3000 × 0.8 = 2400.00,
    # except in a stopped month → 0.00 with the note; 2026-12 and 2027-01 fall due in 2027.
    for m in MONTHS:
        for a in LADDER_AGENTS:
            agent = ladder[m][a]
            stopped = m in SUSPENDED.get(a, set())
            assert suspended(agent) is stopped, (a, m)
            assert agent["level"]["from"] == "rookie" and agent["level"]["to"] == "rookie", (a, m)
            extra = {"note": SUSPENDED_NOTE} if stopped else {}
            if PAY_BY[m].startswith("2027"):
                extra["calendar"] = UNPUBLISHED_2027
            expected = fee("0.00" if stopped else "2400.00", PAY_BY[m], **extra)
            if a == "idle" and m in OFF["idle"]:
                # A month without any service record: the preset's formula (base_bonus × fee_factor)
                # does not look at days worked, while the seed pays 劳务费 "在完成服务后" (after
                # service). Left open here (reported), only the due date is checked.
                assert agent["fee"]["pay_by"] == PAY_BY[m], m
                continue
            assert agent["fee"] == expected, (a, m)


def test_pay_dates_around_holidays(ladder):
    # 2026-04: 05-10 is a Sunday → 05-09, the Saturday made a working day (调休) for Labour Day.
    # 2026-09: 10-10 is a Saturday, itself a make-up working day after National Day → 10-10.
    # 2026-01: 02-10 is a Tuesday before the Spring Festival holiday (02-15..02-23) → 02-10.
    # 2026-12: 2027-01-10 is a Sunday; 2027 is not published → Monday-Friday → Friday 01-08, noted.
    a = ladder["2026-04"]["exp_out"]["fee"]
    assert a["pay_by"] == "2026-05-09" and "calendar" not in a
    assert ladder["2026-09"]["exp_out"]["fee"]["pay_by"] == "2026-10-10"
    assert ladder["2026-01"]["exp_out"]["fee"]["pay_by"] == "2026-02-10"
    dec = ladder["2026-12"]["exp_out"]["fee"]
    assert dec["pay_by"] == "2027-01-08"
    assert dec["calendar"] == UNPUBLISHED_2027


def test_no_service_record_for_six_months(ladder):
    # idle: worked January; no record February (1) … July (6) → cancelled at the end of July, not
    # June; August is a 7th month without a record (still half a year); works again from September.
    streaks = [ladder[m]["idle"]["state_out"]["streaks"]["idle_half_year"] for m in MONTHS]
    assert streaks == [0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0]
    for m in MONTHS:
        got = [f for f in ladder[m]["idle"]["flags"] if f["rule"] == "idle_half_year"]
        if m in ("2026-07", "2026-08"):
            (flag,) = got
            assert flag["flag"] == "qualification_cancelled"
            assert flag["human_decision"] is True
            assert flag["reason"] == "半年内未有服务记录 (No service record for half a year)"
            held = 6 if m == "2026-07" else 7
            assert flag["explain"] == {
                "when": "days_worked == 0",
                "inputs": {"days_worked": "0"},
                "at": "month_end",
                "consecutive": {"needed": 6, "held": held},
            }
        else:
            assert got == [], m
    # nobody else goes 6 months without a record (a stopped month is at most 1 in a row)
    for m in MONTHS:
        for a in LADDER_AGENTS:
            if a != "idle":
                assert [f for f in ladder[m][a]["flags"] if f["rule"] == "idle_half_year"] == [], (a, m)


# ---- a month alone from the previous month's results equals the range ----------------------------


@pytest.mark.parametrize(
    ("builder", "months"),
    [
        (events_package, ["2026-03", "2026-04"]),
        (levels_package, ["2026-01", "2026-02"]),
        (ladder_package, MONTHS),
    ],
    ids=["events", "levels", "ladder"],
)
def test_range_equals_month_by_month_with_state(tmp_path, builder, months):
    folder = builder(tmp_path / "pkg")
    lp = load_policy("S4")
    ranged, _ = assess(folder, "S4", f"{months[0]}..{months[-1]}")
    assert [p["period"] for p in ranged["periods"]] == months
    prev, stopped = None, 0
    for month, expected in zip(months, ranged["periods"], strict=True):
        state = state_from_results(prev, lp.sha256, Period.parse(month)) if prev is not None else None
        prev, _ = assess_package(load_package(folder), lp, [month], state)
        (alone,) = prev["periods"]
        assert canonical(alone) == canonical(expected), month
        stopped += sum(1 for a in alone["agents"] if suspended(a))
    # stopped months compared alone: events abs2 April (1); ladder: sus Feb, apart_in Feb,
    # apart_out Feb, twice Mar and Jun, exp_in Aug (6); levels none
    assert stopped == {"events": 1, "levels": 0, "ladder": 6}[builder.__name__.removesuffix("_package")]
