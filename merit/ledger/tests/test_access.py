"""Who sees which ledger entries, in the API and on the pages: every kind of user × own / same team /
other team, with the expectations written out from the rules (merit.api.tests.conftest), never read from
the program. Out of scope answers 404 (pages) or nothing (lists); anonymous 401 (API) or the sign-in page.
"""

from __future__ import annotations

import re

import pytest

from merit.api.tests.conftest import ALL_AGENTS, USERS, VISIBLE_AGENTS
from merit.ledger.actions import post_run
from merit.ledger.models import LedgerEntry
from merit.ledger.tests.conftest import corrected_doc, make_run, small_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(world, publisher):
    original = make_run(small_doc(), publisher)
    post_run(original, publisher)
    correction = make_run(corrected_doc(), publisher, corrects=original)
    post_run(correction, publisher)
    return original, correction


# ---- API -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", USERS)
def test_entries_are_those_of_the_agents_in_scope(as_user, runs, who):
    r = as_user(who).get("/api/ledger/entries", limit=1000)
    if who == "anonymous":
        assert r.status_code == 401
        return
    assert r.status_code == 200, r.content
    body = r.json()
    assert {item["agent_id"] for item in body["items"]} == VISIBLE_AGENTS[who]
    expected = LedgerEntry.objects.filter(agent_id__in=VISIBLE_AGENTS[who]).count()
    assert body["count"] == len(body["items"]) == expected


@pytest.mark.parametrize("who", USERS)
def test_asking_for_one_agent_outside_the_scope_gives_nothing(as_user, runs, who):
    api = as_user(who)
    for target in sorted(ALL_AGENTS):
        entries = api.get("/api/ledger/entries", agent_id=target)
        balances = api.get("/api/ledger/balances", agent_id=target)
        if who == "anonymous":
            assert (entries.status_code, balances.status_code) == (401, 401)
            continue
        visible = target in VISIBLE_AGENTS[who]
        assert (entries.json()["count"] > 0) is visible, target
        assert {b["agent_id"] for b in balances.json()["items"]} == ({target} if visible else set())


@pytest.mark.parametrize("who", USERS)
def test_balances_are_those_of_the_agents_in_scope(as_user, runs, who):
    r = as_user(who).get("/api/ledger/balances")
    if who == "anonymous":
        assert r.status_code == 401
        return
    assert {item["agent_id"] for item in r.json()["items"]} == VISIBLE_AGENTS[who]


def test_an_entry_in_the_api(as_user, runs):
    original, correction = runs
    api = as_user("li")
    body = api.get("/api/ledger/entries", book="money", period="2026-03", run=original.pk).json()
    fine = next(i for i in body["items"] if i["category"] == "fine")
    assert fine["amount"] == "-50.00"  # a decimal string, never a float
    assert (fine["rule"], fine["label"], fine["run"]) == ("late_or_early", "迟到早退", original.pk)
    assert fine["source"] == [{"table": "attendance", "id": "li/2026-03-02"}]
    assert fine["reverses"] is None and fine["reversed_by"] is not None
    reversal = api.get("/api/ledger/entries", run=correction.pk).json()["items"]
    back = next(i for i in reversal if i["id"] == fine["reversed_by"])
    assert (back["amount"], back["reverses"], back["reversed_by"]) == ("50.00", fine["id"], None)
    assert fine["created_at"].endswith("+08:00")
    balances = api.get("/api/ledger/balances").json()["items"]
    assert {(b["book"], b["balance"]) for b in balances} == {("money", "1820.00"), ("points", "3.00")}
    assert api.get("/api/ledger/balances", as_of="2026-02").json()["count"] == 0


def test_the_api_pages_and_checks_its_filters(as_user, runs):
    api = as_user("hr")
    first = api.get("/api/ledger/entries", limit=2).json()
    second = api.get("/api/ledger/entries", limit=2, offset=2).json()
    assert first["count"] == LedgerEntry.objects.count() == 22
    assert len(first["items"]) == 2 and {i["id"] for i in first["items"]}.isdisjoint(
        {i["id"] for i in second["items"]}
    )
    bad = api.get("/api/ledger/entries", period="2026-13")
    assert bad.status_code == 422 and "period" in str(bad.json()["detail"])
    assert api.get("/api/ledger/entries", book="cash").status_code == 422


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/ledger/entries", "/api/ledger/balances"])
def test_the_ledger_api_is_read_only(as_user, runs, method, path):
    r = as_user("admin").send(method, path, {"agent_id": "li", "amount": "100.00"})
    assert r.status_code == 405
    assert LedgerEntry.objects.count() == 22


# ---- pages -----------------------------------------------------------------------------------------------


def balance_rows(page: str) -> set[str]:
    return set(re.findall(r'<tr data-agent="([^"]+)">', page))


@pytest.mark.parametrize("who", USERS)
def test_the_ledger_home_by_role(as_user, runs, who):
    r = as_user(who).client.get("/ledger/")
    if who == "anonymous":
        assert r.status_code == 302 and "/login/" in r["Location"]
    elif who in ("li", "wang", "zhao"):
        assert r.status_code == 302 and r["Location"] == f"/ledger/agents/{who}/"
    else:
        assert r.status_code == 200
        assert balance_rows(r.content.decode()) == VISIBLE_AGENTS[who]


@pytest.mark.parametrize("who", USERS)
def test_an_agents_ledger_page_by_role(as_user, runs, who):
    client = as_user(who).client
    for target in sorted(ALL_AGENTS):
        r = client.get(f"/ledger/agents/{target}/")
        if who == "anonymous":
            assert r.status_code == 302 and "/login/" in r["Location"]
        else:
            assert r.status_code == (200 if target in VISIBLE_AGENTS[who] else 404), target


def test_my_ledger_shows_rules_sources_balances_and_links_reversals_to_originals(as_user, runs):
    original, correction = runs
    page = as_user("li").client.get("/ledger/agents/li/").content.decode()
    fine = LedgerEntry.objects.get(run=original, agent_id="li", category="fine")
    reversal = fine.reversal
    assert f'<tr id="e{fine.pk}"' in page
    row = re.search(rf'<tr id="e{reversal.pk}".*?</tr>', page, re.S).group(0)
    assert f'href="#e{fine.pk}"' in row and "冲销 #" in row
    assert "late_or_early" in row and "迟到早退" in row and "attendance li/2026-03-02" in row
    assert "+50.00" in row
    assert "罚款" in page and "奖金扣减" in page  # categories in Chinese first
    tiles = dict(re.findall(r'<li data-book="(\w+)"><span class="n">([^<]+)</span>', page))
    assert tiles == {"points": "3.00", "money": "¥1,820.00"}
    assert "ratings · csat 2026-03: 21/21" in page  # a metric's parts, in words
    # a filter: only money, and the points rows are gone
    money = as_user("li").client.get("/ledger/agents/li/", {"book": "money"}).content.decode()
    assert "points.opening" not in money and "late_or_early" in money


def test_the_pages_speak_english_second(as_user, runs):
    client = as_user("li").client
    client.cookies["django_language"] = "en"
    page = client.get("/ledger/agents/li/").content.decode()
    assert "Bonus cut" in page and "Points balance" in page and "reverses #" in page


def test_a_supervisor_sees_the_team_and_totals_up_to_a_month(as_user, runs):
    client = as_user("sup1").client
    page = client.get("/ledger/").content.decode()
    assert balance_rows(page) == {"li", "wang"}
    row = re.search(r'<tr data-agent="li">.*?</tr>', page, re.S).group(0)
    assert "1,820.00" in row and "3.00" in row
    assert re.search(r'id="total-money">3,010.00<', page)  # li 1820 + wang 1190
    assert re.search(r'id="total-points">33.00<', page)
    early = client.get("/ledger/", {"as_of": "2026-02"}).content.decode()
    assert re.search(r'id="total-money">0.00<', early)
    bad = client.get("/ledger/", {"as_of": "March"})
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()


def test_hr_filters_by_team(as_user, runs):
    page = as_user("hr").client.get("/ledger/", {"team": "T2"}).content.decode()
    assert balance_rows(page) == {"zhao", "sun"}


def test_the_overview_costs_the_same_queries_for_more_agents(as_user, runs, django_assert_max_num_queries):
    client = as_user("hr").client
    client.get("/ledger/")  # warm the session and the scope
    with django_assert_max_num_queries(10):
        client.get("/ledger/")
