"""List endpoints cost the same number of queries for a few rows as for many (no query per row)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merit.api.tests.conftest import make_fact
from merit.ingest.models import Import
from merit.org.models import Agent, Membership

pytestmark = pytest.mark.django_db

LISTS = ["/api/me", "/api/agents", "/api/teams", "/api/roles", "/api/imports", "/api/facts/tickets"]


def add_people(world, prefix: str, n: int) -> None:
    """n agents of team T1, each with a user, a ticket, and an import uploaded by hr and by sup1."""
    User = get_user_model()
    for i in range(n):
        user = User.objects.create(username=f"{prefix}{i}")
        agent = Agent.objects.create(
            agent_id=f"{prefix}{i}", name=f"客服{i}", team=world.teams["T1"], role="cloud", user=user
        )
        Membership.objects.create(user=user, role="agent")
        make_fact("tickets", agent, i)
        for by in ("hr", "sup1"):
            Import.objects.create(
                created_by=world.users[by],
                source_name=f"{prefix}{i}.zip",
                file_sha256=f"{prefix}{i}{by}".ljust(64, "0"),
                stored_path="imports/x",
            )


def queries(api, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(path)
    assert r.status_code == 200
    assert r.json().get("count", 1) > 0, path
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["hr", "sup1"])
def test_lists_do_not_query_per_row(as_user, world, who):
    api = as_user(who)
    add_people(world, "few", 2)
    few = {path: queries(api, path) for path in LISTS}
    add_people(world, "many", 30)
    many = {path: queries(api, path) for path in LISTS}
    assert many == few
    assert max(many.values()) <= 6
