"""Money rules (罚款 / 奖励): fines and rewards per event, per condition, or by ranking place.

A fine also appears in the agent's ``sanctions`` (kind ``fine``); a sequence step may issue a warning
or raise a flag instead of an amount; ``bonus_percent`` changes the month bonus. Occurrences of a
sequence count within ``window_months`` (carried in the state), else within the month. A condition
rule with ``consecutive: N`` pays once the condition held N check points in a row (its streak is
carried in the state like a flag's); its entry's ``explain.consecutive`` gives the run's length.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from merit.engine import expr
from merit.engine.ladder import add_months, local_date
from merit.engine.policy import schema as S
from merit.engine.rules.common import ZERO, PeriodCtx, make_flag, rank_explain
from merit.engine.rules.window import window_label
from merit.engine.scoring import items as I
from merit.engine.scoring.numbers import CENT, D, s, val
from merit.engine.scoring.ranking import rank
from merit.engine.state import advance_streak, is_check_point
from merit.engine.tables import TABLES


class MoneyRules:
    """Mixin of Assessment: fines and rewards of a period."""

    def _money(self, ctx: PeriodCtx, results: dict) -> None:
        rules = self.policy.money
        entries: dict[str, list[dict]] = {a: [] for a in ctx.ids}
        event_rules = [r for r in rules if r.events is not None]
        events = self._rule_events(ctx, event_rules) if event_rules else {}
        param_env = {f"param.{k}": v for k, v in self.params.items()}
        for r in rules:
            if r.events is not None:
                self._money_events(ctx, r, events[r.id], entries, results, param_env)
            elif not is_check_point(ctx.period, r.at):
                continue
            elif r.when is not None:
                fn = expr.compiled(r.when)
                names = expr.names_of(r.when)
                window = self._window(ctx, r.at, names)
                for a in ctx.ids:
                    env = self._window_env(ctx, a, window, names)
                    held = expr.truthy(fn(env))
                    run, fires = advance_streak(
                        ctx.state_out[a].streaks, r.id, held, r.consecutive, r.once_per_streak
                    )
                    if fires:
                        inputs = {n: val(env.get(n)) for n in sorted(expr.names_of(r.when))}
                        explain = {"when": r.when, "inputs": inputs}
                        if window is not None:
                            explain["window"] = window_label(ctx.period, r.at)
                        if r.consecutive > 1:
                            explain["consecutive"] = {"needed": r.consecutive, "held": run}
                        e = self._money_effect(r, env, None, explain)
                        e["source"] = ctx.sources(expr.names_of(r.when), a)
                        self._add(entries, results, a, e, r)
            else:
                for group in ctx.groups(r.rank.scope):
                    if r.eligible:
                        fn = expr.compiled(r.eligible)
                        group = [a for a in group if expr.truthy(fn(ctx.envs[a]))]
                    keys = [k.metric for k in [*r.rank.by, *r.rank.tie_break]]
                    window = self._window(ctx, r.at, keys)
                    metric_values = (
                        ctx.metric_values
                        if window is None
                        else {a: {m: v.value for m, v in window[a].items()} for a in window}
                    )
                    places, detail = rank(group, metric_values, r.rank.by, r.rank.tie_break)
                    for a, place in places.items():
                        if place <= len(r.places):
                            explain = {"place": place, "of": len(places), **rank_explain(detail[a])}
                            if window is not None:
                                explain["window"] = window_label(ctx.period, r.at)
                            e = {
                                "rule": r.id,
                                "label": r.label.zh,
                                "kind": r.kind,
                                "_amount": r.places[place - 1],
                                "explain": explain,
                                "source": ctx.sources((k.metric for k in r.rank.by), a),
                            }
                            self._add(entries, results, a, e, r)
        for a in ctx.ids:
            fines = sum((e["_amount"] for e in entries[a] if e["kind"] == "fine"), ZERO)
            rewards = sum((e["_amount"] for e in entries[a] if e["kind"] == "reward"), ZERO)
            offsets = sum((e["_amount"] for e in entries[a] if e["kind"] == "offset"), ZERO)
            pct = sum((e.get("_pct", ZERO) for e in entries[a]), ZERO)
            for e in entries[a]:
                e["amount"] = s(e.pop("_amount"), CENT)
                if "_pct" in e:
                    e["bonus_percent"] = val(e.pop("_pct"))
            results[a]["money"] = {
                "fines": s(fines, CENT),
                "rewards": s(rewards, CENT),
                "entries": entries[a],
            }
            if offsets:
                results[a]["money"]["offsets"] = s(offsets, CENT)  # fines paid with points
            env = ctx.envs[a]
            env["money.fines"], env["money.rewards"], env["money.bonus_percent"] = fines, rewards, pct
            env["money.offsets"] = offsets

    def _money_events(self, ctx, r: S.MoneyRule, rows, entries, results, param_env) -> None:
        table = TABLES[r.events.table]
        window = int(D(I.ev(r.window_months, param_env))) if r.window_months is not None else None
        by_agent: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_agent[row["agent_id"]].append(row)
        for a in ctx.ids:
            past: list[str] = []
            if window is not None:
                past = list(ctx.state_in[a].occurrences.get(r.id, []))
            for row in by_agent.get(a, []):
                day = local_date(row[table.time])
                if window is not None:
                    past = [d for d in past if add_months(date.fromisoformat(d), window) > day]
                past.append(day.isoformat())
                n = len(past) if window is not None else sum(1 for _ in past)
                src = {"table": table.name, "id": "/".join(str(row[k]) for k in table.key)}
                e = self._money_effect(r, ctx.envs[a], row, None, n)
                e.update({"at": day.isoformat(), "occurrence": n, "source": [src]})
                self._add(entries, results, a, e, r)
            if window is not None:
                ctx.state_out[a].occurrences[r.id] = past

    def _money_effect(self, r: S.MoneyRule, env, row, explain, n: int = 1) -> dict:
        e = {"rule": r.id, "label": r.label.zh, "kind": r.kind, "_amount": ZERO}
        if explain:
            e["explain"] = explain
        if r.sequence:
            step = r.sequence[min(n, len(r.sequence)) - 1]
            e["_amount"] = step.amount or ZERO
            if step.bonus_percent is not None:
                e["_pct"] = step.bonus_percent
            e["step"] = {"occurrence": n, "warning": step.warning, "flag": step.flag}
        elif r.amount is not None:
            e["_amount"] = D(I.ev(r.amount, env)) or ZERO
        elif r.amount_by is not None:
            v = row.get(r.amount_by.column)
            got = r.amount_by.map.get(str(v)) if v is not None else None
            e["_amount"] = got if got is not None else (r.amount_by.default or ZERO)
        elif r.amount_column is not None:
            e["_amount"] = (D(row.get(r.amount_column)) or ZERO) * D(I.ev(r.amount_rate, env))
        elif r.amount_bands is not None:
            v = D(row.get(r.amount_bands.column))
            for b in r.amount_bands.bands:
                lo, hi = I.ev(b.min, env), I.ev(b.max, env)
                if v is not None and (lo is None or v >= lo) and (hi is None or v < hi):
                    e["_amount"] = b.points
                    e["band"] = {"column": r.amount_bands.column, "value": val(v)}
                    break
        elif r.bonus_percent is not None:
            e["_pct"] = D(I.ev(r.bonus_percent, env))
        return e

    def _add(self, entries, results, a: str, e: dict, r: S.MoneyRule) -> None:
        entries[a].append(e)
        step = e.get("step") or {}
        src = e.get("source", [])
        if step.get("warning"):
            results[a]["sanctions"].append(
                {
                    "kind": "warning",
                    "fine": "0.00",
                    "reason": f"{r.id}: occurrence {step['occurrence']}",
                    "rule": r.id,
                    "source": src,
                }
            )
        if e["kind"] == "fine" and e["_amount"] > 0:
            results[a]["sanctions"].append(
                {
                    "kind": "fine",
                    "fine": s(e["_amount"], CENT),
                    "reason": r.label.zh,
                    "rule": r.id,
                    "source": src,
                }
            )
        flags = list(r.flags) + ([step["flag"]] if step.get("flag") else [])
        for f in flags:
            results[a]["flags"].append(make_flag(f, r.id, f"{r.label.zh} ({r.label.en})", src))
