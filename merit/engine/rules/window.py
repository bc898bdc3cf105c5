"""A rule checked at a quarter or year end reads its metrics over the whole quarter or year.

"The quarter's top team by satisfaction" is the team with the best satisfaction over the quarter's three
months, not over its last month. So a rule with ``at: quarter_end`` (``year_end``) that reads metrics of
the catalogue — a ranking, a ``when`` condition, a team's pooled value — reads them pooled over the
months of its window: Σ numerators / Σ denominators of the months for a rate or a mean, Σ for a count or
a sum (a team-relative metric compares the pooled values). The months come from the facts, the same
whether the assessed range covers the window or starts inside it.
"""

from __future__ import annotations

from decimal import Decimal

from merit.engine.metrics.compute import MetricValue, Period, _team_relative, _value, compute_metrics

MONTHS_OF = {"month_end": 1, "quarter_end": 3, "year_end": 12}


def window_months(period: Period, at: str) -> list[Period]:
    """The months a check at ``at`` reads when it runs at the end of ``period``: the quarter or year up
    to and including ``period``."""
    n = MONTHS_OF[at]
    first = period.shift(-((period.month - 1) % n)) if n > 1 else period
    return [first.shift(i) for i in range((period.month - first.month) + 1)]


def window_label(period: Period, at: str) -> str:
    months = window_months(period, at)
    return str(months[0]) if len(months) == 1 else f"{months[0]}..{months[-1]}"


def pooled_values(backend, defs, metric_ids, months, current, params, agent_team):
    """{agent: {metric: MetricValue}} of ``metric_ids`` pooled over ``months``; ``current`` holds the
    values of the last month already computed."""
    ids = {m for m in metric_ids if m in defs}
    plain = {m for m in ids if defs[m].kind != "team_relative"} | {
        defs[m].of_metric for m in ids if defs[m].kind == "team_relative"
    }
    sums: dict[str, dict[str, list]] = {a: {m: [None, None] for m in plain} for a in agent_team}
    for i, month in enumerate(months):
        if i == len(months) - 1:
            values = current
        else:
            values, _ = compute_metrics(backend, plain, defs, month, params, agent_team)
        for a in agent_team:
            for m in plain:
                mv = values[a].get(m)
                if mv is None:
                    continue
                acc = sums[a][m]
                for j, part in enumerate((mv.num, mv.den)):
                    if part is not None:
                        acc[j] = Decimal(part) + (acc[j] or 0)
    out: dict[str, dict[str, MetricValue]] = {a: {} for a in agent_team}
    for a in agent_team:
        for m in plain:
            num, den = sums[a][m]
            out[a][m] = MetricValue(_value(defs[m], num, den), num, den)
    for m in sorted(ids):
        if defs[m].kind == "team_relative":
            _team_relative(out, m, defs[m], agent_team)
    return out
