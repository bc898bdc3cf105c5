"""Session cookies need a CSRF token on writes; personal API tokens do not, and are refused once revoked
or when their user is inactive."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from merit.api.auth import hash_token, issue_token
from merit.api.models import ApiToken
from merit.api.tests.conftest import Api
from merit.org.models import Team

pytestmark = pytest.mark.django_db

NEW_TEAM = {"team_id": "T9", "name": "云客服九组"}


def csrf_client(world, key="hr") -> tuple[Api, str]:
    """A client that enforces CSRF like a browser's requests do, signed in as ``key``, and the token its
    pages carry (the API docs page puts it there for the "try it out" buttons)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[key], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/docs").status_code == 200
    return Api(client), client.cookies["csrftoken"].value


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -------------------------------------------------------------------------------------------- CSRF


def test_a_session_write_without_the_csrf_token_is_refused(world):
    api, _ = csrf_client(world)
    r = api.post("/api/teams", NEW_TEAM)
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    assert not Team.objects.filter(team_id="T9").exists()


def test_a_session_write_with_the_csrf_token_goes_through(world):
    api, token = csrf_client(world)
    r = api.post("/api/teams", NEW_TEAM, headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.content
    assert Team.objects.filter(team_id="T9").exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/teams/T1", {"name": "改名"}),
        ("PATCH", "/api/agents/li", {"level": "P9"}),
        ("PUT", "/api/roles/nobody", {"role": "hr"}),
        ("POST", "/api/agents", {"agent_id": "new", "name": "新人", "team_id": "T1", "role": "cloud"}),
    ],
)
def test_every_session_write_checks_csrf(world, method, path, body):
    api, token = csrf_client(world, "admin")
    refused = api.send(method, path, body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    accepted = api.send(method, path, body, headers={"X-CSRFToken": token})
    assert accepted.status_code in (200, 201), accepted.content


def test_a_wrong_csrf_token_is_refused(world):
    api, _ = csrf_client(world)
    r = api.post("/api/teams", NEW_TEAM, headers={"X-CSRFToken": "x" * 32})
    assert r.status_code == 403


def test_reads_need_no_csrf_token(world):
    api, _ = csrf_client(world)
    assert api.get("/api/teams").status_code == 200


def test_a_token_write_needs_no_csrf_token(world):
    _, plain = issue_token(world.users["hr"], "script")
    api = Api(Client(enforce_csrf_checks=True))
    r = api.post("/api/teams", NEW_TEAM, headers=bearer(plain))
    assert r.status_code == 201, r.content


def test_an_anonymous_write_is_unauthenticated_not_a_csrf_failure(world):
    r = Api(Client(enforce_csrf_checks=True)).post("/api/teams", NEW_TEAM)
    assert r.status_code == 401
    assert r["WWW-Authenticate"].startswith("Bearer")


# ------------------------------------------------------------------------------------------ tokens


def test_a_valid_token_authenticates_and_is_marked_used(world):
    row, plain = issue_token(world.users["sup1"], "nightly report")
    assert row.last_used_at is None
    r = Api(Client()).get("/api/me", headers=bearer(plain))
    assert r.status_code == 200
    assert r.json()["username"] == "sup1"
    assert r.json()["auth"] == "token"
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_token_sees_what_its_user_sees(world):
    _, plain = issue_token(world.users["sup1"], "script")
    r = Api(Client()).get("/api/agents", headers=bearer(plain))
    assert {a["agent_id"] for a in r.json()["items"]} == {"li", "wang"}
    assert Api(Client()).get("/api/agents/zhao", headers=bearer(plain)).status_code == 404


def test_only_the_hash_of_a_token_is_stored(world):
    row, plain = issue_token(world.users["hr"], "script")
    assert plain.startswith("merit_") and len(plain) > 40
    assert row.token_hash == hash_token(plain) != plain
    assert plain.startswith(row.prefix)
    assert not ApiToken.objects.filter(token_hash=plain).exists()


def test_a_revoked_token_is_refused(world):
    row, plain = issue_token(world.users["hr"], "script")
    row.revoked = True
    row.save()
    r = Api(Client()).get("/api/me", headers=bearer(plain))
    assert r.status_code == 401
    assert "令牌" in r.json()["detail"]


def test_the_token_of_an_inactive_user_is_refused(world):
    _, plain = issue_token(world.users["hr"], "script")
    world.users["hr"].is_active = False
    world.users["hr"].save()
    assert Api(Client()).get("/api/me", headers=bearer(plain)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Bearer merit_"])
def test_an_unknown_token_is_refused(world, header):
    r = Client().get("/api/me", headers={"Authorization": header})
    assert r.status_code == 401


def test_a_bad_token_is_refused_even_with_a_valid_session(world, as_user):
    api = as_user("hr")
    assert api.get("/api/me").status_code == 200
    assert api.client.get("/api/me", headers=bearer("merit_revoked-or-made-up")).status_code == 401


def test_a_token_is_judged_before_the_session(world, as_user):
    _, plain = issue_token(world.users["li"], "script")
    r = as_user("hr").client.get("/api/me", headers=bearer(plain))
    assert r.json()["username"] == "li"


def test_an_inactive_users_session_is_refused(world, as_user):
    api = as_user("hr")
    world.users["hr"].is_active = False
    world.users["hr"].save()
    assert api.get("/api/me").status_code == 401


def test_the_command_prints_a_working_token_once(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "sup2", "每周报表 weekly report", stdout=out, stderr=err)
    plain = out.getvalue().strip()
    assert ApiToken.objects.get(user=world.users["sup2"]).name == "每周报表 weekly report"
    assert "once" in err.getvalue()
    r = Client().get("/api/me", headers=bearer(plain))
    assert r.json()["username"] == "sup2"


def test_the_command_refuses_unknown_and_inactive_users(world):
    with pytest.raises(CommandError, match="No such user"):
        call_command("create_api_token", "ghost", "x")
    world.users["wang"].is_active = False
    world.users["wang"].save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("create_api_token", "wang", "x")


def test_the_admin_site_shows_a_new_token_once_and_revokes_tokens(world, django_user_model):
    root = django_user_model.objects.create(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    r = client.post(
        "/admin/merit_api/apitoken/add/", {"user": world.users["hr"].pk, "name": "导入脚本"}, follow=True
    )
    assert r.status_code == 200
    shown = [str(m) for m in r.context["messages"] if "shown this once" in str(m)]
    assert len(shown) == 1
    plain = shown[0].split(": ")[-1]
    assert Client().get("/api/me", headers=bearer(plain)).json()["username"] == "hr"

    row = ApiToken.objects.get(name="导入脚本")
    r = client.post(
        "/admin/merit_api/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )
    assert r.status_code == 200
    row.refresh_from_db()
    assert row.revoked
    assert Client().get("/api/me", headers=bearer(plain)).status_code == 401
    # The token appears nowhere on the token's admin page afterwards.
    assert plain not in client.get(f"/admin/merit_api/apitoken/{row.pk}/change/").content.decode()
