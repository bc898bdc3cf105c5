"""Reads behind the pages: this month's activity per agent and per team, set-based (one grouped query per
fact table, whatever the number of agents), always through ``merit.org.access``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merit.facts.models import FACT_MODELS
from merit.org.access import filter_to_user, visible_teams
from merit.org.models import Team


@dataclass(frozen=True)
class Activity:
    """One counted kind of fact: its table and its heading on the pages."""

    table: str
    label: str


# What the home pages count for the current month (客服 sees their own, 主管 their team, HR every team).
ACTIVITIES = (
    Activity("chats", _("Chats")),
    Activity("tickets", _("Tickets")),
    Activity("ratings", _("Ratings")),
)


def month_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The current month in the business time zone (Asia/Shanghai) as [start, end) aware datetimes."""
    local = timezone.localtime(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (start.month % 12) + 1
    end = start.replace(year=start.year + (start.month == 12), month=next_month)
    return start, end


def _facts_of_month(user, table: str, start: datetime, end: datetime) -> QuerySet:
    model = FACT_MODELS[table]
    time = model.TABLE.time
    return filter_to_user(model.objects.filter(**{f"{time}__gte": start, f"{time}__lt": end}), user)


def counts_by_agent(user, agent_ids, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """``{agent_id: {table: n}}`` for the given agents (only those ``user`` may see), every activity
    present (0 when none)."""
    agent_ids = list(agent_ids)
    counts = {a: {act.table: 0 for act in ACTIVITIES} for a in agent_ids}
    if not agent_ids:
        return counts
    for act in ACTIVITIES:
        rows = (
            _facts_of_month(user, act.table, start, end)
            .filter(agent_id__in=agent_ids)
            .values("agent_id")
            .annotate(n=Count("pk"))
            .values_list("agent_id", "n")
        )
        for agent_id, n in rows:
            counts[agent_id][act.table] = n
    return counts


def counts_by_team(user, start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """``{team pk: {table: n}}`` over the teams ``user`` may see (teams without facts are absent)."""
    counts: dict[int, dict[str, int]] = {}
    for act in ACTIVITIES:
        rows = (
            _facts_of_month(user, act.table, start, end)
            .values("agent__team_id")
            .annotate(n=Count("pk"))
            .values_list("agent__team_id", "n")
        )
        for team_pk, n in rows:
            counts.setdefault(team_pk, {})[act.table] = n
    return counts


def teams_overview(user) -> QuerySet[Team]:
    """The visible teams with their number of active agents, of agents who left and of supervisors."""
    return visible_teams(user).annotate(
        active_agents=Count("agents", filter=Q(agents__active=True), distinct=True),
        left_agents=Count("agents", filter=Q(agents__active=False), distinct=True),
        supervisor_count=Count("supervisors", distinct=True),
    )
