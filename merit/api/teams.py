"""Teams: everyone reads the teams they may see; HR and admins create and rename them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from merit.api import actions
from merit.api.common import Input, Message, Page, PageQuery, page, require_manager
from merit.api.idempotency import IdempotencyKey, idempotent
from merit.org.access import visible_teams
from merit.org.models import Team

router = Router(tags=["teams 团队"])


class TeamOut(Schema):
    team_id: str
    name: str
    lead_agent_id: str | None = Field(description="组长的客服编号 the lead's agent id")


class TeamCreate(Input):
    team_id: str = Field(min_length=1, max_length=64, description="团队编号 the team id of the data package")
    name: str = Field(min_length=1, max_length=100)


class TeamUpdate(Input):
    name: str = Field(None, min_length=1, max_length=100)
    lead_agent_id: str | None = Field(
        None, description="该团队的一名客服，null 清除 an agent of this team; null clears"
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(
        team_id=team.team_id, name=team.name, lead_agent_id=team.lead.agent_id if team.lead else None
    )


def _teams(request):
    return visible_teams(request.auth).select_related("lead")


@router.get("", response=Page[TeamOut], summary="团队列表 List teams")
def list_teams(request, query: Query[PageQuery]):
    """你能看到的团队：客服看自己的团队，主管看所管团队，人力资源/管理员看全部。
    The teams you may see: an agent their own, a supervisor theirs, HR and admins all."""
    return page(_teams(request), query, team_out)


@router.get("/{team_id}", response={200: TeamOut, 404: Message}, summary="团队详情 One team")
def get_team(request, team_id: str):
    return team_out(get_object_or_404(_teams(request), team_id=team_id))


@router.post("", response={201: TeamOut, 403: Message, 409: Message}, summary="新建团队 Create a team")
@idempotent
def create_team(request, payload: TeamCreate, idempotency_key: IdempotencyKey = None):
    """仅人力资源/管理员。组长在团队有客服后用 PATCH 设置。
    HR and admins only. Set the lead with PATCH once the team has agents."""
    require_manager(request, "新建团队")
    team = actions.create_team(team_id=payload.team_id, name=payload.name)
    return Status(201, team_out(team))


@router.patch(
    "/{team_id}", response={200: TeamOut, 403: Message, 404: Message}, summary="修改团队 Update a team"
)
def update_team(request, team_id: str, payload: TeamUpdate):
    """仅人力资源/管理员；团队编号不可修改。 HR and admins only; the team id never changes."""
    team = get_object_or_404(_teams(request), team_id=team_id)
    require_manager(request, "修改团队")
    return team_out(actions.update_team(team, payload.model_dump(exclude_unset=True)))
