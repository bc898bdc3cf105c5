"""Concurrent appends to the audit trail from threads, against the configured database: each thread
creates teams (audited by the signals, inside the write's transaction) and records rows directly.

Run as a program by the tests (``python -m merit.audit.tests.appends THREADS EACH``) on a SQLite file,
and called in-process on PostgreSQL.
"""

from __future__ import annotations

import sys
import threading


def append_from_threads(threads: int, each: int) -> list[BaseException]:
    from django.db import connection, transaction

    from merit.audit.log import record
    from merit.org.models import Team

    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                with transaction.atomic():
                    Team.objects.create(team_id=f"C{n}-{i}", name=f"并发 {n}-{i}")
                record(None, "test.concurrent", detail={"thread": n, "i": i})
        except BaseException as e:  # reported to the caller
            errors.append(e)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    return errors


if __name__ == "__main__":
    from merit.appcli import setup_django

    setup_django()
    errors = append_from_threads(int(sys.argv[1]), int(sys.argv[2]))
    for e in errors:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1 if errors else 0)
