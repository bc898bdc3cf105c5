"""Append-only tables: the database itself refuses UPDATE and DELETE on their rows.

``AppendOnly(table, protect_if=None)`` is a migration operation; put it in ``operations`` after the
``CreateModel`` of the table::

    operations = [
        migrations.CreateModel(name="LedgerEntry", fields=[...]),
        AppendOnly("ledger_ledgerentry"),
        AppendOnly("assessment_agentresult",
                   protect_if="(SELECT state FROM assessment_run WHERE id = OLD.run_id) = 'published'"),
    ]

- PostgreSQL: a plpgsql trigger function and a ``BEFORE UPDATE OR DELETE ... FOR EACH ROW`` trigger. The
  condition is tested inside the function (a trigger's WHEN clause may not hold a subquery there).
- SQLite: two triggers, ``BEFORE UPDATE`` and ``BEFORE DELETE``, ``SELECT RAISE(ABORT, ...)``, with the
  condition as their ``WHEN`` clause.

``protect_if`` is an SQL condition over ``OLD`` (the row as stored) valid on both databases; without it
every row is protected. A refused statement raises ``django.db.IntegrityError`` on both databases, its
message "<table> is append-only".

The guards are not a defence against the database's owner, who may drop them: the audit table's hash
chain (``merit verify-audit``) is what detects rows changed behind the application's back.

Two consequences worth knowing:

- On SQLite, a later migration that alters a guarded table rebuilds it (new table, copy, rename) and its
  triggers go with the old table: add ``AppendOnly`` again after such an operation. ``merit
  verify-audit`` names guarded tables whose triggers are missing.
- Emptying the whole database (``manage.py flush``, used between transactional tests) still works: on
  PostgreSQL it is a TRUNCATE, which row triggers do not see; on SQLite it is a DELETE per table, so
  :func:`keep_guards_through_sqlite_flush` sets the guards aside inside the flush's own transaction
  and puts them back before it commits.
"""

from __future__ import annotations

import hashlib

from django.db.migrations.operations.base import Operation

MAX_PG_NAME = 63
SQLITE_SUFFIXES = ("_append_only_update", "_append_only_delete")


def refusal(table: str) -> str:
    """The message of the database error raised on a refused UPDATE or DELETE."""
    return f"{table} is append-only"


def _pg_name(table: str) -> str:
    """The name of the trigger and of its function: ``<table>_append_only`` (shortened, with a hash, when
    PostgreSQL's 63-character limit needs it)."""
    name = f"{table}_append_only"
    if len(name) <= MAX_PG_NAME:
        return name
    digest = hashlib.sha256(table.encode()).hexdigest()[:8]
    return f"{table[: MAX_PG_NAME - len('_append_only') - 9]}_{digest}_append_only"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def guard_sql(vendor: str, table: str, protect_if: str | None = None) -> list[str]:
    """The statements that install the guard of ``table`` (replacing one already there)."""
    message = _literal(refusal(table))
    if vendor == "postgresql":
        name = _quote(_pg_name(table))
        refuse = f"RAISE EXCEPTION {message} USING ERRCODE = 'integrity_constraint_violation';"
        if protect_if:
            refuse = f"IF ({protect_if}) THEN\n    {refuse}\n  END IF;"
        return [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $guard$\n"
            f"BEGIN\n  {refuse}\n"
            "  IF TG_OP = 'DELETE' THEN\n    RETURN OLD;\n  END IF;\n  RETURN NEW;\nEND\n$guard$",
            f"DROP TRIGGER IF EXISTS {name} ON {_quote(table)}",
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {_quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    if vendor == "sqlite":
        when = f" WHEN ({protect_if})" if protect_if else ""
        out = []
        for suffix, event in zip(SQLITE_SUFFIXES, ("UPDATE", "DELETE"), strict=True):
            name = _quote(table + suffix)
            out.append(f"DROP TRIGGER IF EXISTS {name}")
            out.append(
                f"CREATE TRIGGER {name} BEFORE {event} ON {_quote(table)} FOR EACH ROW{when} "
                f"BEGIN SELECT RAISE(ABORT, {message}); END"
            )
        return out
    raise NotImplementedError(f"append-only guards are written for PostgreSQL and SQLite, not {vendor}")


def unguard_sql(vendor: str, table: str) -> list[str]:
    """The statements that remove the guard of ``table``."""
    if vendor == "postgresql":
        name = _quote(_pg_name(table))
        return [f"DROP TRIGGER IF EXISTS {name} ON {_quote(table)}", f"DROP FUNCTION IF EXISTS {name}()"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {_quote(table + suffix)}" for suffix in SQLITE_SUFFIXES]
    raise NotImplementedError(f"append-only guards are written for PostgreSQL and SQLite, not {vendor}")


class AppendOnly(Operation):
    """A migration operation: the database refuses UPDATE and DELETE on ``table`` (on every row, or on
    the rows where the SQL condition ``protect_if`` over ``OLD`` holds). Reversible."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, protect_if: str | None = None):
        self.table = table
        self.protect_if = protect_if

    def state_forwards(self, app_label, state):
        pass  # triggers are not part of Django's model state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in guard_sql(schema_editor.connection.vendor, self.table, self.protect_if):
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in unguard_sql(schema_editor.connection.vendor, self.table):
            schema_editor.execute(sql, params=None)

    def describe(self) -> str:
        when = f" when {self.protect_if}" if self.protect_if else ""
        return f"Refuse UPDATE and DELETE on {self.table}{when} (append-only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.table}_append_only"


# ---- which guards there should be, and which there are ----------------------------------------------


def declared_guards(connection) -> dict[str, str | None]:
    """The tables guarded by the applied migrations: table → protect_if (the last one applied)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    seen = set()
    out: dict[str, str | None] = {}
    for leaf in loader.graph.leaf_nodes():
        for key in loader.graph.forwards_plan(leaf):
            if key in seen or key not in loader.applied_migrations:
                continue
            seen.add(key)
            for op in loader.graph.nodes[key].operations:
                if isinstance(op, AppendOnly):
                    out[op.table] = op.protect_if
    return out


def installed_guards(connection, tables) -> set[str]:
    """Which of ``tables`` have their guard in the database."""
    tables = list(tables)
    if not tables:
        return set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
                [tables],
            )
            return {table for table, name in cursor.fetchall() if name == _pg_name(table)}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            names.setdefault(table, set()).add(name)
        return {t for t in tables if {t + s for s in SQLITE_SUFFIXES} <= names.get(t, set())}


def missing_guards(connection) -> list[str]:
    """Guarded tables (by the applied migrations) that exist but whose triggers are gone."""
    declared = declared_guards(connection)
    existing = set(connection.introspection.table_names())
    wanted = [t for t in declared if t in existing]
    present = installed_guards(connection, wanted)
    return sorted(t for t in wanted if t not in present)


# ---- emptying the database on SQLite -------------------------------------------------------------


def keep_guards_through_sqlite_flush() -> None:
    """Let ``manage.py flush`` (and the transactional tests' clean-up, which uses it) empty guarded
    tables on SQLite: the guard triggers are dropped and re-created around the DELETEs, inside one
    transaction, so no other connection ever sees a table unguarded. Installed once, by the app's
    ``ready()``."""
    from django.db import transaction
    from django.db.backends.sqlite3.base import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    if getattr(original, "keeps_guards", False):
        return

    def execute_sql_flush(self, sql_list):
        conn = self.connection
        with transaction.atomic(using=conn.alias, savepoint=conn.features.can_rollback_ddl):
            with conn.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                guards = [(n, sql) for n, sql in cursor.fetchall() if n.endswith(SQLITE_SUFFIXES)]
                for name, _sql in guards:
                    cursor.execute(f"DROP TRIGGER {_quote(name)}")
            original(self, sql_list)
            with conn.cursor() as cursor:
                for _name, sql in guards:
                    cursor.execute(sql)

    execute_sql_flush.keeps_guards = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush
