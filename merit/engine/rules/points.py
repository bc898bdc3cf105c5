"""Points budgets (积分): opening balance, event rules, awards and rankings; balances carried by cycle."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from merit.engine import expr
from merit.engine.calendar import china
from merit.engine.metrics.compute import period_filter, rows_of
from merit.engine.policy import schema as S
from merit.engine.rules.common import ZERO, PeriodCtx, entry_sources, iso, make_flag, rank_explain
from merit.engine.rules.derived import derive, reading_bounds
from merit.engine.scoring import items as I
from merit.engine.scoring.numbers import D, s, val
from merit.engine.scoring.ranking import rank
from merit.engine.state import cycle_of
from merit.engine.tables import TABLES


class PointsRules:
    """Mixin of Assessment: the points budget of a period."""

    def _points(self, ctx: PeriodCtx, results: dict) -> None:
        pts = self.policy.points
        entries: dict[str, list] = {a: [] for a in ctx.ids}
        events = self._rule_events(ctx)
        for rule in pts.rules:
            table = TABLES[rule.events.table]
            rows = events[rule.id]
            seen: dict[str, int] = defaultdict(int)
            for r in rows:
                a = r["agent_id"]
                if a not in entries:
                    continue
                seen[a] += 1
                n = seen[a]
                src = {"table": table.name, "id": "/".join(str(r[k]) for k in table.key)}
                at = r[table.time]
                base = {
                    "rule": rule.id,
                    "label": rule.label.zh,
                    "at": iso(at),
                    "source": [src],
                    "occurrence": n,
                }
                if n <= rule.free:
                    if rule.free_flag:
                        results[a]["sanctions"].append(
                            {
                                "kind": rule.free_flag,
                                "fine": "0.00",
                                "reason": f"{rule.id}: occurrence {n} (free)",
                                "source": [src],
                            }
                        )
                    entries[a].append({**base, "points": "0.00", "note": f"occurrence {n}: warning only"})
                    continue
                value = self._rule_points(rule, r, ctx.envs[a])
                entries[a].append({**base, "points": s(value), "_v": value})
                for f in rule.flags:
                    results[a]["flags"].append(
                        make_flag(f, rule.id, f"{rule.label.zh} ({rule.label.en})", [src])
                    )
        # conditional awards, after the event rules (they may read points.deductions)
        for a in ctx.ids:
            env = ctx.envs[a]
            ded = sum(1 for e in entries[a] if e.get("_v", ZERO) < 0)
            env["points.deductions"] = Decimal(ded)
            env["points.warnings"] = Decimal(sum(1 for e in entries[a] if "note" in e))
        for award in pts.awards:
            fn = expr.compiled(award.when)
            for a in ctx.ids:
                env = ctx.envs[a]
                if expr.truthy(fn(env)):
                    value = D(I.ev(award.points, env))
                    if value is None or value == 0:
                        continue
                    inputs = {n: val(env.get(n)) for n in sorted(expr.names_of(award.when))}
                    entries[a].append(
                        {
                            "rule": award.id,
                            "label": award.label.zh,
                            "points": s(value),
                            "_v": value,
                            "explain": {"when": award.when, "inputs": inputs},
                            "source": ctx.sources(expr.names_of(award.when), a)
                            + entry_sources(entries[a], expr.names_of(award.when)),
                        }
                    )
        for ra in pts.ranks:
            for group in ctx.groups(ra.rank.scope):
                members = group
                if ra.when:
                    fn = expr.compiled(ra.when)
                    members = [a for a in group if expr.truthy(fn(ctx.envs[a]))]
                places, detail = rank(members, ctx.metric_values, ra.rank.by, ra.rank.tie_break)
                for a, place in places.items():
                    if place <= len(ra.points):
                        value = ra.points[place - 1]
                        e = {
                            "rule": ra.id,
                            "label": ra.label.zh,
                            "points": s(value),
                            "_v": value,
                            "explain": {"place": place, "of": len(members), **rank_explain(detail[a])},
                            "source": ctx.sources((k.metric for k in ra.rank.by), a),
                        }
                        entries[a].append(e)
                    if place in ra.titles:
                        results[a]["flags"].append(
                            make_flag(
                                "title",
                                ra.id,
                                f"{ra.titles[place]}: place {place} in {ra.label.zh}",
                                [],
                                title=ra.titles[place],
                            )
                        )
        cycle = cycle_of(ctx.period, pts.reset)
        for a in ctx.ids:
            before = ctx.state_in[a]
            carried = before.points is not None and before.cycle == cycle
            opening = before.points if carried else pts.opening
            total = opening + sum((e.get("_v", ZERO) for e in entries[a]), ZERO)
            for e in entries[a]:
                e.pop("_v", None)
            results[a]["points"] = {
                "opening": s(opening),
                "opening_from": "carried" if carried else ("reset" if before.points is not None else "start"),
                "closing": s(total),
                "cycle": cycle,
                "entries": entries[a],
            }
            ctx.state_out[a].points, ctx.state_out[a].cycle = total, cycle
            env = ctx.envs[a]
            env["points.opening"] = opening
            env["points.closing"] = total
            env["points.awards"] = Decimal(sum(1 for e in entries[a] if D(e["points"]) > 0))

    def _rule_events(self, ctx: PeriodCtx, rules=None) -> dict[str, list[dict]]:
        """The month's matching events of every rule (points rules, ladder offences): one query per
        event table, each rule's condition computed by the database as a boolean column."""
        by_table: dict[str, list] = defaultdict(list)
        out: dict[str, list[dict]] = {}
        for rule in self.policy.points.rules if rules is None else rules:
            if rule.events.derived:
                out[rule.id] = self._derived_events(ctx, rule)
            else:
                by_table[rule.events.table].append(rule)
        for name, rules in sorted(by_table.items()):
            table = TABLES[name]
            t = self.backend.table(name)
            t = t.filter(period_filter(t, name, ctx.period))
            conds = {
                f"__r{i}": expr.to_ibis(expr.parse(r.events.where), t, self.params).fill_null(False)
                for i, r in enumerate(rules)
            }
            extra = {
                c
                for r in rules
                for c in (
                    getattr(r, "points_by", None) and r.points_by.column,
                    getattr(r, "points_bands", None) and r.points_bands.column,
                    getattr(r, "amount_by", None) and r.amount_by.column,
                    getattr(r, "amount_bands", None) and r.amount_bands.column,
                    getattr(r, "points_column", None),
                    getattr(r, "amount_column", None),
                )
                if c
            }
            cols = list(dict.fromkeys([*table.key, "agent_id", table.time, *sorted(extra)]))
            any_cond = None
            for c in conds.values():
                any_cond = c if any_cond is None else (any_cond | c)
            order = list(dict.fromkeys(["agent_id", table.time, *table.key]))
            q = t.filter(any_cond).select(*cols, **conds).order_by(order)
            rows = rows_of(self.backend.to_pyarrow(q))
            for i, r in enumerate(rules):
                out[r.id] = [row for row in rows if row[f"__r{i}"]]
        return out

    def _derived_events(self, ctx: PeriodCtx, rule) -> list[dict]:
        """A rule's events made of a run or a count of rows (rules/derived.py), read with the days
        before the month that decide them."""
        sel = rule.events
        table = TABLES[sel.table]
        cal = china()
        lo, hi = reading_bounds(sel, table, ctx.period, cal)
        t = self.backend.table(sel.table)
        col = t[table.time]
        t = t.filter((col >= lo) & ((col < hi) if isinstance(hi, datetime) else (col <= hi)))
        t = t.filter(expr.to_ibis(expr.parse(sel.where), t, self.params).fill_null(False))
        extra = [
            c
            for c in (
                getattr(rule, "points_by", None) and rule.points_by.column,
                getattr(rule, "points_bands", None) and rule.points_bands.column,
                getattr(rule, "amount_by", None) and rule.amount_by.column,
                getattr(rule, "amount_bands", None) and rule.amount_bands.column,
                getattr(rule, "points_column", None),
                getattr(rule, "amount_column", None),
            )
            if c
        ]
        cols = list(dict.fromkeys([*table.key, "agent_id", table.time, *sorted(extra)]))
        order = list(dict.fromkeys(["agent_id", table.time, *table.key]))
        rows = rows_of(self.backend.to_pyarrow(t.select(*cols).order_by(order)))
        return derive([r for r in rows if r["agent_id"] in ctx.envs], sel, table, ctx.period, cal)

    # ---- warning ladder ------------------------------------------------------------------------------
    def _rule_points(self, rule: S.PointsRule, row: dict, env: dict) -> Decimal:
        if rule.points is not None:
            return rule.points
        if rule.points_column:
            return (D(row.get(rule.points_column)) or ZERO) * D(I.ev(rule.points_rate, env))
        if rule.points_by:
            v = row.get(rule.points_by.column)
            got = rule.points_by.map.get(str(v)) if v is not None else None
            return got if got is not None else (rule.points_by.default or ZERO)
        v = D(row.get(rule.points_bands.column)) or ZERO
        for b in rule.points_bands.bands:
            lo, hi = I.ev(b.min, env), I.ev(b.max, env)
            if (lo is None or v >= lo) and (hi is None or v < hi):
                return b.points
        return ZERO

    # ---- scorecard ----------------------------------------------------------------------------------
