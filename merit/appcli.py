"""The application's subcommands of `merit` (they need Django; the engine's subcommands do not).

- ``merit import PATH`` — import a data package into the database (merit/ingest/cli.py).
- ``merit serve`` — the production server (gunicorn) with static files (WhiteNoise) and the task worker.
- ``merit demo`` — prepare the embedded demo (SQLite, a generated shop, users per role) and serve it.
- ``merit verify-audit`` — recompute the audit trail's hash chain (merit/audit/cli.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merit.config.settings")
    import django

    django.setup()


def _worker() -> subprocess.Popen:
    """The background task worker (imports, runs) as a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", "--interval", "0.5"], env=os.environ.copy()
    )


def cmd_serve(args) -> int:
    os.environ.setdefault("DEBUG", "0")  # a real server: no debug pages, static files by WhiteNoise
    setup_django()
    from django.core.management import call_command

    if args.migrate:
        call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if args.recover_interrupted:
        recover_interrupted()
    return _serve(args.bind, args.workers, not args.no_worker)


def recover_interrupted() -> None:
    """Fail the imports and runs a stopped worker left half done (none of their writes was applied)."""
    from merit.assessment.actions import fail_interrupted_runs
    from merit.ingest.actions import fail_interrupted_imports

    imports, runs = fail_interrupted_imports(), fail_interrupted_runs()
    if imports or runs:
        print(f"marked as interrupted: {imports} import(s), {runs} run(s)", flush=True)


def _serve(bind: str, workers: int, with_worker: bool) -> int:
    if with_worker:  # the desk's periodic SLA sweep runs on the worker (queued once, then every minute)
        # the appeals' reminders and escalations, and the dashboards' KPIs too
        for sweep in ("sla_sweep", "appeals_sweep", "dashboards_refresh"):
            subprocess.run(
                [sys.executable, "-m", "django", sweep, "--schedule"], env=os.environ.copy(), check=False
            )
    worker = _worker() if with_worker else None
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "merit.config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]
    server = subprocess.Popen(cmd, env=os.environ.copy())
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGTERM)
        return server.wait()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)


def cmd_demo(args) -> int:
    os.environ.setdefault("DEBUG", "0")
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from merit.demo import prepare, print_users

    users = prepare(Path(args.dir))
    call_command("collectstatic", interactive=False, verbosity=0)
    url = f"http://{args.bind}/"
    print_users(users, url)
    print(f"database: {settings.DATABASES['default']['NAME']}")
    if args.no_serve:
        return 0
    print(f"serving on {url} (Ctrl-C stops)", flush=True)
    # Serve from a fresh process: the memory used to generate and import the shop is given back.
    os.execv(
        sys.executable,
        [sys.executable, "-m", "merit.cli", "serve", "--bind", args.bind, "--recover-interrupted"],
    )


def register(sub) -> None:
    from merit.audit.cli import add_parser as add_verify_audit
    from merit.ingest.cli import add_parser as add_import

    add_import(sub)
    add_verify_audit(sub)

    s = sub.add_parser("serve", help="serve the web application (gunicorn, WhiteNoise, task worker)")
    s.add_argument("--bind", default=os.environ.get("MERIT_BIND", "127.0.0.1:8000"))
    s.add_argument("--workers", type=int, default=int(os.environ.get("MERIT_WORKERS", "2")))
    s.add_argument("--migrate", action="store_true", help="apply database migrations first")
    s.add_argument("--no-worker", action="store_true", help="do not start the background task worker")
    s.add_argument(
        "--recover-interrupted",
        action="store_true",
        help="first fail the imports and runs a stopped worker left half done (only when no other worker runs)",
    )
    s.set_defaults(func=cmd_serve)

    d = sub.add_parser("demo", help="the embedded demo: SQLite, a generated shop, users per role, served")
    d.add_argument("--dir", default="var/demo", help="where the demo's data package is generated")
    d.add_argument("--bind", default="127.0.0.1:8000")
    d.add_argument("--no-serve", action="store_true", help="prepare and print the users, do not serve")
    d.set_defaults(func=cmd_demo)
