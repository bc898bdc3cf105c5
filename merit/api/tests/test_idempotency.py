"""Idempotency keys: the same key and body replay the first answer, another body is a conflict, and
concurrent duplicates never both run."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from merit.api.auth import issue_token
from merit.api.models import IdempotencyRecord
from merit.api.tests.conftest import Api, build_world
from merit.org.models import Agent, Team

pytestmark = pytest.mark.django_db

NEW_TEAM = {"team_id": "T9", "name": "云客服九组"}
NEW_AGENT = {"agent_id": "new", "name": "新人", "team_id": "T1", "role": "cloud", "base_bonus": "800.00"}


def key(value: str) -> dict:
    return {"Idempotency-Key": value}


def test_the_same_key_and_body_replay_the_first_answer(as_user):
    api = as_user("hr")
    first = api.post("/api/agents", NEW_AGENT, headers=key("k-1"))
    again = api.post("/api/agents", NEW_AGENT, headers=key("k-1"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Agent.objects.filter(agent_id="new").count() == 1


def test_the_body_is_compared_by_meaning_not_spelling(as_user):
    api = as_user("hr")
    first = api.post("/api/teams", NEW_TEAM, headers=key("k-1"))
    respelled = '{ "name": "云客服九组",\n  "team_id": "T9" }'
    again = api.client.post("/api/teams", respelled, content_type="application/json", headers=key("k-1"))
    assert again.status_code == 201
    assert again.content == first.content


def test_the_same_key_with_another_body_is_a_conflict(as_user):
    api = as_user("hr")
    assert api.post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 201
    r = api.post("/api/teams", {"team_id": "T8", "name": "另一组"}, headers=key("k-1"))
    assert r.status_code == 409
    assert "Idempotency-Key" in r.json()["detail"]
    assert not Team.objects.filter(team_id="T8").exists()


def test_the_same_key_on_another_endpoint_is_a_conflict(as_user):
    api = as_user("hr")
    assert api.post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 201
    assert api.post("/api/agents", NEW_AGENT, headers=key("k-1")).status_code == 409
    assert not Agent.objects.filter(agent_id="new").exists()


def test_keys_belong_to_their_user(as_user):
    assert as_user("hr").post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 201
    r = as_user("admin").post("/api/teams", {"team_id": "T8", "name": "另一组"}, headers=key("k-1"))
    assert r.status_code == 201
    assert "Idempotent-Replayed" not in r


def test_without_a_key_a_repeat_runs_again(as_user):
    api = as_user("hr")
    assert api.post("/api/teams", NEW_TEAM).status_code == 201
    assert api.post("/api/teams", NEW_TEAM).status_code == 409  # the team exists now
    assert not IdempotencyRecord.objects.exists()


def test_a_refused_request_frees_its_key(as_user):
    api = as_user("hr")
    taken = api.post("/api/teams", {"team_id": "T1", "name": "again"}, headers=key("k-1"))
    assert taken.status_code == 409
    assert not IdempotencyRecord.objects.exists()
    assert api.post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 201
    forbidden = as_user("sup1").post("/api/teams", NEW_TEAM, headers=key("k-2"))
    assert forbidden.status_code == 403
    assert IdempotencyRecord.objects.count() == 1


def test_a_key_still_being_processed_is_a_conflict(as_user, world):
    api = as_user("hr")
    body = api.post("/api/teams", NEW_TEAM, headers=key("k-1"))
    assert body.status_code == 201
    # The first request of a pair that is still running holds the key with no answer yet.
    IdempotencyRecord.objects.filter(key="k-1").update(status_code=None, response_body="")
    r = api.post("/api/teams", NEW_TEAM, headers=key("k-1"))
    assert r.status_code == 409
    assert "still being processed" in r.json()["detail"]


def test_a_key_whose_request_died_is_free_again_after_five_minutes(as_user):
    api = as_user("hr")
    assert api.post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 201
    Team.objects.filter(team_id="T9").delete()  # as if the work had been rolled back
    IdempotencyRecord.objects.update(
        status_code=None, response_body="", created_at=timezone.now() - timedelta(minutes=6)
    )
    r = api.post("/api/teams", NEW_TEAM, headers=key("k-1"))
    assert r.status_code == 201
    assert "Idempotent-Replayed" not in r
    assert Team.objects.filter(team_id="T9").exists()


def test_records_expire_after_a_day(as_user):
    api = as_user("hr")
    assert api.post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    # An expired key is a new key: the request runs (and finds the team it made a day ago).
    assert api.post("/api/teams", NEW_TEAM, headers=key("k-1")).status_code == 409
    assert api.post("/api/teams", {"team_id": "T8", "name": "另一组"}, headers=key("k-2")).status_code == 201
    IdempotencyRecord.objects.filter(key="k-2").update(created_at=timezone.now() - timedelta(days=2))
    out = io.StringIO()
    call_command("purge_idempotency_records", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert not IdempotencyRecord.objects.exists()


def test_a_too_long_key_is_refused(as_user):
    r = as_user("hr").post("/api/teams", NEW_TEAM, headers=key("k" * 256))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert not Team.objects.filter(team_id="T9").exists()


def test_a_token_client_replays_too(world):
    _, plain = issue_token(world.users["hr"], "script")
    api = Api(Client())
    headers = {"Authorization": f"Bearer {plain}", **key("nightly-2026-03-31")}
    first = api.post("/api/teams", NEW_TEAM, headers=headers)
    again = api.post("/api/teams", NEW_TEAM, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_once():
    """Eight clients send the same creation with the same key at the same moment: one runs; the others
    get its answer or a 409 asking them to retry; one team exists."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # The in-memory test database shares one cache between threads and answers "table is locked"
        # instead of waiting; a real SQLite file (WAL, IMMEDIATE transactions) serialises writers.
        pytest.skip("threads need a database file or server shared between connections")
    world = build_world()
    _, plain = issue_token(world.users["hr"], "script")
    headers = {"Authorization": f"Bearer {plain}", **key("same-moment")}
    barrier = threading.Barrier(8)
    results: list[tuple[int, str]] = []

    def send():
        try:
            barrier.wait()
            r = Api(Client()).post("/api/teams", NEW_TEAM, headers=headers)
            results.append((r.status_code, r.json()["detail"] if r.status_code != 201 else ""))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 8
    assert Team.objects.filter(team_id="T9").count() == 1
    statuses = [s for s, _ in results]
    assert statuses.count(201) >= 1
    assert all(s == 201 or (s == 409 and "still being processed" in d) for s, d in results), results
