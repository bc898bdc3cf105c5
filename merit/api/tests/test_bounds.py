"""Bounds on the API's inputs: values that used to reach the database or the calendar and fail there
(a 500) are a 422 naming the parameter, on SQLite and PostgreSQL alike (docs/api.md)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [e["loc"][-1] for e in response.json()["detail"]]


@pytest.mark.parametrize(
    "path",
    [
        "/api/teams?offset=9223372036854775808",  # above 2^63 − 1: SQLite said "datatype mismatch"
        "/api/agents?offset=1000000001",
        "/api/imports?offset=-1",
    ],
)
def test_an_offset_out_of_range_is_a_422(as_user, path):
    r = as_user("hr").get(path)
    assert r.status_code == 422, r.content
    assert _names(r) == ["offset"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("period=0000-01", "period"),  # was a ValueError in the calendar
        ("period=9999-12", "period"),
        ("to=9999-12-31", "to"),  # was an OverflowError past the last day
        ("from=0001-01-01", "from"),
        ("from=0001-01-01T00:00:00", "from"),
        ("to=3000-01-01", "to"),
    ],
)
def test_dates_and_months_out_of_range_are_a_422(as_user, query, param):
    r = as_user("hr").get(f"/api/facts/tickets?{query}")
    assert r.status_code == 422, r.content
    assert _names(r) == [param]


def test_the_edges_of_the_range_are_answered(as_user):
    hr = as_user("hr")
    for query in ("period=1970-01", "period=2999-12", "from=1970-01-01", "to=2999-12-31"):
        r = hr.get(f"/api/facts/tickets?{query}")
        assert r.status_code == 200, (query, r.content)
    r = hr.get("/api/facts/manual_scores?from=2999-12&to=2999-12")
    assert r.status_code == 200, r.content
    assert hr.get("/api/teams?offset=1000000000").json()["items"] == []


def test_a_nul_character_never_reaches_the_database(as_user):
    """PostgreSQL cannot store NUL in text: it was a 500 there (a team named "a\\x00b")."""
    hr = as_user("hr")
    r = hr.post("/api/teams", {"team_id": "T9", "name": "a\x00b"})
    assert r.status_code == 422 and _names(r) == ["name"]
    r = hr.get("/api/agents?team_id=T1%00")
    assert r.status_code == 422 and _names(r) == ["team_id"]
    assert hr.get("/api/teams/T1%00").status_code == 404
    assert hr.get("/api/teams").json()["count"] == 2  # nothing stored


@pytest.mark.parametrize(
    "path",
    [
        "/api/ledger/entries?run=9223372036854775808",  # found by the fuzzer: a 500 on SQLite
        "/api/runs/9223372036854775808",
        "/api/imports/9223372036854775808",
        "/api/policies/S5/versions/9223372036854775808",
    ],
)
def test_an_id_beyond_any_row_is_a_client_error(as_user, path):
    r = as_user("hr").get(path)
    assert r.status_code in (404, 422), (path, r.status_code, r.content[:200])
