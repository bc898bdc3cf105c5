"""Agents: read within scope; HR and admins create and change them.

Supervisors do not write agents through the API: pay fields (base bonus, level) and moves between teams
are HR's, and splitting a record into fields a supervisor may and may not change would make two rules
where one suffices.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from merit.api import actions
from merit.api.common import Input, Message, Page, PageQuery, page, require_manager
from merit.api.idempotency import IdempotencyKey, idempotent
from merit.org.access import visible_agents
from merit.org.models import Agent, AgentRole, Employment

router = Router(tags=["agents 客服"])

MONEY = {"ge": 0, "max_digits": 12, "decimal_places": 2}


class AgentOut(Schema):
    agent_id: str
    name: str
    team_id: str
    role: str
    employment: str
    hired_on: date | None
    level: str
    base_bonus: str | None = Field(description="绩效工资（元，字符串） base bonus in CNY, a decimal string")
    active: bool
    username: str | None = Field(description="关联的登录用户 the linked sign-in user")


class AgentCreate(Input):
    agent_id: str = Field(
        min_length=1, max_length=64, description="客服编号 the agent id of the data package"
    )
    name: str = Field(min_length=1, max_length=100)
    team_id: str = Field(min_length=1, max_length=64)
    role: AgentRole
    employment: Employment = Employment.REGULAR
    hired_on: date | None = None
    level: str = Field("", max_length=32)
    base_bonus: Decimal | None = Field(None, **MONEY)


class AgentUpdate(Input):
    """Only the fields sent change. ``null`` is refused where the field has no empty value."""

    name: str = Field(None, min_length=1, max_length=100)
    team_id: str = Field(None, min_length=1, max_length=64, description="调到另一团队 move to another team")
    role: AgentRole = None
    employment: Employment = None
    hired_on: date | None = None
    level: str = Field(None, max_length=32)
    base_bonus: Decimal | None = Field(None, **MONEY)
    active: bool = Field(None, description="在职 false = 离职 left the company")


class AgentQuery(PageQuery):
    team_id: str | None = None
    role: AgentRole | None = None
    active: bool | None = None


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut(
        agent_id=agent.agent_id,
        name=agent.name,
        team_id=agent.team.team_id,
        role=agent.role,
        employment=agent.employment,
        hired_on=agent.hired_on,
        level=agent.level,
        base_bonus=None if agent.base_bonus is None else str(agent.base_bonus),
        active=agent.active,
        username=agent.user.get_username() if agent.user else None,
    )


def _agents(request):
    return visible_agents(request.auth).select_related("team", "user")


@router.get("", response=Page[AgentOut], summary="客服列表 List agents")
def list_agents(request, query: Query[AgentQuery]):
    """你能看到的客服（客服只看到自己，主管看到本团队）。
    The agents you may see (an agent sees themselves, a supervisor their team), by agent id."""
    qs = _agents(request)
    if query.team_id is not None:
        qs = qs.filter(team__team_id=query.team_id)
    if query.role is not None:
        qs = qs.filter(role=query.role)
    if query.active is not None:
        qs = qs.filter(active=query.active)
    return page(qs, query, agent_out)


@router.get("/{agent_id}", response={200: AgentOut, 404: Message}, summary="客服详情 One agent")
def get_agent(request, agent_id: str):
    return agent_out(get_object_or_404(_agents(request), agent_id=agent_id))


@router.post("", response={201: AgentOut, 403: Message, 409: Message}, summary="新建客服 Create an agent")
@idempotent
def create_agent(request, payload: AgentCreate, idempotency_key: IdempotencyKey = None):
    """仅人力资源/管理员。新客服在职、未关联用户（用 PUT /api/roles/{username} 关联）。
    HR and admins only. A new agent is active and linked to no user (link one with PUT /api/roles)."""
    require_manager(request, "新建客服")
    agent = actions.create_agent(payload.model_dump())
    return Status(201, agent_out(_agents(request).get(pk=agent.pk)))


@router.patch(
    "/{agent_id}", response={200: AgentOut, 403: Message, 404: Message}, summary="修改客服 Update an agent"
)
def update_agent(request, agent_id: str, payload: AgentUpdate):
    """仅人力资源/管理员；客服编号不可修改（事实数据引用它）。
    HR and admins only; the agent id never changes (the facts refer to it)."""
    agent = get_object_or_404(_agents(request), agent_id=agent_id)
    require_manager(request, "修改客服")
    actions.update_agent(agent, payload.model_dump(exclude_unset=True))
    return agent_out(_agents(request).get(pk=agent.pk))
