"""Two teams and one user of every kind, for the pages' tests.

T1 售后一组: agents li and wang (both with a sign-in account) and chen (left the company, no account);
T2 售前二组: agents zhao (with an account) and sun (no account). Users: the three agents, a supervisor of
each team, HR, an admin (staff), a user without a role and, in the tests, anonymous visitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from merit.facts.models import Chat, Rating, Ticket
from merit.org.models import Agent, Membership, Shift, Team
from merit.web.queries import month_bounds

PASSWORD = "Lz8-shift-qa-2026"  # the test accounts' password

# Who may see which agent, written out from the rules (not computed by merit.org.access):
# an agent only themselves, a supervisor their own team, HR and admins everybody, the rest nobody.
ALL_AGENTS = {"li", "wang", "chen", "zhao", "sun"}
TEAM_OF = {"li": "T1", "wang": "T1", "chen": "T1", "zhao": "T2", "sun": "T2"}
ACTIVE = ALL_AGENTS - {"chen"}
EXPECTED_VISIBLE = {
    "li": {"li"},
    "wang": {"wang"},
    "zhao": {"zhao"},
    "sup1": {"li", "wang", "chen"},
    "sup2": {"zhao", "sun"},
    "hr": ALL_AGENTS,
    "admin": ALL_AGENTS,
    "nobody": set(),
}
USERS = [*EXPECTED_VISIBLE, "anonymous"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    teams: dict[str, Team]
    agents: dict[str, Agent]
    users: dict[str, object]

    def user(self, key):
        return self.users[key]


def build_world() -> World:
    User = get_user_model()
    t1 = Team.objects.create(team_id="T1", name="售后一组")
    t2 = Team.objects.create(team_id="T2", name="售前二组")
    early = Shift.objects.create(name="早班", team=t1, starts_at=time(8), ends_at=time(17))
    night = Shift.objects.create(name="夜班", team=None, starts_at=time(22), ends_at=time(7))

    users = {}
    for key in ("li", "wang", "zhao", "sup1", "sup2", "hr", "admin", "nobody"):
        users[key] = User.objects.create_user(key, password=PASSWORD, is_staff=(key == "admin"))

    def agent(agent_id, name, team, role, **kw):
        return Agent.objects.create(agent_id=agent_id, name=name, team=team, role=role, **kw)

    agents = {
        "li": agent(
            "li",
            "李明",
            t1,
            "after_sales",
            user=users["li"],
            level="P2",
            shift=early,
            base_bonus=Decimal("1200.50"),
        ),
        "wang": agent(
            "wang", "王芳", t1, "after_sales", user=users["wang"], shift=night, employment="probation"
        ),
        "chen": agent("chen", "陈静", t1, "after_sales", active=False),
        "zhao": agent("zhao", "赵强", t2, "pre_sales", user=users["zhao"], level="P1"),
        "sun": agent("sun", "孙丽", t2, "cloud", employment="part_time"),
    }
    for key in ("li", "wang", "zhao"):
        Membership.objects.create(user=users[key], role="agent")
    Membership.objects.create(user=users["sup1"], role="supervisor", team=t1)
    Membership.objects.create(user=users["sup2"], role="supervisor", team=t2)
    Membership.objects.create(user=users["hr"], role="hr")
    Membership.objects.create(user=users["admin"], role="admin")
    return World({"T1": t1, "T2": t2}, agents, users)


def add_facts() -> None:
    """This month: li 2 chats, 1 ticket, 1 rating; zhao 3 chats. Last month: li 1 chat (not counted)."""
    start, _ = month_bounds()
    at = start + timedelta(hours=10)
    before = start - timedelta(days=2)
    Chat.objects.bulk_create(
        [
            Chat(chat_id="c1", agent_id="li", started_at=at),
            Chat(chat_id="c2", agent_id="li", started_at=at + timedelta(minutes=5)),
            Chat(chat_id="c0", agent_id="li", started_at=before),
            Chat(chat_id="z1", agent_id="zhao", started_at=at),
            Chat(chat_id="z2", agent_id="zhao", started_at=at),
            Chat(chat_id="z3", agent_id="zhao", started_at=at),
        ]
    )
    Ticket.objects.create(ticket_id="t1", agent_id="li", kind="refund", created_at=at)
    Rating.objects.create(rating_id="r1", agent_id="li", at=at, score=Decimal(5))


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def client_for(client, world):
    """``client_for(key)``: the test client signed in as that user (``"anonymous"``: not signed in)."""

    def sign_in(key):
        if key != "anonymous":
            client.force_login(world.user(key))
        return client

    return sign_in
