"""Pages: home by role, the people list and one person. Thin: the scope comes from merit.org.access, the
reads from merit.web.queries."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers

from merit.ingest.queries import visible_imports
from merit.org.access import ALL, OWN, TEAM, scope_of, visible_agents, visible_teams
from merit.web import queries
from merit.web.context import optional_url
from merit.web.forms import PeopleFilter

PAGE_SIZE = 50
LATEST_IMPORTS = 5


class SignInView(auth_views.LoginView):
    """Django's sign-in (it gives the session a new key) with the lockout rule stated on the page."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        context["lockout_minutes"] = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        return context


@login_required
def home(request):
    user = request.user
    scope = scope_of(user)
    start, end = queries.month_bounds()
    context = {"month_start": start, "activities": queries.ACTIVITIES}
    if scope.kind == OWN:
        agent = visible_agents(user).select_related("team", "shift").get()
        context["agent"] = agent
        context["tiles"] = _tiles(queries.counts_by_agent(user, [agent.agent_id], start, end)[agent.agent_id])
        template = "web/home_agent.html"
    elif scope.kind == TEAM:
        agents = list(visible_agents(user).filter(active=True).select_related("shift"))
        counts = queries.counts_by_agent(user, (a.agent_id for a in agents), start, end)
        context["team"] = visible_teams(user).get()
        context["rows"] = [(a, _cells(counts[a.agent_id])) for a in agents]
        context["totals"] = [sum(c[act.table] for c in counts.values()) for act in queries.ACTIVITIES]
        context["imports"] = _latest_imports(user)
        context["imports_url"] = optional_url("ingest:list")
        template = "web/home_supervisor.html"
    elif scope.kind == ALL:
        counts = queries.counts_by_team(user, start, end)
        teams = queries.teams_overview(user)
        context["rows"] = [(t, _cells(counts.get(t.pk, {}))) for t in teams]
        context["imports"] = _latest_imports(user)
        context["imports_url"] = optional_url("ingest:list")
        context["api_docs_url"] = optional_url("api:openapi-view")
        template = "web/home_manager.html"
    else:
        template = "web/home_none.html"
    return render(request, template, context)


def _cells(counts: dict[str, int]) -> list[int]:
    """Counts in the order of the columns (queries.ACTIVITIES)."""
    return [counts.get(act.table, 0) for act in queries.ACTIVITIES]


def _tiles(counts: dict[str, int]) -> list[tuple[queries.Activity, int]]:
    return [(act, counts.get(act.table, 0)) for act in queries.ACTIVITIES]


def _latest_imports(user) -> list[dict]:
    """The newest imports ``user`` may see (merit.ingest decides which), with a link to each report."""
    rows = visible_imports(user).order_by("-created_at", "-pk")[:LATEST_IMPORTS]
    return [{"import": i, "url": optional_url("ingest:detail", i.pk)} for i in rows]


@login_required
def people(request):
    user = request.user
    scope = scope_of(user)
    teams = visible_teams(user)
    form = PeopleFilter(request.GET, teams)
    agents = form.apply(visible_agents(user)).select_related("team", "shift").order_by("agent_id")
    page = Paginator(agents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "show_filters": scope.kind in (ALL, TEAM),
        "show_team_filter": scope.kind == ALL,
    }
    # htmx asks for the results only; a boosted link or a history restore needs the whole page
    partial = request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request)
    response = render(request, "web/_people_results.html" if partial else "web/people.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def person(request, agent_id: str):
    user = request.user
    scope = scope_of(user)
    agent = get_object_or_404(visible_agents(user).select_related("team", "shift", "user"), agent_id=agent_id)
    start, end = queries.month_bounds()
    counts = queries.counts_by_agent(user, [agent.agent_id], start, end)[agent.agent_id]
    context = {
        "agent": agent,
        "tiles": _tiles(counts),
        "month_start": start,
        # Pay and the sign-in account: the person themselves, HR and admins.
        "show_private": scope.is_manager or scope.kind == ALL or agent.pk == scope.agent_pk,
    }
    return render(request, "web/person.html", context)


# ---- errors outside any view: the API answers JSON, the pages the layout ---------------------------


def _api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404: under /api/ the API's own error shape (a path value that no route matches, e.g.
    /api/runs/abc), elsewhere the page in the site's layout."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if _api(request):
        return JsonResponse(
            {"detail": "未找到 Not found"}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    return page_not_found(request, exception)


def server_error(request):
    """500: under /api/ JSON (the traceback is in the log), elsewhere the self-contained page."""
    from django.http import JsonResponse
    from django.views.defaults import server_error as page

    if _api(request):
        return JsonResponse(
            {"detail": "服务器内部错误，已记录日志 Server error; it is in the server's log"},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return page(request)
