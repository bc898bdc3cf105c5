"""Ticket desk benchmark: the breach sweep over a million open cases, and the cases API under load.

    DJANGO_SETTINGS_MODULE=merit.config.settings .venv/bin/python benchmarks/bench_desk.py --dir var/bench

(a) Breach sweep: ``tickets_case`` is filled set-based (PostgreSQL: INSERT … SELECT over
    generate_series; SQLite: the same SELECT over a recursive CTE) with --cases open cases of four teams
    of 50 agents: 30% new (no first response; one in ten of them waiting unassigned), 50% open, 20%
    waiting on the customer (resolution clock paused), due times spread over a few days, a few breaches
    already marked by earlier sweeps; ``facts_tickets`` gets the row of every assigned case. The due
    cases are spread evenly over the table (about one per page: the worst case for locality). After
    ANALYZE, ``actions.mark_breaches`` is timed (1) at the moment ~1% of the cases are due (~10,000
    first responses and a few thousand resolutions), (2) right after at the same moment (nothing left
    to mark), (3) five and a half hours later, when ~10% of the cases fall due. Target: (1) and (2)
    under 2 s on both databases. Each sweep runs in a fresh process, then the marks are checked
    (cases and facts rows).
(b) The cases API: the real server (``merit serve --no-worker``: gunicorn, production settings) on a
    fresh database with one team of four agents with sign-in accounts (least-open assignment) and its
    supervisor, who holds an API token (``manage.py create_api_token``). --threads client threads
    (keep-alive connections to 127.0.0.1) then run, each phase bounded by --seconds and --requests:
    ``POST /api/cases`` (201 expected), then ``POST /api/cases/{ticket_id}/reply`` by the supervisor
    on the cases created (200 expected).

Every measurement runs in a fresh Python process (imports excluded from the times) with its own
database settings: PostgreSQL ``merit_bench_desk`` (dropped and created by this script, server from
--pg-url) and a SQLite file under --dir (the embedded default's tuning: WAL, IMMEDIATE transactions).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The sweep moment: Monday 2026-03-09 12:00 in Shanghai (whole seconds: SQLite compares text).
SWEEP_AT = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
LATER_S = 19_800  # (3): 5.5 hours after, ~10% of the cases are due
TEAMS, AGENTS_PER_TEAM = 4, 50

KINDS = ("refund", "return", "exchange", "repair", "complaint", "invoice", "logistics", "inquiry", "other")
SUBJECTS = (
    "退款未到账",
    "申请退货",
    "尺码不合适要换货",
    "耳机左声道无声需维修",
    "投诉快递员态度",
    "补开增值税发票",
    "物流三天未更新",
    "咨询保修政策",
    "其他售后问题",
)
CHANNELS = ("chat", "phone", "email", "app", "wechat")


# ---- the child processes ------------------------------------------------------------------------------


def child(kind: str, args: list[str]) -> dict:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    if kind == "migrate":
        call_command("migrate", verbosity=0)
        return {}
    if kind == "fill":
        return fill(int(args[0]))
    if kind == "sweep":
        return timed_sweep(datetime.fromisoformat(args[0]))
    if kind == "api-setup":
        return api_setup()
    if kind == "api-check":
        return api_check()
    if kind == "api-probe":
        return api_probe(*args)
    raise SystemExit(f"unknown child {kind!r}")


def _case(values: list[str], field: str, *, default: str = "NULL") -> str:
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"CASE {field} {whens} ELSE {default} END"


def _quoted(values) -> list[str]:
    return ["'" + v.replace("'", "''") + "'" for v in values]


def fill(n: int) -> dict:
    """Teams and agents by the ORM; then the cases and their facts rows, set-based; then ANALYZE."""
    from django.db import connection, transaction

    from merit.org.models import Agent, Team
    from merit.tickets.models import DeskTeam

    t0 = time.perf_counter()
    with transaction.atomic():
        teams = [Team.objects.create(team_id=f"DT{t + 1}", name=f"售后{t + 1}组") for t in range(TEAMS)]
        for team in teams:
            DeskTeam.objects.create(team=team)
        agents = [
            Agent.objects.create(
                agent_id=f"DA{k:03d}",
                name=f"客服{k:03d}",
                team=teams[k // AGENTS_PER_TEAM],
                role="after_sales",
            )
            for k in range(TEAMS * AGENTS_PER_TEAM)
        ]
    team0, agent0 = teams[0].pk, agents[0].pk
    assert [t.pk for t in teams] == list(range(team0, team0 + len(teams)))
    assert [a.pk for a in agents] == list(range(agent0, agent0 + len(agents)))

    pg = connection.vendor == "postgresql"
    stamp = SWEEP_AT.strftime("%Y-%m-%d %H:%M:%S")
    if pg:
        source, prefix = f"generate_series(1::bigint, {n}::bigint) AS s(i)", ""

        def ts(off: str) -> str:
            return f"(TIMESTAMPTZ '{stamp}+00' + ({off}) * INTERVAL '1 second')"

        def pad(expr: str, width: int) -> str:
            return f"lpad(({expr})::text, {width}, '0')"
    else:
        source = "s"
        prefix = f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "

        def ts(off: str) -> str:  # Django's text form of a UTC datetime: 'YYYY-MM-DD HH:MM:SS'
            return f"datetime('{stamp}', ({off}) || ' seconds')"

        def pad(expr: str, width: int) -> str:
            return f"printf('%0{width}d', {expr})"

    agents_n = TEAMS * AGENTS_PER_TEAM
    # a: the case's draws. st: 0 new, 1 open, 2 waiting on the customer (3:5:2); pr: 0 urgent, 1 high,
    # 2 normal (1:4:5); u1…u5 spread the times (i·a mod p is uniform over 0…p-1).
    layer_a = f"""
        SELECT i,
               CASE WHEN i % 10 < 3 THEN 0 WHEN i % 10 < 8 THEN 1 ELSE 2 END AS st,
               CASE WHEN (i / 10) % 10 = 0 THEN 0 WHEN (i / 10) % 10 < 5 THEN 1 ELSE 2 END AS pr,
               (i / 100) % {agents_n} AS slot,
               (i / 7) % 9 AS kd, (i / 3) % 5 AS ch,
               (i * 48271) % 100003 AS u1, (i * 69621) % 86399 AS u2, (i * 16807) % 432011 AS u3,
               (i * 40692) % 3593 AS u4, (i * 39373) % 86413 AS u5,
               (i / 10) % 25 = 7 AS pre_fr, (i / 10) % 20 = 3 AS pre_res, (i / 1000) % 10 = 0 AS waiting
        FROM {source}"""
    # b: targets (business minutes) and the opening (seconds before the sweep moment).
    layer_b = f"""
        SELECT a.*,
               {_case(["30", "60", "180"], "pr")} AS fr_min,
               {_case(["120", "1440", "2880"], "pr")} AS res_min,
               CASE WHEN st = 0 THEN -(3600 + u2) ELSE -(3600 + 3 * u5) END AS created
        FROM ({layer_a}) AS a"""
    # c: the first response (open and waiting cases, within the hour after opening) and the due times:
    # new cases' first responses due from 55 minutes ago to a day ahead (~3.3% past), resolutions from
    # 25 minutes ago to five days ahead (~0.35% past); breaches marked before on the "pre" ones.
    layer_c = f"""
        SELECT b.*,
               CASE WHEN st = 0 THEN NULL ELSE created + u4 END AS fr_at,
               CASE WHEN st = 0 AND pre_fr THEN -(3334 + u4) WHEN st = 0 THEN u1 - 3333
                    ELSE created + fr_min * 60 END AS fr_due,
               CASE WHEN st = 2 THEN NULL WHEN st = 1 AND pre_res THEN created + 1800 + u4 % 1800
                    ELSE u3 - 1500 END AS res_due
        FROM ({layer_b}) AS b"""
    layer_d = f"""
        SELECT c.*,
               CASE WHEN st = 0 AND pre_fr THEN fr_due WHEN st > 0 AND fr_at > fr_due THEN fr_at END
                   AS fr_breached,
               CASE WHEN st = 1 AND pre_res THEN res_due END AS res_breached,
               CASE WHEN st = 2 THEN fr_at / 2 END AS paused,
               CASE st WHEN 0 THEN created WHEN 1 THEN fr_at ELSE fr_at / 2 END AS updated
        FROM ({layer_c}) AS c"""
    columns = {
        "id": "i",
        "ticket_id": f"'D' || {pad('i', 8)}",
        "team_id": f"{team0} + slot / {AGENTS_PER_TEAM}",
        "assignee_id": f"CASE WHEN st = 0 AND waiting THEN NULL ELSE {agent0} + slot END",
        "kind": _case(_quoted(KINDS), "kd"),
        "channel": _case(_quoted(CHANNELS), "ch"),
        "priority": _case(_quoted(("urgent", "high", "normal")), "pr"),
        "subject": _case(_quoted(SUBJECTS), "kd"),
        "order_ref": f"'O' || {pad('i', 10)}",
        "order_amount": "NULL",
        "customer_name": "''",
        "customer_contact": f"'138' || {pad('i', 8)}",
        "language": "'zh'",
        "partner_merchant": "''",
        "status": _case(_quoted(("new", "open", "pending_customer")), "st"),
        "resolved_by_id": "NULL",
        "created_by_id": "NULL",
        "created_at": ts("created"),
        "updated_at": ts("updated"),
        "first_response_at": ts("fr_at"),
        "resolved_at": "NULL",
        "closed_at": "NULL",
        "first_response_minutes": "fr_min",
        "resolution_minutes": "res_min",
        "warn_percent": "80",
        "first_response_due_at": ts("fr_due"),
        "first_response_warn_at": ts("fr_due - fr_min * 12"),
        "resolution_due_at": ts("res_due"),
        "resolution_warn_at": ts("res_due - res_min * 12"),
        "first_response_breached_at": ts("fr_breached"),
        "resolution_breached_at": ts("res_breached"),
        "first_response_exempt_reason": "''",
        "resolution_exempt_reason": "''",
        "exempted_by_id": "NULL",
        "paused_since": ts("paused"),
        "paused_s": "0",
        "reopen_count": "0",
        "transfer_count": "0",
        "survey_nonce": "''",
    }
    insert_cases = (
        f"INSERT INTO tickets_case ({', '.join(columns)}) {prefix}"
        f"SELECT {', '.join(columns.values())} FROM ({layer_d}) AS d"
    )
    # The facts row of every case with an agent, as merit.tickets.sync.ticket_row writes it.
    insert_facts = """
        INSERT INTO facts_tickets (ticket_id, agent_id, kind, channel, created_at, first_response_at,
            resolved_at, closed_at, reopened, transfers, priority, first_response_breached,
            resolution_breached, first_response_exempted, resolution_exempted, paused_s, reopen_count)
        SELECT c.ticket_id, a.agent_id, c.kind, c.channel, c.created_at, c.first_response_at, NULL, NULL,
            FALSE, 0, c.priority, c.first_response_breached_at IS NOT NULL,
            c.resolution_breached_at IS NOT NULL, FALSE, FALSE, 0, 0
        FROM tickets_case c JOIN org_agent a ON a.id = c.assignee_id"""
    t1 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if not pg:
            cursor.execute("PRAGMA cache_size = -500000")  # 500 MB while building the indexes
        cursor.execute(insert_cases)
        t2 = time.perf_counter()
        cursor.execute(insert_facts)
        if pg:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('tickets_case', 'id'), {n})")
    t3 = time.perf_counter()
    with connection.cursor() as cursor:
        if not pg:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        t4 = time.perf_counter()
        cursor.execute("ANALYZE")
        t5 = time.perf_counter()
        cursor.execute("SELECT status, count(*) FROM tickets_case GROUP BY status ORDER BY status")
        statuses = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM facts_tickets")
        facts = cursor.fetchone()[0]
    return {
        "setup_s": t1 - t0,
        "cases_s": t2 - t1,
        "facts_s": t3 - t2,
        "checkpoint_s": t4 - t3,
        "analyze_s": t5 - t4,
        "statuses": statuses,
        "facts": facts,
        "db_bytes": _db_bytes(connection),
    }


def _db_bytes(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
    return Path(connection.settings_dict["NAME"]).stat().st_size


def _due(connection, now: datetime) -> tuple[int, int]:
    """What a sweep at ``now`` would mark (the sweep's own conditions), not timed."""
    from merit.tickets.actions import _OPEN_SQL

    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tickets_case WHERE first_response_breached_at IS NULL "
            f"AND first_response_at IS NULL AND first_response_due_at <= %s AND status IN ({_OPEN_SQL})",
            [stamp],
        )
        first = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM tickets_case WHERE resolution_breached_at IS NULL "
            f"AND resolved_at IS NULL AND resolution_due_at <= %s AND status IN ({_OPEN_SQL})",
            [stamp],
        )
        return first, cursor.fetchone()[0]


def timed_sweep(now: datetime) -> dict:
    from django.db import connection

    from merit.facts.models import Ticket
    from merit.tickets import actions
    from merit.tickets.models import Case

    due = _due(connection, now)
    connection.ensure_connection()
    t0 = time.perf_counter()
    first, resolution = actions.mark_breaches(now)
    elapsed = time.perf_counter() - t0
    cases = (
        Case.objects.filter(first_response_breached_at=now).count(),
        Case.objects.filter(resolution_breached_at=now).count(),
    )
    facts = (
        Ticket.objects.filter(first_response_breached=True).count(),
        Ticket.objects.filter(resolution_breached=True).count(),
    )
    return {
        "s": elapsed,
        "first": first,
        "resolution": resolution,
        "due": due,
        "cases": cases,
        "facts": facts,
    }


def api_setup() -> dict:
    """One team of four agents with sign-in accounts and its supervisor, who gets an API token."""
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from merit.org.models import Agent, Membership, Team
    from merit.tickets.models import DeskTeam

    User = get_user_model()
    team = Team.objects.create(team_id="BT1", name="售后压测组")
    DeskTeam.objects.create(team=team)
    for k in range(4):
        user = User.objects.create(username=f"bench-agent{k}")
        Membership.objects.create(user=user, role="agent")
        Agent.objects.create(agent_id=f"BA{k}", name=f"压测客服{k}", team=team, role="after_sales", user=user)
    sup = User.objects.create(username="bench-sup")
    Membership.objects.create(user=sup, role="supervisor", team=team)
    out = StringIO()
    call_command("create_api_token", "bench-sup", "desk benchmark", stdout=out, stderr=StringIO())
    return {"token": out.getvalue().strip(), "team_id": team.team_id}


def api_probe(method: str, path: str, body: str) -> dict:
    """One request of a phase through Django's test client, to name what a 500 of the server was (the
    production settings log no tracebacks)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from merit.api.auth import issue_token

    _, token = issue_token(get_user_model().objects.get(username="bench-sup"), "desk benchmark probe")
    client = Client(raise_request_exception=True, HTTP_HOST="127.0.0.1")
    try:
        r = client.generic(
            method, path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    except Exception as e:
        return {"status": 500, "error": f"{type(e).__module__}.{type(e).__qualname__}: {e}"}
    return {"status": r.status_code, "error": ""}


def api_check() -> dict:
    from django.db.models import Count

    from merit.facts.models import Ticket
    from merit.tickets.models import Case, CaseMessage

    return {
        "cases": Case.objects.count(),
        "assigned": Case.objects.filter(assignee__isnull=False).count(),
        "replied": Case.objects.filter(first_response_at__isnull=False).count(),
        "replies": CaseMessage.objects.filter(kind="reply").count(),
        "facts": Ticket.objects.count(),
        "per_agent": dict(Case.objects.order_by().values_list("assignee__agent_id").annotate(n=Count("pk"))),
    }


# ---- the parent ---------------------------------------------------------------------------------------


class Database:
    """One database the children use, named by environment variables (the settings read them)."""

    def __init__(self, label: str, env: dict[str, str], reset, drop):
        self.label = label
        self.env = env
        self._reset = reset
        self.drop = drop

    def reset(self) -> None:
        self._reset()
        run(self, "migrate")


def child_env(db: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MERIT_VAR_DIR", "DEBUG")}
    env.update({"DJANGO_SETTINGS_MODULE": "merit.config.settings", "DEBUG": "0", **db.env})
    return env


def run(db: Database, kind: str, *args: str) -> dict:
    res = subprocess.run(
        [sys.executable, __file__, "--child", kind, *args],
        env=child_env(db),
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"{db.label} {kind} failed")
    return json.loads(res.stdout.strip().splitlines()[-1])


def postgres(url: str, var: Path) -> Database:
    import psycopg

    base, name = url.rsplit("/", 1)

    def drop():
        with psycopg.connect(f"{base}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(var, ignore_errors=True)

    def reset():
        drop()
        var.mkdir(parents=True)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')

    # MERIT_VAR_DIR: the server's collected static files go there too, not into the project's var/.
    return Database("PostgreSQL", {"DATABASE_URL": url, "MERIT_VAR_DIR": str(var.absolute())}, reset, drop)


def sqlite(folder: Path) -> Database:
    def drop():
        shutil.rmtree(folder, ignore_errors=True)

    def reset():
        drop()
        folder.mkdir(parents=True)

    return Database("SQLite", {"MERIT_VAR_DIR": str(folder.absolute())}, reset, drop)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="var/bench")
    ap.add_argument("--cases", type=int, default=1_000_000, help="open cases of (a) (0: skip (a))")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/merit_bench_desk")
    ap.add_argument("--skip-pg", action="store_true", help="SQLite only")
    ap.add_argument("--skip-api", action="store_true", help="skip (b)")
    ap.add_argument("--threads", type=int, default=8, help="client threads of (b)")
    ap.add_argument("--seconds", type=float, default=20, help="longest phase of (b)")
    ap.add_argument("--requests", type=int, default=2000, help="most requests in a phase of (b)")
    ap.add_argument("--keep", action="store_true", help="keep the databases (default: dropped at the end)")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:]), default=str))
        return 0
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    dbs = [] if args.skip_pg else [postgres(args.pg_url, base / "desk-pg-var")]
    dbs.append(sqlite(base / "desk-sqlite"))
    try:
        if args.cases:
            bench_sweep(dbs, args.cases)
        if not args.skip_api:
            bench_api(dbs, args)
    finally:
        if not args.keep:
            for db in dbs:
                db.drop()
    return 0


def bench_sweep(dbs: list[Database], n: int) -> None:
    later = SWEEP_AT + timedelta(seconds=LATER_S)
    runs = (
        ("(1) ~1% due", SWEEP_AT, True),
        ("(2) idle re-sweep", SWEEP_AT, True),
        (f"(3) +{LATER_S / 3600:g} h, ~10% due", later, False),
    )
    print(f"(a) breach sweep (actions.mark_breaches) over {n:,} open cases, at {SWEEP_AT:%Y-%m-%d %H:%M} UTC")
    results = []
    for db in dbs:
        db.reset()
        t0 = time.perf_counter()
        f = run(db, "fill", str(n))
        wall = time.perf_counter() - t0
        mix = ", ".join(f"{k} {v:,}" for k, v in f["statuses"].items())
        print(
            f"{db.label}: generated in {wall:.1f} s wall ({f['cases_s']:.1f} s cases, {f['facts_s']:.1f} s "
            f"{f['facts']:,} facts rows, {f['analyze_s']:.1f} s ANALYZE"
            + (f", {f['checkpoint_s']:.1f} s WAL checkpoint" if f["checkpoint_s"] > 0.05 else "")
            + f"); {mix}; {f['db_bytes'] / 2**20:,.0f} MiB"
        )
        for label, at, target in runs:
            r = run(db, "sweep", at.isoformat())
            marked = [r["first"], r["resolution"]]
            ok = marked == r["due"] and (label.startswith("(2)") or marked == r["cases"])
            results.append((db.label, label, r, target, ok))
    print(f"\n{'database':<11} {'sweep':<22} {'seconds':>8} {'first resp.':>12} {'resolution':>11}  check")
    for label, run_name, r, target, ok in results:
        verdict = ""
        if target:
            verdict = "  ✓ < 2 s" if r["s"] < 2 else "  ✗ over the 2 s target"
        check = "ok" if ok else f"MISMATCH due {r['due']}"
        print(
            f"{label:<11} {run_name:<22} {r['s']:>7.3f}s {r['first']:>12,} {r['resolution']:>11,}  "
            f"{check}{verdict}"
        )
    print(
        "(check: marked = what the sweep's conditions select just before it; facts rows flagged after: "
        + "; ".join(
            f"{lab} {r['facts'][0]:,} first resp. / {r['facts'][1]:,} resolution"
            for lab, _, r, _, _ in results[2::3]
        )
        + ")"
    )


# ---- (b) the API under load ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``merit serve`` in its own session (gunicorn is its child); stopped with Ctrl-C's signal."""

    def __init__(self, db: Database, port: int, log: Path):
        env = child_env(db)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "merit.config.production",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1
                "ALLOWED_HOSTS": "127.0.0.1",
            }
        )
        self.port = port
        self.log = log.open("w")
        merit = Path(sys.executable).parent / "merit"
        self.proc = subprocess.Popen(
            [str(merit), "serve", "--bind", f"127.0.0.1:{port}", "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,  # the access log
            stderr=self.log,
            start_new_session=True,
        )

    def wait_ready(self, token: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped (exit {self.proc.returncode}); see {self.log.name}")
            try:
                status, _ = request(self.port, "GET", "/api/teams", token)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"the server did not answer in {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # merit serve passes it on to gunicorn as SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def request(port: int, method: str, path: str, token: str, body=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, payload
    finally:
        if own:
            conn.close()


def load(port: int, token: str, threads: int, seconds: float, limit: int, make) -> dict:
    """``threads`` clients, each on one keep-alive connection, until ``limit`` requests or ``seconds``."""
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    bodies: list[bytes] = []
    first_500: list[tuple] = []
    deadline = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if issued[0] >= limit or time.perf_counter() >= deadline:
                    break
                n = issued[0]
                issued[0] += 1
            method, path, body = make(n)
            t0 = time.perf_counter()
            try:
                status, payload = request(port, method, path, token, body, conn)
                key = str(status)
            except (OSError, http.client.HTTPException) as e:
                status, payload, key = 0, b"", type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                statuses[key] = statuses.get(key, 0) + 1
                bodies.append(payload if 200 <= status < 300 else b"")
                if not 200 <= status < 300 and len(errors) < 3:
                    errors.append(f"{key} {payload[:200]!r}")
                if status == 500 and not first_500:
                    first_500.append((method, path, body))
        conn.close()

    errors: list[str] = []
    t0 = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "n": len(latencies),
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50": _pct(latencies, 50),
        "p95": _pct(latencies, 95),
        "p99": _pct(latencies, 99),
        "statuses": statuses,
        "bodies": bodies,
        "errors": errors,
        "first_500": first_500[0] if first_500 else None,
    }


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def bench_api(dbs: list[Database], args) -> None:
    print(
        f"\n(b) cases API under load: merit serve (gunicorn, production settings), {args.threads} client "
        f"threads, each phase ≤ {args.seconds:g} s or ≤ {args.requests:,} requests"
    )
    rows = []
    for db in dbs:
        db.reset()
        setup = run(db, "api-setup")
        token, team_id = setup["token"], setup["team_id"]
        server = Server(db, free_port(), Path(args.dir) / f"desk-serve-{db.label.lower()}.log")
        phases = []
        try:
            server.wait_ready(token)
            status, _ = request(server.port, "POST", "/api/cases", token, {})
            if status == 404:
                print(f"{db.label}: POST /api/cases answers 404 (the cases API is not there): (b) skipped")
                continue
            create = {
                "team_id": team_id,
                "kind": "refund",
                "channel": "chat",
                "priority": "high",
                "subject": "退款未到账",
                "customer_contact": "13812345678",
            }
            opened = load(
                server.port,
                token,
                args.threads,
                args.seconds,
                args.requests,
                lambda n, create=create: ("POST", "/api/cases", {**create, "subject": f"退款未到账 #{n}"}),
            )
            phases.append(("POST /api/cases", opened, 201))
            ids = [json.loads(b)["ticket_id"] for b in opened.pop("bodies") if b]
            if ids:
                replied = load(
                    server.port,
                    token,
                    args.threads,
                    args.seconds,
                    args.requests,
                    lambda n, ids=ids: (
                        "POST",
                        f"/api/cases/{ids[n % len(ids)]}/reply",
                        {"body": "您好，退款已提交，预计 1–3 个工作日到账。"},
                    ),
                )
                replied.pop("bodies")
                phases.append(("POST …/{id}/reply", replied, 200))
            else:
                print(f"{db.label}: no case was created, so no replies")
        finally:
            server.stop()
        for phase, r, expected in phases:
            if r["first_500"]:
                method, path, body = r["first_500"]
                r["cause"] = run(db, "api-probe", method, path, json.dumps(body))["error"]
            rows.append((db.label, phase, r, expected))
        check = run(db, "api-check")
        print(
            f"{db.label}: {check['cases']:,} cases ({check['assigned']:,} assigned: "
            + ", ".join(f"{k} {v}" for k, v in sorted(check["per_agent"].items(), key=str))
            + f"), {check['replied']:,} with a first response, {check['replies']:,} replies, "
            f"{check['facts']:,} facts rows"
        )
    print(
        f"\n{'database':<11} {'phase':<20} {'requests':>8} {'req/s':>7} {'p50':>8} {'p95':>8} {'p99':>8}  "
        "statuses / errors"
    )
    for label, phase, r, expected in rows:
        bad = sum(v for k, v in r["statuses"].items() if k != str(expected))
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(r["statuses"].items()))
        print(
            f"{label:<11} {phase:<20} {r['n']:>8,} {r['rps']:>7.1f} {r['p50'] * 1000:>6.0f}ms "
            f"{r['p95'] * 1000:>6.0f}ms {r['p99'] * 1000:>6.0f}ms  {codes}; {bad} errors"
        )
        if r.get("cause"):
            print(f"{'':<11} 500: {r['cause'][:300]}")
        for e in r["errors"]:
            if not e.startswith("500 "):
                print(f"{'':<11} e.g. {e}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
