"""The writes the API offers on teams, agents and roles: one function per use case, each in one transaction.

Callers have checked permissions (merit.org.access). Bad references raise Django's ``ValidationError``
keyed by the field (→ 422 naming it); a natural key already taken raises :class:`Conflict` (→ 409).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from merit.org.models import Agent, Membership, Team, UserRole


class Conflict(Exception):
    """The request clashes with what is stored (a natural key taken, a link held by someone else)."""


def _team(team_id: str, field: str = "team_id") -> Team:
    team = Team.objects.filter(team_id=team_id).first()
    if team is None:
        raise ValidationError({field: f"没有编号为 {team_id} 的团队 No team with team_id {team_id!r}"})
    return team


@transaction.atomic
def create_team(*, team_id: str, name: str) -> Team:
    if Team.objects.filter(team_id=team_id).exists():
        raise Conflict(f"团队编号 {team_id} 已存在 A team with team_id {team_id!r} already exists")
    try:
        with transaction.atomic():
            return Team.objects.create(team_id=team_id, name=name)
    except IntegrityError as e:  # created by a concurrent request in between
        raise Conflict(f"团队编号 {team_id} 已存在 A team with team_id {team_id!r} already exists") from e


@transaction.atomic
def update_team(team: Team, changes: dict) -> Team:
    """``changes``: name, lead_agent_id (an agent of this team, or None to clear)."""
    if "name" in changes:
        team.name = changes["name"]
    if "lead_agent_id" in changes:
        lead_id = changes["lead_agent_id"]
        if lead_id is None:
            team.lead = None
        else:
            lead = Agent.objects.filter(agent_id=lead_id, team=team).first()
            if lead is None:
                raise ValidationError(
                    {"lead_agent_id": f"{lead_id} 不是该团队的客服 {lead_id!r} is not an agent of this team"}
                )
            team.lead = lead
    team.save()
    return team


AGENT_FIELDS = ("name", "role", "employment", "hired_on", "level", "base_bonus", "active")


@transaction.atomic
def create_agent(data: dict) -> Agent:
    """``data``: agent_id, name, team_id, role and optionally employment, hired_on, level, base_bonus.
    A new agent is active and linked to no user (roles link users to agents)."""
    agent_id = data["agent_id"]
    taken = f"客服编号 {agent_id} 已存在 An agent with agent_id {agent_id!r} already exists"
    if Agent.objects.filter(agent_id=agent_id).exists():
        raise Conflict(taken)
    fields = {k: data[k] for k in AGENT_FIELDS if k in data and k != "active"}
    try:
        with transaction.atomic():
            return Agent.objects.create(agent_id=agent_id, team=_team(data["team_id"]), **fields)
    except IntegrityError as e:
        raise Conflict(taken) from e


@transaction.atomic
def update_agent(agent: Agent, changes: dict) -> Agent:
    """``changes``: any of name, team_id, role, employment, hired_on, level, base_bonus, active. The
    agent id never changes: the facts refer to it."""
    if "team_id" in changes:
        agent.team = _team(changes["team_id"])
    for name in AGENT_FIELDS:
        if name in changes:
            setattr(agent, name, changes[name])
    agent.save()
    # A lead who moves to another team no longer leads the old one (saved one by one: audited).
    for old_team in Team.objects.filter(lead=agent).exclude(pk=agent.team_id):
        old_team.lead = None
        old_team.save(update_fields=["lead"])
    return agent


@transaction.atomic
def set_role(user, *, role: str | None, team_id: str | None = None, agent_id: str | None = None) -> None:
    """Give ``user`` a role (or none: ``role=None`` removes all access).

    - supervisor: needs ``team_id`` (the team they lead);
    - agent: the user must be linked to an agent — ``agent_id`` links them (an agent already linked to
      another user is a conflict), or the link they already have is kept;
    - hr, admin: no team.
    ``agent_id`` may be given with any role: it links the user to that agent's records.
    """
    if team_id is not None and role != UserRole.SUPERVISOR:
        raise ValidationError({"team_id": "只有主管需要团队 Only supervisors have a team"})
    team = None
    if role == UserRole.SUPERVISOR:
        if team_id is None:
            raise ValidationError({"team_id": "主管必须指定团队 A supervisor needs a team_id"})
        team = _team(team_id)
    if agent_id is not None:
        agent = Agent.objects.select_for_update().filter(agent_id=agent_id).first()
        if agent is None:
            raise ValidationError(
                {"agent_id": f"没有编号为 {agent_id} 的客服 No agent with agent_id {agent_id!r}"}
            )
        if agent.user_id is not None and agent.user_id != user.pk:
            raise Conflict(
                f"客服 {agent_id} 已关联用户 {agent.user} Agent {agent_id!r} is already linked to user "
                f"{agent.user.get_username()!r}"
            )
        for other in Agent.objects.filter(user=user).exclude(pk=agent.pk):  # one by one: audited
            other.user = None
            other.save(update_fields=["user"])
        agent.user = user
        agent.save(update_fields=["user"])
    elif role == UserRole.AGENT and not Agent.objects.filter(user=user).exists():
        raise ValidationError(
            {"agent_id": "客服角色必须关联客服编号 The agent role needs the agent_id of the user's records"}
        )
    if role is None:
        Membership.objects.filter(user=user).delete()
    else:
        Membership.objects.update_or_create(user=user, defaults={"role": role, "team": team})
