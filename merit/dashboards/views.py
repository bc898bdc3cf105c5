"""Dashboard pages and their chart endpoints. Thin: the scope comes from merit.org.access, the reads from
merit.dashboards.queries, the charts from merit.dashboards.charts.

- ``/dashboard/`` shows each role its own view: an agent their month, a supervisor their team, HR and
  admins the overview of every team.
- ``/dashboard/teams/<team>/`` and ``/dashboard/agents/<agent>/`` open one team or one agent in scope
  (a supervisor's agents, any for HR); anything out of scope answers 404, pages and charts alike.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from merit.dashboards import charts, queries
from merit.dashboards.actions import recent_months
from merit.org.access import ALL, NONE, OWN, TEAM, scope_of, visible_agents, visible_teams


@login_required
def home(request):
    user = request.user
    scope = scope_of(user)
    if scope.kind == OWN:
        return _agent_page(request, visible_agents(user).select_related("team").get())
    if scope.kind == TEAM:
        return _team_page(request, visible_teams(user).get())
    if scope.kind == ALL:
        return _overview_page(request)
    raise Http404("no dashboard for a user without a role")


@login_required
def team(request, team_id: str):
    return _team_page(request, get_object_or_404(visible_teams(request.user), team_id=team_id))


@login_required
def agent(request, agent_id: str):
    found = get_object_or_404(visible_agents(request.user).select_related("team"), agent_id=agent_id)
    return _agent_page(request, found)


def _agent_page(request, agent):
    user = request.user
    board = queries.agent_board(user, agent, request.GET.get("policy"))
    context = {
        "board": board,
        "agent": agent,
        "own": scope_of(user).kind == OWN,
        "chart_query": _query(agent=agent.agent_id, policy=board.policy_id),
    }
    return render(request, "dashboards/agent.html", context)


def _team_page(request, team):
    user = request.user
    policy_id = queries.chosen_policy(user, request.GET.get("policy"))
    period = queries.current_period()
    context = {
        "team": team,
        "policy_id": policy_id,
        "policies": queries.published_policies(user),
        "period": period,
        "sla": queries.sla_now(user, team),
        "near": queries.near_thresholds(user, team),
        "grades": queries.grade_distribution(user, team, policy_id),
        "is_manager_view": scope_of(user).kind == ALL,
        "chart_query": _query(team=team.team_id, policy=policy_id),
        "heat_period": period,
    }
    return render(request, "dashboards/team.html", context)


def _overview_page(request):
    user = request.user
    policy_id = queries.chosen_policy(user, request.GET.get("policy"))
    period = queries.latest_period(queries.policy_results(user, policy_id))
    teams = list(visible_teams(user).order_by("team_id"))
    periods = recent_months()
    money = queries.money_by_team(user, periods)
    scores = queries.team_scores(user, policy_id, period)
    rows = []
    for t in teams:
        month = money.get((t.pk, period), {}) if period else {}
        rows.append({"team": t, "scores": scores.get(t.pk) or {}, "money": month})
    context = {
        "rows": rows,
        "policy_id": policy_id,
        "policies": queries.published_policies(user),
        "period": period,
        "appeals": queries.appeal_outcomes(user, queries.problems_since()),
        "leaders": queries.leaderboard(user, policy_id, period),
        "titles": queries.titles(user, periods[0]),
        "chart_query": _query(policy=policy_id),
    }
    return render(request, "dashboards/overview.html", context)


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v})


# ---- chart endpoints ----------------------------------------------------------------------------------


@login_required
def chart(request, name: str):
    """The ECharts option of one chart as JSON, for what the user may see (404 otherwise)."""
    user = request.user
    scope = scope_of(user)
    if scope.kind == NONE:
        raise Http404
    policy_id = queries.chosen_policy(user, request.GET.get("policy"))
    periods = recent_months()
    if name in ("agent-score", "agent-points"):
        agent = get_object_or_404(visible_agents(user), agent_id=request.GET.get("agent", ""))
        data = (
            charts.agent_score(user, agent, policy_id)
            if name == "agent-score"
            else charts.agent_points(user, agent)
        )
    elif name in ("team-trend", "team-heat", "team-grades", "team-benchmark"):
        team = get_object_or_404(visible_teams(user), team_id=request.GET.get("team", ""))
        if name == "team-trend":
            data = charts.team_trend(user, team, policy_id, periods)
        elif name == "team-heat":
            data = charts.team_heat(user, team, _period(request, periods))
        elif name == "team-grades":
            data = charts.team_grades(user, team, policy_id)
        else:
            data = charts.team_benchmark(user, team, _period(request, periods))
    elif name in ("money-by-team", "team-scores", "appeals", "problems") and scope.kind == ALL:
        teams = list(visible_teams(user).order_by("team_id"))
        if name == "money-by-team":
            data = charts.money_by_team(user, teams, periods)
        elif name == "team-scores":
            period = queries.latest_period(queries.policy_results(user, policy_id))
            data = charts.team_scores(user, teams, policy_id, period)
        elif name == "appeals":
            data = charts.appeals(user, _outcome_labels())
        else:
            data = charts.problems(user, periods, problem_label)
    else:
        raise Http404(f"no chart {name!r} here")
    return JsonResponse(data)


def _period(request, periods: list[str]) -> str:
    asked = request.GET.get("period")
    return asked if asked in periods else periods[-1]


def _outcome_labels() -> dict[str, str]:
    from merit.appeals.models import Outcome

    return {str(v): str(label) for v, label in Outcome.choices}


@lru_cache(maxsize=1)
def _incident_metrics() -> dict[str, tuple[str, str]]:
    """Incident kinds named by the metric catalogue (``kind == 'complaint.attitude'`` → 服务态度投诉)."""
    from merit.engine.metrics.catalogue import load_catalogue

    out = {}
    for m in load_catalogue().metrics.values():
        found = re.fullmatch(r"kind == '([a-z_.]+)'", m.where or "")
        if m.table == "incidents" and found:
            out[found.group(1)] = (m.label.zh, m.label.en)
    return out


def problem_label(kind: str) -> str:
    from django.utils.translation import get_language

    from merit.tickets.models import Kind

    english = (get_language() or "").startswith("en")
    if kind.startswith("ticket."):
        code = kind.removeprefix("ticket.")
        label = dict(Kind.choices).get(code)
        if label:
            zh, _sep, en = str(label).partition(" ")
            return _("Case: %s") % (en if english else zh)
        return kind
    named = _incident_metrics().get(kind)
    if named:
        return named[1] if english else named[0]
    return kind
