"""One agent's month in words: every number of results.json with the rule, inputs and sources behind
it (`merit explain`). The application's result page renders the same structure."""

from __future__ import annotations


def explain_lines(doc: dict, agent_id: str, period: str | None = None) -> list[str]:
    """Plain-text lines (Chinese labels first, English ids) explaining one agent's month."""
    periods = doc["periods"] if period is None else [p for p in doc["periods"] if p["period"] == period]
    if not periods:
        raise KeyError(f"no period {period} in these results")
    p = periods[-1]
    agent = next((a for a in p["agents"] if a["agent_id"] == agent_id), None)
    if agent is None:
        raise KeyError(f"agent {agent_id} is not in the results of {p['period']}")
    pol = doc["policy"]
    out = [
        f"{pol['title']['zh']} / {pol['title']['en']} · {p['period']} · 客服 {agent_id} · 团队 {agent['team_id']}"
    ]
    if agent.get("status") == "suspended":
        out.append("状态 status: 停止服务 suspended (no duties, no fee, no bonus)")
    if agent.get("score") is not None:
        out.append(f"得分 score: {agent['score']}")
    for line in agent.get("lines", []):
        ex = line["explain"]
        out.append(f"  {line['label']} ({line['item']}): {line['points'] or '—'} / {line['max'] or '—'}")
        if ex.get("rule"):
            out.append(f"      规则 rule: {ex['rule']}")
        if ex.get("inputs"):
            out.append("      输入 inputs: " + ", ".join(f"{k} = {v}" for k, v in ex["inputs"].items()))
        for src in ex.get("source", []):
            out.append("      来源 source: " + _source(src, p))
        if ex.get("note"):
            out.append(f"      说明 note: {ex['note']}")
    pts = agent.get("points")
    if pts:
        out.append(f"积分 points: {pts['opening']} ({pts.get('opening_from', 'start')}) → {pts['closing']}")
        for e in pts["entries"]:
            ids = ", ".join(f"{s.get('table')}/{s.get('id', s.get('metric'))}" for s in e.get("source", []))
            note = f" — {e['note']}" if e.get("note") else ""
            out.append(
                f"  {e['points']:>7}  {e['label']} ({e['rule']}){note}" + (f"  [{ids}]" if ids else "")
            )
    if agent.get("grade"):
        out.append(f"等级 grade: {agent['grade']} — {agent.get('grade_explain', '')}")
    money = agent.get("money")
    if money:
        out.append(f"罚款 fines: {money['fines']} · 奖励 rewards: {money['rewards']}")
        for e in money["entries"]:
            out.append(f"  {e['amount']:>9}  {e['label']} ({e['rule']}, {e['kind']})" + _streak(e))
    for s in agent.get("sanctions", []):
        out.append(f"处分 sanction: {s['kind']} ¥{s['fine']} — {s['reason']}")
    if agent.get("fee"):
        f = agent["fee"]
        out.append(f"劳务费 fee: {f['amount']} paid by {f['pay_by']} ({f['formula']})")
    level = agent.get("level") or {}
    if level.get("from"):
        out.append(f"级别 level: {level['from']} → {level['to']} ({level.get('reason', '')})")
    if agent.get("bonus") is not None:
        be = agent.get("bonus_explain") or {}
        steps = "; ".join(be.get("steps", [])) or be.get("note", "")
        out.append(f"奖金 bonus: {agent['bonus']}" + (f" — {steps}" if steps else ""))
    for f in agent.get("flags", []):
        who = " (需人工决定 a person decides)" if f.get("human_decision") else ""
        out.append(f"标记 flag: {f['flag']}{who} — {f['reason']} ({f['rule']})" + _streak(f))
    return out


def _streak(entry: dict) -> str:
    """ " — 连续 3 次 3 in a row (needs 2)" for a rule that needs its condition at check points in a row."""
    run = (entry.get("explain") or {}).get("consecutive")
    if not run:
        return ""
    return f" — 连续 {run['held']} 次 {run['held']} in a row (needs {run['needed']})"


def _source(src: dict, period: dict) -> str:
    if "metric" in src:
        how = period.get("metrics", {}).get(src["metric"], {})
        parts = f"{src.get('num')} / {src.get('den')}" if src.get("den") is not None else f"{src.get('num')}"
        return f"{src['metric']} from {src.get('table')} ({how.get('selection', '')}): {parts}"
    return f"{src.get('table')}/{src.get('id')}" + (f" by {src['by']}" if src.get("by") else "")
