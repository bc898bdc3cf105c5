"""The selections' pages by role (another team's selection answers 404), writes by POST with the CSRF
token, the vote and the chain through the pages, and what each role sees of the eligibility."""

from __future__ import annotations

import pytest
from django.test import Client

from merit.org.models import Agent, Membership
from merit.recognition import actions as A
from merit.recognition.models import Ballot, Selection, VoterReceipt

PERIOD = "2026-03"
USERS = ["li", "wang", "zhao", "sup1", "sup2", "hr", "admin", "nobody", "anonymous"]
SEES_T1 = {"li", "wang", "sup1", "hr", "admin"}


@pytest.fixture
def selections(world):
    User = type(world.users["li"])
    u = User.objects.create_user("a1")
    Membership.objects.create(user=u, role="agent")
    Agent.objects.create(agent_id="a1", name="客服1", team=world.teams["T1"], role="after_sales", user=u)
    t1 = A.open_selection(world.users["sup1"], world.teams["T1"], "excellent_employee", PERIOD)
    t2 = A.open_selection(world.users["sup2"], world.teams["T2"], "service_star", PERIOD)
    return t1, t2


def _status(client_for, who, url, post=False):
    client = client_for(who)
    code = (client.post(url) if post else client.get(url)).status_code
    client.logout()
    return code


@pytest.mark.parametrize("who", USERS)
def test_permission_matrix(client_for, selections, who):
    t1, t2 = selections
    anon = who == "anonymous"
    assert _status(client_for, who, f"/recognition/{t1.pk}/") == (
        302 if anon else 200 if who in SEES_T1 else 404
    )
    sees_t2 = {"zhao", "sup2", "hr", "admin"}
    assert _status(client_for, who, f"/recognition/{t2.pk}/") == (
        302 if anon else 200 if who in sees_t2 else 404
    )
    assert _status(client_for, who, "/recognition/") == (302 if anon else 403 if who == "nobody" else 200)
    # writes on another team's selection: 404 before anything is checked
    if who in {"zhao", "sup2", "nobody"}:
        assert _status(client_for, who, f"/recognition/{t1.pk}/vote/", post=True) == 404
        assert _status(client_for, who, f"/recognition/{t1.pk}/close/", post=True) == 404


def test_the_list_shows_the_visible_selections_only(client_for, selections):
    t1, t2 = selections
    page = client_for("li").get("/recognition/").content.decode()
    assert f"/recognition/{t1.pk}/" in page and f"/recognition/{t2.pk}/" not in page
    assert 'id="open-form"' not in page  # agents do not open a selection
    page = client_for("sup1").get("/recognition/").content.decode()
    assert 'id="open-form"' in page and "优秀员工" in page


def test_writes_are_posts_with_the_csrf_token(world, selections):
    t1, _ = selections
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["li"])
    assert client.post(f"/recognition/{t1.pk}/vote/", {"candidate": "a1"}).status_code == 403
    assert client.get(f"/recognition/{t1.pk}/vote/").status_code == 405
    assert client.post("/recognition/open/", {"team": "T1"}).status_code == 403
    assert not VoterReceipt.objects.exists() and not Ballot.objects.exists()


def test_vote_and_chain_through_the_pages(client_for, world, selections):
    t1, _ = selections
    client = client_for("li")
    page = client.get(f"/recognition/{t1.pk}/").content.decode()
    assert 'id="vote-form"' in page and 'value="a1"' in page and 'value="li"' not in page  # not oneself
    client.post(f"/recognition/{t1.pk}/vote/", {"candidate": "a1"})
    page = client.get(f"/recognition/{t1.pk}/").content.decode()
    assert 'data-testid="voted"' in page and 'id="vote-form"' not in page
    client.post(f"/recognition/{t1.pk}/vote/", {"candidate": "a1"})  # refused: one vote
    assert VoterReceipt.objects.count() == Ballot.objects.count() == 1
    client.logout()
    client = client_for("sup1")
    client.post(f"/recognition/{t1.pk}/close/")
    client.post(f"/recognition/{t1.pk}/review/", {"note": "同意"})
    client.logout()
    client = client_for("hr")
    client.post(f"/recognition/{t1.pk}/rate/", {"winner": "a1", "note": "第一"})
    client.logout()
    client = client_for("admin")
    client.post(f"/recognition/{t1.pk}/approve/")
    t1.refresh_from_db()
    assert (t1.state, t1.winner_id) == ("published", "a1")
    assert client.post(f"/recognition/{t1.pk}/nonsense/").status_code == 404


def test_an_agent_sees_their_own_reason_only(client_for, world):
    from datetime import date

    from merit.facts.models import FACT_MODELS

    FACT_MODELS["attendance"].objects.create(
        agent_id="li", date=date(2026, 3, 3), status="leave", leave_type="sick"
    )
    Agent.objects.create(agent_id="a1", name="客服1", team=world.teams["T1"], role="after_sales")
    sel = A.open_selection(world.users["sup1"], world.teams["T1"], "excellent_employee", PERIOD)
    assert Selection.objects.count() == 1
    sup = client_for("sup1").get(f"/recognition/{sel.pk}/").content.decode()
    assert 'data-agent="wang"' in sup and "probation" in sup and "病假 sick leave" in sup
    client_for("sup1").logout()
    wang = client_for("wang").get(f"/recognition/{sel.pk}/").content.decode()
    assert "probation" in wang and "病假 sick leave" not in wang  # li's sick leave is li's
    assert 'data-agent="li"' not in wang
