"""Who may see and do what on the desk (built on merit.org.access, the one place for scopes).

* Seeing a case: HR and admins every case; a supervisor their team's; an agent the cases assigned to
  them and, when their team's desk settings say so (the default), their team's queue.
* Working a case (reply, note, wait on the customer, resolve, close, reopen, transfer): its assignee,
  the team's supervisor, HR and admins.
* Supervising (assign by hand, exempt a breach, confirm shirking): the team's supervisor, HR, admins.
* Revealing the customer's contact: the assignee and HR only; every reveal is audited.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from merit.org.access import ALL, OWN, TEAM, scope_of
from merit.org.models import UserRole
from merit.tickets.models import Case, DeskTeam


def visible_cases(user) -> QuerySet[Case]:
    scope = scope_of(user)
    qs = Case.objects.all()
    if scope.kind == ALL:
        return qs
    if scope.kind == TEAM:
        return qs.filter(team_id=scope.team_id)
    if scope.kind == OWN:
        hidden = DeskTeam.objects.filter(team=OuterRef("team_id"), agents_see_team=False)
        own_team = Q(team__agents__pk=scope.agent_pk) & ~Exists(hidden)
        return qs.filter(Q(assignee_id=scope.agent_pk) | own_team).distinct()
    return qs.none()


def supervises(user, case: Case) -> bool:
    scope = scope_of(user)
    return scope.kind == ALL or (scope.kind == TEAM and case.team_id == scope.team_id)


def works(user, case: Case) -> bool:
    scope = scope_of(user)
    return supervises(user, case) or (scope.kind == OWN and case.assignee_id == scope.agent_pk)


def may_reveal(user, case: Case) -> bool:
    scope = scope_of(user)
    if scope.role == UserRole.HR:
        return True
    return scope.kind == OWN and case.assignee_id == scope.agent_pk


def may_open_for(user, team) -> bool:
    """Anyone who sees the team may open a case for it (an agent for their own team)."""
    scope = scope_of(user)
    if scope.kind == ALL:
        return True
    if scope.kind == TEAM:
        return team.pk == scope.team_id
    if scope.kind == OWN:
        return team.agents.filter(pk=scope.agent_pk).exists()
    return False


def mask_contact(value: str) -> str:
    """138****5678 for a phone number, l***@example.com for an e-mail address, 张* for anything else."""
    value = (value or "").strip()
    if not value:
        return ""
    if "@" in value:
        name, _, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    digits = [c for c in value if c.isdigit()]
    if len(digits) >= 7:
        return f"{''.join(digits[:3])}****{''.join(digits[-4:])}"
    return value[:1] + "*" * max(1, len(value) - 1)
