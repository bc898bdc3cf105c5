"""Who may see what: the one place that answers it, for pages, the API and exports alike.

- An **agent** sees only their own records (the ``org.Agent`` linked to their user).
- A **supervisor** sees the agents of their team (``Membership.team``) and their records.
- **HR** and **admins** (and Django superusers) see everything.
- A signed-in user without a membership, an inactive user and an anonymous visitor see nothing.

Every list is filtered with :func:`visible_agents` / :func:`filter_to_user`; every single object is
fetched through the same filter, so another team's record answers 404 (its existence is not revealed).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, QuerySet

from merit.org.models import Agent, Membership, Team, UserRole

ALL = "all"
TEAM = "team"
OWN = "own"
NONE = "none"


@dataclass(frozen=True)
class Scope:
    role: str | None  # UserRole value, or None for no access
    kind: str  # ALL, TEAM, OWN or NONE
    team_id: int | None = None  # org.Team primary key (TEAM)
    agent_pk: int | None = None  # org.Agent primary key (OWN)

    @property
    def sees_all(self) -> bool:
        return self.kind == ALL

    @property
    def is_manager(self) -> bool:
        """HR and admins: may manage people and imports for every team."""
        return self.role in (UserRole.HR, UserRole.ADMIN)


NO_ACCESS = Scope(None, NONE)


def scope_of(user) -> Scope:
    """The scope of ``user``; computed once per request object and cached on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_merit_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    user._merit_scope = scope
    return scope


def _compute(user) -> Scope:
    if user.is_superuser:
        return Scope(UserRole.ADMIN, ALL)
    m = Membership.objects.filter(user=user).only("role", "team_id").first()
    if m is None:
        return NO_ACCESS
    if m.role in (UserRole.HR, UserRole.ADMIN):
        return Scope(m.role, ALL)
    if m.role == UserRole.SUPERVISOR:
        return Scope(m.role, TEAM, team_id=m.team_id)
    agent_pk = Agent.objects.filter(user=user).values_list("pk", flat=True).first()
    if agent_pk is None:
        return NO_ACCESS
    return Scope(m.role, OWN, agent_pk=agent_pk)


def visible_agents(user) -> QuerySet[Agent]:
    return filter_to_user(Agent.objects.all(), user, agent="")


def visible_teams(user) -> QuerySet[Team]:
    scope = scope_of(user)
    qs = Team.objects.all()
    if scope.kind == ALL:
        return qs
    if scope.kind == TEAM:
        return qs.filter(pk=scope.team_id)
    if scope.kind == OWN:
        return qs.filter(agents__pk=scope.agent_pk)
    return qs.none()


def filter_to_user(qs: QuerySet, user, agent: str = "agent") -> QuerySet:
    """Keep the rows of ``qs`` that ``user`` may see. ``agent`` is the lookup path from the model to
    its ``org.Agent`` ("" when ``qs`` is of agents; "agent" for the facts)."""
    scope = scope_of(user)
    if scope.kind == ALL:
        return qs
    prefix = f"{agent}__" if agent else ""
    if scope.kind == TEAM:
        return qs.filter(**{f"{prefix}team_id": scope.team_id})
    if scope.kind == OWN:
        return qs.filter(**{f"{prefix}pk": scope.agent_pk})
    return qs.none()


def can_see_agent(user, agent: Agent) -> bool:
    scope = scope_of(user)
    if scope.kind == ALL:
        return True
    if scope.kind == TEAM:
        return agent.team_id == scope.team_id
    if scope.kind == OWN:
        return agent.pk == scope.agent_pk
    return False


def can_see(user, obj: Model, agent: str = "agent") -> bool:
    """Whether ``user`` may see ``obj`` (a fact row or an agent)."""
    target = obj if isinstance(obj, Agent) else getattr(obj, agent)
    return target is not None and can_see_agent(user, target)
