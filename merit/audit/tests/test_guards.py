"""The database refuses UPDATE and DELETE on append-only tables (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.writer import OperationWriter

from merit.audit.guards import AppendOnly, guard_sql, installed_guards, missing_guards
from merit.audit.log import record
from merit.audit.models import AuditEntry
from merit.audit.tests.conftest import AUDIT_TABLE, drop_audit_guard, refused, run_sql
from merit.audit.verify import verify


@pytest.mark.django_db
def test_raw_sql_cannot_update_or_delete_an_audit_row():
    entry = record(None, "test.write", detail={"n": 1})
    refused(f"UPDATE {AUDIT_TABLE} SET action = 'test.hidden' WHERE seq = {entry.seq}")
    refused(f"UPDATE {AUDIT_TABLE} SET after = '{{\"n\": 2}}'")
    refused(f"DELETE FROM {AUDIT_TABLE} WHERE seq = {entry.seq}")
    refused(f"DELETE FROM {AUDIT_TABLE}")
    # The ORM's bulk paths are refused just the same.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=entry.seq).update(action="test.hidden")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=entry.seq).delete()
    stored = AuditEntry.objects.get(seq=entry.seq)
    assert (stored.action, stored.detail, stored.hash) == ("test.write", {"n": 1}, entry.hash)
    assert verify().ok


@pytest.mark.django_db
def test_a_condition_protects_only_the_rows_it_names():
    """The interface the ledger and the runs use: a published run's rows are frozen, a draft's are not,
    with a condition over the row itself or over another table (a subquery)."""
    run_sql(
        "CREATE TABLE probe_run (id integer PRIMARY KEY, state varchar(20) NOT NULL)",
        "CREATE TABLE probe_line (id integer PRIMARY KEY, run_id integer NOT NULL, amount varchar(20))",
        *guard_sql(connection.vendor, "probe_run", "OLD.state = 'published'"),
        *guard_sql(
            connection.vendor,
            "probe_line",
            "(SELECT state FROM probe_run WHERE id = OLD.run_id) = 'published'",
        ),
        "INSERT INTO probe_run (id, state) VALUES (1, 'computed'), (2, 'published')",
        "INSERT INTO probe_line (id, run_id, amount) VALUES (10, 1, '5.00'), (11, 1, '6.00'), (20, 2, '7.00')",
    )
    # The draft's rows change freely, and the change is really made.
    run_sql(
        "UPDATE probe_line SET amount = '9.99' WHERE id = 10",
        "DELETE FROM probe_line WHERE id = 11",
        "UPDATE probe_run SET state = 'submitted' WHERE id = 1",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, amount FROM probe_line ORDER BY id")
        assert cursor.fetchall() == [(10, "9.99"), (20, "7.00")]
        cursor.execute("SELECT state FROM probe_run WHERE id = 1")
        assert cursor.fetchone() == ("submitted",)
    # The published run and its rows do not.
    refused("UPDATE probe_line SET amount = '0.00' WHERE id = 20", "probe_line")
    refused("DELETE FROM probe_line WHERE run_id = 2", "probe_line")
    refused("UPDATE probe_run SET state = 'computed' WHERE id = 2", "probe_run")
    refused("DELETE FROM probe_run WHERE id = 2", "probe_run")
    # Publishing the draft freezes its rows too.
    run_sql("UPDATE probe_run SET state = 'published' WHERE id = 1")
    refused("UPDATE probe_line SET amount = '0.00' WHERE id = 10", "probe_line")
    assert installed_guards(connection, ["probe_run", "probe_line", "probe_none"]) == {
        "probe_run",
        "probe_line",
    }


@pytest.mark.django_db(transaction=True)
def test_the_operation_installs_and_removes_its_guard_and_flush_still_empties_the_table():
    op = AppendOnly("probe_table", protect_if="OLD.frozen = 1")
    assert op.describe() == "Refuse UPDATE and DELETE on probe_table when OLD.frozen = 1 (append-only)"
    assert op.deconstruct() == ("AppendOnly", ("probe_table",), {"protect_if": "OLD.frozen = 1"})
    text, imports = OperationWriter(op).serialize()
    assert "merit.audit.guards.AppendOnly(" in text and "import merit.audit.guards" in imports
    run_sql("CREATE TABLE probe_table (id integer PRIMARY KEY, frozen integer NOT NULL)")
    try:
        run_sql("INSERT INTO probe_table (id, frozen) VALUES (1, 1), (2, 0)")
        with connection.schema_editor() as editor:
            op.database_forwards("audit", editor, None, None)
        refused("UPDATE probe_table SET frozen = 0 WHERE id = 1", "probe_table")
        run_sql("DELETE FROM probe_table WHERE id = 2")
        with connection.schema_editor() as editor:
            op.database_backwards("audit", editor, None, None)
        run_sql("DELETE FROM probe_table WHERE id = 1")
        assert installed_guards(connection, ["probe_table"]) == set()
    finally:
        run_sql("DROP TABLE probe_table")

    # Emptying the database (manage.py flush; the clean-up after every transactional test) still
    # works on a guarded table, and the guard is still there afterwards.
    record(None, "test.write")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    entry = record(None, "test.write")
    refused(f"DELETE FROM {AUDIT_TABLE} WHERE seq = {entry.seq}")
    assert missing_guards(connection) == []


@pytest.mark.django_db
def test_a_dropped_guard_is_named():
    assert missing_guards(connection) == []
    drop_audit_guard()
    assert missing_guards(connection) == [AUDIT_TABLE]
