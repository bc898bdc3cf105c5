"""Who am I, and the users' roles. Roles are read within scope and changed by admins only."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from merit.api import actions
from merit.api.common import Input, Message, Page, PageQuery, page, scope
from merit.org.access import ALL, OWN, TEAM
from merit.org.models import Agent, UserRole

router = Router(tags=["users 用户与角色"])


class MeOut(Schema):
    username: str
    name: str
    role: str | None = Field(description="agent, supervisor, hr, admin；无角色为 null")
    scope: str = Field(description="可见范围 what you see: all, team, own, none")
    team_id: str | None = Field(description="主管所管或客服所在的团队 the team you lead or work in")
    agent_id: str | None = Field(description="关联的客服编号 your agent id")
    auth: str = Field(description="session 或 token")


class RoleOut(Schema):
    username: str
    name: str
    role: str | None = Field(description="agent, supervisor, hr, admin；超级用户为 admin；无角色为 null")
    team_id: str | None = Field(
        description="主管所管或客服所在的团队 the team led (supervisor) or worked in (agent)"
    )
    agent_id: str | None
    active: bool


class RoleIn(Input):
    role: UserRole | None = Field(description="null 取消所有权限 null removes all access")
    team_id: str | None = Field(None, description="主管必填 required for a supervisor")
    agent_id: str | None = Field(
        None, description="关联的客服编号；客服角色必需（若尚未关联） links the user to an agent"
    )


def _users_with_roles():
    return (
        get_user_model()
        .objects.select_related("membership__team", "agent__team")
        .order_by(get_user_model().USERNAME_FIELD)
    )


def visible_users(request):
    """HR and admins: every user; a supervisor: the agents and supervisors of their team; an agent:
    themselves; no role: nobody."""
    s, user = scope(request), request.auth
    qs = _users_with_roles()
    if s.kind == ALL:
        return qs
    if s.kind == TEAM:
        return qs.filter(Q(agent__team_id=s.team_id) | Q(membership__team_id=s.team_id))
    if s.kind == OWN:
        return qs.filter(pk=user.pk)
    return qs.none()


def _agent_of(user) -> Agent | None:
    try:
        return user.agent
    except Agent.DoesNotExist:
        return None


def _role_of(user) -> str | None:
    if user.is_superuser:
        return UserRole.ADMIN.value
    membership = getattr(user, "membership", None)  # absent: no role
    return membership.role if membership else None


def role_out(user) -> RoleOut:
    role = _role_of(user)
    agent = _agent_of(user)
    team = None
    if role == UserRole.SUPERVISOR:
        team = user.membership.team
    elif agent is not None:
        team = agent.team
    return RoleOut(
        username=user.get_username(),
        name=user.get_full_name() or user.get_username(),
        role=role,
        team_id=team.team_id if team else None,
        agent_id=agent.agent_id if agent else None,
        active=user.is_active,
    )


@router.get("/me", response=MeOut, summary="当前用户 Who am I")
def me(request):
    """当前用户、角色、团队与客服编号。 The calling user, their role, team and agent id."""
    user = _users_with_roles().get(pk=request.auth.pk)
    out = role_out(user)
    return MeOut(
        username=out.username,
        name=out.name,
        role=out.role,
        scope=scope(request).kind,
        team_id=out.team_id,
        agent_id=out.agent_id,
        auth=getattr(request, "auth_method", "session"),
    )


@router.get("/roles", response=Page[RoleOut], summary="用户角色 Users and their roles")
def list_roles(request, query: Query[PageQuery]):
    """人力资源/管理员看全部用户；主管看本团队成员；客服只看自己。
    HR and admins see every user; a supervisor their team's members; an agent themselves."""
    return page(visible_users(request), query, role_out)


@router.get(
    "/roles/{username}", response={200: RoleOut, 404: Message}, summary="一个用户的角色 One user's role"
)
def get_role(request, username: str):
    return role_out(get_object_or_404(visible_users(request), username=username))


@router.put(
    "/roles/{username}",
    response={200: RoleOut, 403: Message, 404: Message, 409: Message},
    summary="设置角色 Set a user's role",
)
def set_role(request, username: str, payload: RoleIn):
    """仅管理员（人力资源不能授予或修改角色，因此也不能授予管理员）；不能修改自己的角色；
    超级用户的权限在管理后台修改。
    Admins only (HR cannot grant roles, so cannot grant admin); nobody changes their own role; a
    superuser's access is changed in the admin site."""
    target = get_object_or_404(visible_users(request), username=username)
    if scope(request).role != UserRole.ADMIN:
        raise PermissionDenied("仅管理员可以设置角色 Only admins may set roles")
    if target.pk == request.auth.pk:
        raise PermissionDenied("不能修改自己的角色 You cannot change your own role")
    if target.is_superuser:
        raise HttpError(
            409,
            "超级用户的权限来自超级用户标志，请在管理后台修改 A superuser's access comes from the superuser "
            "flag; change it in the admin site",
        )
    actions.set_role(target, role=payload.role, team_id=payload.team_id, agent_id=payload.agent_id)
    return role_out(_users_with_roles().get(pk=target.pk))
