"""ECharts options of the dashboards' charts, built from the reads of merit.dashboards.queries. A chart
is data, not code: the endpoint returns ``{"option": …, "points": n}`` and the page's loader
(web/charts.js) draws it; ``points`` counts the data drawn (0: the chart says there is nothing yet).
Values here are for drawing only; every figure a person reads as a number is on the page itself."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from merit.dashboards import queries as Q
from merit.dashboards.kpis import monitored

GOOD, BAD = "#2f9e44", "#e03131"
PALETTE = ["#1c7ed6", "#f08c00", "#2f9e44", "#ae3ec9", "#e03131", "#0c8599", "#5c940d", "#d6336c"]


def _f(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def _result(option: dict, points: int) -> dict:
    option.setdefault("color", PALETTE)
    option.setdefault("animation", False)
    return {"option": option, "points": points}


def _line(categories: list[str], series: list[dict], *, y_name: str = "", single: bool = False) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 4, "selectedMode": "single" if single else True},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 28},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": {"type": "value", "name": y_name, "scale": True},
        "series": [{"type": "line", "connectNulls": False, **s} for s in series],
    }


# ---- the agent's charts -------------------------------------------------------------------------------


def agent_score(user, agent, policy_id) -> dict:
    rows = Q.score_over_time(user, agent, policy_id)
    data = [_f(s) for _p, s, _g in rows]
    option = _line([p for p, _s, _g in rows], [{"name": _("Score"), "data": data}], y_name=_("Score"))
    return _result(option, sum(v is not None for v in data))


def agent_points(user, agent) -> dict:
    rows = Q.points_over_time(user, agent)
    option = _line(
        [p for p, _b in rows],
        [{"name": _("Points balance"), "data": [_f(b) for _p, b in rows], "step": "end"}],
    )
    return _result(option, len(rows))


# ---- the team's charts --------------------------------------------------------------------------------


def team_trend(user, team, policy_id, periods: list[str]) -> dict:
    """Mean score and each monitored KPI by month (one series shown at a time: their units differ)."""
    scores = Q.team_score_trend(user, team, policy_id)
    trend = Q.team_kpi_trend(user, team, periods)
    series, points = [], 0
    if any(v is not None for v in scores.values()):
        data = [_f(scores.get(p)) for p in periods]
        series.append({"name": _("Mean score"), "data": data})
        points += sum(v is not None for v in data)
    for k in monitored():
        by_period = trend.get(k.id, {})
        data = [k.chart_value(by_period.get(p)) for p in periods]
        if any(v is not None for v in data):
            series.append({"name": f"{k.label}{' %' if k.unit == 'ratio' else ''}", "data": data})
            points += sum(v is not None for v in data)
    return _result(_line(periods, series, single=True), points)


def team_heat(user, team, period: str) -> dict:
    """Agents × KPIs: each cell coloured by the agent's place within the team on that KPI (green best,
    red worst, direction of the KPI taken into account); the tooltip shows the value itself."""
    agents, values = Q.heat_map(user, team, period)
    kpis = monitored()
    data = []
    for x, k in enumerate(kpis):
        column = [(y, values.get((a.agent_id, k.id))) for y, a in enumerate(agents)]
        present = sorted({v for _y, v in column if v is not None})
        for y, v in column:
            if v is None:
                continue
            place = Decimal(present.index(v)) / (len(present) - 1) if len(present) > 1 else Decimal("0.5")
            good = place if k.better != "lower" else 1 - place
            data.append([x, y, round(float(good) * 100), k.shown(v)])
    option = {
        "tooltip": {"position": "top"},
        "grid": {"left": 90, "right": 16, "top": 16, "bottom": 70},
        "xAxis": {"type": "category", "data": [k.label for k in kpis], "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "category", "data": [f"{a.name}" for a in agents], "inverse": True},
        "visualMap": {
            "min": 0,
            "max": 100,
            "show": False,
            "dimension": 2,  # the place (0 worst … 100 best), not the value shown in the cell
            "inRange": {"color": [BAD, "#ffe066", GOOD]},
        },
        "series": [
            {
                "type": "heatmap",
                "name": period,
                "data": data,
                "label": {"show": True, "formatter": "{@[3]}", "fontSize": 10},
                "encode": {"tooltip": [3]},
            }
        ],
    }
    return _result(option, len(data))


def team_grades(user, team, policy_id) -> dict:
    period, shares = Q.grade_distribution(user, team, policy_id)
    grades = [s.grade for s in shares]
    series = [{"type": "bar", "name": _("Agents"), "data": [s.actual for s in shares]}]
    if any(s.quota is not None for s in shares):
        series.append({"type": "bar", "name": _("Quota"), "data": [s.quota for s in shares]})
    option = {
        "title": {"text": period or "", "left": "right", "textStyle": {"fontSize": 12}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 4},
        "grid": {"left": 40, "right": 16, "top": 40, "bottom": 28},
        "xAxis": {"type": "category", "data": grades},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }
    return _result(option, sum(s.actual for s in shares))


def team_benchmark(user, team, period: str) -> dict:
    """The team's pooled KPIs as an index of the industry average (100 = the benchmark; above 100 is
    better, whichever way the KPI counts)."""
    team_values = Q.team_kpi_trend(user, team, [period])
    bench = Q.benchmarks([period])
    names, data = [], []
    for k in monitored():
        own, ref = team_values.get(k.id, {}).get(period), bench.get((period, k.id))
        if own is None or not ref or k.better == "none":
            continue
        index = own / ref * 100 if k.better == "higher" else (ref / own * 100 if own else None)
        if index is None:
            continue
        names.append(k.label)
        data.append(
            {
                "value": round(float(index), 1),
                "itemStyle": {"color": GOOD if index >= 100 else BAD},
                "tip": f"{k.shown(own)} / {k.shown(ref)}",
            }
        )
    option = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 110, "right": 24, "top": 16, "bottom": 28},
        "xAxis": {
            "type": "value",
            "name": _("Index (industry = 100)"),
            "nameLocation": "middle",
            "nameGap": 22,
        },
        "yAxis": {"type": "category", "data": names},
        "series": [
            {
                "type": "bar",
                "name": _("Team vs industry"),
                "data": data,
                "markLine": {"symbol": "none", "data": [{"xAxis": 100}], "lineStyle": {"color": "#868e96"}},
            }
        ],
    }
    return _result(option, len(data))


# ---- HR's charts --------------------------------------------------------------------------------------


def money_by_team(user, teams, periods: list[str]) -> dict:
    money = Q.money_by_team(user, periods)
    series, points = [], 0
    for t in teams:
        bonus = [_f(money.get((t.pk, p), {}).get("bonus")) for p in periods]
        fines = [_f(money.get((t.pk, p), {}).get("fines")) for p in periods]
        series.append(
            {"type": "bar", "stack": "bonus", "name": f"{t.name} · {_('Bonus pool')}", "data": bonus}
        )
        series.append({"type": "bar", "stack": "fines", "name": f"{t.name} · {_('Fines')}", "data": fines})
        points += sum(1 for v in bonus + fines if v)
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 4},
        "grid": {"left": 64, "right": 16, "top": 48, "bottom": 28},
        "xAxis": {"type": "category", "data": periods},
        "yAxis": {"type": "value", "name": "¥"},
        "series": series,
    }
    return _result(option, points)


def team_scores(user, teams, policy_id, period) -> dict:
    scores = Q.team_scores(user, policy_id, period)
    data = [_f((scores.get(t.pk) or {}).get("mean")) for t in teams]
    option = {
        "title": {"text": period or "", "left": "right", "textStyle": {"fontSize": 12}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 32, "bottom": 28},
        "xAxis": {"type": "category", "data": [t.name for t in teams]},
        "yAxis": {"type": "value", "name": _("Mean score"), "scale": True},
        "series": [{"type": "bar", "name": _("Mean score"), "data": data}],
    }
    return _result(option, sum(v is not None for v in data))


def appeals(user, outcome_labels: dict[str, str]) -> dict:
    stats = Q.appeal_outcomes(user, Q.problems_since())
    data = [{"name": outcome_labels.get(k, k), "value": n} for k, n in sorted(stats["counts"].items())]
    if stats["pending"]:
        data.append({"name": _("Pending"), "value": stats["pending"]})
    option = {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [{"type": "pie", "name": _("Appeals"), "radius": ["40%", "70%"], "data": data}],
    }
    return _result(option, sum(d["value"] for d in data))


def problems(user, periods: list[str], label_of) -> dict:
    top, counts = Q.top_problems(user, periods)
    series = [{"name": label_of(kind), "data": [counts[kind].get(p, 0) for p in periods]} for kind in top]
    option = _line(periods, series)
    return _result(option, sum(sum(s["data"]) for s in series))
