"""Editors saving versions of the same policy at the same moment: every save gets its own number (or a
clear conflict), never the same number twice and never a server error."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from merit.api.auth import issue_token
from merit.assessment.tests.conftest import file_database  # noqa: F401  (a fixture)
from merit.policies.actions import ensure_presets
from merit.policies.models import PolicyVersion
from merit.policies.tests.conftest import S5_TEXT, build_world

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/policies/S5/versions"
CLIENTS = 4


@pytest.fixture
def tokens(request):
    request.getfixturevalue("file_database")  # SQLite: a database file the threads share
    world = build_world()
    ensure_presets()
    return [issue_token(world.users[who], "script")[1] for who in ("hr", "admin", "hr", "admin")]


def send_at_once(requests: list[tuple[str, dict, dict]]) -> list:
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def send(i, token, body, headers):
        try:
            barrier.wait()
            r = Client().post(
                URL,
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", **headers},
            )
            results[i] = (r.status_code, r.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *req)) for i, req in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_simultaneous_saves_get_consecutive_versions(tokens):
    texts = [S5_TEXT.replace("value: 0.995", f"value: 0.99{i}", 1) for i in range(CLIENTS)]
    results = send_at_once(
        [
            (token, {"text": text, "effective_from": "2026-04-01"}, {})
            for token, text in zip(tokens, texts, strict=True)
        ]
    )
    statuses = sorted(status for status, _ in results)
    assert set(statuses) <= {201, 409}, results
    created = sorted(body["version"] for status, body in results if status == 201)
    assert created == list(range(2, 2 + len(created))) and created
    stored = PolicyVersion.objects.filter(policy_id="S5").order_by("version")
    assert [v.version for v in stored] == [1, *created]
    assert len({v.sha256 for v in stored}) == len(stored)


def test_the_same_request_sent_at_once_with_one_key_creates_one_version(tokens):
    body = {"text": S5_TEXT.replace("value: 0.995", "value: 0.99", 1), "effective_from": "2026-04-01"}
    same_user = [tokens[0]] * CLIENTS
    results = send_at_once([(token, body, {"Idempotency-Key": "once"}) for token in same_user])
    assert all(
        status == 201 or (status == 409 and "still being processed" in r["detail"]) for status, r in results
    ), results
    assert PolicyVersion.objects.filter(policy_id="S5").count() == 2
    assert {r["version"] for status, r in results if status == 201} == {2}
