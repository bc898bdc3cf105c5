"""Assess one or more periods: metrics → scorecard → points → grades → bonus → flags, explained."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from merit.engine import expr
from merit.engine.lookback import (
    carries_state,
    facts_from,
    look_backs,
    metric_look_backs,
    months_between,
    short_rules,
    warm_up_from,
)
from merit.engine.metrics.compute import Period, compute_metrics, fetch_rows
from merit.engine.policy import schema as S
from merit.engine.policy.load import LoadedPolicy
from merit.engine.rules.common import (
    ZERO,
    PeriodCtx,
    item_names,
    make_flag,
    quota_counts,
)
from merit.engine.rules.ladders import LadderRules
from merit.engine.rules.levels import LevelRules
from merit.engine.rules.money import MoneyRules
from merit.engine.rules.points import PointsRules
from merit.engine.rules.teams import TeamRules
from merit.engine.rules.window import pooled_values, window_label, window_months
from merit.engine.scoring import items as I
from merit.engine.scoring.numbers import CENT, D, q, s, val
from merit.engine.scoring.ranking import rank
from merit.engine.state import (
    CHECK_POINTS,
    AgentState,
    CarriedState,
    advance_streak,
    is_check_point,
)
from merit.engine.tables import TABLES

AGENT_COLUMNS = list(TABLES["agents"].column_names)


def _bonus_total(results: dict, members: list[str]) -> str | None:
    bonuses = [D(results[a]["bonus"]) for a in members if results[a].get("bonus") is not None]
    return s(sum(bonuses, ZERO), CENT) if bonuses else None


def needed_metrics(lp: LoadedPolicy) -> set[str]:
    """Every metric the policy reads, found in its fields and expressions."""
    p, defs = lp.policy, lp.metrics
    found: set[str] = set()

    def from_text(t):
        if isinstance(t, str):
            found.update(n for n in expr.names_of(t) if n in defs)

    for it in p.scorecard.items if p.scorecard else []:
        for attr in ("metric",):
            m = getattr(it, attr, None)
            if m:
                found.add(m)
        for attr in ("value", "expr", "target", "origin", "when", "step", "better", "worse"):
            from_text(getattr(it, attr, None))
        for b in getattr(it, "bands", []) or []:
            from_text(b.min)
            from_text(b.max)
        for c in getattr(it, "counts", []) or []:
            found.add(c.metric)
        if it.kind == "rank":
            found |= {k.metric for k in [*it.rank.by, *it.rank.tie_break]}
    if p.points:
        for a in p.points.awards:
            from_text(a.when)
            from_text(a.points)
        for r in p.points.ranks:
            found |= {k.metric for k in [*r.rank.by, *r.rank.tie_break]}
            from_text(r.when)
    if p.grading and p.grading.mode == "forced":
        found |= {k.metric for k in p.grading.tie_break}
    if p.grading and p.grading.mode == "absolute":
        from_text(p.grading.on)
    if p.bonus:
        from_text(p.bonus.base)
        from_text(p.bonus.factor)
    for f in p.flags:
        from_text(f.when)
        from_text(f.amount)
    for r in p.money:
        from_text(r.when)
        from_text(r.eligible)
        from_text(r.amount)
        if r.rank is not None:
            found |= {k.metric for k in [*r.rank.by, *r.rank.tie_break]}
    if p.levels:
        for row in p.levels.rows:
            for c in [*row.promote, *row.demote]:
                from_text(c)
    if p.fee:
        from_text(p.fee.amount)
    for r in p.teams:
        if r.when:
            found |= {n.removeprefix("team.") for n in expr.names_of(r.when) if n.startswith("team.")}
            from_text(r.when)
        if r.rank is not None and r.rank.metric in lp.metrics:
            found.add(r.rank.metric)
    from_text(p.population)
    return found


class Assessment(PointsRules, LadderRules, MoneyRules, TeamRules, LevelRules):
    """One policy over one data package; ``run(periods)`` returns the results document."""

    def __init__(self, backend, lp: LoadedPolicy):
        self.backend = backend
        self.lp = lp
        self.policy = lp.policy
        self.params = lp.params
        self._look_backs = look_backs(lp) + metric_look_backs(lp, needed_metrics(lp))
        self._carries = carries_state(lp)

    # ---- inputs ---------------------------------------------------------------------------------
    def _agents(self) -> list[dict]:
        rows = fetch_rows(self.backend, "agents", None, AGENT_COLUMNS, order=["agent_id"])
        if self.policy.population:
            rows = [r for r in rows if expr.truthy(expr.run(self.policy.population, self._agent_env(r)))]
        return rows

    def _names_of_item(self, it) -> frozenset[str]:
        cache = self.__dict__.setdefault("_item_names", {})
        if it.id not in cache:
            cache[it.id] = frozenset(item_names(it))
        return cache[it.id]

    def _reads_manual(self) -> bool:
        """Whether the policy uses supervisors' scores (manual items or manual.* names)."""
        sc = self.policy.scorecard
        if sc and any(it.kind == "manual" for it in sc.items):
            return True
        return "manual." in self.lp.text

    def _agent_env(self, a: dict) -> dict:
        env = {f"agent.{k}": v for k, v in a.items()}
        env.update({f"param.{k}": v for k, v in self.params.items()})
        return env

    def run(
        self, periods: list[str], state: CarriedState | None = None, first_of_facts: Period | None = None
    ) -> dict:
        """Assess the months in order, each starting from the state the one before left.

        Without a ``state``, the state at the start of the range is rebuilt from the facts before it
        (lookback.py): the earlier months from the first month of facts (``first_of_facts``, else read
        from the package) are assessed and their results discarded."""
        if state is None:
            state = self.rebuilt_state(Period.parse(periods[0]), first_of_facts)
        out = []
        for text in periods:
            period = Period.parse(text)
            doc, state = self.period(period, state)
            out.append(doc)
        return {"policy": self._policy_header(), "periods": out}

    def rebuilt_state(self, first: Period, first_of_facts: Period | None = None) -> CarriedState:
        """The state a run from the first month of facts would carry into ``first``."""
        known = first_of_facts
        if known is None and (self._look_backs or self._carries):
            known = facts_from(self.backend)
        state = CarriedState(history_from=known)
        start = warm_up_from(self.lp, first, known)
        if start is not None:
            for month in months_between(start, first):
                _, state = self.period(month, state)
        return state

    def _policy_header(self) -> dict:
        p = self.policy
        return {
            "id": p.id,
            "name": p.name,
            "version": p.version,
            "sha256": self.lp.sha256,
            "title": p.title.model_dump(),
            "parameters": {
                k: val(D(v)) if isinstance(v, Decimal) else v for k, v in sorted(self.params.items())
            },
        }

    # ---- one period -----------------------------------------------------------------------------
    def period(self, period: Period, state: CarriedState | None = None) -> tuple[dict, CarriedState]:
        p = self.policy
        state = state or CarriedState()
        agents = self._agents()
        ids = [a["agent_id"] for a in agents]
        agent_team = {a["agent_id"]: a["team_id"] for a in agents}
        metric_ids = needed_metrics(self.lp)
        values, how = compute_metrics(
            self.backend, metric_ids, self.lp.metrics, period, self.params, agent_team
        )
        bench = {
            r["metric"]: r["value"]
            for r in fetch_rows(self.backend, "benchmarks", period, ["metric", "value"], order=["metric"])
        }
        manual: dict[str, dict[str, Any]] = defaultdict(dict)
        manual_src: dict[tuple[str, str], dict] = {}
        manual_rows = []
        if self._reads_manual():
            manual_rows = fetch_rows(
                self.backend,
                "manual_scores",
                period,
                ["agent_id", "item", "score", "by"],
                order=["agent_id", "item"],
            )
        for r in manual_rows:
            manual[r["agent_id"]][f"manual.{r['item']}"] = r["score"]
            manual_src[(r["agent_id"], r["item"])] = r

        envs: dict[str, dict] = {}
        for a in agents:
            env = self._agent_env(a)
            hired = a.get("hired_on")
            env["agent.tenure_months"] = (
                Decimal((period.year - hired.year) * 12 + period.month - hired.month) if hired else None
            )
            env.update({m: v.value for m, v in values[a["agent_id"]].items()})
            env.update({f"benchmark.{k}": v for k, v in bench.items()})
            env.update(manual.get(a["agent_id"], {}))
            envs[a["agent_id"]] = env

        ctx = PeriodCtx(period, ids, agent_team, values, how, envs, manual_src)
        ctx.state_in = {a: state.get(a) for a in ids}
        ctx.team_state_in = state.teams
        # the closing state starts as a copy of the opening one; each rule family updates its part
        ctx.state_out = {a: AgentState.from_json(ctx.state_in[a].to_json()) for a in ids}
        if p.levels:
            self._set_levels(ctx)
        results = {
            a: {"agent_id": a, "team_id": agent_team[a], "lines": [], "sanctions": [], "flags": []}
            for a in ids
        }
        if p.points:
            self._points(ctx, results)
        if p.ladder:
            self._ladder(ctx, results)
        if p.scorecard:
            self._scorecard(ctx, results)
        self._grading(ctx, results)
        if p.money:
            self._money(ctx, results)
        if p.levels:
            self._levels(ctx, results)
        if p.fee:
            self._fee(ctx, results)
        teams_out = self._teams(ctx, results, agents)
        if p.teams:
            self._team_rules(ctx, results, teams_out)
        if p.bonus:
            self._bonus(ctx, results)
        self._flags(ctx, results)
        for a in ids:
            if ctx.suspended(a):
                results[a]["status"] = "suspended"
            results[a]["state_in"] = ctx.state_in[a].to_json()
            results[a]["state_out"] = ctx.state_out[a].to_json()
        history = self._history(period, state.history_from, agents, results, teams_out)
        agents_out = [self._finish(results[a]) for a in ids]
        carried = CarriedState(
            period,
            self.lp.sha256,
            ctx.state_out,
            {t: dict(v["state_out"]["streaks"]) for t, v in teams_out.items()},
            state.history_from,
        )
        for t in teams_out.values():
            t["bonus_total"] = _bonus_total(results, t["_members"])
            t.pop("_members")
        checks = [c for c in CHECK_POINTS if is_check_point(period, c)]
        extra = {"history": history} if history is not None else {}
        return {
            "period": str(period),
            **extra,
            "checks": checks,
            "benchmarks": {k: val(v) for k, v in sorted(bench.items())},
            "metrics": {m: how[m] for m in sorted(how)},
            "agents": agents_out,
            "teams": [teams_out[t] for t in sorted(teams_out)],
        }, carried

    def _window(self, ctx: PeriodCtx, at: str, names) -> dict | None:
        """The metric values a rule checked ``at`` reads: pooled over its quarter or year (window.py);
        None for a month-end rule or one that reads no metric of the catalogue (it reads the month)."""
        ids = frozenset(n for n in names if n in self.lp.metrics)
        if at == "month_end" or not ids:
            return None
        cache = ctx.__dict__.setdefault("_windows", {})
        if (at, ids) not in cache:
            months = window_months(ctx.period, at)
            cache[(at, ids)] = pooled_values(
                self.backend, self.lp.metrics, ids, months, ctx.values, self.params, ctx.team
            )
        return cache[(at, ids)]

    def _window_env(self, ctx: PeriodCtx, a: str, window: dict | None, names) -> dict:
        """An agent's environment with the metrics of ``names`` taken from ``window``."""
        if window is None:
            return ctx.envs[a]
        return {**ctx.envs[a], **{n: window[a][n].value for n in names if n in window[a]}}

    def _history(self, period: Period, history_from, agents, results, teams_out) -> dict | None:
        """The period's ``history``: from which month the facts reach, and the rules over time that look
        back before it, with every agent (employed before the facts begin) and team whose history they
        miss. None for a policy without rules over time."""
        if not self._look_backs:
            return None
        short = short_rules(self._look_backs, period, history_from)
        if short:
            began = history_from.first_day
            missed = [a["agent_id"] for a in agents if a.get("hired_on") is None or a["hired_on"] < began]
            for r in short:
                if r.get("team"):
                    r["teams"] = len(teams_out)
                    for t in teams_out.values():
                        t.setdefault("history", []).append(r["rule"])
                else:
                    r["agents"] = len(missed)
                    for a in missed:
                        results[a].setdefault("history", []).append(r["rule"])
        return {"from": None if history_from is None else str(history_from), "short": short}

    # ---- points budget ----------------------------------------------------------------------------
    def _scorecard(self, ctx: PeriodCtx, results: dict) -> None:
        sc = self.policy.scorecard
        rank_places: dict[str, dict[str, tuple[int, int, dict]]] = {}
        for it in sc.items:
            if it.kind == "rank":
                rank_places[it.id] = {}
                for group in ctx.groups(it.rank.scope):
                    places, detail = rank(group, ctx.metric_values, it.rank.by, it.rank.tie_break)
                    for a, pl in places.items():
                        rank_places[it.id][a] = (pl, len(group), detail[a])
        for a in ctx.ids:
            env = ctx.envs[a]
            lines, total_w, acc, addons = [], ZERO, ZERO, ZERO
            for it in sc.items:
                if it.when and not expr.truthy(expr.run(it.when, env)):
                    continue
                line = self._line(it, env, ctx, a, rank_places)
                lines.append(line)
                pts = line.pop("_v")
                env[f"item.{it.id}"] = pts
                if pts is None:
                    continue
                if it.addon:
                    addons += pts
                elif sc.total == "weighted":
                    total_w += it.weight
                    acc += it.weight * pts
                else:
                    acc += pts
            score = (acc / total_w if total_w else ZERO) + addons if sc.total == "weighted" else acc + addons
            if sc.floor is not None and score < sc.floor:
                score = sc.floor
            if sc.cap is not None and score > sc.cap:
                score = sc.cap
            score = q(score)
            env["score"] = score
            results[a]["score"] = s(score)
            results[a]["lines"] = lines

    def _capped_at_weight(self, it, env) -> bool:
        """Whether the scorecard caps this item at its weight (only items with a weight and no max_points)."""
        cap = self.policy.scorecard.cap_at_weight
        if cap is False or it.max_points is not None or it.weight is None or it.addon:
            return False
        return cap is True or expr.truthy(expr.run(cap, env))

    def _static(self, it) -> dict:
        """The parts of an item's line that are the same for every agent (built once)."""
        cache = self.__dict__.setdefault("_static_lines", {})
        got = cache.get(it.id)
        if got is None:
            mx = it.max_points if it.max_points is not None else it.weight
            got = {
                "item": it.id,
                "label": it.label.zh,
                "label_en": it.label.en,
                "kind": it.kind,
                "max": s(mx),
                "weight": s(it.weight),
                "addon": it.addon,
            }
            cache[it.id] = got
        return got

    def _direction(self, it) -> str:
        if it.direction:
            return it.direction
        better = self.lp.metrics[it.metric].better if it.metric else "none"
        return better if better in ("higher", "lower") else "higher"

    def _line(self, it, env, ctx: PeriodCtx, agent: str, rank_places) -> dict:
        weight = it.weight
        try:
            match it.kind:
                case "manual":
                    sc = I.score_manual(it, env, weight)
                case "bands":
                    sc = I.score_bands(it, env, weight)
                case "steps":
                    sc = I.score_steps(it, env, weight, self._direction(it))
                case "linear":
                    sc = I.score_linear(it, env, weight)
                case "events":
                    sc = I.score_events(it, env, weight)
                case "formula":
                    sc = I.score_formula(it, env, weight)
                case "rank":
                    if agent not in rank_places[it.id]:
                        raise I.NoData()  # no value for any ranking key: not ranked
                    pl, n, detail = rank_places[it.id][agent]
                    sc = I.score_rank(it, env, weight, pl, n, detail)
            sources = ctx.sources(self._names_of_item(it), agent)
            points = I.clamp(sc.points, it)
            note = None
            if self._capped_at_weight(it, env) and points is not None and points > weight:
                note = f"capped at its weight {s(weight)} (满分; {s(points)} before the cap)"
                points = weight
        except I.NoData:
            sc = I.Scored(None)
            sources = ctx.sources(self._names_of_item(it), agent)
            base = getattr(it, "base", None)
            base = base if base is not None else (weight or ZERO)
            points = {"exclude": None, "zero": ZERO, "base": base}[it.missing]
            note = (
                "no data this period: "
                + {"exclude": "item left out of the total", "zero": "scored 0", "base": "scored its base"}[
                    it.missing
                ]
            )
        explain = {"rule": sc.rule or None, "inputs": sc.inputs, "source": sources}
        if note:
            explain["note"] = note
        if it.rulebook:
            explain["rulebook"] = it.rulebook
        return {
            **self._static(it),
            "value": val(sc.value) if not isinstance(sc.value, int) else sc.value,
            "points": s(points),
            "explain": explain,
            "_v": points,
        }

    # ---- grades ----------------------------------------------------------------------------------------
    def _grading(self, ctx: PeriodCtx, results: dict) -> None:
        g = self.policy.grading
        if g is None:
            return
        if g.mode == "absolute":
            fn = expr.compiled(g.on)
            for a in ctx.ids:
                v = fn(ctx.envs[a])
                band = next((b for b in g.bands if v is not None and v >= b.min), g.otherwise)
                why = (
                    f"{g.on} = {val(v)} ≥ {band.min}"
                    if band is not g.otherwise
                    else f"{g.on} = {val(v)}: below every band"
                )
                self._set_grade(ctx, results[a], band.grade, band.percent, band.coefficient, why)
            return
        for group in ctx.groups(g.scope):
            by = [S.RankKey(metric="__score", order="desc")]
            scores = {a: {"__score": D(results[a].get("score")), **ctx.metric_values[a]} for a in group}
            places, _ = rank(group, scores, by, g.tie_break)
            counts = quota_counts([qq.share for qq in g.quotas], len(group))
            bounds, start = [], 0
            for qq, c in zip(g.quotas, counts, strict=True):
                bounds.append((start, start + c, qq))
                start += c
            for a, pl in places.items():
                qq = next(qq for lo, hi, qq in bounds if lo < pl <= hi)
                why = (
                    f"place {pl} of {len(group)} in {'team ' + ctx.team[a] if g.scope == 'team' else 'all'}; "
                    f"quotas {dict(zip([x.grade for x in g.quotas], counts, strict=True))} (largest remainder)"
                )
                self._set_grade(ctx, results[a], qq.grade, qq.percent, qq.coefficient, why)

    def _set_grade(self, ctx, res, grade, percent, coefficient, why):
        res["grade"] = grade
        res["coefficient"] = s(coefficient) if coefficient is not None else None
        res["grade_percent"] = s(percent) if percent is not None else None
        res["grade_explain"] = why
        env = ctx.envs[res["agent_id"]]
        env["grade"] = grade
        env["grade.percent"] = percent
        env["grade.coefficient"] = coefficient

    # ---- bonus -------------------------------------------------------------------------------------------
    def _bonus(self, ctx: PeriodCtx, results: dict) -> None:
        b = self.policy.bonus
        for a in ctx.ids:
            env = ctx.envs[a]
            base = D(I.ev(b.base, env))
            if ctx.suspended(a):
                results[a]["bonus"] = s(ZERO, CENT)
                results[a]["bonus_explain"] = {"note": "suspended this month (停止服务): no bonus"}
                continue
            if base is None:
                results[a]["bonus"] = None
                results[a]["bonus_explain"] = {"note": f"{b.base} is empty: no bonus computed"}
                continue
            factor = D(I.ev(b.factor, env)) if b.factor else Decimal(1)
            factor = factor if factor is not None else ZERO
            adj, parts = ZERO, []
            if b.cuts:
                v = D(I.ev(b.cuts.on, env))
                for c in b.cuts.bands:
                    if v is not None and (c.min is None or v >= c.min) and (c.max is None or v < c.max):
                        pct = D(I.ev(c.percent, env))
                        adj += pct
                        parts.append(f"{b.cuts.on} = {val(v)} in [{c.min}, {c.max}) → {val(pct)}%")
                        break
            if b.per_point:
                v = D(I.ev(b.per_point.on, env))
                above, rate = D(I.ev(b.per_point.above, env)), D(I.ev(b.per_point.percent, env))
                if v is not None and v > above:
                    whole = int((v - above).to_integral_value(rounding="ROUND_FLOOR"))
                    adj += whole * rate
                    parts.append(f"{whole} point(s) above {val(above)} × {val(rate)}%")
            money_pct = env.get("money.bonus_percent") or ZERO
            if money_pct:
                adj += money_pct
                parts.append(f"money rules: {val(money_pct)}%")
            amount = base * factor * (1 + adj / 100)
            if b.floor_zero and amount < 0:
                amount = ZERO
            amount = q(amount, b.round_to)
            results[a]["bonus"] = s(amount, CENT)
            results[a]["bonus_explain"] = {
                "rule": "base × factor × (1 + adjustments%)",
                "inputs": {"base": s(base, CENT), "factor": val(factor), "adjustments_percent": val(adj)},
                "steps": parts,
                "formula": {"base": b.base, "factor": b.factor},
            }
            env["bonus"] = amount

    # ---- flags ---------------------------------------------------------------------------------------------
    def _flags(self, ctx: PeriodCtx, results: dict) -> None:
        for f in self.policy.flags:
            if not is_check_point(ctx.period, f.at):
                continue  # not a check point of this rule: its streak carries on unchanged
            fn = expr.compiled(f.when)
            names = expr.names_of(f.when)
            window = self._window(ctx, f.at, names)
            for a in ctx.ids:
                env = self._window_env(ctx, a, window, names)
                held = expr.truthy(fn(env))
                run, fires = advance_streak(
                    ctx.state_out[a].streaks, f.id, held, f.consecutive, f.once_per_streak
                )
                if fires:
                    inputs = {n: val(env.get(n)) for n in sorted(expr.names_of(f.when))}
                    explain = {"when": f.when, "inputs": inputs, "at": f.at}
                    if window is not None:
                        explain["window"] = window_label(ctx.period, f.at)
                    if f.consecutive > 1:
                        explain["consecutive"] = {"needed": f.consecutive, "held": run}
                    reason = f"{f.label.zh} ({f.label.en})"
                    extra = {}
                    if f.amount is not None:
                        amount = D(I.ev(f.amount, env))
                        if amount is not None:
                            # proposed, not paid: nothing reaches money.rewards or the ledger
                            extra["amount"] = s(amount, CENT)
                            reason += f": ¥{extra['amount']}"
                    results[a]["flags"].append(
                        {
                            **make_flag(f.flag, f.id, reason, ctx.sources(expr.names_of(f.when), a)),
                            **extra,
                            "explain": explain,
                        }
                    )

    def _finish(self, r: dict) -> dict:
        r.setdefault("score", None)
        r.setdefault("grade", None)
        r.setdefault("coefficient", None)
        r.setdefault("bonus", None)
        r.setdefault("points", None)
        r.setdefault("level", {"from": None, "to": None})
        r["flags"].sort(key=lambda f: (f["flag"], f["rule"]))
        return r

    def _teams(self, ctx, results, agents) -> dict[str, dict]:
        """Team summaries (the bonus total is added once bonuses are known)."""
        leads = {r["team_id"]: r.get("lead_agent_id") for r in self._team_rows()}
        teams: dict[str, list] = defaultdict(list)
        for a in ctx.ids:
            teams[ctx.team[a]].append(a)
        out = {}
        for t in sorted(teams):
            rs = [results[a] for a in teams[t]]
            scores = [D(r["score"]) for r in rs if r.get("score") is not None]
            grades: dict[str, int] = defaultdict(int)
            for r in rs:
                if r.get("grade"):
                    grades[r["grade"]] += 1
            out[t] = {
                "team_id": t,
                "lead_agent_id": leads.get(t),
                "agents": len(rs),
                "mean_score": s(q(sum(scores) / len(scores))) if scores else None,
                "grades": dict(sorted(grades.items())),
                "rules": [],
                "state_in": {"streaks": dict(ctx.team_state_in.get(t, {}))},
                "state_out": {"streaks": dict(ctx.team_state_in.get(t, {}))},
                "_members": teams[t],
            }
        return out

    def _team_rows(self) -> list[dict]:
        cache = self.__dict__.get("_teams_cache")
        if cache is None:
            cache = fetch_rows(self.backend, "teams", None, ["team_id", "lead_agent_id"], order=["team_id"])
            self.__dict__["_teams_cache"] = cache
        return cache
