"""The schema lists every endpoint; the docs page runs from the app's own static files (no CDN); errors
share one shape."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from merit.facts.models import FACT_MODELS

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("get", "/api/me"),
    ("get", "/api/roles"),
    ("get", "/api/roles/{username}"),
    ("put", "/api/roles/{username}"),
    ("get", "/api/teams"),
    ("post", "/api/teams"),
    ("get", "/api/teams/{team_id}"),
    ("patch", "/api/teams/{team_id}"),
    ("get", "/api/agents"),
    ("post", "/api/agents"),
    ("get", "/api/agents/{agent_id}"),
    ("patch", "/api/agents/{agent_id}"),
    ("get", "/api/imports"),
    ("post", "/api/imports"),
    ("get", "/api/imports/{import_id}"),
    ("get", "/api/imports/{import_id}/problems"),
    ("post", "/api/imports/{import_id}/confirm"),
    ("post", "/api/imports/{import_id}/discard"),
    *{("get", f"/api/facts/{table}") for table in FACT_MODELS},
    ("get", "/api/policies"),
    ("get", "/api/policies/{policy_id}/versions"),
    ("post", "/api/policies/{policy_id}/versions"),
    ("get", "/api/policies/{policy_id}/versions/{version}"),
    ("get", "/api/ledger/entries"),
    ("get", "/api/ledger/balances"),
    ("get", "/api/cases"),
    ("post", "/api/cases"),
    ("get", "/api/cases/{ticket_id}"),
    ("get", "/api/cases/{ticket_id}/messages"),
    ("post", "/api/cases/{ticket_id}/assign"),
    ("post", "/api/cases/{ticket_id}/transfer"),
    ("post", "/api/cases/{ticket_id}/reply"),
    ("post", "/api/cases/{ticket_id}/notes"),
    ("post", "/api/cases/{ticket_id}/customer-message"),
    ("post", "/api/cases/{ticket_id}/wait"),
    ("post", "/api/cases/{ticket_id}/resume"),
    ("post", "/api/cases/{ticket_id}/resolve"),
    ("post", "/api/cases/{ticket_id}/close"),
    ("post", "/api/cases/{ticket_id}/reopen"),
    ("post", "/api/cases/{ticket_id}/exempt"),
    ("post", "/api/cases/{ticket_id}/reveal-contact"),
    ("get", "/api/runs"),
    ("post", "/api/runs"),
    ("get", "/api/runs/{run_id}"),
    *{("post", f"/api/runs/{{run_id}}/{action}") for action in ("submit", "approve", "reject", "publish")},
    ("get", "/api/runs/{run_id}/results"),
    ("get", "/api/runs/{run_id}/results/{agent_id}/{period}"),
}
CREATING = {
    ("post", "/api/teams"),
    ("post", "/api/agents"),
    ("post", "/api/imports"),
    ("post", "/api/policies/{policy_id}/versions"),
    ("post", "/api/runs"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        r = Client().get("/api/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_the_schema_lists_every_endpoint(schema):
    listed = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert listed == ENDPOINTS


def test_every_endpoint_has_a_tag_and_a_summary_and_needs_authentication(schema):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert op["tags"], (method, path)
            assert op["summary"], (method, path)
            assert {next(iter(s)) for s in op["security"]} == {"TokenAuth", "CookieSessionAuth"}


def test_creating_posts_document_the_idempotency_key(schema):
    for method, path in CREATING:
        params = schema["paths"][path][method].get("parameters", [])
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params), path


def test_fact_rows_document_decimals_as_strings(schema):
    row = schema["components"]["schemas"]["TicketRow"]["properties"]
    assert row["created_at"]["format"] == "date-time"
    rating = schema["components"]["schemas"]["RatingRow"]["properties"]
    assert rating["score"]["type"] == "string"


def test_the_docs_page_uses_local_scripts_only():
    r = Client().get("/api/docs")
    assert r.status_code == 200
    page = r.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    for src in sources:
        assert src.startswith("/static/"), src
        assert finders.find(src.removeprefix("/static/")), src
    assert "/api/openapi.json" in page


def test_errors_have_one_shape():
    client = Client()
    r = client.get("/api/teams")
    assert r.status_code == 401
    assert set(r.json()) == {"detail"}


def test_a_validation_error_names_the_field(as_user):
    r = as_user("hr").post("/api/teams", {"team_id": "T9"})
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "payload", "name"]
    r = as_user("hr").get("/api/agents", limit=5000)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]
    r = as_user("hr").get("/api/agents/nobody-such")
    assert (r.status_code, r.json()) == (404, {"detail": "未找到 Not found"})
