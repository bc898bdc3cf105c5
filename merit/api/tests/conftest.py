"""Two teams and one user of every kind, for the API's tests.

T1 售后一组: agents li and wang (each with a sign-in account); T2 售前二组: agents zhao (with an account)
and sun (no account). Users: the three agents, a supervisor of each team, HR, an admin (a role, not a
Django superuser), a user without a role and, in the tests, anonymous callers.

The expectations below are written out from the rules (an agent sees their own records, a supervisor
their team, HR and admins everything, the rest nothing); they are not computed by merit.org.access.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from merit.engine import tables as T
from merit.facts.models import FACT_MODELS, field_name
from merit.org.models import Agent, Membership, Team

SHANGHAI = ZoneInfo("Asia/Shanghai")

ALL_AGENTS = {"li", "wang", "zhao", "sun"}
ALL_TEAMS = {"T1", "T2"}
ALL_USERS = {"li", "wang", "zhao", "sup1", "sup2", "hr", "admin", "nobody"}
TEAM_OF = {"li": "T1", "wang": "T1", "zhao": "T2", "sun": "T2"}

VISIBLE_AGENTS = {
    "li": {"li"},
    "wang": {"wang"},
    "zhao": {"zhao"},
    "sup1": {"li", "wang"},
    "sup2": {"zhao", "sun"},
    "hr": ALL_AGENTS,
    "admin": ALL_AGENTS,
    "nobody": set(),
}
VISIBLE_TEAMS = {
    "li": {"T1"},
    "wang": {"T1"},
    "zhao": {"T2"},
    "sup1": {"T1"},
    "sup2": {"T2"},
    "hr": ALL_TEAMS,
    "admin": ALL_TEAMS,
    "nobody": set(),
}
# Users whose roles each user may read: themselves (agents), their team's agents and supervisors
# (supervisors), everyone (HR, admins), nobody (no role).
VISIBLE_USERS = {
    "li": {"li"},
    "wang": {"wang"},
    "zhao": {"zhao"},
    "sup1": {"li", "wang", "sup1"},
    "sup2": {"zhao", "sup2"},
    "hr": ALL_USERS,
    "admin": ALL_USERS,
    "nobody": set(),
}
MANAGERS = {"hr", "admin"}
USERS = [*VISIBLE_AGENTS, "anonymous"]


@dataclass
class World:
    teams: dict[str, Team]
    agents: dict[str, Agent]
    users: dict[str, object]


def build_world() -> World:
    User = get_user_model()
    teams = {
        "T1": Team.objects.create(team_id="T1", name="售后一组"),
        "T2": Team.objects.create(team_id="T2", name="售前二组"),
    }
    # No passwords: the tests sign in with force_login or tokens (and never pay for a password hash).
    users = {key: User.objects.create(username=key) for key in sorted(ALL_USERS)}
    agents = {
        "li": Agent.objects.create(
            agent_id="li",
            name="李明",
            team=teams["T1"],
            role="after_sales",
            user=users["li"],
            level="P2",
            base_bonus=Decimal("1200.50"),
        ),
        "wang": Agent.objects.create(
            agent_id="wang", name="王芳", team=teams["T1"], role="after_sales", user=users["wang"]
        ),
        "zhao": Agent.objects.create(
            agent_id="zhao", name="赵强", team=teams["T2"], role="pre_sales", user=users["zhao"]
        ),
        "sun": Agent.objects.create(agent_id="sun", name="孙丽", team=teams["T2"], role="cloud"),
    }
    for key in ("li", "wang", "zhao"):
        Membership.objects.create(user=users[key], role="agent")
    Membership.objects.create(user=users["sup1"], role="supervisor", team=teams["T1"])
    Membership.objects.create(user=users["sup2"], role="supervisor", team=teams["T2"])
    Membership.objects.create(user=users["hr"], role="hr")
    Membership.objects.create(user=users["admin"], role="admin")
    return World(teams, agents, users)


@pytest.fixture
def world(db) -> World:
    return build_world()


class Api:
    """A test client that speaks JSON to /api/ as one user (or anonymously)."""

    def __init__(self, client: Client):
        self.client = client

    def get(self, path, headers=None, **params):
        return self.client.get(path, params, headers=headers or {})

    def send(self, method, path, body=None, headers=None):
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(method, path, data, content_type="application/json", headers=headers or {})

    def post(self, path, body=None, headers=None):
        return self.send("POST", path, body, headers)

    def patch(self, path, body=None, headers=None):
        return self.send("PATCH", path, body, headers)

    def put(self, path, body=None, headers=None):
        return self.send("PUT", path, body, headers)


@pytest.fixture
def as_user(world):
    """``as_user("sup1")`` → an Api signed in (session) as that user; ``as_user("anonymous")`` → none."""

    def make(key: str, **client_kw) -> Api:
        client = Client(**client_kw)
        if key != "anonymous":
            client.force_login(world.users[key], backend="django.contrib.auth.backends.ModelBackend")
        return Api(client)

    return make


# Facts: one row per agent and table, values made from the contract's column types.
FIRST_TIME = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)


def fact_values(table: T.Table, agent: Agent | None, n: int = 0) -> dict:
    who = agent.agent_id if agent else "shop"
    values = {}
    for col in table.columns:
        if col.agent_ref:
            value = agent
        elif col.type == T.ID:
            value = f"{table.name}-{who}-{n}"
        elif col.type == T.TEXT:
            value = col.choices[0] if col.choices else "备注 note"
        elif col.type == T.INT:
            value = n
        elif col.type == T.DECIMAL:
            value = Decimal("4.5")
        elif col.type == T.BOOL:
            value = True
        elif col.type == T.TIMESTAMP:
            value = FIRST_TIME + timedelta(hours=n)
        elif col.type == T.DATE:
            value = date(2026, 3, 10) + timedelta(days=n)
        else:
            value = "2026-03"
        values[field_name(col)] = value
    return values


def make_fact(table_name: str, agent: Agent | None, n: int = 0, **overrides):
    model = FACT_MODELS[table_name]
    return model.objects.create(**{**fact_values(model.TABLE, agent, n), **overrides})
