"""S2: points redeemed for prizes or to offset fines, and the best team of the year (+50 each member).

Expected values worked out by hand from RULEBOOK § S2 and the preset's stated interpretations
(one point offsets ¥1 of fines; best team = highest mean closing balance at the year end)."""

from __future__ import annotations

from merit.engine.api import assess

from .pkg import at, write_package


def _agents(doc, i=0):
    return {a["agent_id"]: a for a in doc["periods"][i]["agents"]}


def test_redemptions_spend_points_and_offset_fines(tmp_path):
    folder = write_package(
        tmp_path,
        agents=[
            {
                "agent_id": "r1",
                "name": "李一",
                "team_id": "T1",
                "role": "after_sales",
                "base_bonus": "1000.00",
            },
            {
                "agent_id": "r2",
                "name": "王二",
                "team_id": "T1",
                "role": "after_sales",
                "base_bonus": "1000.00",
            },
        ],
        teams=[{"team_id": "T1", "name": "售后一组", "lead_agent_id": "r1"}],
        redemptions=[
            {"redemption_id": "RD1", "agent_id": "r1", "at": at(5), "points": 10, "kind": "prize"},
            {"redemption_id": "RD2", "agent_id": "r1", "at": at(20), "points": 20, "kind": "fine_offset"},
            {
                "redemption_id": "RD3",
                "agent_id": "r2",
                "at": at(31, 23, 30, month=3),
                "points": 5,
                "kind": "prize",
            },
            # 2026-04-01 00:10 local: April, not March
            {
                "redemption_id": "RD4",
                "agent_id": "r2",
                "at": at(1, 0, 10, month=4),
                "points": 7,
                "kind": "prize",
            },
        ],
    )
    doc, _ = assess(folder, "S2", "2026-03")
    ag = _agents(doc)
    # r1: 100 − 10 − 20 = 70 points; the 20 points offset ¥20 of fines (¥1 a point)
    assert ag["r1"]["points"]["closing"] == "70.00"
    spent = sorted(
        (e["points"], e["source"][0]["id"])
        for e in ag["r1"]["points"]["entries"]
        if e["rule"] == "redemption"
    )
    assert spent == [("-10.00", "RD1"), ("-20.00", "RD2")]
    assert ag["r1"]["money"]["offsets"] == "20.00"
    (offset,) = ag["r1"]["money"]["entries"]
    assert (offset["rule"], offset["kind"], offset["amount"]) == ("fine_offset", "offset", "20.00")
    # r2: only the March redemption: 100 − 5 = 95; no offset
    assert ag["r2"]["points"]["closing"] == "95.00"
    assert "offsets" not in ag["r2"]["money"]


def test_best_team_of_the_year_gets_50_each_at_the_year_end_only(tmp_path):
    people = [("a1", "T1"), ("a2", "T1"), ("b1", "T2"), ("b2", "T2")]
    folder = write_package(
        tmp_path,
        agents=[
            {"agent_id": a, "name": f"客服{a}", "team_id": t, "role": "after_sales", "base_bonus": "1000.00"}
            for a, t in people
        ],
        teams=[
            {"team_id": "T1", "name": "一组", "lead_agent_id": "a1"},
            {"team_id": "T2", "name": "二组", "lead_agent_id": "b1"},
        ],
        # b1 loses 10 points in November (serious complaint): T2's mean closing is lower
        incidents=[
            {
                "incident_id": "c1",
                "agent_id": "b1",
                "at": at(10, month=11),
                "kind": "complaint.attitude",
                "severity": "serious",
            },
        ],
    )
    doc, _ = assess(folder, "S2", "2026-11..2026-12")
    nov, dec = _agents(doc, 0), _agents(doc, 1)
    # November is not a year end: no team award; b1 80 (100 − 20), the others 100
    assert [nov[a]["points"]["closing"] for a in ("a1", "a2", "b1", "b2")] == [
        "100.00",
        "100.00",
        "80.00",
        "100.00",
    ]
    # December: T1 mean 100 > T2 mean 90 → +50 to a1 and a2 only
    assert [dec[a]["points"]["closing"] for a in ("a1", "a2", "b1", "b2")] == [
        "150.00",
        "150.00",
        "80.00",
        "100.00",
    ]
    award = [e for e in dec["a1"]["points"]["entries"] if e["rule"] == "best_team_of_year"]
    assert [e["points"] for e in award] == ["50.00"]
    teams = {t["team_id"]: t for t in doc["periods"][1]["teams"]}
    assert [r["rule"] for r in teams["T1"]["rules"]] == ["best_team_of_year"]
    assert teams["T1"]["rules"][0]["member_points"] == "50.00"
    assert teams["T2"]["rules"] == []
    assert doc["periods"][1]["checks"] == ["month_end", "quarter_end", "year_end"]
