"""No field a client may not set is writable: unknown or protected fields are refused with a 422 that
names them, and nothing changes in the database."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict

from merit.org.models import Agent, Membership, Team

pytestmark = pytest.mark.django_db

NEW_AGENT = {"agent_id": "new", "name": "新人", "team_id": "T1", "role": "cloud"}
NEW_TEAM = {"team_id": "T9", "name": "云客服九组"}


def snapshot():
    User = get_user_model()
    return (
        [model_to_dict(a) for a in Agent.objects.order_by("pk")],
        [model_to_dict(t) for t in Team.objects.order_by("pk")],
        [model_to_dict(m) for m in Membership.objects.order_by("pk")],
        list(User.objects.order_by("pk").values("username", "is_superuser", "is_staff", "is_active")),
    )


def assert_refused(response, field: str):
    assert response.status_code == 422, response.content
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field and e["type"] == "extra_forbidden" for e in errors), errors


@pytest.mark.parametrize(
    "extra",
    [
        {"id": 999},
        {"pk": 999},
        {"user": 1},
        {"user_id": 1},
        {"active": False},
        {"batch": 7},
        {"is_superuser": True},
        {"team": {"team_id": "T2"}},
    ],
)
def test_creating_an_agent_refuses_protected_fields(as_user, extra):
    api = as_user("hr")
    before = snapshot()
    assert_refused(api.post("/api/agents", {**NEW_AGENT, **extra}), next(iter(extra)))
    assert snapshot() == before


@pytest.mark.parametrize(
    "extra",
    [{"agent_id": "renamed"}, {"id": 999}, {"pk": 999}, {"user": 1}, {"user_id": 1}, {"username": "hr"}],
)
def test_updating_an_agent_refuses_protected_fields(as_user, extra):
    api = as_user("admin")
    before = snapshot()
    assert_refused(api.patch("/api/agents/li", {"level": "P9", **extra}), next(iter(extra)))
    assert snapshot() == before


@pytest.mark.parametrize(
    "extra", [{"id": 999}, {"pk": 5}, {"lead": 1}, {"lead_id": 1}, {"lead_agent_id": "li"}]
)
def test_creating_a_team_refuses_protected_fields(as_user, extra):
    api = as_user("hr")
    before = snapshot()
    assert_refused(api.post("/api/teams", {**NEW_TEAM, **extra}), next(iter(extra)))
    assert snapshot() == before


@pytest.mark.parametrize("extra", [{"team_id": "T7"}, {"id": 999}, {"lead_id": 1}])
def test_updating_a_team_refuses_protected_fields(as_user, extra):
    api = as_user("hr")
    before = snapshot()
    assert_refused(api.patch("/api/teams/T1", {"name": "x", **extra}), next(iter(extra)))
    assert snapshot() == before


@pytest.mark.parametrize(
    "extra",
    [{"is_superuser": True}, {"is_staff": True}, {"password": "x"}, {"username": "boss"}, {"user": 1}],
)
def test_setting_a_role_refuses_user_fields(as_user, extra):
    api = as_user("admin")
    before = snapshot()
    assert_refused(api.put("/api/roles/nobody", {"role": "hr", **extra}), next(iter(extra)))
    assert snapshot() == before


def test_null_is_refused_where_a_field_has_no_empty_value(as_user):
    api = as_user("hr")
    before = snapshot()
    for field in ("name", "team_id", "role", "employment", "active", "level"):
        r = api.patch("/api/agents/li", {field: None})
        assert r.status_code == 422, field
        assert r.json()["detail"][0]["loc"][-1] == field
    assert snapshot() == before


def test_a_team_must_exist_and_the_error_names_the_field(as_user):
    api = as_user("hr")
    before = snapshot()
    r = api.patch("/api/agents/li", {"team_id": "T404"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "payload", "team_id"]
    assert "T404" in r.json()["detail"][0]["msg"]
    assert api.post("/api/agents", {**NEW_AGENT, "team_id": "T404"}).status_code == 422
    assert snapshot() == before


def test_the_lead_must_be_an_agent_of_the_team(as_user):
    api = as_user("hr")
    r = api.patch("/api/teams/T1", {"lead_agent_id": "zhao"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "lead_agent_id"
    assert Team.objects.get(team_id="T1").lead is None
    r = api.patch("/api/teams/T1", {"lead_agent_id": "li"})
    assert r.status_code == 200 and r.json()["lead_agent_id"] == "li"
    assert api.patch("/api/teams/T1", {"lead_agent_id": None}).json()["lead_agent_id"] is None


def test_money_is_checked(as_user):
    api = as_user("hr")
    for bad in ("-1", "12.345", "abc"):
        r = api.patch("/api/agents/li", {"base_bonus": bad})
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"][-1] == "base_bonus"
    r = api.patch("/api/agents/li", {"base_bonus": "1500.25"})
    assert r.json()["base_bonus"] == "1500.25"


def test_hr_moves_an_agent_and_deactivates_them(as_user):
    api = as_user("hr")
    r = api.patch("/api/agents/wang", {"team_id": "T2", "active": False})
    assert r.status_code == 200
    assert (r.json()["team_id"], r.json()["active"]) == ("T2", False)
    wang = Agent.objects.get(agent_id="wang")
    assert (wang.team.team_id, wang.active, wang.user.username) == ("T2", False, "wang")


def test_a_taken_natural_key_is_a_conflict(as_user):
    api = as_user("hr")
    assert api.post("/api/teams", {"team_id": "T1", "name": "again"}).status_code == 409
    assert api.post("/api/agents", {**NEW_AGENT, "agent_id": "li"}).status_code == 409
    assert Team.objects.get(team_id="T1").name == "售后一组"


def test_roles_link_users_to_agents(as_user, world):
    api = as_user("admin")
    r = api.put("/api/roles/nobody", {"role": "agent"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "agent_id"
    r = api.put("/api/roles/nobody", {"role": "agent", "agent_id": "li"})
    assert r.status_code == 409  # li's record belongs to user li
    r = api.put("/api/roles/nobody", {"role": "agent", "agent_id": "sun"})
    assert r.status_code == 200
    assert (r.json()["role"], r.json()["agent_id"], r.json()["team_id"]) == ("agent", "sun", "T2")
    r = api.put("/api/roles/nobody", {"role": "supervisor"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "team_id"
    r = api.put("/api/roles/nobody", {"role": "hr", "team_id": "T1"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "team_id"
    r = api.put("/api/roles/nobody", {"role": "supervisor", "team_id": "T1"})
    assert (r.json()["role"], r.json()["team_id"]) == ("supervisor", "T1")
    r = api.put("/api/roles/nobody", {"role": None})
    assert r.json()["role"] is None
    assert not Membership.objects.filter(user=world.users["nobody"]).exists()


def test_a_superusers_access_is_not_changed_through_the_api(as_user, django_user_model):
    django_user_model.objects.create(username="root", is_superuser=True)
    r = as_user("admin").put("/api/roles/root", {"role": "agent", "agent_id": "sun"})
    assert r.status_code == 409
    assert Agent.objects.get(agent_id="sun").user is None


def test_a_lead_who_moves_no_longer_leads_the_old_team(as_user):
    api = as_user("hr")
    assert api.patch("/api/teams/T1", {"lead_agent_id": "li"}).status_code == 200
    assert api.patch("/api/agents/li", {"team_id": "T2"}).status_code == 200
    assert api.get("/api/teams/T1").json()["lead_agent_id"] is None
