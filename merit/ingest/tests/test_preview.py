"""An import previewed before it changes anything: the preview says per table what would be new, changed
and unchanged, with changed values side by side, and applies nothing; confirmed, it applies exactly the
previewed changes, or nothing if the data changed since (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from merit.audit.models import AuditEntry
from merit.cli import main
from merit.facts.models import Rating, Ticket
from merit.ingest.actions import confirm_import, discard_import, run_import, submit_import
from merit.ingest.models import ImportState
from merit.ingest.tests.files import rating, table_csv, ticket, zip_bytes
from merit.org.models import Agent


def _apply(user, files):
    imp = submit_import(user, files, enqueue=False)
    return run_import(imp.pk)


def _preview(user, files):
    imp = submit_import(user, files, enqueue=False, preview=True)
    return run_import(imp.pk)


def _stored_tickets() -> dict[str, tuple]:
    return {t.ticket_id: (t.agent_id, t.channel, t.resolved_at) for t in Ticket.objects.all()}


@pytest.fixture
def hr(world):
    user = world.users["hr"]
    # in merit already: tickets 1–20 of March and ratings 1–10
    tickets = table_csv("tickets", [ticket(i) for i in range(1, 21)])
    ratings = table_csv("ratings", [rating(i) for i in range(1, 11)])
    first = _apply(user, [("march.zip", zip_bytes({"tickets.csv": tickets, "ratings.csv": ratings}))])
    assert first.state == ImportState.SUCCEEDED
    return user


def _changed_upload() -> list:
    """Tickets 1–25 (3 and 7 changed, 21–25 new), ratings 1–10 as they are, and agent wang renamed."""
    rows = [ticket(i) for i in range(1, 26)]
    rows[2] = ticket(3, channel="phone")
    rows[6] = ticket(7, resolved_at="2026-03-08T19:30:00", agent="li")
    agents = table_csv(
        "agents",
        [
            {"agent_id": "li", "name": "李明", "team_id": "T1", "role": "after_sales"},
            {"agent_id": "wang", "name": "王芳芳", "team_id": "T1", "role": "after_sales"},
            {"agent_id": "zhao", "name": "赵强", "team_id": "T2", "role": "pre_sales"},
        ],
    )
    members = {
        "tickets.csv": table_csv("tickets", rows),
        "ratings.csv": table_csv("ratings", [rating(i) for i in range(1, 11)]),
        "agents.csv": agents,
    }
    return [("april-fix.zip", zip_bytes(members))]


def test_a_preview_counts_and_shows_the_changes_and_applies_nothing(hr):
    before = _stored_tickets()
    imp = _preview(hr, _changed_upload())

    assert imp.state == ImportState.PREVIEWED, imp.problems or imp.error
    assert imp.summary["tickets"] == {"read": 25, "inserted": 5, "updated": 2, "unchanged": 18}
    assert imp.summary["ratings"] == {"read": 10, "inserted": 0, "updated": 0, "unchanged": 10}
    assert imp.summary["agents"] == {"read": 3, "inserted": 0, "updated": 1, "unchanged": 2}
    assert imp.previewed_summary == imp.summary
    # the changed values side by side, timestamps in Shanghai time
    tickets = {r["key"]["ticket_id"]: r["changes"] for r in imp.changes["tickets"]}
    assert tickets["TK00003"] == [{"column": "channel", "before": "chat", "after": "phone"}]
    ticket7 = ticket(7)
    assert ticket7["agent_id"] == "wang" and ticket7["resolved_at"] == "2026-03-08T18:00:00"
    assert tickets["TK00007"] == [
        {"column": "agent_id", "before": "wang", "after": "li"},
        {"column": "resolved_at", "before": "2026-03-08 18:00:00", "after": "2026-03-08 19:30:00"},
    ]
    assert imp.changes["agents"] == [
        {"key": {"agent_id": "wang"}, "changes": [{"column": "name", "before": "王芳", "after": "王芳芳"}]}
    ]
    assert imp.months == {"tickets": ["2026-03"], "ratings": []}

    # nothing applied
    assert _stored_tickets() == before
    assert Agent.objects.get(agent_id="wang").name == "王芳"
    assert not AuditEntry.objects.filter(action="ingest.import.apply", target_id=str(imp.pk)).exists()


def test_a_confirmed_preview_applies_exactly_the_previewed_changes(hr):
    imp = _preview(hr, _changed_upload())
    imp = confirm_import(hr, imp, enqueue=False)
    assert imp.state == ImportState.QUEUED and imp.confirmed_by == hr
    imp = run_import(imp.pk)

    assert imp.state == ImportState.SUCCEEDED, imp.problems or imp.error
    assert imp.summary == imp.previewed_summary
    assert Ticket.objects.count() == 25
    t3, t7 = Ticket.objects.get(ticket_id="TK00003"), Ticket.objects.get(ticket_id="TK00007")
    assert t3.channel == "phone"
    assert (t7.agent_id, t7.resolved_at) == ("li", datetime(2026, 3, 8, 11, 30, tzinfo=UTC))
    assert Agent.objects.get(agent_id="wang").name == "王芳芳"
    assert Rating.objects.count() == 10
    actions = list(
        AuditEntry.objects.filter(target_id=str(imp.pk), action__startswith="ingest.import.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["ingest.import.confirm", "ingest.import.apply"]


def test_a_preview_made_stale_by_another_import_applies_nothing(hr):
    imp = _preview(hr, _changed_upload())
    # meanwhile ticket 3 is corrected to phone by another upload: the preview's two changes are one now
    other = _apply(hr, [("tickets.csv", table_csv("tickets", [ticket(3, channel="phone")]))])
    assert other.state == ImportState.SUCCEEDED

    imp = run_import(confirm_import(hr, imp, enqueue=False).pk)
    assert imp.state == ImportState.FAILED
    assert "changed since the preview" in imp.problems[0]["reason"]
    assert "tickets: previewed 5 new and 2 changed, now 5 new and 1 changed" in imp.problems[0]["reason"]
    assert Ticket.objects.count() == 20  # nothing of it applied
    assert Agent.objects.get(agent_id="wang").name == "王芳"


def test_only_a_preview_is_confirmed_or_discarded_and_only_by_its_uploader_or_hr(world, hr):
    imp = _preview(world.users["sup1"], [("tickets.csv", table_csv("tickets", [ticket(30, agent="li")]))])
    assert imp.state == ImportState.PREVIEWED, imp.problems
    with pytest.raises(PermissionDenied):
        confirm_import(world.users["sup2"], imp, enqueue=False)
    with pytest.raises(PermissionDenied):
        discard_import(world.users["li"], imp)
    discard_import(hr, imp)
    imp.refresh_from_db()
    assert imp.state == ImportState.DISCARDED
    with pytest.raises(ValidationError):
        confirm_import(hr, imp, enqueue=False)
    assert not Ticket.objects.filter(ticket_id="TK00030").exists()


def test_the_command_line_previews_with_dry_run_and_applies_with_confirm(hr, tmp_path, capsys):
    path = tmp_path / "tickets.csv"
    rows = [ticket(i) for i in range(1, 23)]
    rows[4] = ticket(5, channel="email")
    path.write_bytes(table_csv("tickets", rows))

    assert main(["import", str(path), "--user", "hr", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "preview, nothing applied" in out
    assert "TK00005" in out and "chat" in out and "email" in out
    assert "months with new or changed rows: 2026-03" in out
    assert Ticket.objects.count() == 20 and Ticket.objects.get(ticket_id="TK00005").channel == "chat"
    pk = int(out.split("merit import --confirm ")[1].split()[0])

    assert main(["import", "--confirm", str(pk), "--user", "hr"]) == 0
    assert "imported" in capsys.readouterr().out
    assert Ticket.objects.count() == 22 and Ticket.objects.get(ticket_id="TK00005").channel == "email"
    assert main(["import", "--confirm", str(pk), "--user", "hr"]) == 2  # once only
    assert "该导入不在待确认状态" in capsys.readouterr().err
