"""Every write of the application leaves an audit row with who, what, before and after: through the
API (session and token), the admin site and an import; no secret ever reaches the audit table."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from merit.api.models import ApiToken
from merit.api.tests.conftest import Api
from merit.audit.models import AuditEntry
from merit.audit.verify import verify
from merit.facts.models import Ticket
from merit.ingest.actions import run_import, submit_import
from merit.ingest.models import ImportState
from merit.ingest.tests.files import table_csv, ticket
from merit.org.models import Shift

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-Harbour-7734"


def last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def one(start: int, action: str) -> AuditEntry:
    return AuditEntry.objects.get(seq__gt=start, action=action)


def test_writes_through_the_api_the_admin_site_and_an_import_are_chained(world):
    users, li = world.users, world.agents["li"]
    start = last_seq()
    hr_api, admin_api = Api(signed_in(users["hr"])), Api(signed_in(users["admin"]))
    root = signed_in(users["root"])

    # The API, signed in.
    assert hr_api.post("/api/teams", {"team_id": "T9", "name": "云客服九组"}).status_code == 201
    assert hr_api.patch("/api/agents/li", {"level": "P3", "base_bonus": "1300"}).status_code == 200
    assert admin_api.put("/api/roles/nobody", {"role": "hr"}).status_code == 200

    # The admin site: a token issued (shown once), used, revoked; a shift added and deleted; a
    # password set.
    r = root.post("/admin/merit_api/apitoken/add/", {"user": users["hr"].pk, "name": "nightly"}, follow=True)
    plain = next(w for m in r.context["messages"] for w in str(m).split() if w.startswith("merit_"))
    token = ApiToken.objects.get(name="nightly")
    bearer = {"Authorization": f"Bearer {plain}"}
    assert Api(Client()).patch("/api/teams/T9", {"name": "云客服九组 B"}, headers=bearer).status_code == 200
    r = root.post("/admin/merit_api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert r.status_code == 302
    data = {"name": "早班", "team": world.teams["T1"].pk, "starts_at": "08:00", "ends_at": "17:00"}
    assert root.post("/admin/org/shift/add/", data).status_code == 302
    shift = Shift.objects.get(name="早班")
    assert root.post(f"/admin/org/shift/{shift.pk}/delete/", {"post": "yes"}).status_code == 302
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    assert root.post(f"/admin/auth/user/{users['li'].pk}/password/", data).status_code == 302

    # An import (the task's work, run here), then one of its rows deleted in the admin site.
    imp = submit_import(
        users["hr"], [("tickets.csv", table_csv("tickets", [ticket(i) for i in range(1, 21)]))]
    )
    assert run_import(imp.pk).state == ImportState.SUCCEEDED
    gone = Ticket.objects.get(ticket_id="TK00001")
    assert root.post(f"/admin/facts/ticket/{gone.pk}/delete/", {"post": "yes"}).status_code == 302

    rows = list(AuditEntry.objects.filter(seq__gt=start).order_by("seq"))
    assert [(e.action, e.actor_name) for e in rows] == [
        ("org.team.create", "hr"),
        ("org.agent.update", "hr"),
        ("org.membership.create", "admin"),
        ("api.token.create", "root"),
        ("org.team.update", "hr"),  # through the token
        ("api.token.revoke", "root"),
        ("org.shift.create", "root"),
        ("org.shift.delete", "root"),
        ("auth.user.password_change", "root"),
        ("ingest.import.submit", "hr"),
        ("ingest.import.apply", "hr"),
        ("facts.ticket.delete", "root"),
    ]
    assert verify().ok

    agent = one(start, "org.agent.update")
    assert (agent.target_type, agent.target_id) == ("org.agent", str(li.pk))
    assert (agent.before, agent.after) == (
        {"level": "P2", "base_bonus": "1200.50"},
        {"level": "P3", "base_bonus": "1300.00"},
    )
    team = one(start, "org.team.update")
    assert (team.before, team.after) == ({"name": "云客服九组"}, {"name": "云客服九组 B"})
    assert one(start, "org.membership.create").after == {
        "user": users["nobody"].pk,
        "role": "hr",
        "team": None,
    }
    assert one(start, "api.token.revoke").before == {"revoked": False}
    assert one(start, "org.shift.delete").before["starts_at"] == "08:00:00"
    assert one(start, "auth.user.password_change").detail == {"password_set": True}
    apply = one(start, "ingest.import.apply")
    assert (apply.target_type, apply.target_id) == ("ingest.import", str(imp.pk))
    assert apply.detail["file_sha256"] == imp.file_sha256
    assert apply.detail["tables"]["tickets"]["inserted"] == 20
    deleted = one(start, "facts.ticket.delete")
    assert (deleted.before["ticket_id"], deleted.before["agent"]) == ("TK00001", "wang")

    # No secret anywhere: not the password nor its hash, not the token nor its hash.
    li_user = get_user_model().objects.get(pk=users["li"].pk)
    secrets = [NEW_PASSWORD, li_user.password, plain, token.token_hash, "md5$", "pbkdf2"]
    everything = json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)
    assert [s for s in secrets if s in everything] == []
    assert li_user.check_password(NEW_PASSWORD)


def test_a_sign_in_or_a_save_that_changes_nothing_is_not_an_event(world):
    li = world.users["li"]
    li.set_password(NEW_PASSWORD)
    li.save()
    start = last_seq()
    r = Client().post("/login/", {"username": "li", "password": NEW_PASSWORD})
    assert r.status_code == 302  # signed in: last_login was saved
    world.agents["li"].save()
    world.teams["T1"].save()
    assert AuditEntry.objects.filter(seq__gt=start).count() == 0


def test_a_user_deactivated_and_deleted_is_recorded_by_whoever_did_it(world):
    start = last_seq()
    root = signed_in(world.users["root"])
    nobody = world.users["nobody"]
    r = root.post(f"/admin/auth/user/{nobody.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    e = one(start, "auth.user.delete")
    assert e.actor_name == "root" and e.before["username"] == "nobody"
    assert "password" not in e.before and "last_login" not in e.before
    wang = world.users["wang"]
    wang.is_active = False
    wang.save()  # no request, no acting_as: the system
    e = one(start, "auth.user.update")
    assert (e.actor_id, e.actor_name, e.before, e.after) == (
        None,
        "",
        {"is_active": True},
        {"is_active": False},
    )
    assert verify().ok
