"""Preset S3 (warning ladder) against numbers worked out by hand from RULEBOOK.md § S3.

Every expected value below is a literal computed by hand from the rulebook, the interpretations stated
in merit/presets/s3_warning_ladder.yaml and the ladder rules documented in merit/engine/ladder.py, never
by running the engine:

- verbal warning ¥10, written ¥50, final ¥200; a dismissal-level offence is a dismissal review only
  (a person decides), with no fine;
- 3 verbal = 1 written, 3 written = 1 final: when the active warnings of a level reach 3, the oldest 3
  are consumed and one warning of the next level is issued on the day of the offence that completed
  it, with no fine of its own ("0.00", rule 'conversion', the offences behind it as its sources);
  conversion cascades;
- a warning counts for a rolling 12 months: issued on 2026-01-15 it still counts on 2027-01-14 and no
  longer on 2027-01-15 (the day it expires); issued 2026-01-31 it expires 2027-01-31;
- offences are taken in time order (Asia/Shanghai dates), then by source id;
- an offence committed while a final warning is active raises a dismissal review as well as its own
  warning (or, for a dismissal-level offence, as well as its own review);
- attendance: late / early_leave = verbal offence verbal_02, absent = written offence written_11;
- excellent-employee eligibility each month: regular, no offence, no leave, no late/early/absence.

Times are local (Asia/Shanghai) ISO times without a zone; the package stores them as UTC.
"""

from __future__ import annotations

from datetime import date

import pytest

from merit.engine.api import assess, assess_package
from merit.engine.metrics.compute import Period
from merit.engine.package import load_package
from merit.engine.policy.load import load_policy
from merit.engine.results import canonical
from merit.engine.state import state_from_results

try:  # tests/engine is a plain folder on sys.path (rootdir-relative imports) or a package
    from .pkg import at, write_package
except ImportError:  # pragma: no cover - depends on how pytest imports the test modules
    from pkg import at, write_package

# The offences' labels (the zh label of each offence in the preset): a warning's reason.
LABEL = {
    "verbal_01": "上班时间未按规定着装、仪表仪容、礼节礼貌不符合规范",
    "verbal_02": "迟到或早退",
    "verbal_03": "忘记打卡每月达三次以上",
    "verbal_04": "上班时间打私人电话或上网聊天",
    "verbal_05": "擅离岗位、串岗、聚堆聊天",
    "verbal_06": "随地吐痰、乱丢杂物，不保持办公区整洁",
    "verbal_07": "不爱惜公物、浪费物品",
    "verbal_08": "未经批准私自接待外人或外出",
    "verbal_09": "服务态度差被合理投诉(未造成重大影响)",
    "verbal_10": "在公共场所发泄个人不满",
    "verbal_11": "无故不参加培训、会议或活动",
    "verbal_12": "不履行督查责任",
    "verbal_13": "未经同意私自调班、调休",
    "written_11": "造成旷工",
    "final_03": "本人责任造成重大事故",
    "dismissal_02": "最后警告后观察期间又违纪",
    "dismissal_04": "侮辱或袭击客户",
}
FINE = {"verbal": "10.00", "written": "50.00", "final": "200.00"}
V2W = "3 verbal warnings = 1 written warning"
W2F = "3 written warnings = 1 final warning"
LEVELS = ("verbal", "written", "final", "dismissal")


# ---- package builders ---------------------------------------------------------------------------


def _agent(agent_id: str, employment: str = "regular") -> dict:
    return {
        "agent_id": agent_id,
        "name": f"Agent {agent_id}",
        "team_id": "t1",
        "role": "after_sales",
        "employment": employment,
    }


def _inc(incident_id: str, agent_id: str, when, kind: str) -> dict:
    return {"incident_id": incident_id, "agent_id": agent_id, "at": when, "kind": kind}


def _att(agent_id: str, day: date, status: str, minutes_late: int | None = None) -> dict:
    return {"agent_id": agent_id, "date": day, "status": status, "minutes_late": minutes_late}


# ---- expected-value helpers ---------------------------------------------------------------------


def _srcs(sources: list[str]) -> list[dict]:
    out = []
    for text in sources:
        table, _, ident = text.partition("/")
        out.append({"table": table, "id": ident})
    return out


def _i(*ids: str) -> list[str]:
    return [f"incidents/{i}" for i in ids]


def warn(level: str, on: str, rule: str, sources: list[str]) -> dict:
    """The warning an offence issues, with its level's fine."""
    return {
        "kind": f"{level}_warning",
        "fine": FINE[level],
        "on": on,
        "rule": rule,
        "reason": LABEL[rule],
        "source": _srcs(sources),
    }


def conv(level: str, on: str, sources: list[str]) -> dict:
    """A warning issued by conversion: no fine, the consumed warnings' offences as its sources."""
    return {
        "kind": f"{level}_warning",
        "fine": "0.00",
        "on": on,
        "rule": "conversion",
        "reason": V2W if level == "written" else W2F,
        "source": _srcs(sources),
    }


def after_final(rule: str, on: str, source: str) -> dict:
    return {
        "flag": "dismissal_review",
        "rule": rule,
        "reason": f"new offence '{LABEL[rule]}' while a final warning is active",
        "source": _srcs([source]),
        "human_decision": True,
        "on": on,
    }


def dismissal_level(rule: str, on: str, source: str) -> dict:
    return {
        "flag": "dismissal_review",
        "rule": rule,
        "reason": f"offence '{LABEL[rule]}' of level dismissal",
        "source": _srcs([source]),
        "human_decision": True,
        "on": on,
    }


def active(level: str, on: str, expires: str, sources: list[str], rule: str) -> dict:
    """An active warning as carried in state_out.warnings."""
    return {"level": level, "on": on, "expires": expires, "source": sources, "rule": rule}


def summary(offences: int, fines: str, **act: int) -> dict:
    return {
        "offences": offences,
        "fines": fines,
        "active_at_month_end": {lv: act.get(lv, 0) for lv in LEVELS},
    }


def _sorted_state(ws: list[dict]) -> list[dict]:
    return sorted(ws, key=lambda w: (w["on"], w["level"], w["source"]))


def by_month(doc: dict) -> dict[str, dict[str, dict]]:
    return {p["period"]: {a["agent_id"]: a for a in p["agents"]} for p in doc["periods"]}


def review_flags(agent: dict) -> list[dict]:
    return [f for f in agent["flags"] if f["flag"] == "dismissal_review"]


def excellent(agent: dict) -> bool:
    got = [f for f in agent["flags"] if f["flag"] == "excellent_employee"]
    assert len(got) <= 1
    if got:
        assert got[0]["rule"] == "excellent_employee"
    return bool(got)


def check(agent: dict, exp: dict) -> None:
    assert agent["sanctions"] == exp["sanctions"]
    assert review_flags(agent) == exp.get("reviews", [])
    assert excellent(agent) is exp.get("excellent", False)
    assert agent["warnings"] == exp["warnings"]
    assert _sorted_state(agent["state_out"]["warnings"]) == _sorted_state(exp["state"])


# ---- the ladder package: 2026-01..2026-03 -------------------------------------------------------

LADDER_RANGE = "2026-01..2026-03"


def ladder_package(path):
    """Six regular agents.

    a1: 2 verbal in January, the 3rd on 2026-02-01 00:05 local (still 01-31 in UTC) → written.
    a2: 4 verbal in January; two on 01-17, the later id (i-a2-4) at 09:00 before i-a2-3 at 15:00.
    a3: 3 verbal a month (Jan, Feb, Mar) → 3 written → final on the 9th; a 10th verbal on 03-20.
    a4: attendance only: late, early leave, absent; absent ×2; late under a final warning.
    a5: a final-level offence in January, a dismissal-level offence (d02) in February.
    a6: a dismissal-level offence (d04) in February, nothing else.
    """
    agents = [_agent(a) for a in ("a1", "a2", "a3", "a4", "a5", "a6")]
    incidents = [
        _inc("i-a1-1", "a1", at(5, month=1), "s3.v01"),
        _inc("i-a1-2", "a1", at(20, month=1), "s3.v04"),
        _inc("i-a1-3", "a1", at(1, 0, 5, month=2), "s3.v05"),
        _inc("i-a2-1", "a2", at(3, month=1), "s3.v01"),
        _inc("i-a2-2", "a2", at(10, month=1), "s3.v09"),
        _inc("i-a2-3", "a2", at(17, 15, month=1), "s3.v10"),
        _inc("i-a2-4", "a2", at(17, 9, month=1), "s3.v13"),
        _inc("i-a3-01", "a3", at(6, month=1), "s3.v03"),
        _inc("i-a3-02", "a3", at(7, month=1), "s3.v04"),
        _inc("i-a3-03", "a3", at(8, month=1), "s3.v05"),
        _inc("i-a3-04", "a3", at(2, month=2), "s3.v06"),
        _inc("i-a3-05", "a3", at(3, month=2), "s3.v07"),
        _inc("i-a3-06", "a3", at(4, month=2), "s3.v08"),
        _inc("i-a3-07", "a3", at(2, month=3), "s3.v11"),
        _inc("i-a3-08", "a3", at(3, month=3), "s3.v12"),
        _inc("i-a3-09", "a3", at(4, month=3), "s3.v13"),
        _inc("i-a3-10", "a3", at(20, month=3), "s3.v01"),
        _inc("i-a5-1", "a5", at(9, month=1), "s3.f03"),
        _inc("i-a5-2", "a5", at(15, month=2), "s3.d02"),
        _inc("i-a6-1", "a6", at(20, month=2), "s3.d04"),
    ]
    attendance = [
        _att("a4", date(2026, 1, 12), "late", 5),
        _att("a4", date(2026, 1, 13), "early_leave"),
        _att("a4", date(2026, 1, 14), "absent"),
        _att("a4", date(2026, 1, 15), "present"),
        _att("a4", date(2026, 2, 9), "absent"),
        _att("a4", date(2026, 2, 10), "absent"),
        _att("a4", date(2026, 3, 2), "late", 10),
        _att("a4", date(2026, 3, 3), "present"),
    ]
    return write_package(path, agents=agents, incidents=incidents, attendance=attendance)


@pytest.fixture(scope="module")
def ladder_folder(tmp_path_factory):
    return ladder_package(tmp_path_factory.mktemp("s3_ladder"))


@pytest.fixture(scope="module")
def ladder(ladder_folder):
    doc, _ = assess(ladder_folder, "S3", LADDER_RANGE)
    return by_month(doc)


def test_range_months_and_agents(ladder):
    assert list(ladder) == ["2026-01", "2026-02", "2026-03"]
    for month in ladder.values():
        assert list(month) == ["a1", "a2", "a3", "a4", "a5", "a6"]


def test_third_verbal_across_a_month_boundary_converts(ladder):
    # January: 2 verbal (¥10 each) → no written yet; 2 active verbal, fines 20.00.
    # February: the 3rd verbal at 2026-02-01 00:05 local (a February offence, dated 02-01) →
    #   its own verbal ¥10, then the 3 verbal convert into 1 written (fine 0.00) on 2026-02-01,
    #   sourced by the 3 offences; active verbal back to 0, written 1 (expires 2027-02-01).
    # March: no offence → nothing issued, the written warning still active; eligible as excellent.
    written = active("written", "2026-02-01", "2027-02-01", _i("i-a1-1", "i-a1-2", "i-a1-3"), "conversion")
    check(
        ladder["2026-01"]["a1"],
        {
            "sanctions": [
                warn("verbal", "2026-01-05", "verbal_01", _i("i-a1-1")),
                warn("verbal", "2026-01-20", "verbal_04", _i("i-a1-2")),
            ],
            "warnings": summary(2, "20.00", verbal=2),
            "state": [
                active("verbal", "2026-01-05", "2027-01-05", _i("i-a1-1"), "verbal_01"),
                active("verbal", "2026-01-20", "2027-01-20", _i("i-a1-2"), "verbal_04"),
            ],
        },
    )
    check(
        ladder["2026-02"]["a1"],
        {
            "sanctions": [
                warn("verbal", "2026-02-01", "verbal_05", _i("i-a1-3")),
                conv("written", "2026-02-01", _i("i-a1-1", "i-a1-2", "i-a1-3")),
            ],
            "warnings": summary(1, "10.00", written=1),
            "state": [written],
        },
    )
    check(
        ladder["2026-03"]["a1"],
        {"sanctions": [], "excellent": True, "warnings": summary(0, "0.00", written=1), "state": [written]},
    )


def test_conversion_takes_offences_in_time_order(ladder):
    # January: v01 01-03, v09 01-10, then on 01-17 i-a2-4 (09:00) before i-a2-3 (15:00).
    # The 3rd offence in time is i-a2-4 → written (0.00) from i-a2-1, i-a2-2, i-a2-4; i-a2-3 stays
    # a lone verbal warning. 4 offences × ¥10 = 40.00; active verbal 1, written 1.
    # February and March: nothing → same warnings, excellent-eligible.
    state = [
        active("written", "2026-01-17", "2027-01-17", _i("i-a2-1", "i-a2-2", "i-a2-4"), "conversion"),
        active("verbal", "2026-01-17", "2027-01-17", _i("i-a2-3"), "verbal_10"),
    ]
    check(
        ladder["2026-01"]["a2"],
        {
            "sanctions": [
                warn("verbal", "2026-01-03", "verbal_01", _i("i-a2-1")),
                warn("verbal", "2026-01-10", "verbal_09", _i("i-a2-2")),
                warn("verbal", "2026-01-17", "verbal_13", _i("i-a2-4")),
                conv("written", "2026-01-17", _i("i-a2-1", "i-a2-2", "i-a2-4")),
                warn("verbal", "2026-01-17", "verbal_10", _i("i-a2-3")),
            ],
            "warnings": summary(4, "40.00", verbal=1, written=1),
            "state": state,
        },
    )
    for month in ("2026-02", "2026-03"):
        check(
            ladder[month]["a2"],
            {
                "sanctions": [],
                "excellent": True,
                "warnings": summary(0, "0.00", verbal=1, written=1),
                "state": state,
            },
        )


def test_nine_verbal_cascade_to_a_final_then_dismissal_review(ladder):
    # Jan: 3 verbal → written #1 on 01-08 (from i-a3-01..03). 30.00; active written 1.
    # Feb: 3 verbal → written #2 on 02-04 (from i-a3-04..06). 30.00; active written 2.
    # Mar: 3 verbal → written #3 on 03-04 (from i-a3-07..09) → 3 written → final on 03-04 (0.00),
    #   from the 9 offences behind the 3 written warnings, oldest first.
    #   Then i-a3-10 on 03-20 under the active final: dismissal review (human decision) AND its own
    #   verbal warning ¥10. 4 offences = 40.00; active verbal 1, final 1.
    w1 = active("written", "2026-01-08", "2027-01-08", _i("i-a3-01", "i-a3-02", "i-a3-03"), "conversion")
    w2 = active("written", "2026-02-04", "2027-02-04", _i("i-a3-04", "i-a3-05", "i-a3-06"), "conversion")
    nine = _i(*(f"i-a3-0{n}" for n in range(1, 10)))
    check(
        ladder["2026-01"]["a3"],
        {
            "sanctions": [
                warn("verbal", "2026-01-06", "verbal_03", _i("i-a3-01")),
                warn("verbal", "2026-01-07", "verbal_04", _i("i-a3-02")),
                warn("verbal", "2026-01-08", "verbal_05", _i("i-a3-03")),
                conv("written", "2026-01-08", _i("i-a3-01", "i-a3-02", "i-a3-03")),
            ],
            "warnings": summary(3, "30.00", written=1),
            "state": [w1],
        },
    )
    check(
        ladder["2026-02"]["a3"],
        {
            "sanctions": [
                warn("verbal", "2026-02-02", "verbal_06", _i("i-a3-04")),
                warn("verbal", "2026-02-03", "verbal_07", _i("i-a3-05")),
                warn("verbal", "2026-02-04", "verbal_08", _i("i-a3-06")),
                conv("written", "2026-02-04", _i("i-a3-04", "i-a3-05", "i-a3-06")),
            ],
            "warnings": summary(3, "30.00", written=2),
            "state": [w1, w2],
        },
    )
    check(
        ladder["2026-03"]["a3"],
        {
            "sanctions": [
                warn("verbal", "2026-03-02", "verbal_11", _i("i-a3-07")),
                warn("verbal", "2026-03-03", "verbal_12", _i("i-a3-08")),
                warn("verbal", "2026-03-04", "verbal_13", _i("i-a3-09")),
                conv("written", "2026-03-04", _i("i-a3-07", "i-a3-08", "i-a3-09")),
                conv("final", "2026-03-04", nine),
                warn("verbal", "2026-03-20", "verbal_01", _i("i-a3-10")),
            ],
            "reviews": [after_final("verbal_01", "2026-03-20", "incidents/i-a3-10")],
            "warnings": summary(4, "40.00", verbal=1, final=1),
            "state": [
                active("final", "2026-03-04", "2027-03-04", nine, "conversion"),
                active("verbal", "2026-03-20", "2027-03-20", _i("i-a3-10"), "verbal_01"),
            ],
        },
    )


def test_attendance_offences_and_a_late_under_a_final(ladder):
    # Jan: late 01-12 and early leave 01-13 → verbal_02 ¥10 each; absent 01-14 → written_11 ¥50.
    #   70.00; active verbal 2, written 1. (The 'present' row is no offence.)
    # Feb: absent 02-09 and 02-10 → written ¥50 each; the 3rd written (02-10) → final (0.00) from
    #   the three absences. 100.00; active verbal 2, final 1.
    # Mar: late 03-02 under the final → dismissal review + its verbal ¥10; that is the 3rd active
    #   verbal → written (0.00) from the two January verbal offences and this one.
    #   10.00; active written 1, final 1.
    a = "attendance/a4/"
    final = active(
        "final",
        "2026-02-10",
        "2027-02-10",
        [a + "2026-01-14", a + "2026-02-09", a + "2026-02-10"],
        "conversion",
    )
    check(
        ladder["2026-01"]["a4"],
        {
            "sanctions": [
                warn("verbal", "2026-01-12", "verbal_02", [a + "2026-01-12"]),
                warn("verbal", "2026-01-13", "verbal_02", [a + "2026-01-13"]),
                warn("written", "2026-01-14", "written_11", [a + "2026-01-14"]),
            ],
            "warnings": summary(3, "70.00", verbal=2, written=1),
            "state": [
                active("verbal", "2026-01-12", "2027-01-12", [a + "2026-01-12"], "verbal_02"),
                active("verbal", "2026-01-13", "2027-01-13", [a + "2026-01-13"], "verbal_02"),
                active("written", "2026-01-14", "2027-01-14", [a + "2026-01-14"], "written_11"),
            ],
        },
    )
    check(
        ladder["2026-02"]["a4"],
        {
            "sanctions": [
                warn("written", "2026-02-09", "written_11", [a + "2026-02-09"]),
                warn("written", "2026-02-10", "written_11", [a + "2026-02-10"]),
                conv("final", "2026-02-10", [a + "2026-01-14", a + "2026-02-09", a + "2026-02-10"]),
            ],
            "warnings": summary(2, "100.00", verbal=2, final=1),
            "state": [
                active("verbal", "2026-01-12", "2027-01-12", [a + "2026-01-12"], "verbal_02"),
                active("verbal", "2026-01-13", "2027-01-13", [a + "2026-01-13"], "verbal_02"),
                final,
            ],
        },
    )
    check(
        ladder["2026-03"]["a4"],
        {
            "sanctions": [
                warn("verbal", "2026-03-02", "verbal_02", [a + "2026-03-02"]),
                conv("written", "2026-03-02", [a + "2026-01-12", a + "2026-01-13", a + "2026-03-02"]),
            ],
            "reviews": [after_final("verbal_02", "2026-03-02", a + "2026-03-02")],
            "warnings": summary(1, "10.00", written=1, final=1),
            "state": [
                final,
                active(
                    "written",
                    "2026-03-02",
                    "2027-03-02",
                    [a + "2026-01-12", a + "2026-01-13", a + "2026-03-02"],
                    "conversion",
                ),
            ],
        },
    )


def test_dismissal_level_offences_are_reviews_without_a_fine(ladder):
    # a5 Jan: s3.f03 → a final warning straight away, ¥200; active final 1.
    # a5 Feb: s3.d02 under that final → two reviews (human decisions), in this order: the after-final
    #   review and the dismissal level's own review; no sanction, fines 0.00, 1 offence; the final stays.
    # a5 Mar: nothing → excellent-eligible (no offence this month), final still active.
    final = active("final", "2026-01-09", "2027-01-09", _i("i-a5-1"), "final_03")
    check(
        ladder["2026-01"]["a5"],
        {
            "sanctions": [warn("final", "2026-01-09", "final_03", _i("i-a5-1"))],
            "warnings": summary(1, "200.00", final=1),
            "state": [final],
        },
    )
    check(
        ladder["2026-02"]["a5"],
        {
            "sanctions": [],
            "reviews": [
                after_final("dismissal_02", "2026-02-15", "incidents/i-a5-2"),
                dismissal_level("dismissal_02", "2026-02-15", "incidents/i-a5-2"),
            ],
            "warnings": summary(1, "0.00", final=1),
            "state": [final],
        },
    )
    check(
        ladder["2026-03"]["a5"],
        {"sanctions": [], "excellent": True, "warnings": summary(0, "0.00", final=1), "state": [final]},
    )
    # a6: only s3.d04 on 02-20 → one review, no sanction, nothing active. Jan and Mar: clean months.
    check(
        ladder["2026-01"]["a6"],
        {"sanctions": [], "excellent": True, "warnings": summary(0, "0.00"), "state": []},
    )
    check(
        ladder["2026-02"]["a6"],
        {
            "sanctions": [],
            "reviews": [dismissal_level("dismissal_04", "2026-02-20", "incidents/i-a6-1")],
            "warnings": summary(1, "0.00"),
            "state": [],
        },
    )
    check(
        ladder["2026-03"]["a6"],
        {"sanctions": [], "excellent": True, "warnings": summary(0, "0.00"), "state": []},
    )


def test_review_flags_are_human_decisions(ladder):
    seen = 0
    for month in ladder.values():
        for agent in month.values():
            for f in review_flags(agent):
                assert f["human_decision"] is True
                seen += 1
    # a3 Mar (1), a4 Mar (1), a5 Feb (2), a6 Feb (1)
    assert seen == 5


def test_state_in_is_the_previous_months_state_out(ladder):
    months = list(ladder)
    for agent in ladder[months[0]].values():
        assert agent["state_in"]["warnings"] == []
    for prev, cur in zip(months, months[1:], strict=False):
        for a, agent in ladder[cur].items():
            assert agent["state_in"] == ladder[prev][a]["state_out"]


# ---- the rolling window: 2026-01..2027-01 -------------------------------------------------------

WINDOW_RANGE = "2026-01..2027-01"
WINDOW_MONTHS = [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]


def window_package(path):
    """Five regular agents, one verbal offence kind after another.

    w1: 2026-01-15 00:10 local (2026-01-14 in UTC: the warning is dated 01-15), 2026-06-10,
        2027-01-14 23:30 local → the first still counts on 2027-01-14: converts.
    w2: 2026-01-15, 2026-06-10, 2027-01-15 00:30 local (2027-01-14 in UTC) → the first expired on
        2027-01-15: 2 active, no conversion.
    w3: 2026-01-31 23:30 local, 2026-03-01, 2027-01-30 → converts (the first expires 2027-01-31).
    w4: 2026-01-31, 2026-03-01, 2027-01-31 → the first expired that very day: no conversion.
    w5: 2026-01-15 only → counts through 2027-01-14, gone at the end of January 2027.
    """
    agents = [_agent(a) for a in ("w1", "w2", "w3", "w4", "w5")]
    incidents = [
        _inc("i-w1-1", "w1", at(15, 0, 10, month=1), "s3.v01"),
        _inc("i-w1-2", "w1", at(10, month=6), "s3.v04"),
        _inc("i-w1-3", "w1", at(14, 23, 30, month=1, year=2027), "s3.v05"),
        _inc("i-w2-1", "w2", at(15, month=1), "s3.v01"),
        _inc("i-w2-2", "w2", at(10, month=6), "s3.v04"),
        _inc("i-w2-3", "w2", at(15, 0, 30, month=1, year=2027), "s3.v05"),
        _inc("i-w3-1", "w3", at(31, 23, 30, month=1), "s3.v01"),
        _inc("i-w3-2", "w3", at(1, month=3), "s3.v04"),
        _inc("i-w3-3", "w3", at(30, month=1, year=2027), "s3.v05"),
        _inc("i-w4-1", "w4", at(31, month=1), "s3.v01"),
        _inc("i-w4-2", "w4", at(1, month=3), "s3.v04"),
        _inc("i-w4-3", "w4", at(31, month=1, year=2027), "s3.v05"),
        _inc("i-w5-1", "w5", at(15, month=1), "s3.v01"),
    ]
    attendance = [_att("w1", date(2026, 1, 2), "present")]
    return write_package(path, agents=agents, incidents=incidents, attendance=attendance)


@pytest.fixture(scope="module")
def window_folder(tmp_path_factory):
    return window_package(tmp_path_factory.mktemp("s3_window"))


@pytest.fixture(scope="module")
def window(window_folder):
    doc, _ = assess(window_folder, "S3", WINDOW_RANGE)
    return by_month(doc)


# Active verbal warnings at each month end, 2026-01 … 2026-12 (hand count from the offence dates):
#   w1, w2: 1 from January (01-15), 2 from June (06-10) → [1]*5 + [2]*7
#   w3, w4: 1 in Jan and Feb (01-31), 2 from March (03-01) → [1]*2 + [2]*10
#   w5: 1 all year (expires 2027-01-15)
ACTIVE_VERBAL_2026 = {
    "w1": [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2],
    "w2": [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2],
    "w3": [1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
    "w4": [1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
    "w5": [1] * 12,
}
# Months of 2026 with an offence (one each, ¥10).
OFFENCE_MONTHS_2026 = {
    "w1": {"2026-01", "2026-06"},
    "w2": {"2026-01", "2026-06"},
    "w3": {"2026-01", "2026-03"},
    "w4": {"2026-01", "2026-03"},
    "w5": {"2026-01"},
}


def test_window_2026_month_by_month(window):
    assert list(window) == WINDOW_MONTHS
    for i, month in enumerate(WINDOW_MONTHS[:12]):
        for a in ("w1", "w2", "w3", "w4", "w5"):
            agent = window[month][a]
            n = 1 if month in OFFENCE_MONTHS_2026[a] else 0
            assert agent["warnings"] == summary(
                n, "10.00" if n else "0.00", verbal=ACTIVE_VERBAL_2026[a][i]
            ), (
                month,
                a,
            )
            assert [s["kind"] for s in agent["sanctions"]] == ["verbal_warning"] * n, (month, a)
            assert review_flags(agent) == []
            assert excellent(agent) is (n == 0), (month, a)


def test_window_first_months_detail(window):
    # w1's first offence at 00:10 local on 2026-01-15 is dated 01-15 (local), so it expires 2027-01-15.
    check(
        window["2026-01"]["w1"],
        {
            "sanctions": [warn("verbal", "2026-01-15", "verbal_01", _i("i-w1-1"))],
            "warnings": summary(1, "10.00", verbal=1),
            "state": [active("verbal", "2026-01-15", "2027-01-15", _i("i-w1-1"), "verbal_01")],
        },
    )
    # w3's first at 23:30 local on 2026-01-31 is a January offence dated 01-31, expiring 2027-01-31.
    check(
        window["2026-01"]["w3"],
        {
            "sanctions": [warn("verbal", "2026-01-31", "verbal_01", _i("i-w3-1"))],
            "warnings": summary(1, "10.00", verbal=1),
            "state": [active("verbal", "2026-01-31", "2027-01-31", _i("i-w3-1"), "verbal_01")],
        },
    )
    check(
        window["2026-12"]["w4"],
        {
            "sanctions": [],
            "excellent": True,
            "warnings": summary(0, "0.00", verbal=2),
            "state": [
                active("verbal", "2026-01-31", "2027-01-31", _i("i-w4-1"), "verbal_01"),
                active("verbal", "2026-03-01", "2027-03-01", _i("i-w4-2"), "verbal_04"),
            ],
        },
    )


def test_window_offence_the_day_before_expiry_converts(window):
    # w1 on 2027-01-14 (local, 23:30): 01-15, 06-10 and 01-14 are active → written (0.00) on 2027-01-14.
    check(
        window["2027-01"]["w1"],
        {
            "sanctions": [
                warn("verbal", "2027-01-14", "verbal_05", _i("i-w1-3")),
                conv("written", "2027-01-14", _i("i-w1-1", "i-w1-2", "i-w1-3")),
            ],
            "warnings": summary(1, "10.00", written=1),
            "state": [
                active("written", "2027-01-14", "2028-01-14", _i("i-w1-1", "i-w1-2", "i-w1-3"), "conversion")
            ],
        },
    )
    # w3 on 2027-01-30: 2026-01-31 (expires 2027-01-31) still counts → written on 2027-01-30.
    check(
        window["2027-01"]["w3"],
        {
            "sanctions": [
                warn("verbal", "2027-01-30", "verbal_05", _i("i-w3-3")),
                conv("written", "2027-01-30", _i("i-w3-1", "i-w3-2", "i-w3-3")),
            ],
            "warnings": summary(1, "10.00", written=1),
            "state": [
                active("written", "2027-01-30", "2028-01-30", _i("i-w3-1", "i-w3-2", "i-w3-3"), "conversion")
            ],
        },
    )


def test_window_offence_on_the_expiry_day_does_not_convert(window):
    # w2 on 2027-01-15 (00:30 local, still 01-14 in UTC): the 2026-01-15 warning expired that day →
    # only 06-10 and the new one are active: 2 verbal, no written.
    check(
        window["2027-01"]["w2"],
        {
            "sanctions": [warn("verbal", "2027-01-15", "verbal_05", _i("i-w2-3"))],
            "warnings": summary(1, "10.00", verbal=2),
            "state": [
                active("verbal", "2026-06-10", "2027-06-10", _i("i-w2-2"), "verbal_04"),
                active("verbal", "2027-01-15", "2028-01-15", _i("i-w2-3"), "verbal_05"),
            ],
        },
    )
    # w4 on 2027-01-31: the 2026-01-31 warning expired that day → 2 verbal, no written.
    check(
        window["2027-01"]["w4"],
        {
            "sanctions": [warn("verbal", "2027-01-31", "verbal_05", _i("i-w4-3"))],
            "warnings": summary(1, "10.00", verbal=2),
            "state": [
                active("verbal", "2026-03-01", "2027-03-01", _i("i-w4-2"), "verbal_04"),
                active("verbal", "2027-01-31", "2028-01-31", _i("i-w4-3"), "verbal_05"),
            ],
        },
    )


def test_window_expired_warning_no_longer_active_at_month_end(window):
    # w5: the 2026-01-15 warning expired on 2027-01-15 → no active warning at the end of January 2027.
    agent = window["2027-01"]["w5"]
    assert agent["sanctions"] == []
    assert excellent(agent) is True
    assert agent["warnings"] == summary(0, "0.00")


def test_window_expired_warning_leaves_the_carried_state(window):
    # state_out.warnings are the warnings still active (state.py: "active ladder warnings"); the
    # 2026-01-15 warning expired on 2027-01-15, so the state closing January 2027 carries nothing.
    assert window["2026-12"]["w5"]["state_out"]["warnings"] == [
        active("verbal", "2026-01-15", "2027-01-15", _i("i-w5-1"), "verbal_01")
    ]
    assert window["2027-01"]["w5"]["state_out"]["warnings"] == []


def test_assess_2027_01_alone_from_a_carried_state(window_folder, window):
    # Start January 2027 from the December 2026 closing state: same outcome as inside the range
    # (w1 converts, w2 does not).
    lp = load_policy("S3")
    dec_doc, _ = assess(window_folder, "S3", "2026-01..2026-12")
    state = state_from_results(dec_doc, lp.sha256, Period.parse("2027-01"))
    doc, _ = assess_package(load_package(window_folder), lp, ["2027-01"], state)
    alone = by_month(doc)["2027-01"]
    assert [s["kind"] for s in alone["w1"]["sanctions"]] == ["verbal_warning", "written_warning"]
    assert [s["kind"] for s in alone["w2"]["sanctions"]] == ["verbal_warning"]
    assert alone["w2"]["warnings"] == summary(1, "10.00", verbal=2)
    assert canonical(doc["periods"][0]) == canonical(
        next(p for p in assess(window_folder, "S3", WINDOW_RANGE)[0]["periods"] if p["period"] == "2027-01")
    )


# ---- excellent-employee eligibility: 2026-01..2026-02 --------------------------------------------


def excellent_package(path):
    """Six agents; every one has a 'present' day in each month.

    e1: regular, clean both months                      → eligible Jan and Feb
    e2: probation, clean                                → never
    e3: regular, one leave day in January               → Feb only
    e4: regular, one verbal offence (v06) in January    → Feb only
    e5: regular, late (5 min) in January                → Feb only
    e6: regular, early leave in February                → Jan only
    """
    agents = [
        _agent("e1"),
        _agent("e2", employment="probation"),
        _agent("e3"),
        _agent("e4"),
        _agent("e5"),
        _agent("e6"),
    ]
    attendance = []
    for a in ("e1", "e2", "e3", "e4", "e5", "e6"):
        attendance += [_att(a, date(2026, 1, 5), "present"), _att(a, date(2026, 2, 5), "present")]
    attendance += [
        _att("e3", date(2026, 1, 7), "leave"),
        _att("e5", date(2026, 1, 9), "late", 5),
        _att("e6", date(2026, 2, 11), "early_leave"),
    ]
    incidents = [_inc("i-e4-1", "e4", at(8, month=1), "s3.v06")]
    return write_package(path, agents=agents, incidents=incidents, attendance=attendance)


@pytest.fixture(scope="module")
def eligibility(tmp_path_factory):
    doc, _ = assess(excellent_package(tmp_path_factory.mktemp("s3_excellent")), "S3", "2026-01..2026-02")
    return by_month(doc)


def test_excellent_employee_eligibility(eligibility):
    expected = {
        "2026-01": {"e1": True, "e2": False, "e3": False, "e4": False, "e5": False, "e6": True},
        "2026-02": {"e1": True, "e2": False, "e3": True, "e4": True, "e5": True, "e6": False},
    }
    got = {m: {a: excellent(agent) for a, agent in agents.items()} for m, agents in eligibility.items()}
    assert got == expected


def test_excellent_package_sanctions(eligibility):
    # e4: v06 on 01-08 → verbal ¥10; e5: late on 01-09 → verbal_02 ¥10; e6: early leave on 02-11 →
    # verbal_02 ¥10. A leave day (e3) is no offence.
    jan, feb = eligibility["2026-01"], eligibility["2026-02"]
    assert jan["e4"]["sanctions"] == [warn("verbal", "2026-01-08", "verbal_06", _i("i-e4-1"))]
    assert jan["e5"]["sanctions"] == [warn("verbal", "2026-01-09", "verbal_02", ["attendance/e5/2026-01-09"])]
    assert feb["e6"]["sanctions"] == [warn("verbal", "2026-02-11", "verbal_02", ["attendance/e6/2026-02-11"])]
    assert jan["e3"]["warnings"] == summary(0, "0.00")
    assert feb["e4"]["warnings"] == summary(0, "0.00", verbal=1)
    for a in ("e1", "e2", "e3"):
        for m in ("2026-01", "2026-02"):
            assert eligibility[m][a]["sanctions"] == []


# ---- a month alone from the previous month's results.json equals the range ----------------------


@pytest.mark.parametrize(
    ("builder", "months"),
    [
        (ladder_package, ["2026-01", "2026-02", "2026-03"]),
        (window_package, WINDOW_MONTHS),
        (excellent_package, ["2026-01", "2026-02"]),
    ],
    ids=["ladder", "window", "excellent"],
)
def test_range_equals_month_by_month_with_state(tmp_path, builder, months):
    folder = builder(tmp_path / "pkg")
    lp = load_policy("S3")
    ranged, _ = assess(folder, "S3", f"{months[0]}..{months[-1]}")
    assert [p["period"] for p in ranged["periods"]] == months
    prev = None
    for month, expected in zip(months, ranged["periods"], strict=True):
        state = state_from_results(prev, lp.sha256, Period.parse(month)) if prev is not None else None
        prev, _ = assess_package(load_package(folder), lp, [month], state)
        (alone,) = prev["periods"]
        assert canonical(alone) == canonical(expected), month
