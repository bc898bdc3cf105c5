"""How far back the rules of a policy look, and where the facts of a package begin.

A month's result must not depend on where the assessed range starts (docs/adr/0003). Rules over time
(rolling windows of warnings and money sequences, streaks of check points, balances of a points cycle)
carry state from month to month. When a run is given no state, the engine rebuilds the state at the
start of its range from the facts before it — by assessing the earlier months, from the first month the
package holds facts for, exactly as a longer run would have — so the first month of a range gets the
same result as inside a longer one.

Where a rule looks back further than the facts reach (a 12-month window assessed on a package that
starts four months earlier), the results say so: the period's ``history`` names the rule, how far it
looks back and from which month the facts exist, and every agent whose history it misses (employed
before the facts begin) carries the rule's id in ``history``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from merit.engine import expr
from merit.engine.coverage import FACT_TABLES
from merit.engine.ladder import local_date
from merit.engine.metrics.compute import Period
from merit.engine.scoring import items as I
from merit.engine.scoring.numbers import D
from merit.engine.state import is_check_point
from merit.engine.tables import PERIOD, TABLES

MONTHS_OF_CHECK = {"month_end": 1, "quarter_end": 3, "year_end": 12}


@dataclass(frozen=True)
class LookBack:
    """One rule over time: ``months`` it looks back from the month assessed (None: to the start of its
    points cycle, see :meth:`needs_from`), for an agent or a ``team``."""

    rule: str
    what: str  # in words, for the summary: "12-month window", "2 quarter ends in a row", …
    months: int | None = None
    cycle: str | None = None  # points balances: "quarter", "year", "never"
    team: bool = False
    at: str | None = None  # a streak's check point: the rule reads its history only there

    def needs_from(self, period: Period) -> Period | None:
        """The first month whose facts this rule reads when ``period`` is assessed (None: every month
        before, a balance that never resets)."""
        if self.cycle is None:
            return period.shift(-self.months)
        if self.cycle == "never":
            return None
        step = 3 if self.cycle == "quarter" else 12
        return period.shift(-((period.month - 1) % step))


def look_backs(lp) -> list[LookBack]:
    """Every rule of the policy (a LoadedPolicy) whose result in a month depends on earlier months."""
    p = lp.policy
    penv = {f"param.{k}": v for k, v in lp.params.items()}
    out: list[LookBack] = []

    def months_of(value) -> int:
        return int(D(I.ev(value, penv)))

    def streak(rule_id, consecutive, once, at, team=False):
        if consecutive > 1:
            # the check points before this one that must have held (one more to know a streak's start)
            n = consecutive - 1 + (1 if once else 0)
            what = f"{consecutive} × {at} in a row"
            out.append(LookBack(rule_id, what, n * MONTHS_OF_CHECK[at], team=team, at=at))

    def derived(rule_id, sel):
        if sel.consecutive_workdays is not None:
            out.append(LookBack(rule_id, f"{sel.consecutive_workdays} working days in a row", 1))
        elif sel.nth_in_year is not None:
            out.append(LookBack(rule_id, f"{sel.nth_in_year} in a calendar year", cycle="year"))

    def window(rule_id, at, names, team=False):
        # a rule checked at a quarter or year end reads its metrics over the whole window (window.py)
        if at != "month_end" and any(n in lp.metrics for n in names):
            cycle = "quarter" if at == "quarter_end" else "year"
            out.append(LookBack(rule_id, f"metrics over the {cycle}", cycle=cycle, team=team, at=at))

    for r in p.teams:
        names = {r.rank.metric} if r.rank else {n.removeprefix("team.") for n in expr.names_of(r.when)}
        window(r.id, r.at, names, team=True)
    for r in p.money:
        if r.when is not None:
            window(r.id, r.at, expr.names_of(r.when))
        elif r.rank is not None:
            window(r.id, r.at, {k.metric for k in [*r.rank.by, *r.rank.tie_break]})
    for f in p.flags:
        window(f.id, f.at, expr.names_of(f.when))
    for r in p.points.rules if p.points else []:
        derived(r.id, r.events)
    for o in p.ladder.offences if p.ladder else []:
        derived(o.id, o.events)
    for r in p.money:
        if r.events is not None:
            derived(r.id, r.events)
    if p.points and p.points.reset != "month":
        out.append(LookBack("points", f"points balance, reset every {p.points.reset}", cycle=p.points.reset))
    if p.ladder:
        windows = [months_of(p.ladder.window_months)]
        windows += [months_of(lv.window_months) for lv in p.ladder.levels if lv.window_months is not None]
        out.append(LookBack("ladder", f"{max(windows)}-month warning window", max(windows)))
    for r in p.money:
        if r.events is not None and r.window_months is not None:
            w = months_of(r.window_months)
            out.append(LookBack(r.id, f"{w}-month window of occurrences", w))
        elif r.when is not None:
            streak(r.id, r.consecutive, r.once_per_streak, r.at)
    for f in p.flags:
        streak(f.id, f.consecutive, f.once_per_streak, f.at)
    for r in p.teams:
        streak(r.id, r.consecutive, False, r.at, team=True)
    return out


def metric_look_backs(lp, metric_ids) -> list[LookBack]:
    """The metrics the policy reads from months before the one assessed (``offset: -1``)."""
    out = []
    for mid in sorted(metric_ids):
        offset = lp.metrics[mid].offset
        if offset < 0:
            out.append(LookBack(mid, f"metric of {-offset} month(s) before", -offset))
    return out


def carries_state(lp) -> bool:
    """Whether a month of this policy starts from the state the month before left (and so a run's first
    month must have it rebuilt from earlier facts)."""
    p = lp.policy
    return bool(
        p.points
        or p.ladder
        or p.levels
        or any(r.consecutive > 1 or (r.events is not None and r.window_months is not None) for r in p.money)
        or any(f.consecutive > 1 for f in p.flags)
        or any(r.consecutive > 1 for r in p.teams)
    )


def warm_up_from(lp, first: Period, facts_from: Period | None) -> Period | None:
    """The first month to assess (its results discarded) before ``first``, so that ``first`` starts from
    the state a run from the beginning of the facts would have carried; None: nothing to rebuild.

    In general that is the first month of facts: a streak's length, a ladder's converted warnings and a
    level depend on every month before. A policy whose only state is a points balance that resets needs
    only the cycle of the month before (its closing balance is the next month's opening state)."""
    if facts_from is None or not carries_state(lp):
        return None
    p = lp.policy
    start = facts_from
    points_only = not (p.ladder or p.levels) and all(lb.rule == "points" for lb in look_backs(lp))
    if p.points and p.points.reset != "never" and points_only:
        before = first.shift(-1)
        cycle = p.points.reset
        cycle_start = before if cycle == "month" else LookBack("points", "", cycle=cycle).needs_from(before)
        start = max(start, cycle_start, key=_key)
    return start if _key(start) < _key(first) else None


def _key(p: Period) -> tuple[int, int]:
    return (p.year, p.month)


def months_between(start: Period, end: Period) -> list[Period]:
    """The months from ``start`` up to, not including, ``end``."""
    n = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    return [start.shift(i) for i in range(max(n, 0))]


def facts_from(backend) -> Period | None:
    """The first month (Asia/Shanghai) in which the package holds any fact row; None for no facts."""
    first: date | None = None
    for name in FACT_TABLES:
        spec = TABLES[name]
        t = backend.table(name)
        got = backend.to_pyarrow(t.aggregate(first=t[spec.time].min())).column("first").to_pylist()
        value = got[0] if got else None
        if value is None:
            continue
        if spec.column(spec.time).type == PERIOD:
            p = Period.parse(str(value))
            day = date(p.year, p.month, 1)
        else:
            day = local_date(value) if isinstance(value, datetime) else value
        if first is None or day < first:
            first = day
    return None if first is None else Period(first.year, first.month)


def short_rules(lbs: list[LookBack], period: Period, history_from: Period | None) -> list[dict]:
    """The rules of ``lbs`` that, assessing ``period``, look back before the first month of facts."""
    out = []
    if history_from is None:
        return out
    for lb in lbs:
        if lb.at is not None and not is_check_point(period, lb.at):
            continue  # a streak is read only at its rule's check points
        needs = lb.needs_from(period)
        if needs is None or _key(needs) < _key(history_from):
            out.append(
                {
                    "rule": lb.rule,
                    "looks_back": lb.what,
                    "needs_from": None if needs is None else str(needs),
                    **({"team": True} if lb.team else {}),
                }
            )
    return out


def history_summary(doc: dict) -> dict | None:
    """A results document's look-back in short: the first month of facts and, per rule whose look-back
    reaches before it, the months where it does and how many agents (or teams) it concerns. None for
    a policy without rules over time."""
    periods = [p for p in doc.get("periods", []) if "history" in p]
    if not periods:
        return None
    months: dict[str, list[str]] = {}
    what: dict[str, dict] = {}
    for p in periods:
        for r in p["history"].get("short", []):
            months.setdefault(r["rule"], []).append(p["period"])
            what[r["rule"]] = r
    short = []
    for rule, ms in months.items():
        r = what[rule]
        short.append(
            {
                "rule": rule,
                "looks_back": r["looks_back"],
                "months": ms[0] if len(ms) == 1 else f"{ms[0]}..{ms[-1]}",
                **({"teams": r["teams"]} if r.get("team") else {"agents": r["agents"]}),
            }
        )
    return {"from": periods[0]["history"].get("from"), "short": short}


def history_lines(doc: dict) -> list[str]:
    """One warning line per rule whose look-back reaches before the first month of facts (for the
    command line's summary)."""
    summary = history_summary(doc) or {"short": []}
    lines = []
    for r in summary["short"]:
        who = f"{r['teams']} team(s)" if "teams" in r else f"{r['agents']} agent(s) employed before it"
        lines.append(
            f"历史不足 history too short: {r['rule']} ({r['looks_back']}) looks back before "
            f"{summary['from']}, the first month of facts, in {r['months']}; {who} may miss earlier "
            "events (give --state to continue from an earlier result)"
        )
    return lines
