"""The background path for real (the task queued on commit, run by the database worker) and
`merit import` from the shell."""

from __future__ import annotations

import signal

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from merit.cli import main
from merit.facts.models import Ticket
from merit.ingest.actions import submit_import
from merit.ingest.models import Import, ImportState
from merit.ingest.tests.conftest import build_world
from merit.ingest.tests.files import table_csv, ticket, workbook_bytes


def _run_worker() -> None:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_import():
    world = build_world()
    imp = submit_import(
        world.users["hr"], [("tickets.csv", table_csv("tickets", [ticket(i) for i in range(1, 21)]))]
    )
    imp.refresh_from_db()
    assert imp.state == ImportState.QUEUED and imp.task_id
    task = DBTaskResult.objects.get(id=imp.task_id)
    assert task.task_path == "merit.ingest.tasks.run_import_task"
    _run_worker()
    imp.refresh_from_db()
    assert imp.state == ImportState.SUCCEEDED, imp.problems or imp.error
    assert (imp.progress, imp.stage) == (100, "done")
    assert imp.started_at <= imp.finished_at
    assert Ticket.objects.count() == 20
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.return_value == "succeeded"


def test_merit_import_from_the_shell(world, tmp_path, capsys):
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "tickets.csv").write_bytes(table_csv("tickets", [ticket(i) for i in range(1, 11)]))
    (folder / "notes.txt").write_text("not read")
    assert main(["import", str(folder), "--user", "hr"]) == 0
    out = capsys.readouterr().out
    assert "tickets" in out and "10" in out
    assert Ticket.objects.count() == 10

    assert main(["import", str(folder)]) == 0  # the first superuser; the same file: nothing added
    assert "0 rows added" in capsys.readouterr().out
    assert Import.objects.filter(state=ImportState.DUPLICATE).count() == 1

    bad = tmp_path / "接待明细.xlsx"
    header = ["客服昵称", "会话ID", "接待时间", "首次响应时长"]
    bad.write_bytes(workbook_bytes({"Sheet1": [header, ["li", "C1", "2026-03-01 10:00", "很快"]]}))
    assert main(["import", str(bad), "--profile", "qianniu_chats", "--user", "hr"]) == 2
    err = capsys.readouterr().err
    assert "not a duration" in err and "首次响应时长" in err and "nothing was applied" in err

    assert main(["import", str(bad), "--profile", "nope", "--user", "hr"]) == 2
    assert "qianniu_chats" in capsys.readouterr().err
    assert main(["import", str(bad), "--user", "li"]) == 2  # an agent may not import
    assert main(["import", str(tmp_path / "missing.zip")]) == 2
    assert main(["import", "--profiles"]) == 0
    assert "taobao_refunds" in capsys.readouterr().out
    assert Ticket.objects.count() == 10


def test_merit_import_needs_a_user(db, tmp_path, capsys):
    path = tmp_path / "tickets.csv"
    path.write_bytes(table_csv("tickets", [ticket(1)]))
    assert main(["import", str(path)]) == 2
    assert "no superuser" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_write_transaction_is_open():
    """PostgreSQL: progress during the write goes through a second connection, so the page sees it
    before the import commits. (SQLite has one writer: progress is saved before and after the write.)"""
    from django.db import connection, connections, transaction

    from merit.ingest.actions import _Progress

    if connection.vendor == "sqlite":
        pytest.skip("SQLite allows one writer: progress is saved around the write transaction")
    world = build_world()
    imp = Import.objects.create(created_by=world.users["hr"], source_name="t.csv", file_sha256="0" * 64)
    progress = _Progress(imp.pk)
    progress.writing({"tickets": 100, "chats": 100})
    reader = connections.create_connection("default")
    try:
        with transaction.atomic():
            Ticket.objects.create(ticket_id="X", agent_id="li", kind="refund", created_at="2026-03-01T00:00Z")
            progress.during_write("tickets", 100, 100)
            with reader.cursor() as cur:
                cur.execute("SELECT progress FROM ingest_import WHERE id = %s", [imp.pk])
                assert cur.fetchone()[0] == 50 + 45 * 100 // 200
                cur.execute("SELECT count(*) FROM facts_tickets")
                assert cur.fetchone()[0] == 0  # the rows themselves are not visible until the commit
    finally:
        reader.close()
        progress.close()


@pytest.mark.django_db
def test_an_import_left_running_by_a_stopped_worker_is_failed_at_the_next_start():
    from merit.appcli import recover_interrupted

    world = build_world()
    imp = submit_import(
        world.users["hr"],
        [("tickets.csv", table_csv("tickets", [ticket(i) for i in range(1, 6)]))],
        enqueue=False,
    )
    # The worker claimed it, then its process was killed before the write transaction committed.
    Import.objects.filter(pk=imp.pk).update(state=ImportState.RUNNING, progress=50)
    recover_interrupted()
    imp.refresh_from_db()
    assert imp.state == ImportState.FAILED and imp.progress == 100
    assert imp.error.startswith("interrupted: the worker stopped")
    assert Ticket.objects.count() == 0
    # The same file can be imported again: a failed import is not a duplicate.
    again = submit_import(
        world.users["hr"],
        [("tickets.csv", table_csv("tickets", [ticket(i) for i in range(1, 6)]))],
        enqueue=False,
    )
    assert again.state == ImportState.QUEUED
