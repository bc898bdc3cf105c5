"""The warning ladder of a period, on top of merit.engine.ladder's pure rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from merit.engine.ladder import ActiveWarning, Offence, local_date, run_ladder
from merit.engine.rules.common import ZERO, PeriodCtx, make_flag, srcs
from merit.engine.scoring import items as I
from merit.engine.scoring.numbers import CENT, D, s
from merit.engine.tables import TABLES


class LadderRules:
    """Mixin of Assessment: offences, warnings and their conversion."""

    def _ladder(self, ctx: PeriodCtx, results: dict) -> None:
        lad = self.policy.ladder
        penv = {f"param.{k}": v for k, v in self.params.items()}
        levels = [
            {
                "id": lv.id,
                "fine": lv.fine,
                "convert": lv.convert,
                "warning": lv.flag is None,
                "flag": lv.flag,
                "window": int(D(I.ev(lv.window_months, penv))) if lv.window_months is not None else None,
                "suspend_months": lv.suspend_months,
            }
            for lv in lad.levels
        ]
        window = int(D(I.ev(lad.window_months, penv)))
        events = self._rule_events(ctx, lad.offences)
        per_agent: dict[str, list[Offence]] = defaultdict(list)
        for o in lad.offences:
            table = TABLES[o.events.table]
            for r in events[o.id]:
                src = f"{table.name}/" + "/".join(str(r[k]) for k in table.key)
                per_agent[r["agent_id"]].append(
                    Offence(r[table.time], o.level, o.id, o.label.zh, src, o.count)
                )
        for a in ctx.ids:
            offs = sorted(per_agent.get(a, []), key=lambda o: (local_date(o.at), str(o.at), o.source))
            before = [ActiveWarning.from_json(w) for w in ctx.state_in[a].warnings]
            out = run_ladder(levels, before, offs, window, lad.after_final, lad.conversion_fines)
            for w in out.issued:
                results[a]["sanctions"].append({**w, "fine": s(w["fine"], CENT), "source": srcs(w["source"])})
            for f in out.flags:
                flag = {**make_flag(f["flag"], f["rule"], f["reason"], srcs(f["source"])), "on": f["on"]}
                if f.get("suspend_months"):
                    until = ctx.period.shift(f["suspend_months"])
                    flag["suspended"] = {"from": str(ctx.period.shift(1)), "through": str(until)}
                    prev = ctx.state_out[a].suspended_through
                    ctx.state_out[a].suspended_through = max(prev or "", str(until))
                results[a]["flags"].append(flag)
            ctx.state_out[a].warnings = [w.to_json() for w in out.active if w.expires > ctx.period.last_day]
            env = ctx.envs[a]
            env["ladder.offences"] = Decimal(out.offences)
            env["ladder.fines"] = sum((w["fine"] for w in out.issued), ZERO)
            month_end = ctx.period.last_day + timedelta(days=1)
            for lv in lad.levels:
                env[f"ladder.active.{lv.id}"] = Decimal(
                    sum(1 for w in out.active if w.level == lv.id and w.expires >= month_end)
                )
            results[a]["warnings"] = {
                "offences": out.offences,
                "fines": s(env["ladder.fines"], CENT),
                "active_at_month_end": {lv.id: int(env[f"ladder.active.{lv.id}"]) for lv in lad.levels},
            }
