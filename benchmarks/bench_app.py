"""Application benchmark: facts into and out of the database, on PostgreSQL and SQLite.

    DJANGO_SETTINGS_MODULE=merit.config.settings .venv/bin/python benchmarks/bench_app.py --dir var/bench

(a) Import: a package of agents, teams and a ~1,000,000-row chats CSV (``merit synth`` with 670 agents,
    one month) is validated with the engine's ``load_package`` and written with ``write_tables`` (one
    transaction, commit included); then the same package again (every row unchanged).
(b) Read back: one month of a 2,000-agent package (``merit synth --agents 2000 --months 1``, ~4M event
    rows) is imported, then read with ``read_package`` and assessed with S5; against the engine's own
    ``load_package`` of the same files and the same assessment. Both documents must be equal.

Every measurement runs in a fresh Python process (imports excluded from the times) with its own
database settings: PostgreSQL ``merit_bench`` (dropped and created by this script, server from
--pg-url) and a SQLite file under --dir. The synthetic packages are generated once into --dir.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, json, resource, sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
kind = sys.argv[1]
out = {{}}
if kind == "migrate":
    call_command("migrate", verbosity=0)
elif kind == "import":
    from merit.engine.package import load_package
    from merit.engine import tables as T
    from merit.facts.io import write_tables
    t0 = time.perf_counter()
    pkg = load_package(sys.argv[2])
    t1 = time.perf_counter()
    with transaction.atomic():
        counts = write_tables(pkg.con, sorted(pkg.tables_present), batch=1)
    t2 = time.perf_counter()
    out = {{"load_s": t1 - t0, "write_s": t2 - t1,
           "rows": sum(c.read for c in counts.values()),
           "inserted": sum(c.inserted for c in counts.values()),
           "unchanged": sum(c.unchanged for c in counts.values()),
           "chats": counts["chats"].read if "chats" in counts else 0}}
else:  # read | files: a package of one month, then the S5 assessment
    from merit.engine.api import assess_package
    from merit.engine.policy.load import load_policy
    policy = load_policy("S5")
    t0 = time.perf_counter()
    if kind == "read":
        from merit.facts.io import read_package
        pkg = read_package([sys.argv[3]])
    else:
        from merit.engine.package import load_package
        pkg = load_package(sys.argv[2])
    t1 = time.perf_counter()
    doc, _ = assess_package(pkg, policy, [sys.argv[3]])
    t2 = time.perf_counter()
    rows = sum(pkg.con.execute(f'SELECT count(*) FROM "{{t}}"').fetchall()[0][0] for t in
               ("tickets", "chats", "ratings", "refunds", "qa_reviews", "attendance", "incidents", "exams"))
    periods = json.dumps(doc["periods"], sort_keys=True, default=str).encode()
    out = {{"read_s": t1 - t0, "assess_s": t2 - t1, "rows": rows,
           "periods_sha256": hashlib.sha256(periods).hexdigest()}}
out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


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


def run(db: Database, kind: str, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MERIT_VAR_DIR")}
    env.update({"DJANGO_SETTINGS_MODULE": "merit.config.settings", **db.env})
    code = CHILD.format(root=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code, kind, *args], env=env, capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"{db.label} {kind} failed")
    return json.loads(res.stdout.strip().splitlines()[-1])


def postgres(url: str) -> Database:
    import psycopg

    base, name = url.rsplit("/", 1)

    def drop():
        with psycopg.connect(f"{base}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def reset():
        drop()
        with psycopg.connect(f"{base}/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')

    return Database("PostgreSQL", {"DATABASE_URL": url}, reset, drop)


def sqlite(folder: Path) -> Database:
    def drop():
        shutil.rmtree(folder, ignore_errors=True)

    def reset():
        drop()
        folder.mkdir(parents=True)

    return Database("SQLite", {"MERIT_VAR_DIR": str(folder.absolute())}, reset, drop)


def ensure_data(data: Path, agents: int, seed: int) -> float | None:
    marker = data / ".complete"
    want = f"{agents} 1 {seed} csv"
    if marker.exists() and marker.read_text() == want:
        return None
    shutil.rmtree(data, ignore_errors=True)
    from merit.engine.synth import synth

    t0 = time.perf_counter()
    synth(data, agents=agents, months=1, seed=seed, fmt="csv", start="2026-01")
    marker.write_text(want)
    return time.perf_counter() - t0


def chats_only(data: Path, folder: Path) -> Path:
    """The import package of (a): agents, teams and chats of ``data`` (the other tables absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("agents", "teams", "chats"):
        target = folder / f"{name}.csv"
        if not target.exists():
            os.link(data / f"{name}.csv", target)
    return folder


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="var/bench")
    ap.add_argument("--import-agents", type=int, default=670, help="agents of (a): 670 give ~1M chats")
    ap.add_argument("--read-agents", type=int, default=2000, help="agents of (b) (0: skip)")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/merit_bench")
    ap.add_argument("--databases", default="postgresql,sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the databases (default: dropped at the end)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    dbs = []
    for name in args.databases.split(","):
        dbs.append(postgres(args.pg_url) if name == "postgresql" else sqlite(base / "sqlite-bench"))

    try:
        bench_import(base, dbs, args.import_agents)
        if args.read_agents:
            bench_read(base, dbs, args.read_agents)
    finally:
        if not args.keep:
            for db in dbs:
                db.drop()
    return 0


def bench_import(base: Path, dbs: list[Database], agents: int) -> None:
    data = base / f"app-data-{agents}"
    made = ensure_data(data, agents, 7)
    package = chats_only(data, base / f"app-import-{agents}")
    if made is not None:
        print(f"synth {agents} agents: {made:.1f} s")
    print(
        f"(a) import of agents, teams and chats.csv ({(package / 'chats.csv').stat().st_size / 2**20:.0f} MiB)"
    )
    print(f"{'database':<11} {'run':<10} {'rows':>10} {'validate':>9} {'write':>8} {'rows/s':>9}  peak")
    for db in dbs:
        db.reset()
        for run_name in ("first", "again"):
            r = run(db, "import", str(package))
            rate = r["rows"] / r["write_s"]
            target = "  (target ≥ 100,000)" if db.label == "PostgreSQL" and run_name == "first" else ""
            print(
                f"{db.label:<11} {run_name:<10} {r['rows']:>10,} {r['load_s']:>8.2f}s {r['write_s']:>7.2f}s "
                f"{rate:>9,.0f}  {_gib(r)}{target}"
            )


def bench_read(base: Path, dbs: list[Database], agents: int) -> None:
    data = base / f"app-data-{agents}"
    made = ensure_data(data, agents, 7)
    month = "2026-01"
    print(
        f"\n(b) one month of {agents:,} agents read back, then assessed with S5"
        + (f" (synth {made:.1f} s)" if made else "")
    )
    files = run(dbs[0], "files", str(data), month)
    print(f"{'source':<24} {'event rows':>11} {'read':>8} {'assess':>8} {'total':>8} {'ratio':>6}  peak")
    print(f"{'':<24} (ratio: read time against the files' load_package; target ≤ 1.00×)")
    _row("files (load_package)", files, files)
    for db in dbs:
        db.reset()
        imp = run(db, "import", str(data))
        r = run(db, "read", str(data), month)
        _row(f"{db.label} (read_package)", r, files)
        same = "same results" if r["periods_sha256"] == files["periods_sha256"] else "RESULTS DIFFER"
        print(
            f"{'':<24} {same}; import of {imp['rows']:,} rows: {imp['load_s']:.2f} s validate + "
            f"{imp['write_s']:.2f} s write ({imp['rows'] / imp['write_s']:,.0f} rows/s)"
        )


def _row(label: str, r: dict, files: dict) -> None:
    total = r["read_s"] + r["assess_s"]
    ratio = r["read_s"] / files["read_s"]
    print(
        f"{label:<24} {r['rows']:>11,} {r['read_s']:>7.2f}s {r['assess_s']:>7.2f}s {total:>7.2f}s "
        f"{ratio:>5.2f}×  {_gib(r)}"
    )


def _gib(r: dict) -> str:
    return f"{r['peak_bytes'] / 2**30:.2f} GiB"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
