"""Assessment-run benchmark: one month of 2,000 agents assessed from the database end to end, on
PostgreSQL and SQLite, next to the engine alone on the same data.

    DJANGO_SETTINGS_MODULE=merit.config.settings .venv/bin/python benchmarks/bench_runs.py --dir var/bench

The data is bench_app.py's package (``merit synth --agents 2000 --months 1``, ~4M event rows, generated
once into --dir), imported into a fresh database. Then, timed:

- the run: ``request_run`` + ``compute_run`` (the worker's task): the policy version, the facts read
  out of the database (``read_package``), the engine (``assess_package``), the results stored
  (results.json bytes on the run and one AgentResult row per agent, with the audit row);
- its publication: submit, approve (another user), publish, which posts the ledger entries (points and
  money) in the same transaction.

The engine alone is ``load_package`` of the same files plus ``assess_package`` with the same policy;
the results (the months of results.json) must be the same. Every measurement runs in a fresh Python
process with its own database settings (bench_app.py's helpers): PostgreSQL ``merit_bench_runs``
(dropped and created by this script) and a SQLite file under --dir.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import Database, ensure_data, postgres, sqlite  # noqa: E402

MONTH = "2026-01"

CHILD = r"""
import hashlib, json, resource, sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
kind = sys.argv[1]
out = {{}}

def periods_sha(doc):
    return hashlib.sha256(json.dumps(doc["periods"], sort_keys=True, default=str).encode()).hexdigest()

if kind == "migrate":
    call_command("migrate", verbosity=0)
elif kind == "import":
    from merit.engine.package import load_package
    from merit.facts.io import write_tables
    t0 = time.perf_counter()
    pkg = load_package(sys.argv[2])
    t1 = time.perf_counter()
    with transaction.atomic():
        counts = write_tables(pkg.con, sorted(pkg.tables_present), batch=1)
    t2 = time.perf_counter()
    out = {{"load_s": t1 - t0, "write_s": t2 - t1, "rows": sum(c.read for c in counts.values())}}
elif kind == "files":  # the engine alone: the package files, then the assessment
    from merit.engine.api import assess_package
    from merit.engine.package import load_package
    from merit.engine.policy.load import load_policy
    policy = load_policy(sys.argv[3])
    t0 = time.perf_counter()
    pkg = load_package(sys.argv[2])
    t1 = time.perf_counter()
    doc, _ = assess_package(pkg, policy, [sys.argv[4]])
    t2 = time.perf_counter()
    out = {{"load_s": t1 - t0, "assess_s": t2 - t1, "agents": len(doc["periods"][0]["agents"]),
           "periods_sha256": periods_sha(doc)}}
else:  # run: request, compute (timed by stage), submit, approve, publish
    import orjson
    from django.contrib.auth import get_user_model
    import merit.engine.api as engine_api
    from merit.assessment import actions
    from merit.assessment.models import AgentResult
    from merit.ledger.models import LedgerEntry
    from merit.org.models import Membership
    from merit.policies.actions import ensure_presets, resolve
    ensure_presets()
    User = get_user_model()
    hr, _ = User.objects.get_or_create(username="bench-hr")
    admin, _ = User.objects.get_or_create(username="bench-admin")
    Membership.objects.get_or_create(user=hr, defaults={{"role": "hr"}})
    Membership.objects.get_or_create(user=admin, defaults={{"role": "admin"}})
    version = resolve(sys.argv[3], sys.argv[4])
    spent = {{}}

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    actions.read_facts = timed("read_s", actions.read_facts)
    engine_api.assess_package = timed("assess_s", engine_api.assess_package)
    t0 = time.perf_counter()
    run = actions.request_run(hr, version, sys.argv[4], enqueue=False)
    run = actions.compute_run(run.pk)
    t1 = time.perf_counter()
    if run.state != "computed":
        raise SystemExit(f"run {{run.pk}} {{run.state}}: {{run.error}}")
    actions.submit(run, hr)
    actions.approve(run, admin)
    t2 = time.perf_counter()
    actions.publish(run, admin)
    t3 = time.perf_counter()
    doc = orjson.loads(bytes(run.results))
    out = {{"compute_s": t1 - t0, "review_s": t2 - t1, "publish_s": t3 - t2, **spent,
           "agent_results": AgentResult.objects.filter(run=run).count(),
           "ledger_entries": LedgerEntry.objects.filter(run=run).count(),
           "results_bytes": len(bytes(run.results)), "periods_sha256": periods_sha(doc)}}
    out["store_s"] = out["compute_s"] - out.get("read_s", 0) - out.get("assess_s", 0)
    # asking again for the same run: one read of the facts to compare fingerprints, nothing computed
    t4 = time.perf_counter()
    again = actions.request_run(hr, version, sys.argv[4], enqueue=False)
    out["rerun_s"] = time.perf_counter() - t4
    out["rerun_same"] = again.pk == run.pk
out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""


def child(db: Database | None, kind: str, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MERIT_VAR_DIR")}
    env.update({"DJANGO_SETTINGS_MODULE": "merit.config.settings", **(db.env if db else {})})
    res = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), kind, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"{db.label if db else 'files'} {kind} failed")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="var/bench")
    ap.add_argument("--agents", type=int, default=2000)
    ap.add_argument(
        "--policy", default="S1", help="S1: a score-free points policy with a bonus for every agent"
    )
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/merit_bench_runs")
    ap.add_argument("--databases", default="postgresql,sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the databases (default: dropped at the end)")
    args = ap.parse_args(argv)
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    data = base / f"app-data-{args.agents}"
    made = ensure_data(data, args.agents, 7)
    dbs = [
        postgres(args.pg_url) if name == "postgresql" else sqlite(base / "sqlite-runs")
        for name in args.databases.split(",")
    ]
    print(
        f"\n(c) a run of {args.agents:,} agents × 1 month ({args.policy}, {MONTH}) from the database end to "
        "end, next to the engine alone on the same data" + (f" (synth {made:.1f} s)" if made else "")
    )
    files = child(None, "files", str(data), args.policy, MONTH)
    head = (
        f"{'':<28} {'facts out':>9} {'engine':>8} {'stored':>8} {'run':>8} {'publish':>8} {'total':>8}  peak"
    )
    print(head)
    engine_total = files["load_s"] + files["assess_s"]
    print(
        f"{'engine only (files)':<28} {files['load_s']:>8.2f}s {files['assess_s']:>7.2f}s {'':>8} "
        f"{engine_total:>7.2f}s {'':>8} {engine_total:>7.2f}s  {_gib(files)}"
    )
    try:
        for db in dbs:
            db.reset()
            imp = child(db, "import", str(data))
            r = child(db, "run", "", args.policy, MONTH)
            total = r["compute_s"] + r["review_s"] + r["publish_s"]
            print(
                f"{db.label + ' (database)':<28} {r['read_s']:>8.2f}s {r['assess_s']:>7.2f}s "
                f"{r['store_s']:>7.2f}s {r['compute_s']:>7.2f}s {r['publish_s']:>7.2f}s {total:>7.2f}s  {_gib(r)}"
            )
            same = (
                "same results as the files"
                if r["periods_sha256"] == files["periods_sha256"]
                else "RESULTS DIFFER"
            )
            print(
                f"{'':<28} {same}; {r['agent_results']:,} agent results ({r['results_bytes'] / 2**20:.1f} MiB "
                f"results.json), {r['ledger_entries']:,} ledger entries; run {r['compute_s'] / engine_total:.2f}× "
                f"the engine alone; asked again: {r['rerun_s']:.2f} s, "
                f"{'the same run' if r['rerun_same'] else 'A NEW RUN'} (import of {imp['rows']:,} rows: "
                f"{imp['write_s']:.1f} s, not counted)"
            )
    finally:
        if not args.keep:
            for db in dbs:
                db.drop()
    print(
        f"{'':<28} (facts out: read_package; engine: assess_package; stored: results, agent rows, audit; "
        "run: request + compute; publish: ledger entries posted; total: run + review + publish)"
    )
    return 0


def _gib(r: dict) -> str:
    return f"{r['peak_bytes'] / 2**30:.2f} GiB"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
