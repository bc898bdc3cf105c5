"""Automatic assignment of new cases within a team (自动分配).

Candidates: the team's active agents with an active sign-in account, not absent that day (an
``Absence`` of leave or suspension, or a ``leave`` day in the attendance facts) and on shift at that
moment (an agent without a shift counts as on shift). Then, by the team's strategy:

* ``least_open`` (default): the candidate with the fewest open cases, ties by agent id;
* ``round_robin``: the next candidate after the last one assigned, in agent-id order;
* ``skill``: candidates whose skills cover the case's kind, channel and language (an empty list covers
  all; an agent without a skill row covers all), then the fewest open cases;
* ``manual``: nobody; a supervisor assigns.

No candidate: the case waits unassigned in the team queue; the periodic sweep tries again, so a case
opened at night goes to the first agent whose shift starts.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from merit.facts.models import Attendance
from merit.org.models import Agent
from merit.tickets.models import OPEN_STATUSES, Absence, Case, DeskTeam, Strategy

SHANGHAI = ZoneInfo("Asia/Shanghai")


def on_shift(agent: Agent, local: time) -> bool:
    shift = agent.shift
    if shift is None:
        return True
    if shift.overnight:
        return local >= shift.starts_at or local < shift.ends_at
    return shift.starts_at <= local < shift.ends_at


def candidates(team, at: datetime, exclude: tuple[int, ...] = ()) -> list[Agent]:
    local = at.astimezone(SHANGHAI)
    today = local.date()
    agents = (
        Agent.objects.filter(team=team, active=True, user__isnull=False, user__is_active=True)
        .exclude(pk__in=exclude)
        .select_related("shift", "skill")
        .order_by("agent_id")
    )
    absent = set(
        Absence.objects.filter(agent__team=team, starts_on__lte=today, ends_on__gte=today).values_list(
            "agent_id", flat=True
        )
    )
    on_leave = set(
        Attendance.objects.filter(agent__team=team, date=today, status="leave").values_list(
            "agent_id", flat=True
        )
    )
    return [
        a
        for a in agents
        if a.pk not in absent
        and a.agent_id not in on_leave
        and on_shift(a, local.time().replace(tzinfo=None))
    ]


def covers(agent: Agent, case: Case) -> bool:
    skill = getattr(agent, "skill", None)
    if skill is None:
        return True
    return all(
        not wanted or value in wanted
        for wanted, value in (
            (skill.kinds, case.kind),
            (skill.channels, case.channel),
            (skill.languages, case.language),
        )
    )


def open_counts(agents: list[Agent]) -> dict[int, int]:
    rows = (
        Case.objects.filter(assignee__in=agents, status__in=OPEN_STATUSES)
        .values("assignee")
        .annotate(n=Count("pk"))
        .values_list("assignee", "n")
    )
    return dict(rows)


def choose(case: Case, at: datetime, desk: DeskTeam | None, exclude: tuple[int, ...] = ()) -> Agent | None:
    """The agent a new (or reassigned) case goes to, or None. ``desk`` must be locked by the caller when
    the strategy is round robin (its cursor moves)."""
    strategy = desk.strategy if desk is not None else Strategy.LEAST_OPEN
    if strategy == Strategy.MANUAL:
        return None
    pool = candidates(case.team, at, exclude)
    if strategy == Strategy.SKILL:
        pool = [a for a in pool if covers(a, case)]
    if not pool:
        return None
    if strategy == Strategy.ROUND_ROBIN:
        last = desk.last_assigned.agent_id if desk is not None and desk.last_assigned_id else ""
        after = [a for a in pool if a.agent_id > last]
        return (after or pool)[0]
    counts = open_counts(pool)
    return min(pool, key=lambda a: (counts.get(a.pk, 0), a.agent_id))


def waiting(limit: int = 500):
    """Open cases nobody holds, oldest first (for the sweep)."""
    return Case.objects.filter(Q(assignee__isnull=True), status__in=OPEN_STATUSES).order_by("created_at")[
        :limit
    ]
