"""Appends from many threads at once keep the chain linear: no fork, no gap, every hash valid
(PostgreSQL in this process; SQLite on a database file, from a second process). The commands' exit codes
on a real database file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from django.db import connection

from merit.audit.guards import guard_sql, unguard_sql
from merit.audit.models import AuditEntry
from merit.audit.tests.appends import append_from_threads
from merit.audit.verify import verify

THREADS, EACH = 8, 15


@pytest.mark.django_db(transaction=True)
def test_threads_appending_at_once_keep_one_linear_chain_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is not shared between threads (see the file test)")
    started = time.perf_counter()
    assert append_from_threads(THREADS, EACH) == []
    seconds = time.perf_counter() - started
    n = THREADS * EACH * 2
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, n + 1))
    verdict = verify()
    assert verdict.ok and verdict.count == n
    print(f"\n{n} audited writes from {THREADS} threads in {seconds:.2f} s on PostgreSQL")


def _run(args: list[str], var_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MERIT_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="merit.config.settings")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=180)


def test_threads_on_a_sqlite_file_keep_one_linear_chain_and_the_command_names_the_broken_link(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file test")
    # A database file of its own (the embedded default's setup: WAL, IMMEDIATE transactions), migrated.
    migrated = _run(["-m", "django", "migrate", "-v0"], tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    db_file = tmp_path / "merit.sqlite3"

    started = time.perf_counter()
    done = _run(["-m", "merit.audit.tests.appends", str(THREADS), str(EACH)], tmp_path)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    n = THREADS * EACH * 2
    with sqlite3.connect(db_file) as db:
        assert [s for (s,) in db.execute("SELECT seq FROM audit_auditentry ORDER BY seq")] == list(
            range(1, n + 1)
        )
    print(f"\n{n} audited writes from {THREADS} threads in {seconds:.2f} s (process included) on SQLite")

    verify_cmd = ["-m", "merit.cli", "verify-audit"]
    ok = _run(verify_cmd, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert f"{n} entries" in ok.stdout

    # The owner of the file drops the guard and changes one row: exit 1, naming it.
    db = sqlite3.connect(db_file, isolation_level=None)
    original = db.execute("SELECT detail FROM audit_auditentry WHERE seq = 7").fetchone()[0]
    for sql in unguard_sql("sqlite", "audit_auditentry"):
        db.execute(sql)
    db.execute("""UPDATE audit_auditentry SET detail = '{"i": 99, "thread": 0}' WHERE seq = 7""")
    broken = _run(verify_cmd, tmp_path)
    assert broken.returncode == 1
    assert "BROKEN at seq 7 (altered)" in broken.stderr
    assert "guard missing" in broken.stderr

    # Put back as it was, guard included: whole again.
    db.execute("UPDATE audit_auditentry SET detail = ? WHERE seq = 7", [original])
    for sql in guard_sql("sqlite", "audit_auditentry"):
        db.execute(sql)
    assert _run(verify_cmd, tmp_path).returncode == 0

    # A row deleted (guard dropped and put back): the gap is named.
    for sql in unguard_sql("sqlite", "audit_auditentry"):
        db.execute(sql)
    db.execute("DELETE FROM audit_auditentry WHERE seq = 11")
    for sql in guard_sql("sqlite", "audit_auditentry"):
        db.execute(sql)
    db.close()
    gap = _run(verify_cmd, tmp_path)
    assert gap.returncode == 1
    assert "BROKEN at seq 12 (missing): seq 11 missing" in gap.stderr
