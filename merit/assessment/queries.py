"""Who sees which runs and results (pages and API alike), on top of merit.org.access.

- HR and admins see every run in every state, and every agent's results.
- Supervisors see runs once they are submitted for approval (submitted, approved, published), with the
  results of their team's agents only.
- Agents see published runs, with their own results only.
- Users without a role see nothing.

A run or a result outside what a user sees answers 404, as everywhere.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from merit.assessment.models import AgentResult, Run, RunState
from merit.org.access import ALL, OWN, TEAM, filter_to_user, scope_of

CENT = Decimal("0.01")
SUPERVISOR_STATES = (RunState.SUBMITTED, RunState.APPROVED, RunState.PUBLISHED)


def visible_runs(user) -> QuerySet[Run]:
    scope = scope_of(user)
    qs = Run.objects.select_related("policy_version", "created_by")
    if scope.kind == ALL:
        return qs
    if scope.kind == TEAM:
        return qs.filter(state__in=SUPERVISOR_STATES)
    if scope.kind == OWN:
        return qs.filter(state=RunState.PUBLISHED)
    return qs.none()


def visible_results(user, run: Run | None = None) -> QuerySet[AgentResult]:
    """The result rows ``user`` sees (of ``run``, or of every run they see)."""
    qs = AgentResult.objects.filter(run__in=visible_runs(user).values("pk"))
    if run is not None:
        qs = qs.filter(run=run)
    return filter_to_user(qs, user).select_related("agent")


def superseded_by(run: Run) -> Run | None:
    """The published correction that replaced a published run, if any."""
    return run.corrections.filter(state=RunState.PUBLISHED).order_by("published_at", "pk").first()


def current_results(user) -> QuerySet[AgentResult]:
    """The results ``user`` sees of published runs no published correction replaced: an agent's months."""
    return (
        visible_results(user)
        .filter(run__state=RunState.PUBLISHED)
        .exclude(run__corrections__state=RunState.PUBLISHED)
        .select_related("run", "run__policy_version")
        .order_by("-period", "run__policy_version__policy_id", "agent_id")
    )


def team_summary(results: QuerySet[AgentResult]) -> dict:
    """Agents and bonus total (CNY, 2 places) of some result rows (a team's month)."""
    out = results.aggregate(agents=Count("pk"), bonus_total=Sum("bonus"))
    if out["bonus_total"] is not None:  # SQLite sums decimals as numbers: back to 2 places
        out["bonus_total"] = Decimal(str(out["bonus_total"])).quantize(CENT)
    return out
