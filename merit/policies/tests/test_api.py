"""/api/policies: everyone with a role reads; HR and admins add versions; the engine's problems come back
with their lines; idempotency keys replay; no field beyond text, effective_from, note and name is
writable."""

from __future__ import annotations

import pytest

from merit.api.auth import issue_token
from merit.policies.models import PolicyVersion
from merit.policies.tests.conftest import (
    EDITORS,
    READERS,
    S5_BROKEN,
    S5_BROKEN_LINE,
    S5_EDITED,
    S5_TEXT,
)

pytestmark = pytest.mark.django_db

URL = "/api/policies"
VERSIONS = f"{URL}/S5/versions"
NEW = {"text": S5_EDITED, "effective_from": "2026-04-01", "note": "争议率步长 0.2 个百分点"}
WHO = ["li", "sup1", "hr", "admin", "root", "nobody", "anonymous"]


def key(value: str) -> dict:
    return {"Idempotency-Key": value}


def s5_count() -> int:
    return PolicyVersion.objects.filter(policy_id="S5").count()


@pytest.mark.parametrize("who", WHO)
def test_reading_needs_a_role(api_for, presets, who):
    api = api_for(who)
    expected = 200 if who in READERS else 401 if who == "anonymous" else 403
    assert api.get(URL).status_code == expected
    assert api.get(VERSIONS).status_code == expected
    assert api.get(f"{VERSIONS}/1").status_code == expected


def test_the_list_has_every_preset_with_its_latest_version(api_for, db, world):
    r = api_for("li").get(URL)  # the first read stores the presets
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 11
    s5 = next(p for p in body["items"] if p["policy_id"] == "S5")
    assert s5 == {
        "policy_id": "S5",
        "name": "after_sales_kpi",
        "title_zh": "售后KPI考核报表(100分)",
        "title_en": "After-sales KPI report (100 points)",
        "latest_version": 1,
        "effective_from": "2026-01-01",
        "preset": True,
        "sha256": PolicyVersion.objects.get(policy_id="S5").sha256,
    }
    assert [p["policy_id"] for p in body["items"]][:2] == ["S1", "S2"]


def test_one_version_has_its_text_and_hash(api_for, presets):
    r = api_for("sup1").get(f"{VERSIONS}/1")
    assert r.status_code == 200
    body = r.json()
    assert body["text"] == S5_TEXT
    assert body["sha256"] == PolicyVersion.objects.get(policy_id="S5").sha256
    assert (body["version"], body["effective_from"], body["runs"], body["created_by"]) == (
        1,
        "2026-01-01",
        [],
        None,
    )
    assert api_for("sup1").get(f"{VERSIONS}/2").status_code == 404
    assert api_for("sup1").get(f"{URL}/nope/versions").status_code == 404


@pytest.mark.parametrize("who", EDITORS)
def test_hr_and_admins_create_a_version(api_for, presets, world, who):
    r = api_for(who).post(VERSIONS, NEW)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["version"], body["effective_from"], body["note"], body["created_by"]) == (
        2,
        "2026-04-01",
        NEW["note"],
        who,
    )
    assert body["text"] == S5_EDITED
    listed = api_for("li").get(VERSIONS).json()
    assert [v["version"] for v in listed["items"]] == [2, 1]
    assert "text" not in listed["items"][0]


@pytest.mark.parametrize("who", ["li", "sup1", "nobody", "anonymous"])
def test_others_may_not_create_versions(api_for, presets, who):
    r = api_for(who).post(VERSIONS, NEW)
    assert r.status_code == (401 if who == "anonymous" else 403)
    assert s5_count() == 1


def test_a_token_works_too(client, presets, world):
    _, token = issue_token(world.users["hr"], "script")
    r = client.post(
        VERSIONS, NEW, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201


def test_an_invalid_text_answers_422_with_each_problem_and_its_line(api_for, presets):
    r = api_for("hr").post(VERSIONS, {**NEW, "text": S5_BROKEN})
    assert r.status_code == 422
    [problem] = r.json()["detail"]
    assert problem["line"] == S5_BROKEN_LINE
    assert problem["path"] == "scorecard.items.5.metric"
    assert "refund_dispute_ratio" in problem["message"]
    assert problem["loc"] == ["body", "payload", "text"]
    assert problem["msg"].startswith(f"line {S5_BROKEN_LINE} ")
    assert s5_count() == 1


def test_an_unchanged_text_answers_409(api_for, presets):
    r = api_for("hr").post(VERSIONS, {**NEW, "text": S5_TEXT})
    assert r.status_code == 409
    assert "v1" in r.json()["detail"]


def test_an_early_effective_date_answers_422_naming_the_field(api_for, presets):
    r = api_for("hr").post(VERSIONS, {**NEW, "effective_from": "2025-12-31"})
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["loc"][-1] == "effective_from" and "2026-01-01" in error["msg"]


def test_a_new_custom_policy(api_for, presets):
    text = S5_TEXT.replace("id: S5", "id: after-sales-2027", 1)
    r = api_for("hr").post(f"{URL}/after-sales-2027/versions", {**NEW, "text": text, "name": "售后2027"})
    assert r.status_code == 201
    assert (r.json()["version"], r.json()["name"]) == (1, "售后2027")
    bad = api_for("hr").post(f"{URL}/After_Sales/versions", {**NEW, "text": text})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "policy_id"]


@pytest.mark.parametrize(
    "extra",
    [
        {"version": 7},
        {"sha256": "0" * 64},
        {"preset": True},
        {"policy_id": "S7"},
        {"created_by": 1},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"id": 1},
        {"title_zh": "改"},
    ],
)
def test_only_text_effective_from_note_and_name_are_writable(api_for, presets, extra):
    r = api_for("admin").post(VERSIONS, {**NEW, **extra})
    assert r.status_code == 422
    assert any(
        e["loc"][-1] == next(iter(extra)) and e["type"] == "extra_forbidden" for e in r.json()["detail"]
    )
    assert s5_count() == 1


def test_an_idempotency_key_replays_the_first_answer(api_for, presets):
    api = api_for("hr")
    first = api.post(VERSIONS, NEW, headers=key("v2-of-s5"))
    again = api.post(VERSIONS, NEW, headers=key("v2-of-s5"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert s5_count() == 2


def test_an_idempotency_key_reused_for_another_body_is_a_conflict(api_for, presets):
    api = api_for("hr")
    assert api.post(VERSIONS, NEW, headers=key("k")).status_code == 201
    r = api.post(VERSIONS, {**NEW, "note": "another"}, headers=key("k"))
    assert r.status_code == 409
    assert "Idempotency-Key" in r.json()["detail"]
    assert s5_count() == 2


def test_a_refused_request_frees_its_key(api_for, presets):
    api = api_for("hr")
    assert api.post(VERSIONS, {**NEW, "text": S5_BROKEN}, headers=key("k")).status_code == 422
    assert api.post(VERSIONS, NEW, headers=key("k")).status_code == 201
