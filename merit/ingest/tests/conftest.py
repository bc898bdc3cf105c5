"""Two teams and the users of every role, for the import tests; uploads are stored in a temporary folder.

T1 售后一组: agents li and wang; T2 售前二组: agent zhao. Users: hr (HR), sup1 and sup2 (supervisors of
T1 and T2), li (an agent with a sign-in account), nobody (no role), and root (a Django superuser).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from merit.org.models import Agent, Membership, Team


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@dataclass
class World:
    teams: dict[str, Team]
    agents: dict[str, Agent]
    users: dict[str, object]


def build_world() -> World:
    User = get_user_model()
    t1 = Team.objects.create(team_id="T1", name="售后一组")
    t2 = Team.objects.create(team_id="T2", name="售前二组")
    users = {k: User.objects.create_user(k) for k in ("hr", "sup1", "sup2", "li", "nobody")}
    users["root"] = User.objects.create_superuser("root", email=None, password=None)
    agents = {
        "li": Agent.objects.create(agent_id="li", name="李明", team=t1, role="after_sales", user=users["li"]),
        "wang": Agent.objects.create(agent_id="wang", name="王芳", team=t1, role="after_sales"),
        "zhao": Agent.objects.create(agent_id="zhao", name="赵强", team=t2, role="pre_sales"),
    }
    Membership.objects.create(user=users["hr"], role="hr")
    Membership.objects.create(user=users["sup1"], role="supervisor", team=t1)
    Membership.objects.create(user=users["sup2"], role="supervisor", team=t2)
    Membership.objects.create(user=users["li"], role="agent")
    return World({"T1": t1, "T2": t2}, agents, users)


@pytest.fixture
def world(db) -> World:
    return build_world()
