"""Users of every role and the presets, for the policies' tests.

T1 售后一组: agent li (with a sign-in account). Users: li (agent), sup1 (supervisor of T1), hr (HR),
admin (admin role), root (a Django superuser without a role), nobody (no role); anonymous visitors
in the tests. Texts: the shipped S5 preset and edits of it with a known change or a known error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from merit.engine.policy.load import preset_files
from merit.org.models import Agent, Membership, Team
from merit.policies.actions import ensure_presets

EDITORS = {"hr", "admin", "root"}
READERS = {"li", "sup1", *EDITORS}
S5_TEXT = preset_files()["s5_after_sales_kpi.yaml"]
# An edit of S5: the refund dispute rate is compared in steps of 0.2 percentage points, not 0.1.
S5_EDITED = S5_TEXT.replace("    value: 0.001\n", "    value: 0.002\n", 1)
S5_EDITED_LINE = 21  # the changed line
# A broken edit of S5: a metric that does not exist, on line 93.
S5_BROKEN = S5_TEXT.replace("      metric: refund_dispute_rate", "      metric: refund_dispute_ratio", 1)
S5_BROKEN_LINE = 98  # the line of the first "metric: refund_dispute_rate" in the S5 preset


@dataclass
class World:
    team: Team
    agent: Agent
    users: dict[str, object]


def build_world() -> World:
    User = get_user_model()
    team = Team.objects.create(team_id="T1", name="售后一组")
    users = {key: User.objects.create(username=key) for key in ("li", "sup1", "hr", "admin", "nobody")}
    users["root"] = User.objects.create_superuser("root", email=None, password=None)
    agent = Agent.objects.create(agent_id="li", name="李明", team=team, role="after_sales", user=users["li"])
    Membership.objects.create(user=users["li"], role="agent")
    Membership.objects.create(user=users["sup1"], role="supervisor", team=team)
    Membership.objects.create(user=users["hr"], role="hr")
    Membership.objects.create(user=users["admin"], role="admin")
    return World(team, agent, users)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def presets(db):
    return ensure_presets()


@pytest.fixture
def client_for(world):
    """``client_for("hr")``: a test client signed in as that user; ``"anonymous"``: not signed in."""

    def make(key: str) -> Client:
        client = Client()
        if key != "anonymous":
            client.force_login(world.users[key], backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


class Api:
    """JSON to /api/ as one user (session; the test client does not enforce CSRF)."""

    def __init__(self, client: Client):
        self.client = client

    def get(self, path, **params):
        return self.client.get(path, params)

    def post(self, path, body, headers=None):
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=headers or {}
        )


@pytest.fixture
def api_for(client_for):
    return lambda key: Api(client_for(key))
