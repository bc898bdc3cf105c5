"""The permission matrix: every page, for every kind of user, against own / same-team / other-team records.

The expected sets come from the rules written out in conftest.EXPECTED_VISIBLE (an agent sees only
themselves, a supervisor their team, HR and admins everybody, a user without a role nobody), so a mistake in
merit.org.access shows up here instead of being copied into the expectation.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from merit.web.tests.conftest import (
    ACTIVE,
    ALL_AGENTS,
    EXPECTED_VISIBLE,
    PASSWORD,
    TEAM_OF,
    USERS,
)

pytestmark = pytest.mark.django_db

AGENT_ROW = re.compile(r'data-agent-id="([^"]+)"')
TEAM_ROW = re.compile(r'data-team-id="([^"]+)"')


def agent_ids(response) -> set[str]:
    return set(AGENT_ROW.findall(response.content.decode()))


def assert_sent_to_sign_in(response, path):
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


@pytest.mark.parametrize("who", USERS)
def test_home(who, client_for):
    client = client_for(who)
    response = client.get("/")
    if who == "anonymous":
        assert_sent_to_sign_in(response, "/")
        return
    assert response.status_code == 200
    page = response.content.decode()
    if who in ("li", "wang", "zhao"):  # their own profile only
        assert agent_ids(response) == {who}
    elif who.startswith("sup"):  # the team's active agents
        assert agent_ids(response) == EXPECTED_VISIBLE[who] & ACTIVE
    elif who in ("hr", "admin"):  # every team, no single agent
        assert agent_ids(response) == set()
        assert set(TEAM_ROW.findall(page)) == {"T1", "T2"}
    else:
        assert agent_ids(response) == set()
        assert TEAM_ROW.findall(page) == []
        assert "没有分配角色" in page


@pytest.mark.parametrize("who", USERS)
def test_people_list(who, client_for):
    client = client_for(who)
    response = client.get("/people/?status=all")
    if who == "anonymous":
        assert_sent_to_sign_in(response, "/people/%3Fstatus%3Dall")
        return
    assert response.status_code == 200
    assert agent_ids(response) == EXPECTED_VISIBLE[who]
    # the default list leaves out people who left
    assert agent_ids(client.get("/people/")) == EXPECTED_VISIBLE[who] & ACTIVE


@pytest.mark.parametrize("who", USERS)
def test_people_list_filters_cannot_reach_out_of_scope(who, client_for):
    """Asking for another team or searching another team's agent id shows nothing more than the scope."""
    client = client_for(who)
    for query in ("?status=all&team=T2", "?status=all&team=T1", "?status=all&q=zhao", "?status=all&q=li"):
        response = client.get("/people/" + query)
        if who == "anonymous":
            assert response.status_code == 302
            continue
        assert agent_ids(response) <= EXPECTED_VISIBLE[who], query


@pytest.mark.parametrize("who", USERS)
def test_person_detail(who, client_for):
    client = client_for(who)
    for agent_id in sorted(ALL_AGENTS):
        path = f"/people/{agent_id}/"
        response = client.get(path)
        if who == "anonymous":
            assert_sent_to_sign_in(response, path)
        elif agent_id in EXPECTED_VISIBLE[who]:
            assert response.status_code == 200, (who, agent_id)
            assert agent_ids(response) == {agent_id}
        else:
            # out of scope and non-existent answer alike: the record's existence is not revealed
            assert response.status_code == 404, (who, agent_id)
    assert client.get("/people/nobody-has-this-id/").status_code == (302 if who == "anonymous" else 404)


@pytest.mark.parametrize("who", USERS)
def test_sign_in_and_out(who, client, world):
    """Every user signs in with the form, lands on home seeing their own scope, and signs out."""
    if who == "anonymous":
        assert client.get("/login/").status_code == 200
        assert client.post("/logout/").status_code == 302  # harmless when not signed in
        return
    response = client.post("/login/", {"username": who, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/login/")["Location"] == "/"  # already signed in: the sign-in page sends home
    home = client.get("/")
    assert home.status_code == 200
    assert agent_ids(home) <= EXPECTED_VISIBLE[who]

    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("who", ["li", "sup1", "hr"])
def test_same_team_and_other_team(who, client_for):
    """The three relations named by the rules, spelled out for one agent, one supervisor and HR."""
    client = client_for(who)
    own_team = {"li": "T1", "sup1": "T1", "hr": None}[who]
    same_team_colleague = "wang"  # T1
    other_team_agent = "zhao"  # T2
    assert TEAM_OF[same_team_colleague] == own_team or who == "hr"
    expect = {
        "li": (404, 404),  # an agent sees neither a colleague nor another team
        "sup1": (200, 404),  # a supervisor sees their team only
        "hr": (200, 200),  # HR sees everybody
    }[who]
    got = (
        client.get(f"/people/{same_team_colleague}/").status_code,
        client.get(f"/people/{other_team_agent}/").status_code,
    )
    assert got == expect
