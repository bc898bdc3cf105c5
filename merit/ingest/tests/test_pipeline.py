"""An import is all or nothing, reports every bad row, and never duplicates rows (SQLite and PostgreSQL)."""

# Naive datetimes on purpose: Excel cells carry no zone (Shanghai wall time), DuckDB's TIMESTAMP holds UTC.
# ruff: noqa: DTZ001

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from merit.engine.package import R_NOT_TIMESTAMP
from merit.engine.package.problems import R_UNKNOWN_AGENT
from merit.facts.models import Incident, Rating, Ticket
from merit.ingest.actions import run_import, submit_import
from merit.ingest.models import Import, ImportState
from merit.ingest.tests.files import rating, table_csv, ticket, workbook_bytes, zip_bytes
from merit.org.models import Agent, Team

KINDS = "must be one of: refund, return, exchange, repair, complaint, invoice, logistics, inquiry, other"


def _import(user, files, profile=""):
    imp = submit_import(user, files, profile, enqueue=False)
    if imp.state == ImportState.QUEUED:
        imp = run_import(imp.pk)
    return imp


def _problems(imp) -> set[tuple]:
    return {(p["table"], p["row"], p["column"], p["value"], p["reason"]) for p in imp.problems}


def _package(tickets: list[dict], ratings: list[dict]) -> bytes:
    return zip_bytes(
        {"shop/tickets.csv": table_csv("tickets", tickets), "shop/ratings.csv": table_csv("ratings", ratings)}
    )


def _good_tickets(first: int = 1, last: int = 500) -> list[dict]:
    return [ticket(i) for i in range(first, last + 1)]


def test_one_percent_bad_rows_apply_nothing_then_the_corrected_file_applies_once(world):
    hr = world.users["hr"]
    tickets = _good_tickets()
    ratings = [rating(i) for i in range(1, 101)]
    # 6 bad rows of 600 (1 %): ticket i sits on CSV row i + 1, rating i too.
    tickets[9] = ticket(10, created_at="2026-03-32 10:00")
    tickets[99] = ticket(100, agent="ghost")
    tickets[199] = ticket(200, kind="gift")
    tickets[299] = ticket(300, transfers="-1")
    tickets[399] = ticket(400, ticket_id="TK00001")
    ratings[49] = rating(50, score="6")
    bad = _import(hr, [("shop.zip", _package(tickets, ratings))])

    assert bad.state == ImportState.FAILED
    assert bad.problem_count == 6
    assert _problems(bad) == {
        ("tickets", 11, "created_at", "2026-03-32 10:00", R_NOT_TIMESTAMP),
        ("tickets", 101, "agent_id", "ghost", R_UNKNOWN_AGENT),
        ("tickets", 201, "kind", "gift", KINDS),
        ("tickets", 301, "transfers", "-1", "must be >= 0"),
        ("tickets", 401, "ticket_id", "TK00001", "duplicate key (ticket_id) also on row 2"),
        ("ratings", 51, "score", "6", "must be between 1 and 5"),
    }
    assert Ticket.objects.count() == 0 and Rating.objects.count() == 0

    good = _import(hr, [("shop.zip", _package(_good_tickets(), [rating(i) for i in range(1, 101)]))])
    assert good.state == ImportState.SUCCEEDED, good.problems or good.error
    assert good.summary["tickets"] == {"read": 500, "inserted": 500, "updated": 0, "unchanged": 0}
    assert good.summary["ratings"]["inserted"] == 100
    assert Ticket.objects.count() == 500 and Rating.objects.count() == 100
    assert set(Ticket.objects.values_list("batch", flat=True)) == {good.pk}
    t = Ticket.objects.get(ticket_id="TK00010")
    assert t.created_at == datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    assert t.agent_id == "li"

    again = _import(hr, [("shop.zip", _package(_good_tickets(), [rating(i) for i in range(1, 101)]))])
    assert again.state == ImportState.DUPLICATE
    assert again.duplicate_of_id == good.pk
    assert all(c["inserted"] == 0 for c in again.summary.values())
    assert Ticket.objects.count() == 500 and Rating.objects.count() == 100
    assert not again.task_id  # nothing queued


def test_an_overlapping_file_adds_only_its_new_rows(world):
    hr = world.users["hr"]
    first = _import(hr, [("tickets.csv", table_csv("tickets", _good_tickets(1, 500)))])
    assert first.state == ImportState.SUCCEEDED
    changed = _good_tickets(251, 750)
    changed[0] = ticket(251, transfers="2")  # was 251 % 3 = 2: unchanged
    changed[1] = ticket(252, kind="complaint")  # an update
    second = _import(hr, [("tickets.csv", table_csv("tickets", changed))])
    assert second.state == ImportState.SUCCEEDED, second.problems
    assert second.summary["tickets"] == {"read": 500, "inserted": 250, "updated": 1, "unchanged": 249}
    assert Ticket.objects.count() == 750
    assert Ticket.objects.get(ticket_id="TK00252").kind == "complaint"
    assert Ticket.objects.get(ticket_id="TK00252").batch == second.pk
    assert Ticket.objects.get(ticket_id="TK00253").batch == first.pk


def test_gbk_and_bom_csv_with_chinese_text(world):
    hr = world.users["hr"]
    agents = [
        {"agent_id": "li", "name": "李明", "team_id": "T1", "role": "after_sales"},
        {"agent_id": "wang", "name": "王芳", "team_id": "T1", "role": "after_sales"},
        {"agent_id": "zhao", "name": "赵强", "team_id": "T2", "role": "pre_sales"},
        {"agent_id": "qian", "name": "钱多多", "team_id": "T3", "role": "cloud", "base_bonus": "1500.50"},
    ]
    teams = [
        {"team_id": "T1", "name": "售后一组"},
        {"team_id": "T2", "name": "售前二组"},
        {"team_id": "T3", "name": "云客服三组"},
    ]
    incidents = [
        {
            "incident_id": "IN1",
            "agent_id": "qian",
            "at": "2026-03-05 10:00",
            "kind": "praise.named",
            "note": "客户点名表扬：态度好",
        },
        {
            "incident_id": "IN2",
            "agent_id": "li",
            "at": "2026-03-06 11:00",
            "kind": "error.order_note",
            "note": "备注不清",
        },
    ]
    files = [
        ("agents.csv", table_csv("agents", agents, "gbk")),
        ("teams.csv", table_csv("teams", teams, "gbk")),
        ("incidents.csv", b"\xef\xbb\xbf" + table_csv("incidents", incidents)),
    ]
    imp = _import(hr, files)
    assert imp.state == ImportState.SUCCEEDED, imp.problems or imp.error
    assert any("GB18030" in n for n in imp.notices)
    qian = Agent.objects.get(agent_id="qian")
    assert (qian.name, qian.team.name, qian.base_bonus) == ("钱多多", "云客服三组", Decimal("1500.50"))
    assert Team.objects.count() == 3
    assert Incident.objects.get(incident_id="IN1").note == "客户点名表扬：态度好"
    assert imp.summary["agents"]["inserted"] == 1 and imp.summary["agents"]["unchanged"] == 3


def test_a_workbook_without_agents_validates_against_the_database(world):
    hr = world.users["hr"]
    header = ["ticket_id", "agent_id", "kind", "created_at"]
    book = workbook_bytes(
        {
            "tickets": [
                header,
                ["W1", "li", "refund", datetime(2026, 3, 2, 9, 30)],
                ["W2", "nobody", "refund", "2026-03-02"],
            ],
            "说明": [["this sheet is ignored"]],
        }
    )
    bad = _import(hr, [("shop.xlsx", book)])
    assert bad.state == ImportState.FAILED
    assert _problems(bad) == {("tickets", 3, "agent_id", "nobody", R_UNKNOWN_AGENT)}
    good = _import(
        hr,
        [
            (
                "shop.xlsx",
                workbook_bytes({"tickets": [header, ["W1", "li", "refund", datetime(2026, 3, 2, 9, 30)]]}),
            )
        ],
    )
    assert good.state == ImportState.SUCCEEDED, good.problems
    assert Ticket.objects.get().created_at == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert set(good.summary) == {"tickets"}  # the database's agents were read, not written


def test_bad_input_is_refused_with_a_clear_message(world):
    hr = world.users["hr"]
    with pytest.raises(ValidationError, match="notes.txt：不是 zip、XLSX、CSV 或 Parquet 文件"):
        submit_import(hr, [("notes.txt", b"hello")])
    with pytest.raises(ValidationError, match="qianniu_chats"):
        submit_import(hr, [("tickets.csv", b"ticket_id\n")], profile="no_such_profile")
    with pytest.raises(ValidationError):
        submit_import(hr, [])
    imp = _import(hr, [("工单.csv", b"a,b\n1,2\n")])
    assert imp.state == ImportState.FAILED
    assert "no table found" in imp.problems[0]["reason"]
    assert Import.objects.filter(state=ImportState.SUCCEEDED).count() == 0


def test_the_upload_is_stored_by_its_hash(world, media):
    data = table_csv("tickets", _good_tickets(1, 3))
    imp = submit_import(world.users["hr"], [("tickets.csv", data)], enqueue=False)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    assert imp.file_sha256 == sha
    assert (media / imp.stored_path / "tickets.csv").read_bytes() == data
    assert imp.stored_path == f"imports/{sha}"
    assert imp.files == [{"name": "tickets.csv", "size": len(data), "sha256": sha}]
