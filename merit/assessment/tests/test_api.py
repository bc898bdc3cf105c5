"""/api/runs: every kind of user against runs in every state, written out from the rules (queries.py):
HR and admins see and review every run; supervisors see runs from submission on, with their team's
results; agents see published runs, with their own results; nobody else sees anything. Out of scope
404, in scope but not allowed 403, anonymous 401, a lost race or the four-eyes rule 409."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from merit.assessment import actions
from merit.assessment.models import Run, RunState
from merit.assessment.tests.conftest import USERS, computing
from merit.org.models import Agent

pytestmark = computing

EVERYONE = [*USERS, "anonymous"]
MANAGERS = {"hr", "hr2", "admin"}
SUPERVISORS = {"sup1", "sup2"}
AGENTS = {"a02", "a11"}


def api(shop, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(shop.users[who], backend="django.contrib.auth.backends.ModelBackend")
    return client


def post(client: Client, path: str, body=None, **headers):
    data = json.dumps(body) if body is not None else ""
    return client.post(path, data, content_type="application/json", headers=headers)


@pytest.fixture
def runs(shop):
    """A computed run (S1, March), a submitted one (S5, March) and a published one (S1, February)."""
    computed = shop.run("2026-03")
    submitted = shop.run("2026-03", policy_id="S5")
    actions.submit(submitted, shop.users["hr"])
    published = shop.publish(shop.run("2026-02"))
    return {"computed": computed, "submitted": submitted, "published": published}


SEES = {
    **{u: {"computed", "submitted", "published"} for u in MANAGERS},
    **{u: {"submitted", "published"} for u in SUPERVISORS},
    **{u: {"published"} for u in AGENTS},
    "nobody": set(),
}


def test_each_user_lists_and_reads_exactly_the_runs_in_their_scope(shop, runs):
    for who in EVERYONE:
        client = api(shop, who)
        listed = client.get("/api/runs")
        if who == "anonymous":
            assert listed.status_code == 401
            continue
        names = {name for name, run in runs.items() if run.pk in {r["id"] for r in listed.json()["items"]}}
        assert names == SEES[who], who
        for name, run in runs.items():
            got = client.get(f"/api/runs/{run.pk}")
            assert got.status_code == (200 if name in SEES[who] else 404), (who, name)
    body = api(shop, "hr").get(f"/api/runs/{runs['published'].pk}").json()
    assert body["state"] == "published" and body["published_by"] == "admin" and body["agents"] == 30
    assert body["output_sha256"] == runs["published"].output_sha256 and body["links"]["results"]
    filtered = api(shop, "hr").get("/api/runs", {"state": "submitted"}).json()["items"]
    assert [r["id"] for r in filtered] == [runs["submitted"].pk]
    in_march = api(shop, "hr").get("/api/runs", {"period": "2026-03"}).json()["items"]
    assert {r["id"] for r in in_march} == {runs["computed"].pk, runs["submitted"].pk}


def agents_of(team_id: str) -> set[str]:
    return set(Agent.objects.filter(team__team_id=team_id).values_list("agent_id", flat=True))


def test_results_show_an_agent_their_own_lines_and_a_supervisor_their_team(shop, runs):
    run = runs["published"]
    every = set(Agent.objects.values_list("agent_id", flat=True))
    expected = {
        **{u: every for u in MANAGERS},
        "sup1": agents_of("T001"),
        "sup2": agents_of("T002"),
        "a02": {"A00002"},
        "a11": {"A00011"},
    }
    for who in EVERYONE:
        r = api(shop, who).get(f"/api/runs/{run.pk}/results", {"limit": 1000})
        if who == "anonymous":
            assert r.status_code == 401
        elif who == "nobody":
            assert r.status_code == 404
        else:
            assert {row["agent_id"] for row in r.json()["items"]} == expected[who], who
    one = api(shop, "a02").get(f"/api/runs/{run.pk}/results/A00002/2026-02").json()
    assert one["agent_id"] == "A00002" and one["result"]["agent_id"] == "A00002"
    assert "bonus_explain" in one["result"] and one["bonus"] == one["result"]["bonus"]
    assert api(shop, "a02").get(f"/api/runs/{run.pk}/results/A00003/2026-02").status_code == 404
    assert api(shop, "sup1").get(f"/api/runs/{run.pk}/results/A00003/2026-02").status_code == 200
    assert api(shop, "sup1").get(f"/api/runs/{run.pk}/results/A00011/2026-02").status_code == 404
    team = api(shop, "hr").get(f"/api/runs/{run.pk}/results", {"team_id": "T002"}).json()
    assert {row["agent_id"] for row in team["items"]} == agents_of("T002")


def test_only_hr_and_admins_request_runs_and_the_same_request_returns_the_same_run(shop):
    body = {"policy_id": "S1", "first_period": "2026-03"}
    for who in set(EVERYONE) - MANAGERS:
        r = post(api(shop, who), "/api/runs", body)
        assert r.status_code == (401 if who == "anonymous" else 403), who
    assert not Run.objects.exists()
    hr = api(shop, "hr")
    first = post(hr, "/api/runs", body)
    assert first.status_code == 202
    created = first.json()
    assert (created["state"], created["policy_id"], created["policy_version"]) == ("queued", "S1", 1)
    assert created["last_period"] == "2026-03" and created["links"]["self"] == f"/api/runs/{created['id']}"
    again = post(api(shop, "admin"), "/api/runs", body)
    assert (again.status_code, again.json()["id"]) == (200, created["id"])
    actions.compute_run(created["id"])
    after = post(hr, "/api/runs", body)
    assert (after.status_code, after.json()["id"], after.json()["state"]) == (200, created["id"], "computed")
    keyed = post(hr, "/api/runs", {**body, "first_period": "2026-02"}, **{"Idempotency-Key": "feb"})
    replay = post(hr, "/api/runs", {**body, "first_period": "2026-02"}, **{"Idempotency-Key": "feb"})
    assert keyed.status_code == replay.status_code == 202
    assert replay.json()["id"] == keyed.json()["id"] and replay["Idempotent-Replayed"] == "true"
    assert Run.objects.count() == 2


def test_bad_requests_name_the_field(shop):
    hr = api(shop, "hr")
    cases = [
        ({"policy_id": "S1", "first_period": "March"}, "first_period"),
        ({"policy_id": "S1", "first_period": "2026-03", "last_period": "2026-01"}, "last_period"),
        ({"policy_id": "NOPE", "first_period": "2026-03"}, "policy_id"),
        ({"policy_id": "S1", "version": 9, "first_period": "2026-03"}, "version"),
        ({"policy_id": "S1", "first_period": "2026-03", "corrects": 999}, "corrects"),
        ({"policy_id": "S1", "first_period": "2026-03", "state": "published"}, "state"),
        ({"policy_id": "S1", "first_period": "2027-03"}, "first_period"),  # a month without facts
    ]
    for body, field in cases:
        r = post(hr, "/api/runs", body)
        assert r.status_code == 422, (body, r.content)
        assert any(field in e["loc"] for e in r.json()["detail"]), (body, r.json())
    assert not Run.objects.exists()


def test_review_through_the_api_with_four_eyes_and_conflicts(shop, runs):
    computed, submitted = runs["computed"], runs["submitted"]
    # Supervisors see a submitted run but may not review it; agents and users without a role do not see it.
    expected = {"sup1": 403, "sup2": 403, "a02": 404, "a11": 404, "nobody": 404, "anonymous": 401}
    for who, status in expected.items():
        for action in ("approve", "reject", "publish", "submit"):
            body = {"override_reason": "x"} if action == "publish" else {"reason": "x"}
            r = post(api(shop, who), f"/api/runs/{submitted.pk}/{action}", body)
            assert r.status_code == status, (who, action, r.content)
    assert Run.objects.get(pk=submitted.pk).state == RunState.SUBMITTED

    hr, admin = api(shop, "hr"), api(shop, "admin")
    own = post(hr, f"/api/runs/{submitted.pk}/approve")
    assert own.status_code == 409 and "四眼" in own.json()["detail"] and "four-eyes" in own.json()["detail"]
    assert post(admin, f"/api/runs/{submitted.pk}/approve").json()["state"] == "approved"
    twice = post(api(shop, "hr2"), f"/api/runs/{submitted.pk}/approve")
    assert twice.status_code == 409 and "already approved (by admin)" in twice.json()["detail"]
    assert post(admin, f"/api/runs/{submitted.pk}/reject", {"reason": ""}).status_code == 422
    rejected = post(admin, f"/api/runs/{submitted.pk}/reject", {"reason": "人工评分有误"})
    assert rejected.json()["state"] == "rejected" and rejected.json()["reject_reason"] == "人工评分有误"

    assert post(hr, f"/api/runs/{computed.pk}/publish").status_code == 409  # not approved
    assert post(hr, f"/api/runs/{computed.pk}/submit").json()["submitted_by"] == "hr"
    assert post(admin, f"/api/runs/{computed.pk}/approve").status_code == 200
    published = post(admin, f"/api/runs/{computed.pk}/publish")
    assert published.status_code == 200 and published.json()["state"] == "published"
    again = post(hr, f"/api/runs/{computed.pk}/publish")
    assert again.status_code == 409 and "already published" in again.json()["detail"]
    assert post(hr, "/api/runs/999999/approve").status_code == 404


def test_the_list_costs_the_same_queries_for_one_run_or_many(shop, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(shop, "hr")
    client.get("/api/runs")  # sessions and scope warmed up

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/runs", params).status_code == 200
        return len(ctx.captured_queries)

    assert queries(state="submitted") == queries()  # 1 run listed, then 3
