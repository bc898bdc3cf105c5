"""Monthly level ladders (云客服等级) and the service fee (劳务费) with its pay date.

This month's results decide next month's level: all promotion criteria of the current level → up one
(unless the next level is invite-only: then the agent is only marked eligible for an invitation), any
one demotion criterion → down one. A suspended agent (停止服务) has no duties and no fee that month.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP

from merit.engine import expr
from merit.engine.calendar import china, pay_date
from merit.engine.rules.common import ZERO, PeriodCtx, make_flag
from merit.engine.scoring import items as I
from merit.engine.scoring.numbers import CENT, D, s, val


class LevelRules:
    """Mixin of Assessment: level ladder and service fee."""

    def _current_level(self, ctx: PeriodCtx, a: str) -> str:
        lv = self.policy.levels
        ids = [r.id for r in lv.rows]
        carried = ctx.state_in[a].level
        if carried in ids:
            return carried
        own = ctx.envs[a].get("agent.level")
        if own in ids:
            return own
        return lv.initial or ids[0]

    def _set_levels(self, ctx: PeriodCtx) -> None:
        """Before the rules run: every agent's level this month, visible as ``level`` in expressions."""
        rows = {r.id: r for r in self.policy.levels.rows}
        for a in ctx.ids:
            cur = self._current_level(ctx, a)
            ctx.envs[a]["level"] = cur
            ctx.envs[a]["level.fee_factor"] = rows[cur].fee_factor

    def _levels(self, ctx: PeriodCtx, results: dict) -> None:
        rows = self.policy.levels.rows
        index = {r.id: i for i, r in enumerate(rows)}
        for a in ctx.ids:
            env = ctx.envs[a]
            cur = env["level"]
            row = rows[index[cur]]
            promote = {c: expr.truthy(expr.run(c, env)) for c in row.promote}
            demote = {c: expr.truthy(expr.run(c, env)) for c in row.demote}
            to, reason = cur, "no change"
            if any(demote.values()) and index[cur] > 0:
                to = rows[index[cur] - 1].id
                reason = "a demotion criterion was touched: " + "; ".join(c for c, v in demote.items() if v)
                results[a]["flags"].append(make_flag("level_down", "levels", f"{cur} → {to}: {reason}", []))
            elif row.promote and all(promote.values()) and index[cur] + 1 < len(rows):
                nxt = rows[index[cur] + 1]
                if nxt.invite_only:
                    reason = f"every promotion criterion met; {nxt.id} is by invitation only"
                    flag = make_flag(
                        "level_up", "levels", f"eligible for an invitation to {nxt.id} ({nxt.label.zh})", []
                    )
                    flag["human_decision"] = True
                    flag["invite_only"] = True
                    results[a]["flags"].append(flag)
                else:
                    to, reason = nxt.id, "every promotion criterion met"
                    results[a]["flags"].append(make_flag("level_up", "levels", f"{cur} → {to}", []))
            elif row.promote:
                missing = [c for c, v in promote.items() if not v]
                reason = "promotion blocked by: " + "; ".join(missing)
            inputs = sorted({n for c in [*row.promote, *row.demote] for n in expr.names_of(c)})
            results[a]["level"] = {
                "from": cur,
                "to": to,
                "reason": reason,
                "promote": promote,
                "demote": demote,
                "inputs": {n: val(env.get(n)) for n in inputs},
            }
            ctx.state_out[a].level = to

    def _fee(self, ctx: PeriodCtx, results: dict) -> None:
        f = self.policy.fee
        cal = china()
        due = pay_date(ctx.period.year, ctx.period.month, f.pay_day, f.holiday_shift, cal)
        for a in ctx.ids:
            env = ctx.envs[a]
            if ctx.suspended(a):
                amount, note = ZERO, "suspended this month (停止服务): no duties, no fee"
            else:
                amount = D(I.ev(f.amount, env)) or ZERO
                note = None
            amount = max(amount, ZERO).quantize(f.round_to, rounding=ROUND_HALF_UP)
            fee = {
                "amount": s(amount, CENT),
                "pay_by": due.isoformat(),
                "formula": f.amount,
                "inputs": {n: val(env.get(n)) for n in sorted(expr.names_of(f.amount))},
            }
            if not cal.known(due.year):
                fee["calendar"] = f"holidays of {due.year} not published yet: Monday-Friday assumed"
            if note:
                fee["note"] = note
            results[a]["fee"] = fee
            env["fee"] = amount
