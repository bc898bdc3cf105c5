"""What every rule of a period shares: the period context, sources, flags and small helpers."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from merit.engine import expr
from merit.engine.policy import schema as S
from merit.engine.scoring.numbers import val

ZERO = Decimal(0)


class PeriodCtx:
    def __init__(self, period, ids, team, values, how, envs, manual_src):
        self.period, self.ids, self.team = period, ids, team
        self.values, self.how, self.envs, self.manual_src = values, how, envs, manual_src
        self.metric_values = {a: {m: v.value for m, v in values[a].items()} for a in ids}
        self.period_str = str(period)
        self._fmt: dict[tuple[str, str], tuple] = {}
        self._agent = None

    def suspended(self, agent: str) -> bool:
        """Whether the agent serves a suspension (停止服务) this month."""
        through = self.state_in[agent].suspended_through
        return bool(through) and self.period_str <= through

    def groups(self, scope: str) -> list[list[str]]:
        if scope == "all":
            return [list(self.ids)]
        by: dict[str, list] = defaultdict(list)
        for a in self.ids:
            by[self.team[a]].append(a)
        return [by[t] for t in sorted(by)]

    def sources(self, names, agent: str | None = None) -> list[dict]:
        """Where values came from: for a metric, its table, period and the agent's parts of the value
        (numerator and denominator; the selection is in the period's ``metrics``); for a supervisor's
        score, the manual_scores row."""
        out = []
        for m in sorted(names):
            if m.startswith("manual."):
                if agent is not None:
                    item = m[7:]
                    row = self.manual_src.get((agent, item))
                    out.append(
                        {
                            "table": "manual_scores",
                            "id": f"{agent}/{self.period_str}/{item}",
                            "by": row.get("by") if row else None,
                        }
                    )
                continue
            static = self.how.get(m)
            if static is None:
                continue
            entry = {"metric": m, "table": static.get("table"), "period": static.get("period")}
            if agent is not None:
                entry["num"], entry["den"] = self._parts(agent, m)
            out.append(entry)
        return out

    def _parts(self, agent: str, m: str) -> tuple:
        key = (agent, m)
        got = self._fmt.get(key)
        if got is None:
            mv = self.values[agent].get(m)
            got = (val(mv.num), val(mv.den)) if mv is not None else (None, None)
            self._fmt[key] = got
        return got


def srcs(sources: list[str]) -> list[dict]:
    """ "table/id" texts → source objects."""
    out = []
    for text in sources:
        table, _, ident = text.partition("/")
        out.append({"table": table, "id": ident})
    return out


def entry_sources(entries: list[dict], names) -> list[dict]:
    """For a condition on the month's point entries (points.deductions, …), the events behind them."""
    if "points.deductions" in names:
        picked = [e for e in entries if e.get("_v", ZERO) < 0]
    elif "points.warnings" in names:
        picked = [e for e in entries if "note" in e]
    else:
        return []
    return [src for e in picked for src in e.get("source", [])]


def item_names(it) -> set[str]:
    """The metrics and manual scores a scorecard item reads (for its sources)."""
    found: set[str] = set()
    if it.kind == "manual":
        found.add(f"manual.{it.item}")
    if getattr(it, "metric", None):
        found.add(it.metric)
    for attr in ("value", "expr", "target"):
        text = getattr(it, attr, None)
        if isinstance(text, str):
            found |= expr.names_of(text)
    for c in getattr(it, "counts", None) or []:
        found.add(c.metric)
    if it.kind == "rank":
        found |= {k.metric for k in it.rank.by}
    return {n for n in found if "." not in n or n.startswith("manual.")}


def rank_explain(detail: dict) -> dict:
    return {"ranks": detail["ranks"], "composite": detail["composite"]}


def make_flag(flag: str, rule: str, reason: str, source: list, title: str | None = None) -> dict:
    out = {
        "flag": flag,
        "rule": rule,
        "reason": reason,
        "source": source,
        "human_decision": flag in S.HUMAN_DECISION,
    }
    if title:
        out["title"] = title
    return out


def iso(v) -> str | None:
    if v is None:
        return None
    return v.isoformat() + ("Z" if hasattr(v, "hour") else "")


def quota_counts(shares: list[Decimal], n: int) -> list[int]:
    """Largest-remainder (Hamilton) rounding of shares × n; remainder ties go to the better grade."""
    exact = [sh * n for sh in shares]
    counts = [int(e) for e in exact]
    left = n - sum(counts)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts
