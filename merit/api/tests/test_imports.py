"""Uploading through the API: who may, what comes back (202 and the links to follow), the report of bad
rows page by page, idempotent retries of the same files, and form fields a client may not set."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from merit.api.tests.conftest import MANAGERS, USERS
from merit.engine import tables as T
from merit.ingest.actions import run_import
from merit.ingest.models import Import, ImportState

pytestmark = pytest.mark.django_db

MAY_IMPORT = MANAGERS | {"sup1", "sup2"}  # HR and admins for every team, supervisors for their own


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def tickets_csv(rows: int = 3, bad: set[int] = frozenset(), first: int = 1) -> bytes:
    """Tickets of li (team T1) in March 2026; the tickets numbered in ``bad`` have an unknown kind."""
    cols = list(T.TABLES["tickets"].column_names)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for i in range(first, first + rows):
        row = {
            "ticket_id": f"TK{i:05d}",
            "agent_id": "li",
            "kind": "gift" if i in bad else "refund",
            "created_at": f"2026-03-{1 + i % 28:02d}T10:00:00",
        }
        writer.writerow([row.get(c, "") for c in cols])
    return buf.getvalue().encode()


def upload(api, data: bytes = b"", name: str = "tickets.csv", headers=None, **fields):
    files = SimpleUploadedFile(name, data or tickets_csv(), content_type="text/csv")
    return api.client.post("/api/imports", {"files": [files], **fields}, headers=headers or {})


@pytest.mark.parametrize("who", USERS)
def test_who_may_upload(as_user, who):
    r = upload(as_user(who))
    expected = 401 if who == "anonymous" else 202 if who in MAY_IMPORT else 403
    assert r.status_code == expected, r.content
    assert Import.objects.count() == (1 if expected == 202 else 0)
    if expected == 202:
        body = r.json()
        assert (body["state"], body["created_by"], body["source_name"]) == ("queued", who, "tickets.csv")


def test_the_answer_links_to_the_status_and_the_report(as_user):
    api = as_user("hr")
    body = upload(api).json()
    assert body["links"] == {
        "self": f"/api/imports/{body['id']}",
        "problems": f"/api/imports/{body['id']}/problems",
        "confirm": f"/api/imports/{body['id']}/confirm",
        "discard": f"/api/imports/{body['id']}/discard",
    }
    status = api.get(body["links"]["self"]).json()
    assert (status["id"], status["state"], status["progress"]) == (body["id"], "queued", 0)
    assert status["created_at"].endswith("+08:00")


def test_a_dry_run_previews_then_the_confirm_step_applies(as_user):
    from merit.facts.models import Ticket

    api = as_user("hr")
    run_import(upload(api, tickets_csv(rows=3)).json()["id"])  # tickets 1–3 applied at once
    body = upload(api, tickets_csv(rows=5), dry_run="true").json()
    run_import(body["id"])  # what the background worker does
    status = api.get(body["links"]["self"]).json()
    assert status["state"] == "previewed"
    assert status["summary"]["tickets"] == {"read": 5, "inserted": 2, "updated": 0, "unchanged": 3}
    assert status["months"] == {"tickets": ["2026-03"]}
    assert status["published_runs"] == [] and status["confirmed_by"] is None
    assert Ticket.objects.count() == 3

    sup = as_user("sup2")  # not the uploader, not HR: may not confirm HR's import (not even see it)
    assert sup.post(body["links"]["confirm"]).status_code == 404
    confirmed = api.post(body["links"]["confirm"])
    assert confirmed.status_code == 202, confirmed.content
    assert (confirmed.json()["state"], confirmed.json()["confirmed_by"]) == ("queued", "hr")
    assert api.post(body["links"]["confirm"]).status_code == 409  # once
    run_import(body["id"])
    done = api.get(body["links"]["self"]).json()
    assert (done["state"], done["summary"]["tickets"]["inserted"]) == ("succeeded", 2)
    assert Ticket.objects.count() == 5

    other = upload(api, tickets_csv(rows=2, first=10), dry_run="true").json()
    run_import(other["id"])
    discarded = api.post(other["links"]["discard"])
    assert (discarded.status_code, discarded.json()["state"]) == (200, "discarded")
    assert Ticket.objects.count() == 5


def test_a_rejected_import_reports_every_bad_row_page_by_page(as_user):
    api = as_user("sup1")
    body = upload(api, tickets_csv(rows=30, bad={3, 7, 12, 20, 25})).json()
    run_import(body["id"])  # what the background worker does

    status = api.get(body["links"]["self"]).json()
    assert (status["state"], status["progress"], status["problem_count"]) == ("failed", 100, 5)
    first = api.get(body["links"]["problems"], limit=2).json()
    rest = api.get(body["links"]["problems"], limit=2, offset=2).json()
    assert first["count"] == 5
    problems = first["items"] + rest["items"] + api.get(body["links"]["problems"], offset=4).json()["items"]
    # Ticket i sits on CSV row i + 1 (the header is row 1).
    assert [(p["table"], p["row"], p["column"], p["value"]) for p in problems] == [
        ("tickets", i + 1, "kind", "gift") for i in (3, 7, 12, 20, 25)
    ]
    assert all(p["reason"] for p in problems)


def test_a_successful_import_shows_its_summary_and_its_rows(as_user):
    api = as_user("hr")
    body = upload(api, tickets_csv(rows=4)).json()
    run_import(body["id"])
    status = api.get(body["links"]["self"]).json()
    assert status["state"] == "succeeded"
    assert status["summary"]["tickets"]["inserted"] == 4
    assert status["finished_at"].endswith("+08:00")
    assert api.get("/api/imports/{}/problems".format(body["id"])).json() == {
        "count": 0,
        "limit": 100,
        "offset": 0,
        "items": [],
    }
    rows = as_user("li").get("/api/facts/tickets").json()
    assert rows["count"] == 4


def test_the_list_filters_by_state(as_user):
    api = as_user("hr")
    done = upload(api, tickets_csv(rows=2)).json()["id"]
    run_import(done)
    queued = upload(api, tickets_csv(rows=2, first=10)).json()["id"]
    assert [i["id"] for i in api.get("/api/imports", state="succeeded").json()["items"]] == [done]
    assert [i["id"] for i in api.get("/api/imports", state="queued").json()["items"]] == [queued]
    assert [i["id"] for i in api.get("/api/imports").json()["items"]] == [queued, done]  # newest first


def test_the_same_files_with_the_same_key_are_one_import(as_user):
    api = as_user("hr")
    key = {"Idempotency-Key": "upload-2026-03"}
    first = upload(api, headers=key, profile="")
    again = upload(api, headers=key, profile="")
    assert first.status_code == again.status_code == 202
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Import.objects.count() == 1


def test_the_same_key_with_other_files_is_a_conflict(as_user):
    api = as_user("hr")
    key = {"Idempotency-Key": "upload-2026-03"}
    assert upload(api, tickets_csv(rows=3), headers=key).status_code == 202
    r = upload(api, tickets_csv(rows=4), headers=key)
    assert r.status_code == 409
    assert upload(api, tickets_csv(rows=3), name="renamed.csv", headers=key).status_code == 409
    assert Import.objects.count() == 1


def test_form_fields_a_client_may_not_set_are_ignored(as_user, world):
    api = as_user("sup1")
    r = upload(
        api,
        state="succeeded",
        progress="100",
        created_by=str(world.users["hr"].pk),
        created_by_id=str(world.users["hr"].pk),
        file_sha256="0" * 64,
        stored_path="../../etc",
    )
    assert r.status_code == 202
    row = Import.objects.get()
    assert (row.state, row.progress, row.created_by.username) == (ImportState.QUEUED, 0, "sup1")
    assert row.file_sha256 != "0" * 64
    assert ".." not in row.stored_path


@pytest.mark.parametrize("profile", ["no_such_profile", "/etc/merit/profile.yaml", "../profile.yml"])
def test_only_shipped_profiles_are_accepted(as_user, profile):
    r = upload(as_user("hr"), profile=profile)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["form", "profile"]
    assert not Import.objects.exists()


def test_bad_files_are_refused_with_the_field_named(as_user):
    api = as_user("hr")
    r = upload(api, b"MZ\x90\x00", name="setup.exe")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["file", "files"]
    assert "setup.exe" in r.json()["detail"][0]["msg"]
    r = api.client.post("/api/imports", {"profile": ""})
    assert r.status_code == 422
    assert not Import.objects.exists()
