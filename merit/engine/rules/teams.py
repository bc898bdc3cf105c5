"""Team rules (团队): pooled team metrics, team streaks carried across months, top teams.

A team's value of a metric pools its members' parts: Σ numerators / Σ denominators for rates and means
(a team's complaint rate is all its complaints over all its tickets), Σ for counts and sums; for a
result of the month (``points.closing``, ``score``) it is the members' mean. The lead
(teams.lead_agent_id) receives the team's flags in their own entry too.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from merit.engine import expr
from merit.engine.policy import schema as S
from merit.engine.rules.common import ZERO, PeriodCtx, make_flag
from merit.engine.rules.window import window_label
from merit.engine.scoring.numbers import CENT, D, s, val
from merit.engine.state import is_check_point


class TeamRules:
    """Mixin of Assessment: team-level rules of a period."""

    def _team_value(
        self, ctx: PeriodCtx, members: list[str], metric: str, values: dict | None = None
    ) -> Decimal | None:
        """A team's value of a metric, from the month's values or ``values`` (a rule's window)."""
        if metric not in self.lp.metrics:  # a result of the month (points.closing, score): the members' mean
            got = [D(ctx.envs[a].get(metric)) for a in members if ctx.envs[a].get(metric) is not None]
            return sum(got, ZERO) / len(got) if got else None
        values = ctx.values if values is None else values
        d = self.lp.metrics[metric]
        nums = [values[a][metric].num for a in members if metric in values[a]]
        if d.kind in ("count", "sum"):
            return sum((D(n) for n in nums if n is not None), ZERO) / d.divide_by
        dens = [values[a][metric].den for a in members if metric in values[a]]
        num = sum((D(n) for n in nums if n is not None), ZERO)
        den = sum((D(x) for x in dens if x is not None), ZERO)
        return None if den == 0 else num / den / d.divide_by

    def _team_env(self, ctx: PeriodCtx, members: list[str], names, values: dict | None = None) -> dict:
        env = {f"param.{k}": v for k, v in self.params.items()}
        some = ctx.envs[members[0]] if members else {}
        env.update({k: v for k, v in some.items() if k.startswith("benchmark.")})
        for n in names:
            if n.startswith("team."):
                env[n] = self._team_value(ctx, members, n.removeprefix("team."), values)
        return env

    def _team_rules(self, ctx: PeriodCtx, results: dict, teams_out: dict[str, dict]) -> None:
        members: dict[str, list[str]] = defaultdict(list)
        for a in ctx.ids:
            members[ctx.team[a]].append(a)
        for t in teams_out:
            teams_out[t]["state_out"] = {"streaks": dict(ctx.team_state_in.get(t, {}))}
        for r in self.policy.teams:
            if not is_check_point(ctx.period, r.at):
                continue
            winners: dict[str, dict] = {}
            if r.when is not None:
                fn = expr.compiled(r.when)
                names = expr.names_of(r.when)
                window = self._window(ctx, r.at, {n.removeprefix("team.") for n in names})
                for t in sorted(members):
                    env = self._team_env(ctx, members[t], names, window)
                    held = expr.truthy(fn(env))
                    streaks = teams_out[t]["state_out"]["streaks"]
                    run = streaks.get(r.id, 0) + 1 if held else 0
                    if r.consecutive > 1:
                        streaks[r.id] = run
                    if held and run >= r.consecutive:
                        winners[t] = {
                            "when": r.when,
                            "inputs": {n: val(env.get(n)) for n in sorted(names)},
                            "consecutive": {"needed": r.consecutive, "held": run},
                        }
                        if window is not None:
                            winners[t]["window"] = window_label(ctx.period, r.at)
            else:
                m = r.rank.metric
                window = self._window(ctx, r.at, {m})
                vals = {t: self._team_value(ctx, members[t], m, window) for t in members}
                ordered = sorted(
                    (t for t in vals if vals[t] is not None),
                    key=lambda t: (-vals[t] if r.rank.order == "desc" else vals[t], t),
                )
                if len(ordered) < 2:
                    continue  # a ranking of teams needs two teams at least: one team is nobody's best
                for place, t in enumerate(ordered[: r.places], start=1):
                    winners[t] = {"place": place, "of": len(ordered), f"team.{m}": val(vals[t])}
                    if window is not None:
                        winners[t]["window"] = window_label(ctx.period, r.at)
            for t, explain in winners.items():
                self._apply_team(ctx, results, teams_out[t], members[t], r, explain)

    def _apply_team(self, ctx, results, team: dict, members: list[str], r: S.TeamRule, explain: dict) -> None:
        entry = {"rule": r.id, "label": r.label.zh, "explain": explain}
        if r.flag:
            entry["flag"] = r.flag
            lead = team.get("lead_agent_id")
            if lead in results:
                results[lead]["flags"].append(
                    {
                        **make_flag(
                            r.flag,
                            r.id,
                            f"{r.label.zh} ({r.label.en}): team {team['team_id']}",
                            [{"table": "teams", "id": team["team_id"]}],
                        ),
                        "explain": explain,
                    }
                )
        if r.team_amount is not None:
            entry["team_amount"] = s(r.team_amount, CENT)
        for a in members:
            src = [{"table": "teams", "id": team["team_id"]}]
            if r.member_points is not None and results[a].get("points") is not None:
                p = results[a]["points"]
                p["entries"].append(
                    {
                        "rule": r.id,
                        "label": r.label.zh,
                        "points": s(r.member_points),
                        "explain": explain,
                        "source": src,
                    }
                )
                closing = D(p["closing"]) + r.member_points
                p["closing"] = s(closing)
                ctx.state_out[a].points = closing
                ctx.envs[a]["points.closing"] = closing
            if r.member_amount is not None:
                money = results[a].setdefault("money", {"fines": "0.00", "rewards": "0.00", "entries": []})
                money["entries"].append(
                    {
                        "rule": r.id,
                        "label": r.label.zh,
                        "kind": "reward",
                        "amount": s(r.member_amount, CENT),
                        "explain": explain,
                        "source": src,
                    }
                )
                money["rewards"] = s(D(money["rewards"]) + r.member_amount, CENT)
        if r.member_points is not None:
            entry["member_points"] = s(r.member_points)
        if r.member_amount is not None:
            entry["member_amount"] = s(r.member_amount, CENT)
        team["rules"].append(entry)
