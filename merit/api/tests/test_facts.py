"""Facts read back as the package wrote them: package column names, natural-key order, exact decimals as
strings, times with the +08:00 offset, months cut at Shanghai midnight."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from merit.api.tests.conftest import SHANGHAI, make_fact
from merit.engine import tables as T

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def tickets(world):
    li, zhao = world.agents["li"], world.agents["zhao"]
    # Out of creation order on purpose; the API orders by ticket_id.
    make_fact("tickets", li, ticket_id="t-03", created_at=at("2026-04-01T00:10:00"))
    make_fact("tickets", li, ticket_id="t-01", created_at=at("2026-03-01T00:00:00"))
    make_fact("tickets", li, ticket_id="t-02", created_at=at("2026-03-31T23:30:00"), resolved_at=None)
    make_fact("tickets", zhao, ticket_id="t-04", created_at=at("2026-02-28T23:59:59"))


def ticket_ids(api, **params) -> list[str]:
    r = api.get("/api/facts/tickets", **params)
    assert r.status_code == 200, r.content
    return [row["ticket_id"] for row in r.json()["items"]]


def test_rows_carry_the_package_columns_in_natural_key_order(as_user, tickets):
    r = as_user("hr").get("/api/facts/tickets")
    body = r.json()
    assert body["count"] == 4
    assert [row["ticket_id"] for row in body["items"]] == ["t-01", "t-02", "t-03", "t-04"]
    assert set(body["items"][0]) == set(T.TABLES["tickets"].column_names)
    assert body["items"][0]["agent_id"] == "li"


def test_times_have_the_shanghai_offset(as_user, tickets):
    row = as_user("li").get("/api/facts/tickets").json()["items"][1]
    assert row["ticket_id"] == "t-02"
    assert row["created_at"] == "2026-03-31T23:30:00+08:00"
    assert row["resolved_at"] is None


def test_decimals_are_exact_strings(as_user, world):
    make_fact("refunds", world.agents["li"], amount=Decimal("1234.5678"))
    make_fact("ratings", world.agents["li"], score=Decimal("4.5"))
    refund = as_user("li").get("/api/facts/refunds").json()["items"][0]
    assert refund["amount"] == "1234.5678"
    rating = as_user("li").get("/api/facts/ratings").json()["items"][0]
    assert Decimal(rating["score"]) == Decimal("4.5")
    assert isinstance(rating["score"], str)


def test_a_period_is_a_calendar_month_in_shanghai(as_user, tickets):
    api = as_user("hr")
    assert ticket_ids(api, period="2026-03") == ["t-01", "t-02"]
    assert ticket_ids(api, period="2026-04") == ["t-03"]
    assert ticket_ids(api, period="2026-02") == ["t-04"]


def test_from_and_to_are_inclusive_and_a_date_is_a_whole_day(as_user, tickets):
    api = as_user("hr")
    assert ticket_ids(api, **{"from": "2026-03-01", "to": "2026-03-31"}) == ["t-01", "t-02"]
    assert ticket_ids(api, **{"from": "2026-03-31T23:30:00", "to": "2026-04-01T00:10:00+08:00"}) == [
        "t-02",
        "t-03",
    ]
    assert ticket_ids(api, **{"to": "2026-03-31T15:29:59Z"}) == ["t-01", "t-04"]


def test_filters_combine(as_user, tickets):
    assert ticket_ids(as_user("hr"), period="2026-03", agent_id="li", **{"from": "2026-03-02"}) == ["t-02"]


def test_date_and_month_tables_filter_on_their_own_time_columns(as_user, world):
    li = world.agents["li"]
    for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1)):
        make_fact("attendance", li, date=day)
    for period in ("2026-02", "2026-03", "2026-04"):
        make_fact("sales", li, period=period)
    api = as_user("li")
    attendance = api.get("/api/facts/attendance", period="2026-03").json()["items"]
    assert [row["date"] for row in attendance] == ["2026-03-01", "2026-03-31"]
    attendance = api.get("/api/facts/attendance", **{"from": "2026-03-31", "to": "2026-04-01"}).json()
    assert [row["date"] for row in attendance["items"]] == ["2026-03-31", "2026-04-01"]
    sales = api.get("/api/facts/sales", **{"from": "2026-03", "to": "2026-04"}).json()["items"]
    assert [row["period"] for row in sales] == ["2026-03", "2026-04"]
    assert [r["period"] for r in api.get("/api/facts/sales", period="2026-02").json()["items"]] == ["2026-02"]


@pytest.mark.parametrize(
    ("table", "param", "value"),
    [
        ("tickets", "from", "31/03/2026"),
        ("tickets", "to", "2026-13-01"),
        ("attendance", "from", "2026-03-01T08:00:00"),
        ("sales", "to", "2026-03-01"),
        ("tickets", "period", "2026-3"),
    ],
)
def test_a_malformed_bound_names_the_parameter(as_user, world, table, param, value):
    r = as_user("hr").get(f"/api/facts/{table}", **{param: value})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", param]


def test_pages_have_a_maximum_size(as_user, world):
    li = world.agents["li"]
    for n in range(5):
        make_fact("chats", li, n)
    api = as_user("li")
    body = api.get("/api/facts/chats", limit=2, offset=2).json()
    assert (body["count"], body["limit"], body["offset"]) == (5, 2, 2)
    assert [row["chat_id"] for row in body["items"]] == ["chats-li-2", "chats-li-3"]
    assert api.get("/api/facts/chats", limit=1000).status_code == 200
    assert api.get("/api/facts/chats", limit=1001).status_code == 422
    assert api.get("/api/facts/chats", offset=-1).status_code == 422
