"""Every endpoint × every kind of user × own / same-team / other-team objects: the expected status and the
ids each user sees, written out from the rules (conftest.py), never read from the program's output.

Out-of-scope objects answer 404 (their existence is not revealed); forbidden actions on objects in scope
answer 403; anonymous callers 401.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from merit.api.tests.conftest import (
    ALL_AGENTS,
    ALL_TEAMS,
    ALL_USERS,
    MANAGERS,
    USERS,
    VISIBLE_AGENTS,
    VISIBLE_TEAMS,
    VISIBLE_USERS,
    make_fact,
)
from merit.facts.models import FACT_MODELS
from merit.ingest.models import Import, ImportState
from merit.org.models import Agent, Membership, Team

pytestmark = pytest.mark.django_db

EXPECTED_ME = {
    "li": ("agent", "own", "T1", "li"),
    "wang": ("agent", "own", "T1", "wang"),
    "zhao": ("agent", "own", "T2", "zhao"),
    "sup1": ("supervisor", "team", "T1", None),
    "sup2": ("supervisor", "team", "T2", None),
    "hr": ("hr", "all", None, None),
    "admin": ("admin", "all", None, None),
    "nobody": (None, "none", None, None),
}


def ids(response, key):
    assert response.status_code == 200, response.content
    return {item[key] for item in response.json()["items"]}


def read_status(who: str, visible: set[str], objects) -> dict[str, int]:
    if who == "anonymous":
        return {o: 401 for o in objects}
    return {o: 200 if o in visible else 404 for o in objects}


def write_status(who: str, visible: set[str], objects, allowed: bool) -> dict[str, int]:
    """401 anonymous; 404 out of scope; 403 in scope but not allowed; 200 allowed."""
    if who == "anonymous":
        return {o: 401 for o in objects}
    return {o: (200 if allowed else 403) if o in visible else 404 for o in objects}


# ---------------------------------------------------------------------------------------------- me


@pytest.mark.parametrize("who", USERS)
def test_me(as_user, who):
    r = as_user(who).get("/api/me")
    if who == "anonymous":
        assert r.status_code == 401
        return
    body = r.json()
    assert (body["role"], body["scope"], body["team_id"], body["agent_id"]) == EXPECTED_ME[who]
    assert body["username"] == who
    assert body["auth"] == "session"


# ------------------------------------------------------------------------------------------ agents


@pytest.mark.parametrize("who", USERS)
def test_agent_list_shows_exactly_the_agents_in_scope(as_user, who):
    r = as_user(who).get("/api/agents")
    if who == "anonymous":
        assert r.status_code == 401
    else:
        assert ids(r, "agent_id") == VISIBLE_AGENTS[who]


@pytest.mark.parametrize("who", USERS)
def test_agent_detail(as_user, who):
    api = as_user(who)
    got = {a: api.get(f"/api/agents/{a}").status_code for a in sorted(ALL_AGENTS)}
    assert got == read_status(who, VISIBLE_AGENTS.get(who, set()), sorted(ALL_AGENTS))


@pytest.mark.parametrize("who", USERS)
def test_agent_create(as_user, who):
    r = as_user(who).post(
        "/api/agents", {"agent_id": "new", "name": "新人", "team_id": "T1", "role": "cloud"}
    )
    expected = 401 if who == "anonymous" else 201 if who in MANAGERS else 403
    assert r.status_code == expected, r.content
    assert Agent.objects.filter(agent_id="new").exists() == (expected == 201)


@pytest.mark.parametrize("who", USERS)
def test_agent_update(as_user, who):
    api = as_user(who)
    got = {a: api.patch(f"/api/agents/{a}", {"level": "P9"}).status_code for a in sorted(ALL_AGENTS)}
    expected = write_status(who, VISIBLE_AGENTS.get(who, set()), sorted(ALL_AGENTS), who in MANAGERS)
    assert got == expected
    changed = set(Agent.objects.filter(level="P9").values_list("agent_id", flat=True))
    assert changed == {a for a, status in expected.items() if status == 200}


# ------------------------------------------------------------------------------------------- teams


@pytest.mark.parametrize("who", USERS)
def test_team_list(as_user, who):
    r = as_user(who).get("/api/teams")
    if who == "anonymous":
        assert r.status_code == 401
    else:
        assert ids(r, "team_id") == VISIBLE_TEAMS[who]


@pytest.mark.parametrize("who", USERS)
def test_team_detail(as_user, who):
    api = as_user(who)
    got = {t: api.get(f"/api/teams/{t}").status_code for t in sorted(ALL_TEAMS)}
    assert got == read_status(who, VISIBLE_TEAMS.get(who, set()), sorted(ALL_TEAMS))


@pytest.mark.parametrize("who", USERS)
def test_team_create(as_user, who):
    r = as_user(who).post("/api/teams", {"team_id": "T9", "name": "云客服九组"})
    expected = 401 if who == "anonymous" else 201 if who in MANAGERS else 403
    assert r.status_code == expected, r.content
    assert Team.objects.filter(team_id="T9").exists() == (expected == 201)


@pytest.mark.parametrize("who", USERS)
def test_team_update(as_user, who):
    api = as_user(who)
    got = {t: api.patch(f"/api/teams/{t}", {"name": "改名 renamed"}).status_code for t in sorted(ALL_TEAMS)}
    expected = write_status(who, VISIBLE_TEAMS.get(who, set()), sorted(ALL_TEAMS), who in MANAGERS)
    assert got == expected
    renamed = set(Team.objects.filter(name="改名 renamed").values_list("team_id", flat=True))
    assert renamed == {t for t, status in expected.items() if status == 200}


# ------------------------------------------------------------------------------------------- roles


@pytest.mark.parametrize("who", USERS)
def test_role_list(as_user, who):
    r = as_user(who).get("/api/roles")
    if who == "anonymous":
        assert r.status_code == 401
    else:
        assert ids(r, "username") == VISIBLE_USERS[who]


@pytest.mark.parametrize("who", USERS)
def test_role_detail(as_user, who):
    api = as_user(who)
    got = {u: api.get(f"/api/roles/{u}").status_code for u in sorted(ALL_USERS)}
    assert got == read_status(who, VISIBLE_USERS.get(who, set()), sorted(ALL_USERS))


@pytest.mark.parametrize("who", USERS)
def test_role_change_is_for_admins_only(as_user, who):
    api = as_user(who)
    before = dict(Membership.objects.values_list("user__username", "role"))
    got = {u: api.put(f"/api/roles/{u}", {"role": "admin"}).status_code for u in sorted(ALL_USERS)}
    expected = write_status(who, VISIBLE_USERS.get(who, set()), sorted(ALL_USERS), who == "admin")
    if who == "admin":
        expected["admin"] = 403  # nobody changes their own role
    assert got == expected
    after = dict(Membership.objects.values_list("user__username", "role"))
    assert {u for u in ALL_USERS if after.get(u) != before.get(u)} == {
        u for u, status in expected.items() if status == 200
    }


# ----------------------------------------------------------------------------------------- imports

IMPORTS_BY = ("li", "sup1", "hr")  # one import uploaded by each


@pytest.fixture
def uploads(world):
    rows = {}
    for key in IMPORTS_BY:
        rows[key] = Import.objects.create(
            created_by=world.users[key],
            source_name=f"{key}.zip",
            file_sha256=key.ljust(64, "0"),
            stored_path=f"imports/{key}.zip",
            problems=[{"table": "tickets", "row": 2, "column": "kind", "value": "x", "reason": "bad"}],
            problem_count=1,
        )
    return rows


def visible_imports(who: str) -> set[str]:
    return set(IMPORTS_BY) if who in MANAGERS else {who} & set(IMPORTS_BY)


@pytest.mark.parametrize("who", USERS)
def test_import_list(as_user, uploads, who):
    r = as_user(who).get("/api/imports")
    if who == "anonymous":
        assert r.status_code == 401
        return
    by_id = {row.pk: key for key, row in uploads.items()}
    assert {by_id[i] for i in ids(r, "id")} == visible_imports(who)


@pytest.mark.parametrize("who", USERS)
def test_import_detail_and_problems(as_user, uploads, who):
    api = as_user(who)
    detail = {k: api.get(f"/api/imports/{row.pk}").status_code for k, row in uploads.items()}
    problems = {k: api.get(f"/api/imports/{row.pk}/problems").status_code for k, row in uploads.items()}
    expected = read_status(who, visible_imports(who), IMPORTS_BY)
    assert detail == expected
    assert problems == expected


@pytest.mark.parametrize("who", USERS)
def test_import_confirm_and_discard(as_user, uploads, world, who):
    """Previews: the uploader (while they may import: not li, an agent), HR and admins decide; others get
    404 (out of scope); nothing is applied by a refused request."""
    for row in uploads.values():
        row.state, row.preview_first = ImportState.PREVIEWED, True
        row.save()
    api = as_user(who)
    discard = {k: api.post(f"/api/imports/{row.pk}/discard").status_code for k, row in uploads.items()}
    assert discard == write_status(who, visible_imports(who), IMPORTS_BY, allowed=who != "li")
    states = {k: Import.objects.get(pk=row.pk).state for k, row in uploads.items()}
    assert states == {k: "discarded" if discard[k] == 200 else "previewed" for k in IMPORTS_BY}
    again = {k: api.post(f"/api/imports/{row.pk}/confirm").status_code for k, row in uploads.items()}
    assert {k: again[k] for k in IMPORTS_BY if discard[k] == 200} == {
        k: 409 for k in IMPORTS_BY if discard[k] == 200
    }  # discarded: no longer awaiting confirmation


# ------------------------------------------------------------------------------------------- facts


@pytest.fixture
def facts(world):
    for table in FACT_MODELS:
        if table == "benchmarks":
            make_fact(table, None)
            continue
        for agent in world.agents.values():
            make_fact(table, agent)


@pytest.mark.parametrize("who", USERS)
def test_every_fact_table_is_scoped(as_user, facts, who):
    api = as_user(who)
    for table in FACT_MODELS:
        r = api.get(f"/api/facts/{table}")
        if who == "anonymous":
            assert r.status_code == 401, table
        elif table == "benchmarks":
            assert len(r.json()["items"]) == (0 if who == "nobody" else 1)
        else:
            assert ids(r, "agent_id") == VISIBLE_AGENTS[who], table


@pytest.mark.parametrize("who", USERS)
def test_fact_filter_on_an_agent_out_of_scope_shows_nothing(as_user, facts, who):
    api = as_user(who)
    for agent in sorted(ALL_AGENTS):
        r = api.get("/api/facts/tickets", agent_id=agent)
        if who == "anonymous":
            assert r.status_code == 401
        else:
            assert ids(r, "agent_id") == {agent} & VISIBLE_AGENTS[who]


def test_money_is_read_back_exactly(as_user, world):
    body = as_user("li").get("/api/agents/li").json()
    assert body["base_bonus"] == "1200.50"
    assert Decimal(body["base_bonus"]) == Decimal("1200.50")
