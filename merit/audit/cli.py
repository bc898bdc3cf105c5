"""``merit verify-audit`` (and ``manage.py verify_audit``): recompute the audit chain.

Exit codes: 0 the chain is whole (the count and last hash are printed: note them somewhere outside the
database and pass them back with ``--anchor SEQ:HASH`` to detect a chain rewritten or cut short since);
1 a link is broken (the first one is named) or a guarded table lost its guard; 2 bad input (a malformed
anchor, a database without the audit table).
"""

from __future__ import annotations

import time

EXIT_BROKEN = 1
EXIT_BAD_INPUT = 2


def parse_anchor(text: str | None) -> tuple[int, str] | None:
    if not text:
        return None
    seq, sep, digest = text.partition(":")
    if not sep or not seq.strip().isdigit() or len(digest.strip()) != 64:
        raise ValueError(f"--anchor takes SEQ:HASH (a 64-character hash), got {text!r}")
    return int(seq), digest.strip().lower()


def run(anchor: tuple[int, str] | None, out, err) -> int:
    """Verify and print the verdict to ``out``/``err`` (callables taking a line); the exit code."""
    from django.db import DatabaseError, connections, router

    from merit.audit.guards import missing_guards
    from merit.audit.models import AuditEntry
    from merit.audit.verify import verify

    conn = connections[router.db_for_read(AuditEntry)]
    try:
        present = AuditEntry._meta.db_table in conn.introspection.table_names()
    except DatabaseError as e:
        err(f"cannot read the database: {e}")
        return EXIT_BAD_INPUT
    if not present:
        err("the database has no audit table yet: apply the migrations first (python manage.py migrate)")
        return EXIT_BAD_INPUT
    started = time.perf_counter()
    verdict = verify(anchor=anchor)
    seconds = time.perf_counter() - started
    status = 0
    if verdict.ok:
        if verdict.count:
            out(
                f"审计链完整 audit chain valid: {verdict.count} entries in {seconds:.2f} s; "
                f"last seq:hash {verdict.last_seq}:{verdict.last_hash}"
            )
        else:
            out("审计链为空 audit chain valid: 0 entries")
    else:
        b = verdict.broken
        err(f"审计链断裂 audit chain BROKEN at seq {b.seq} ({b.kind}): {b.message}")
        if verdict.last_seq:
            err(f"the chain is whole up to seq {verdict.last_seq} ({verdict.count} entries)")
        status = EXIT_BROKEN
    unguarded = missing_guards(conn)
    for table in unguarded:
        err(f"保护缺失 guard missing: the database no longer refuses UPDATE and DELETE on {table}")
    return EXIT_BROKEN if unguarded else status


def add_parser(sub) -> None:
    p = sub.add_parser(
        "verify-audit", help="recompute the audit trail's hash chain; name the first broken link"
    )
    p.add_argument("--anchor", metavar="SEQ:HASH", help="a seq:hash printed by an earlier verify-audit")
    p.set_defaults(func=cmd_verify_audit)


def cmd_verify_audit(args) -> int:
    from merit.cli import console, err

    try:
        anchor = parse_anchor(args.anchor)
    except ValueError as e:
        err.print(f"[bold red]merit verify-audit:[/] {e}")
        return EXIT_BAD_INPUT
    from merit.appcli import setup_django

    setup_django()
    return run(
        anchor,
        lambda line: console.print(line, markup=False, soft_wrap=True),
        lambda line: err.print(line, markup=False, soft_wrap=True, style="bold red"),
    )
